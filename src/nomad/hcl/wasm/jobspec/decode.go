package jobspec

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
)

// Decoding job, group and task bodies into the api structs.
//
// The generic work is gohcl's (from Nomad's HCL fork): the schema of each block comes from the
// api structs' `hcl:"…"` tags, so unknown arguments and blocks, missing required arguments and
// duplicate singleton blocks are rejected with HCL's own diagnostics. The fork lets a decoder carry
// hooks for particular Go types; the hooks below implement the jobspec rules that tags cannot
// express:
//
//   - durations (time.Duration, *time.Duration) from Go duration strings or nanoseconds;
//   - constraint/affinity shorthand attributes (version, semver, regexp, set_contains…,
//     distinct_hosts, distinct_property);
//   - groups: `meta` written as an attribute, group-level `vault`/`secret` blocks copied into the
//     tasks, and the group `scaling` rules;
//   - tasks: `env`/`meta` as attributes, and `scaling "cpu"` / `scaling "mem"` blocks.
//
// A hook for a struct type replaces gohcl's decoding of that type, so a hook decodes the rest of
// its body with a decoder that lacks its own hook (otherwise it would call itself).

type decoderHooks int

const (
	hooksBasic  decoderHooks = iota // durations, constraints, affinities
	hooksTasks                      // … and tasks
	hooksGroups                     // … and groups and tasks
)

func newDecoder(h decoderHooks) *gohcl.Decoder {
	d := &gohcl.Decoder{}
	d.RegisterExpressionDecoder(reflect.TypeOf(time.Duration(0)), decodeDuration)
	d.RegisterExpressionDecoder(reflect.TypeOf((*time.Duration)(nil)), decodeDuration)
	d.RegisterBlockDecoder(reflect.TypeOf(api.Constraint{}), decodeConstraint)
	d.RegisterBlockDecoder(reflect.TypeOf(api.Affinity{}), decodeAffinity)
	if h >= hooksTasks {
		d.RegisterBlockDecoder(reflect.TypeOf(api.Task{}), decodeTask)
	}
	if h >= hooksGroups {
		d.RegisterBlockDecoder(reflect.TypeOf(api.TaskGroup{}), decodeGroup)
	}
	return d
}

// jobDecoder decodes whole jobs (and job-level tasks, vault and secret blocks). It is set in init
// because the group and task hooks use it themselves.
var jobDecoder *gohcl.Decoder

func init() {
	jobDecoder = newDecoder(hooksGroups)
}

// ---------------------------------------------------------------------------------------------
// `meta` / `env` as attributes

// mapAttribute supports writing a string map as an attribute (`meta = { "a.b" = "x" }`) as well
// as a block (`meta { a = "x" }`); the attribute form allows keys that are not identifiers. When
// the attribute is present it is decoded and removed from the returned body; otherwise the map is
// nil and the body is returned unchanged, so that the block form is decoded with the rest.
func mapAttribute(body hcl.Body, ctx *hcl.EvalContext, name string) (map[string]string, hcl.Body, hcl.Diagnostics) {
	content, rest, diags := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	if diags.HasErrors() || content.Attributes[name] == nil {
		return nil, body, nil
	}
	attr := content.Attributes[name]
	if blocks, _, _ := rest.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: name}}}); len(blocks.Blocks) > 0 {
		return nil, rest, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %v block", name),
			Detail:   fmt.Sprintf("%v may not be defined more than once. Another definition is defined at %s.", name, attr.Range.String()),
			Subject:  &blocks.Blocks[0].DefRange,
		}}
	}
	out := map[string]string{}
	diags = append(diags, jobDecoder.DecodeExpression(attr.Expr, ctx, &out)...)
	return out, rest, diags
}

// ---------------------------------------------------------------------------------------------
// Groups

var groupExtrasSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "secret", LabelNames: []string{"name"}},
		{Type: "vault"},
	},
}

func decodeGroup(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	tg := target.(*api.TaskGroup)

	meta, body, diags := mapAttribute(body, ctx, "meta")
	extras, rest, moreDiags := body.PartialContent(groupExtrasSchema)
	diags = append(diags, moreDiags...)
	if len(diags) > 0 {
		return diags
	}

	// Group-level vault and secret blocks are defaults for the group's tasks. (Nomad's parser
	// discards the diagnostics of decoding these two blocks; so do we, to give the same answers.)
	var vault *api.Vault
	var secrets []*api.Secret
	for _, b := range extras.Blocks {
		switch b.Type {
		case "vault":
			v := &api.Vault{}
			_ = jobDecoder.DecodeBody(b.Body, ctx, v)
			vault = v
		case "secret":
			s := &api.Secret{}
			_ = jobDecoder.DecodeBody(b.Body, ctx, s)
			if len(b.Labels) == 1 {
				s.Name = b.Labels[0]
			}
			secrets = append(secrets, s)
		}
	}

	diags = newDecoder(hooksTasks).DecodeBody(rest, ctx, tg)

	if meta != nil {
		tg.Meta = meta
	}
	for _, t := range tg.Tasks {
		if vault != nil && t.Vault == nil {
			t.Vault = vault
		}
		if len(secrets) > 0 {
			if len(t.Secrets) == 0 {
				t.Secrets = secrets
			} else {
				// Nomad's parser appends the task's own secrets to themselves here instead of the
				// group's; the result is kept identical on purpose.
				t.Secrets = append(t.Secrets, t.Secrets...)
			}
		}
	}

	if tg.Scaling != nil {
		if tg.Scaling.Type == "" {
			tg.Scaling.Type = "horizontal"
		}
		diags = append(diags, checkGroupScaling(tg.Scaling, rest)...)
	}
	return diags
}

// checkGroupScaling: a group scaling policy needs `max`, and its type, if given, must be
// "horizontal".
func checkGroupScaling(p *api.ScalingPolicy, body hcl.Body) hcl.Diagnostics {
	if p.Max != nil && p.Type == "horizontal" {
		return nil
	}
	content, _, diags := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "scaling"}}})
	if len(content.Blocks) == 0 {
		return diags
	}
	inner, _, diags := content.Blocks[0].Body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "max", Required: true}, {Name: "type"}},
	})
	if p.Type != "horizontal" {
		if attr, ok := inner.Attributes["type"]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid group scaling type",
				Detail:   fmt.Sprintf("task group scaling policy had invalid type: %q", p.Type),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	return diags
}

// ---------------------------------------------------------------------------------------------
// Tasks

var taskScalingSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "scaling", LabelNames: []string{"name"}}},
}

func decodeTask(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	t := target.(*api.Task)

	env, body, diags := mapAttribute(body, ctx, "env")
	meta, body, moreDiags := mapAttribute(body, ctx, "meta")
	diags = append(diags, moreDiags...)

	scaling, rest, moreDiags := body.PartialContent(taskScalingSchema)
	diags = append(diags, moreDiags...)
	diags = append(diags, decodeTaskScaling(scaling.Blocks, ctx, t)...)
	diags = append(diags, newDecoder(hooksBasic).DecodeBody(rest, ctx, t)...)

	if env != nil {
		t.Env = env
	}
	if meta != nil {
		t.Meta = meta
	}
	return diags
}

// decodeTaskScaling: a task's `scaling "cpu"` and `scaling "mem"` blocks are vertical scaling
// policies of type vertical_cpu / vertical_mem.
func decodeTaskScaling(blocks hcl.Blocks, ctx *hcl.EvalContext, t *api.Task) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		label := strings.ToLower(b.Labels[0])
		var policyType string
		switch label {
		case "cpu":
			policyType = "vertical_cpu"
		case "mem":
			policyType = "vertical_mem"
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid scaling policy name",
				Detail:   `scaling policy name must be "cpu" or "mem"`,
				Subject:  &b.LabelRanges[0],
			})
			continue
		}
		if prev, dup := seen[label]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Duplicate scaling %q block", label),
				Detail:   fmt.Sprintf("Only one scaling %s block is allowed. Another was defined at %s.", label, prev.DefRange.String()),
				Subject:  &b.DefRange,
			})
			continue
		}
		seen[label] = b

		policy := &api.ScalingPolicy{}
		diags = append(diags, jobDecoder.DecodeBody(b.Body, ctx, policy)...)
		switch policy.Type {
		case "":
			policy.Type = policyType
		case policyType:
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid scaling policy type",
				// Nomad's message names the two types this way round.
				Detail:  fmt.Sprintf("Invalid policy type, expected %q but found %q", policy.Type, policyType),
				Subject: &b.DefRange,
			})
			continue
		}
		t.ScalingPolicies = append(t.ScalingPolicies, policy)
	}
	return diags
}

// ---------------------------------------------------------------------------------------------
// Constraints and affinities

func stringAttr(name string) *hcldec.AttrSpec {
	return &hcldec.AttrSpec{Name: name, Type: cty.String}
}

// Operator shorthands: `version = "> 1.2"` means operator "version" with that value.
var (
	affinityShorthands   = []string{api.ConstraintVersion, api.ConstraintSemver, api.ConstraintRegex, api.ConstraintSetContainsAny, api.ConstraintSetContainsAll, api.ConstraintSetContains}
	constraintShorthands = []string{api.ConstraintVersion, api.ConstraintSemver, api.ConstraintRegex, api.ConstraintSetContains}
)

var affinitySpec = hcldec.ObjectSpec{
	"attribute": stringAttr("attribute"),
	"value":     stringAttr("value"),
	"operator":  stringAttr("operator"),
	"weight":    &hcldec.AttrSpec{Name: "weight", Type: cty.Number},

	api.ConstraintVersion:        stringAttr(api.ConstraintVersion),
	api.ConstraintSemver:         stringAttr(api.ConstraintSemver),
	api.ConstraintRegex:          stringAttr(api.ConstraintRegex),
	api.ConstraintSetContains:    stringAttr(api.ConstraintSetContains),
	api.ConstraintSetContainsAll: stringAttr(api.ConstraintSetContainsAll),
	api.ConstraintSetContainsAny: stringAttr(api.ConstraintSetContainsAny),
}

// constraintSpec also accepts set_contains_all/any and is_set/is_not_set, which Nomad's parser
// accepts but does not turn into an operator (they are ignored), so neither do we.
var constraintSpec = hcldec.ObjectSpec{
	"attribute": stringAttr("attribute"),
	"value":     stringAttr("value"),
	"operator":  stringAttr("operator"),

	api.ConstraintDistinctProperty:  stringAttr(api.ConstraintDistinctProperty),
	api.ConstraintDistinctHosts:     &hcldec.AttrSpec{Name: api.ConstraintDistinctHosts, Type: cty.Bool},
	api.ConstraintRegex:             stringAttr(api.ConstraintRegex),
	api.ConstraintVersion:           stringAttr(api.ConstraintVersion),
	api.ConstraintSemver:            stringAttr(api.ConstraintSemver),
	api.ConstraintSetContains:       stringAttr(api.ConstraintSetContains),
	api.ConstraintSetContainsAll:    stringAttr(api.ConstraintSetContainsAll),
	api.ConstraintSetContainsAny:    stringAttr(api.ConstraintSetContainsAny),
	api.ConstraintAttributeIsSet:    stringAttr(api.ConstraintAttributeIsSet),
	api.ConstraintAttributeIsNotSet: stringAttr(api.ConstraintAttributeIsNotSet),
}

func optionalString(obj cty.Value, name string) string {
	v := obj.GetAttr(name)
	if v.IsNull() || !v.IsKnown() {
		return ""
	}
	return v.AsString()
}

func decodeAffinity(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	a := target.(*api.Affinity)
	obj, diags := hcldec.Decode(body, affinitySpec, ctx)
	if len(diags) > 0 {
		return diags
	}
	a.LTarget = optionalString(obj, "attribute")
	a.RTarget = optionalString(obj, "value")
	a.Operand = optionalString(obj, "operator")
	if w := obj.GetAttr("weight"); !w.IsNull() && w.IsKnown() {
		n, _ := w.AsBigFloat().Int64()
		weight := int8(n)
		a.Weight = &weight
	}
	for _, op := range affinityShorthands {
		if v := optionalString(obj, op); v != "" {
			a.Operand, a.RTarget = op, v
		}
	}
	if a.Operand == "" {
		a.Operand = "="
	}
	return diags
}

func decodeConstraint(body hcl.Body, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	c := target.(*api.Constraint)
	obj, diags := hcldec.Decode(body, constraintSpec, ctx)
	if len(diags) > 0 {
		return diags
	}
	c.LTarget = optionalString(obj, "attribute")
	c.RTarget = optionalString(obj, "value")
	c.Operand = optionalString(obj, "operator")
	for _, op := range constraintShorthands {
		if v := optionalString(obj, op); v != "" {
			c.Operand, c.RTarget = op, v
		}
	}
	if hosts := obj.GetAttr(api.ConstraintDistinctHosts); !hosts.IsNull() && hosts.IsKnown() {
		c.Operand = api.ConstraintDistinctHosts
		c.RTarget = fmt.Sprint(hosts.True())
	}
	if property := optionalString(obj, api.ConstraintDistinctProperty); property != "" {
		c.Operand = api.ConstraintDistinctProperty
		c.LTarget = property
	}
	if c.Operand == "" {
		c.Operand = "="
	}
	return diags
}
