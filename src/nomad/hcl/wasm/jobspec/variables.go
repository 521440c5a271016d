package jobspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Input variables (`variable "x" {…}` blocks and `variables {…}` blocks), their values from the
// request's Variables text (the content of a variables file: `x = "v"` lines), and locals.
// The rules and diagnostics follow Nomad's jobspec parser: the last value set wins (default, then
// the variables text), a declared type converts every value, validation blocks check the value
// in force, and a variable that ends up with no value is an "Unset variable" error even if nothing
// refers to it.

type inputVariable struct {
	name        string
	typ         cty.Type // cty.NilType when neither a type nor a default gives one
	declRange   hcl.Range
	values      []assignedValue
	validations []*validationRule
	functions   map[string]function.Function
}

type assignedValue struct {
	from  string // "default" or "varfile"
	value cty.Value
	expr  hcl.Expression
}

type validationRule struct {
	condition    hcl.Expression
	errorMessage string
	declRange    hcl.Range
}

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "default"}, {Name: "type"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

const invalidIdentifierDetail = "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes."

// declareVariableBlock handles one `variable "name" {…}` block.
func (p *parser) declareVariableBlock(block *hcl.Block) hcl.Diagnostics {
	name := block.Labels[0]
	if _, dup := p.inputVars[name]; dup {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate variable",
			Detail:   "Duplicate " + name + " variable definition found.",
			Context:  block.DefRange.Ptr(),
		}}
	}
	content, diags := block.Body.Content(variableBlockSchema)
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   invalidIdentifierDetail,
			Subject:  &block.LabelRanges[0],
		})
	}
	v := &inputVariable{name: name, declRange: block.DefRange, functions: p.functions}

	if attr, ok := content.Attributes["description"]; ok {
		var description string
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, nil, &description)...)
	}
	if attr, ok := content.Attributes["type"]; ok {
		ty, tyDiags := typeexpr.Type(attr.Expr)
		diags = append(diags, tyDiags...)
		if tyDiags.HasErrors() {
			return diags
		}
		v.typ = ty
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, valDiags := attr.Expr.Value(nil)
		diags = append(diags, valDiags...)
		if valDiags.HasErrors() {
			return diags
		}
		if v.typ != cty.NilType {
			converted, err := convert.Convert(val, v.typ)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
					Subject:  attr.Expr.Range().Ptr(),
				})
				converted = cty.DynamicVal
			}
			val = converted
		}
		v.values = append(v.values, assignedValue{from: "default", value: val, expr: attr.Expr})
		if v.typ == cty.NilType {
			v.typ = val.Type()
		}
	}
	for _, vb := range content.Blocks {
		rule, ruleDiags := decodeValidationRule(name, vb)
		diags = append(diags, ruleDiags...)
		v.validations = append(v.validations, rule)
	}
	p.inputVars[name] = v
	return diags
}

// declareVariablesBlock handles a `variables { a = 1 … }` block: each attribute declares a
// variable whose default is the attribute's (constant) value.
func (p *parser) declareVariablesBlock(block *hcl.Block) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for _, attr := range sortedAttributes(attrs) {
		if _, dup := p.inputVars[attr.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate variable",
				Detail:   "Duplicate " + attr.Name + " variable definition found.",
				Subject:  attr.NameRange.Ptr(),
			})
			continue
		}
		val, valDiags := attr.Expr.Value(nil)
		diags = append(diags, valDiags...)
		if valDiags.HasErrors() {
			continue
		}
		p.inputVars[attr.Name] = &inputVariable{
			functions: p.functions,
			name:      attr.Name,
			typ:       val.Type(),
			declRange: attr.Range,
			values:    []assignedValue{{from: "default", value: val, expr: attr.Expr}},
		}
	}
	return diags
}

func decodeValidationRule(varName string, block *hcl.Block) (*validationRule, hcl.Diagnostics) {
	rule := &validationRule{declRange: block.DefRange}
	content, diags := block.Body.Content(validationBlockSchema)
	if attr, ok := content.Attributes["condition"]; ok {
		rule.condition = attr.Expr
		selfRefs := 0
		for _, t := range attr.Expr.Variables() {
			if refersToVariable(t, varName) {
				selfRefs++
				continue
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference in variable validation",
				Detail:   fmt.Sprintf("The condition for variable %q can only refer to the variable itself, using var.%s.", varName, varName),
				Subject:  t.SourceRange().Ptr(),
			})
		}
		if selfRefs == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid variable validation condition",
				Detail:   fmt.Sprintf("The condition for variable %q must refer to var.%s in order to test incoming values.", varName, varName),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	if attr, ok := content.Attributes["error_message"]; ok {
		msgDiags := gohcl.DecodeExpression(attr.Expr, nil, &rule.errorMessage)
		diags = append(diags, msgDiags...)
		if !msgDiags.HasErrors() && strings.TrimSpace(rule.errorMessage) == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid validation error message",
				Detail:   "An empty or blank string is not a valid nor useful error message.",
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	return rule, diags
}

// refersToVariable reports whether t is `var.<name>` (possibly followed by more steps).
func refersToVariable(t hcl.Traversal, name string) bool {
	if len(t) < 2 || t.RootName() != "var" {
		return false
	}
	switch step := t[1].(type) {
	case hcl.TraverseAttr:
		return step.Name == name
	case hcl.TraverseIndex:
		return step.Key.Type() == cty.String && step.Key.AsString() == name
	}
	return false
}

// assignVariableValues applies a variables file: `name = value` attributes, evaluated without
// variables or functions. Values for undeclared variables are ignored (Nomad's HTTP parse is not
// strict, so they are only warnings); declaring a variable there is an error.
func (p *parser) assignVariableValues(file *hcl.File) hcl.Diagnostics {
	var diags hcl.Diagnostics
	probe, _, _ := file.Body.PartialContent(&hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}},
	})
	for _, block := range probe.Blocks {
		name := block.Labels[0]
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Variable declaration in a .var file",
			Detail: fmt.Sprintf("A .var file is used to assign values to variables that have already been declared "+
				"in job files, not to declare new variables. To declare variable %q, place this block in one of your"+
				" job files\n\nTo set a value for this variable in %s, use the definition syntax instead:\n    %s = <value>",
				name, block.TypeRange.Filename, name),
			Subject: &block.TypeRange,
		})
	}
	if diags.HasErrors() {
		return diags
	}

	attrs, attrDiags := file.Body.JustAttributes()
	diags = append(diags, attrDiags...)
	for _, attr := range sortedAttributes(attrs) {
		v, declared := p.inputVars[attr.Name]
		if !declared {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Undefined variable",
				Detail: fmt.Sprintf("A %q variable was set but was not found in known variables. To declare "+
					"variable %q, place this block in your job files", attr.Name, attr.Name),
				Context: attr.Range.Ptr(),
			})
			continue
		}
		val, valDiags := attr.Expr.Value(nil)
		diags = append(diags, valDiags...)
		if v.typ != cty.NilType {
			converted, err := convert.Convert(val, v.typ)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("The value for %s is not compatible with the variable's type constraint: %s.", attr.Name, err),
					Subject:  attr.Expr.Range().Ptr(),
				})
				converted = cty.DynamicVal
			}
			val = converted
		}
		v.values = append(v.values, assignedValue{from: "varfile", value: val, expr: attr.Expr})
	}
	return diags
}

// current returns the value in force and checks it against the validation rules.
func (v *inputVariable) current() (cty.Value, hcl.Diagnostics) {
	if len(v.values) == 0 {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Unset variable %q", v.name),
			Detail: "A used variable must be set or have a default value; see " +
				"https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables  for details.",
			Context: v.declRange.Ptr(),
		}}
	}
	last := v.values[len(v.values)-1]
	return last.value, v.validate(last)
}

func (v *inputVariable) functionTable() map[string]function.Function {
	if v.functions == nil {
		return jobspecFunctions
	}
	return v.functions
}

func (v *inputVariable) validate(val assignedValue) hcl.Diagnostics {
	if len(v.validations) == 0 {
		return nil
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: val.value})},
		Functions: v.functionTable(),
	}
	var diags hcl.Diagnostics
	const badResult = "Invalid variable validation result"
	for _, rule := range v.validations {
		if rule.condition == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid variable validation specification",
				Detail:   "validation requires a condition.",
				Subject:  rule.declRange.Ptr(),
			})
			continue
		}
		result, resDiags := rule.condition.Value(ctx)
		diags = append(diags, resDiags...)
		if !result.IsKnown() {
			continue
		}
		if result.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  badResult,
				Detail:   "Validation condition expression must return either true or false, not null.",
				Subject:  rule.condition.Range().Ptr(),
			})
			continue
		}
		result, err := convert.Convert(result, cty.Bool)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  badResult,
				Detail:   fmt.Sprintf("Invalid validation condition result value: %s.", err),
				Subject:  rule.condition.Range().Ptr(),
			})
			continue
		}
		if result.False() {
			subject := rule.declRange.Ptr()
			if val.expr != nil {
				subject = val.expr.Range().Ptr()
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid value for %s variable", val.from),
				Detail:   fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", rule.errorMessage, rule.declRange.String()),
				Subject:  subject,
			})
		}
	}
	return diags
}

// variableValues returns the `var` object's attributes, and the diagnostics of variables that
// are unset or fail validation (in name order).
func (p *parser) variableValues() (map[string]cty.Value, hcl.Diagnostics) {
	out := make(map[string]cty.Value, len(p.inputVars))
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(p.inputVars) {
		val, valDiags := p.inputVars[name].current()
		diags = append(diags, valDiags...)
		out[name] = val
	}
	return out, diags
}

// ---------------------------------------------------------------------------------------------
// Locals

type localDef struct {
	name string
	expr hcl.Expression
}

func (p *parser) collectLocals(block *hcl.Block) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for _, attr := range sortedAttributes(attrs) {
		if p.localNames[attr.Name] {
			return append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate value in locals",
				Detail:   "Duplicate " + attr.Name + " definition found.",
				Subject:  attr.NameRange.Ptr(),
				Context:  block.DefRange.Ptr(),
			})
		}
		p.localNames[attr.Name] = true
		p.localDefs = append(p.localDefs, localDef{name: attr.Name, expr: attr.Expr})
	}
	return diags
}

// evaluateLocals evaluates locals in dependency order: a local whose expression fails (typically
// because it refers to a local not evaluated yet) is retried after the others, until a whole round
// makes no progress; the errors of the first local still failing are then reported.
func (p *parser) evaluateLocals() hcl.Diagnostics {
	pending := p.localDefs
	for len(pending) > 0 {
		var failed []localDef
		var firstFailure hcl.Diagnostics
		for _, def := range pending {
			val, diags := def.expr.Value(p.evalContext())
			if diags.HasErrors() {
				if firstFailure == nil {
					firstFailure = diags
				}
				failed = append(failed, def)
				continue
			}
			p.localValues[def.name] = val
		}
		if len(failed) == len(pending) {
			return firstFailure
		}
		pending = failed
	}
	return nil
}

// ---------------------------------------------------------------------------------------------

func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Range, out[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Start.Byte != b.Start.Byte {
			return a.Start.Byte < b.Start.Byte
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
