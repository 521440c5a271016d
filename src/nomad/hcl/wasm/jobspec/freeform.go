package jobspec

import (
	"fmt"
	"math"
	"math/big"
	"reflect"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Schema-less ("free-form") bodies: task driver `config`, scaling `policy`, secret `config`,
// Connect proxy `config` … Their Go type is map[string]any, so gohcl decodes them with
// JustAttributes, which would reject nested blocks. Nomad's rule is that a nested block becomes an
// attribute holding a list of objects (one per block of that type, labels nesting further maps),
// and that an attribute whose expression is an object literal is likewise wrapped in a one-element
// list. freeformBody implements that view of a native-syntax body; JSON bodies are left as they
// are (their nested objects are already values).

type freeformBody struct {
	inner        hcl.Body
	hiddenAttrs  map[string]bool
	hiddenBlocks map[string]bool
}

// withFreeformBlocks wraps a native-syntax body; other bodies are returned unchanged.
func withFreeformBlocks(body hcl.Body) hcl.Body {
	if _, native := body.(*hclsyntax.Body); native {
		return &freeformBody{inner: body}
	}
	return body
}

func (b *freeformBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	content, diags := b.inner.Content(schema)
	if content != nil {
		content.Blocks = wrapBlockBodies(content.Blocks)
	}
	return content, diags
}

func (b *freeformBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	content, rest, diags := b.inner.PartialContent(schema)
	if content != nil {
		content.Blocks = wrapBlockBodies(content.Blocks)
	}
	remain := &freeformBody{
		inner:        rest,
		hiddenAttrs:  make(map[string]bool, len(b.hiddenAttrs)+len(schema.Attributes)),
		hiddenBlocks: make(map[string]bool, len(b.hiddenBlocks)+len(schema.Blocks)),
	}
	for name := range b.hiddenAttrs {
		remain.hiddenAttrs[name] = true
	}
	for name := range b.hiddenBlocks {
		remain.hiddenBlocks[name] = true
	}
	for _, a := range schema.Attributes {
		remain.hiddenAttrs[a.Name] = true
	}
	for _, bl := range schema.Blocks {
		remain.hiddenBlocks[bl.Type] = true
	}
	return content, remain, diags
}

func (b *freeformBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	native, ok := b.inner.(*hclsyntax.Body)
	if !ok {
		return b.inner.JustAttributes()
	}
	attrs := hcl.Attributes{}
	for name, attr := range native.Attributes {
		if b.hiddenAttrs[name] {
			continue
		}
		converted := attr.AsHCLAttribute()
		converted.Expr = listWrapObjectLiteral(attr.Expr)
		attrs[name] = converted
	}
	for _, group := range groupBlocksByType(native.Blocks) {
		first := group[0]
		if b.hiddenBlocks[first.Type] {
			continue
		}
		synthetic := &hclsyntax.Attribute{
			Name:        first.Type,
			NameRange:   first.TypeRange,
			EqualsRange: first.OpenBraceRange,
			SrcRange:    first.Body.SrcRange,
			Expr:        blocksAsList(group),
		}
		attrs[first.Type] = synthetic.AsHCLAttribute()
	}
	return attrs, nil
}

func (b *freeformBody) MissingItemRange() hcl.Range {
	return b.inner.MissingItemRange()
}

func wrapBlockBodies(blocks hcl.Blocks) hcl.Blocks {
	if len(blocks) == 0 {
		return blocks
	}
	out := make(hcl.Blocks, len(blocks))
	for i, block := range blocks {
		clone := *block
		clone.Body = withFreeformBlocks(block.Body)
		out[i] = &clone
	}
	return out
}

// groupBlocksByType groups blocks by type, keeping source order inside each group and ordering
// the groups by their first block.
func groupBlocksByType(blocks hclsyntax.Blocks) []hclsyntax.Blocks {
	var groups []hclsyntax.Blocks
	index := map[string]int{}
	for _, block := range blocks {
		i, seen := index[block.Type]
		if !seen {
			i = len(groups)
			index[block.Type] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], block)
	}
	return groups
}

func literalKey(name string, rng hcl.Range) hclsyntax.Expression {
	return &hclsyntax.ObjectConsKeyExpr{
		Wrapped: &hclsyntax.LiteralValueExpr{Val: cty.StringVal(name), SrcRange: rng},
	}
}

// blocksAsList turns same-typed blocks into a tuple expression, one object per block.
func blocksAsList(blocks hclsyntax.Blocks) hclsyntax.Expression {
	items := make([]hclsyntax.Expression, len(blocks))
	for i, block := range blocks {
		items[i] = blockAsObject(block)
	}
	return &hclsyntax.TupleConsExpr{
		Exprs:     items,
		SrcRange:  hcl.RangeBetween(blocks[0].OpenBraceRange, blocks[len(blocks)-1].CloseBraceRange),
		OpenRange: blocks[0].OpenBraceRange,
	}
}

// blockAsObject turns one block into an object expression: its attributes (object literals
// list-wrapped), then its nested blocks as lists. Each label, innermost first, wraps the result
// as {label = [object]}.
func blockAsObject(block *hclsyntax.Block) hclsyntax.Expression {
	var items []hclsyntax.ObjectConsItem
	for name, attr := range block.Body.Attributes {
		items = append(items, hclsyntax.ObjectConsItem{
			KeyExpr:   literalKey(name, attr.NameRange),
			ValueExpr: listWrapObjectLiteral(attr.Expr),
		})
	}
	for _, group := range groupBlocksByType(block.Body.Blocks) {
		items = append(items, hclsyntax.ObjectConsItem{
			KeyExpr:   literalKey(group[0].Type, group[0].TypeRange),
			ValueExpr: blocksAsList(group),
		})
	}
	var obj hclsyntax.Expression = &hclsyntax.ObjectConsExpr{Items: items, SrcRange: block.Body.SrcRange}
	for i := len(block.Labels) - 1; i >= 0; i-- {
		obj = &hclsyntax.ObjectConsExpr{
			Items: []hclsyntax.ObjectConsItem{{
				KeyExpr:   literalKey(block.Labels[i], block.LabelRanges[i]),
				ValueExpr: &hclsyntax.TupleConsExpr{Exprs: []hclsyntax.Expression{obj}, SrcRange: block.Body.SrcRange},
			}},
			SrcRange: block.Body.SrcRange,
		}
	}
	return obj
}

func listWrapObjectLiteral(expr hclsyntax.Expression) hclsyntax.Expression {
	if _, isObject := expr.(*hclsyntax.ObjectConsExpr); isObject {
		return &hclsyntax.TupleConsExpr{
			Exprs:     []hclsyntax.Expression{expr},
			SrcRange:  expr.Range(),
			OpenRange: expr.StartRange(),
		}
	}
	return expr
}

// ---------------------------------------------------------------------------------------------
// Evaluating the free-form maps.
//
// gohcl stores an *hcl.Attribute as the value of every key of a map[string]any it decodes (any
// type is assignable to `any`). After the whole job is decoded, resolveFreeformMaps walks the
// result and replaces each such attribute with its evaluated value as plain Go data: strings,
// bools, int for integral numbers (int64 if it does not fit, float64 for the rest), []any, and
// map[string]any; a list whose elements are all objects becomes []map[string]any.

var anyMapType = reflect.TypeOf(map[string]any(nil))

func resolveFreeformMaps(root any, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	walkFreeform(reflect.ValueOf(root), ctx, &diags, 0)
	return diags
}

func walkFreeform(v reflect.Value, ctx *hcl.EvalContext, diags *hcl.Diagnostics, depth int) {
	if depth > 64 {
		return // api structs are far shallower than this
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkFreeform(v.Elem(), ctx, diags, depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkFreeform(v.Field(i), ctx, diags, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			walkFreeform(v.Index(i), ctx, diags, depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if v.Type() == anyMapType {
			resolveAttributeValues(v, ctx, diags)
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			walkFreeform(iter.Value(), ctx, diags, depth+1)
		}
	}
}

func resolveAttributeValues(m reflect.Value, ctx *hcl.EvalContext, diags *hcl.Diagnostics) {
	for _, key := range m.MapKeys() {
		attr, ok := m.MapIndex(key).Interface().(*hcl.Attribute)
		if !ok {
			continue
		}
		val, valDiags := attr.Expr.Value(ctx)
		*diags = append(*diags, valDiags...)
		native, err := ctyToNative(val)
		if err != nil {
			*diags = append(*diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "unsuitable value type",
				Detail:   "Unsuitable value: " + err.Error(),
				Subject:  attr.Expr.StartRange().Ptr(),
				Context:  attr.Expr.Range().Ptr(),
			})
		}
		if native == nil {
			// A null (or failed) value removes the key, as it does in Nomad.
			m.SetMapIndex(key, reflect.Value{})
		} else {
			m.SetMapIndex(key, reflect.ValueOf(native))
		}
	}
}

func ctyToNative(val cty.Value) (any, error) {
	if val.IsNull() {
		return nil, nil
	}
	if !val.IsKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	ty := val.Type()
	switch {
	case ty == cty.String:
		return val.AsString(), nil
	case ty == cty.Bool:
		return val.True(), nil
	case ty == cty.Number:
		switch {
		case val.RawEquals(cty.PositiveInfinity):
			return math.Inf(1), nil
		case val.RawEquals(cty.NegativeInfinity):
			return math.Inf(-1), nil
		}
		return narrowestNumber(val.AsBigFloat()), nil
	case allElementsAreObjects(ty):
		out := []map[string]any{}
		for it := val.ElementIterator(); it.Next(); {
			_, elem := it.Element()
			n, err := ctyToNative(elem)
			if err != nil {
				return nil, err
			}
			m, _ := n.(map[string]any)
			out = append(out, m)
		}
		return out, nil
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		out := []any{}
		for it := val.ElementIterator(); it.Next(); {
			_, elem := it.Element()
			n, err := ctyToNative(elem)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case ty.IsMapType(), ty.IsObjectType():
		out := map[string]any{}
		for it := val.ElementIterator(); it.Next(); {
			k, elem := it.Element()
			n, err := ctyToNative(elem)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = n
		}
		return out, nil
	case ty.IsCapsuleType():
		return val.EncapsulatedValue(), nil
	}
	return nil, fmt.Errorf("cannot serialize %s", ty.FriendlyName())
}

// allElementsAreObjects: a list, set or map of objects/maps, or a non-empty tuple of them.
func allElementsAreObjects(ty cty.Type) bool {
	isObj := func(t cty.Type) bool { return t.IsMapType() || t.IsObjectType() }
	switch {
	case ty.IsCollectionType():
		return isObj(ty.ElementType())
	case ty.IsTupleType():
		elems := ty.TupleElementTypes()
		for _, t := range elems {
			if !isObj(t) {
				return false
			}
		}
		return len(elems) > 0
	}
	return false
}

func narrowestNumber(f *big.Float) any {
	if i, acc := f.Int64(); acc == big.Exact {
		if int64(int(i)) == i {
			return int(i)
		}
		return i
	}
	fl, _ := f.Float64()
	return fl
}
