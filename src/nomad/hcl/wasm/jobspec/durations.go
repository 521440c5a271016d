package jobspec

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// decodeDuration is the expression decoder for time.Duration and *time.Duration fields.
//
// Nomad accepts either a Go duration string ("10s", "1h30m", "250ms") or a number, which is taken
// as nanoseconds. The result is stored as int64 nanoseconds, which is also how encoding/json
// writes a time.Duration. The diagnostics use the summaries and details Nomad's parser uses.
func decodeDuration(expr hcl.Expression, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	val, diags := expr.Value(ctx)
	if val.IsNull() {
		return append(diags, durationDiag(expr, "Unsuitable value", "Unsuitable duration value: nil"))
	}
	if val.Type() == cty.String && val.IsKnown() {
		d, err := time.ParseDuration(val.AsString())
		if err != nil {
			return append(diags, durationDiag(expr, "Unsuitable value type", "Unsuitable duration value: "+err.Error()))
		}
		val = cty.NumberIntVal(int64(d))
	}
	if val.Type() != cty.Number {
		return append(diags, durationDiag(expr, "Unsuitable value type",
			// Nomad formats the cty.Type with %s; keep that so the text is identical.
			fmt.Sprintf("Unsuitable value: expected a string but found %s", val.Type())))
	}
	if err := gocty.FromCtyValue(val, target); err != nil {
		diags = append(diags, durationDiag(expr, "Unsuitable value type", "Unsuitable value: "+err.Error()))
	}
	return diags
}

func durationDiag(expr hcl.Expression, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  expr.StartRange().Ptr(),
		Context:  expr.Range().Ptr(),
	}
}
