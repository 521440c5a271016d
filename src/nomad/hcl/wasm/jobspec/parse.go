// Package jobspec turns a Nomad HCL2 job specification into an api.Job, with the semantics of
// Nomad's /v1/jobs/parse endpoint: the file is parsed as native HCL (or HCL JSON when it starts
// with "{"), input variables get their values from defaults and from a variables-file text,
// locals and functions are evaluated, `dynamic` blocks are expanded, other references are kept as
// literal "${…}" strings, and the body is decoded against the `hcl` tags of the api structs.
// Canonicalize, when asked for, is api.Job.Canonicalize itself.
package jobspec

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// DefaultPath is the file name Nomad's HTTP endpoint gives the job text; it prefixes every
// diagnostic ("input.hcl:3,5-9: …").
const DefaultPath = "input.hcl"

// variablesPath is the file name Nomad gives the Variables text.
const variablesPath = "input.hcl"

// Request is one parse.
type Request struct {
	JobHCL       string
	Variables    string // content of a variables file: `name = value` lines
	Canonicalize bool
	Path         string // defaults to DefaultPath
	// Files enables the file-system functions (nil: disabled, as for Nomad's HTTP endpoint).
	Files *FileAccess
}

// ErrorKind tells callers how Nomad's HTTP endpoint would report an error.
type ErrorKind string

const (
	KindEmpty    ErrorKind = "empty"     // 400 "Job spec is empty"
	KindTooLarge ErrorKind = "too_large" // refused before parsing (a limit of this implementation)
	KindParse    ErrorKind = "parse"     // 400 "Failed to parse job: <message>"
	KindInternal ErrorKind = "internal"  // a bug: the parser panicked
)

// Error is a failed parse. Message is exactly the text Nomad's parser returns (the endpoint puts
// "Failed to parse job: " in front of it); Diagnostics lists each diagnostic on its own.
type Error struct {
	Kind        ErrorKind
	Message     string
	Diagnostics []string
}

func (e *Error) Error() string { return e.Message }

// Parse parses one job specification. It never panics: a panic inside becomes a KindInternal error.
func Parse(req Request) (job *api.Job, err error) {
	defer func() {
		if r := recover(); r != nil {
			job = nil
			err = &Error{Kind: KindInternal, Message: fmt.Sprintf("internal error while parsing the job specification: %v\n%s", r, debug.Stack())}
		}
	}()
	if req.JobHCL == "" {
		return nil, &Error{Kind: KindEmpty, Message: "Job spec is empty"}
	}
	if err := checkLimits([]byte(req.JobHCL), req.Variables); err != nil {
		return nil, &Error{Kind: KindTooLarge, Message: err.Error()}
	}
	path := req.Path
	if path == "" {
		path = DefaultPath
	}
	p := &parser{
		src:         []byte(req.JobHCL),
		filename:    path,
		inputVars:   map[string]*inputVariable{},
		localNames:  map[string]bool{},
		localValues: map[string]cty.Value{},
		functions:   functionTable(req.Files),
	}
	if err := p.run(req.Variables); err != nil {
		return nil, err
	}
	if req.Canonicalize {
		p.job.Canonicalize()
	}
	return p.job, nil
}

type parser struct {
	src       []byte
	filename  string
	functions map[string]function.Function

	inputVars   map[string]*inputVariable
	varObject   cty.Value // the `var` object, once every value is known
	localNames  map[string]bool
	localDefs   []localDef
	localValues map[string]cty.Value

	jobID      string
	job        *api.Job
	jobTasks   []*api.Task // `task` blocks written directly in the job block
	jobVault   *api.Vault
	jobSecrets []*api.Secret
}

func (p *parser) run(variables string) error {
	file, diags := parseSource(p.src, p.filename)

	var varFile *hcl.File
	if variables != "" {
		f, varDiags := parseSource([]byte(variables), variablesPath)
		if varDiags.HasErrors() {
			return p.fail(fmt.Sprintf("unable to parse var content: %v", varDiags.Error()), varDiags)
		}
		varFile = f
	}
	// Syntax errors: Nomad reports the first diagnostic and how many others there are.
	if diags.HasErrors() {
		return p.fail(diags.Error(), diags)
	}

	diags = append(diags, p.decodeFile(file.Body, varFile)...)
	if diags.HasErrors() {
		// Decoding errors: Nomad reports every diagnostic (warnings too), one per line.
		lines := make([]string, len(diags))
		for i, d := range diags {
			lines[i] = d.Error()
		}
		return p.fail(strings.Join(lines, "\n"), diags)
	}

	ctx := p.evalContext()
	if diags := resolveFreeformMaps(p.job, ctx); diags.HasErrors() {
		return p.fail(diags.Error(), diags)
	}
	for _, t := range p.jobTasks {
		if diags := resolveFreeformMaps(t, ctx); diags.HasErrors() {
			return p.fail(diags.Error(), diags)
		}
	}
	for _, s := range p.jobSecrets {
		if diags := resolveFreeformMaps(s, ctx); diags.HasErrors() {
			return p.fail(diags.Error(), diags)
		}
	}

	p.normalize()
	return nil
}

func (p *parser) fail(message string, diags hcl.Diagnostics) error {
	list := make([]string, 0, len(diags))
	for _, d := range diags {
		list = append(list, d.Error())
	}
	return &Error{Kind: KindParse, Message: message, Diagnostics: list}
}

// parseSource parses native HCL, or HCL's JSON syntax when the first character that is not a
// space is "{".
func parseSource(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	for _, c := range src {
		if c == ' ' {
			continue
		}
		if c == '{' {
			return hcljson.Parse(src, filename)
		}
		break
	}
	return hclsyntax.ParseConfig(src, filename, hcl.Pos{Line: 1, Column: 1})
}

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variables"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "job", LabelNames: []string{"name"}},
	},
}

func (p *parser) decodeFile(body hcl.Body, varFile *hcl.File) hcl.Diagnostics {
	content, diags := body.Content(fileSchema)
	if len(diags) > 0 {
		return diags
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			diags = append(diags, p.declareVariableBlock(b)...)
		case "variables":
			diags = append(diags, p.declareVariablesBlock(b)...)
		}
	}
	for _, b := range content.Blocks {
		if b.Type == "locals" {
			diags = append(diags, p.collectLocals(b)...)
		}
	}
	if varFile != nil {
		diags = append(diags, p.assignVariableValues(varFile)...)
	}
	values, valueDiags := p.variableValues()
	diags = append(diags, valueDiags...)
	p.varObject = cty.ObjectVal(values)
	diags = append(diags, p.evaluateLocals()...)

	// Errors so far would leave the job half-evaluated; stop here, as Nomad does.
	if diags.HasErrors() {
		return diags
	}
	return append(diags, p.decodeJob(content, p.evalContext())...)
}

func (p *parser) evalContext() *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: p.functions,
		Variables: map[string]cty.Value{
			"var":   p.varObject,
			"local": cty.ObjectVal(p.localValues),
		},
		UndefinedVariable: literalReference(p.src, p.filename),
	}
}

var jobExtrasSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "vault"},
		{Type: "secret", LabelNames: []string{"name"}},
		{Type: "task", LabelNames: []string{"name"}},
	},
}

func (p *parser) decodeJob(content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	p.job = &api.Job{}
	var found *hcl.Block
	for _, b := range content.Blocks {
		if b.Type != "job" {
			continue
		}
		if found != nil {
			diags = append(diags, duplicateBlock(b, found))
			continue
		}
		found = b
		p.jobID = b.Labels[0]

		body := dynblock.Expand(withFreeformBlocks(b.Body), ctx)
		meta, body, moreDiags := mapAttribute(body, ctx, "meta")
		diags = append(diags, moreDiags...)
		extras, rest, moreDiags := body.PartialContent(jobExtrasSchema)
		diags = append(diags, moreDiags...)
		diags = append(diags, p.decodeJobExtras(extras, ctx)...)
		diags = append(diags, jobDecoder.DecodeBody(rest, ctx, p.job)...)
		if meta != nil {
			p.job.Meta = meta
		}
	}
	if found == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing job block",
			Detail:   "A job block is required",
		})
	}
	return diags
}

// decodeJobExtras handles the job-level blocks that api.Job has no field for: `vault` and `secret`
// (defaults for every task) and `task` (a task that becomes a group of its own).
func (p *parser) decodeJobExtras(content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var vaultBlock *hcl.Block
	for _, b := range content.Blocks {
		switch b.Type {
		case "vault":
			if vaultBlock != nil {
				diags = append(diags, duplicateBlock(b, vaultBlock))
				continue
			}
			vaultBlock = b
			v := &api.Vault{}
			diags = append(diags, jobDecoder.DecodeBody(b.Body, ctx, v)...)
			p.jobVault = v
		case "task":
			t := &api.Task{}
			diags = append(diags, jobDecoder.DecodeBody(b.Body, ctx, t)...)
			if len(b.Labels) == 1 {
				t.Name = b.Labels[0]
				p.jobTasks = append(p.jobTasks, t)
			}
		case "secret":
			s := &api.Secret{}
			diags = append(diags, jobDecoder.DecodeBody(b.Body, ctx, s)...)
			if len(b.Labels) == 1 {
				s.Name = b.Labels[0]
				p.jobSecrets = append(p.jobSecrets, s)
			}
		}
	}
	return diags
}

func duplicateBlock(b, previous *hcl.Block) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
		Detail:   fmt.Sprintf("Only one block of type %q is allowed. Previous definition was at %s.", b.Type, previous.DefRange.String()),
		Subject:  &b.DefRange,
	}
}

// AsError extracts an *Error from err.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
