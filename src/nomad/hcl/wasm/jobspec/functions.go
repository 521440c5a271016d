package jobspec

import (
	"errors"

	"github.com/hashicorp/go-cty-funcs/cidr"
	"github.com/hashicorp/go-cty-funcs/crypto"
	"github.com/hashicorp/go-cty-funcs/encoding"
	"github.com/hashicorp/go-cty-funcs/uuid"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// jobspecFunctions is the function table available to jobspec expressions: the cty standard
// library functions and the extra HashiCorp ones that Nomad's jobspec documents, under the names
// Nomad uses. The file-system functions exist but always fail, as they do for Nomad's HTTP parse
// endpoint (it parses with file-system access disabled).
var jobspecFunctions = buildFunctionTable(nil)

// functionTable is jobspecFunctions, or with file access the same table whose file-system
// functions read through it (files.go), as for the Nomad CLI.
func functionTable(files *FileAccess) map[string]function.Function {
	if files == nil || files.FS == nil {
		return jobspecFunctions
	}
	return buildFunctionTable(files)
}

func buildFunctionTable(files *FileAccess) map[string]function.Function {
	table := map[string]function.Function{
		// numbers
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,

		// strings
		"chomp":         stdlib.ChompFunc,
		"format":        stdlib.FormatFunc,
		"formatlist":    stdlib.FormatListFunc,
		"indent":        stdlib.IndentFunc,
		"join":          stdlib.JoinFunc,
		"lower":         stdlib.LowerFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"replace":       stdlib.ReplaceFunc,
		"split":         stdlib.SplitFunc,
		"strlen":        stdlib.StrlenFunc,
		"strrev":        stdlib.ReverseFunc,
		"substr":        stdlib.SubstrFunc,
		"title":         stdlib.TitleFunc,
		"trim":          stdlib.TrimFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"upper":         stdlib.UpperFunc,

		// collections
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           stdlib.IndexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// encodings
		"base64decode": encoding.Base64DecodeFunc,
		"base64encode": encoding.Base64EncodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"urlencode":    encoding.URLEncodeFunc,
		"yamldecode":   ctyyaml.YAMLDecodeFunc,
		"yamlencode":   ctyyaml.YAMLEncodeFunc,

		// dates
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,

		// hashing and crypto
		"bcrypt":     crypto.BcryptFunc,
		"md5":        crypto.Md5Func,
		"rsadecrypt": crypto.RsaDecryptFunc,
		"sha1":       crypto.Sha1Func,
		"sha256":     crypto.Sha256Func,
		"sha512":     crypto.Sha512Func,
		"uuidv4":     uuid.V4Func,
		"uuidv5":     uuid.V5Func,

		// networking
		"cidrhost":    cidr.HostFunc,
		"cidrnetmask": cidr.NetmaskFunc,
		"cidrsubnet":  cidr.SubnetFunc,
		"cidrsubnets": cidr.SubnetsFunc,

		// types and error handling
		"can":     tryfunc.CanFunc,
		"convert": typeexpr.ConvertFunc,
		"try":     tryfunc.TryFunc,
	}
	for _, name := range []string{"abspath", "basename", "dirname", "pathexpand"} {
		table[name] = disabledFileFunction(1)
	}
	table["file"] = disabledFileFunction(1)
	table["filebase64"] = disabledFileFunction(1)
	table["fileexists"] = disabledFileFunction(1)
	table["fileset"] = disabledFileFunction(2)
	if files != nil && files.FS != nil {
		for name, fn := range files.functions() {
			table[name] = fn
		}
	}
	return table
}

// disabledFileFunction stands in for a file-system function: it takes string arguments and its
// type check always fails with the error Nomad reports when file-system access is off.
func disabledFileFunction(arity int) function.Function {
	params := make([]function.Parameter, arity)
	for i := range params {
		params[i] = function.Parameter{Name: "path", Type: cty.String}
	}
	return function.New(&function.Spec{
		Params: params,
		Type: func([]cty.Value) (cty.Type, error) {
			return cty.DynamicPseudoType, errors.New("filesystem function disabled")
		},
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.DynamicVal, errors.New("filesystem functions disabled")
		},
	})
}
