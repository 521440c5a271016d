package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Runtime references. Only `var.*` and `local.*` (and functions) are evaluated at parse time. Any
// other variable — `attr.kernel.name`, `node.unique.name`, `meta.rack`, `NOMAD_PORT_http`,
// `NOMAD_META_x` … — is interpolated by the Nomad client later, so the parser keeps its source
// text as a literal "${…}" string. An unquoted reference such as `region = meta.r` therefore also
// becomes "${meta.r}".

// literalReference returns the handler that hcl calls for a variable with no definition. src is
// the job file's bytes and filename its name: the traversal's source text is cut from there, keeping
// the "${" … "}" that surrounds it (and any spaces inside those braces) when there is one, and
// adding them when there is not.
func literalReference(src []byte, filename string) func(hcl.Traversal) (cty.Value, hcl.Diagnostics) {
	return func(t hcl.Traversal) (cty.Value, hcl.Diagnostics) {
		rng := t.SourceRange()
		start, end := rng.Start.Byte, rng.End.Byte
		if rng.Filename != filename || start < 0 || end > len(src) || start >= end {
			return cty.StringVal("${" + traversalText(t) + "}"), nil
		}
		text := string(src[start:end])

		// Walk back over spaces looking for an enclosing "${".
		open := -1
		for i := start - 1; i >= 1; i-- {
			if src[i] == ' ' {
				continue
			}
			if src[i] == '{' && src[i-1] == '$' {
				open = i - 1
			}
			break
		}
		if open < 0 {
			return cty.StringVal("${" + text + "}"), nil
		}
		text = string(src[open:start]) + text
		// Keep the spaces before the closing brace, then close it.
		j := end
		for j < len(src) && src[j] == ' ' {
			j++
		}
		if j < len(src) && src[j] == '}' {
			text += string(src[end:j])
		}
		return cty.StringVal(text + "}"), nil
	}
}

// traversalText renders a traversal from its steps, for references whose source is not the job
// file (for example one written in the variables text).
func traversalText(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String {
				b.WriteString(`["` + s.Key.AsString() + `"]`)
			} else if s.Key.Type() == cty.Number {
				b.WriteString("[" + s.Key.AsBigFloat().Text('f', -1) + "]")
			}
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}
