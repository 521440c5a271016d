//go:build js && wasm

// Command jobspec-wasm is Nomad's HCL2 jobspec parser for the operator, built for GOOS=js
// GOARCH=wasm and loaded in-process by Node (src/nomad/hcl/jobspec.ts). It registers
//
//	globalThis.__nomadJobspec = {
//	  parse(hcl, variablesHcl, canonicalize, path, files?) → JSON text {job} | {error, kind, diagnostics}
//	  canonicalize(jobJson)                       → JSON text {job} | {error, kind}
//	  maxInputBytes                               → number
//	}
//
// and then blocks forever, so the functions stay callable.
package main

import (
	"fmt"
	"syscall/js"

	"nomad-operator.local/jobspec-wasm/jobspec"
)

func main() {
	exports := js.Global().Get("Object").New()
	exports.Set("parse", js.FuncOf(guarded(func(args []js.Value) string {
		if len(args) < 1 || args[0].Type() != js.TypeString {
			return failure(jobspec.KindParse, "parse: the first argument must be the job HCL text")
		}
		// (The TypeScript loader refuses oversized text before it gets here; jobspec.Parse
		// checks the size again.)
		req := jobspec.Request{JobHCL: args[0].String()}
		if len(args) > 1 && args[1].Type() == js.TypeString {
			req.Variables = args[1].String()
		}
		if len(args) > 2 {
			req.Canonicalize = args[2].Truthy()
		}
		if len(args) > 3 && args[3].Type() == js.TypeString {
			req.Path = args[3].String()
		}
		if len(args) > 4 {
			req.Files = fileAccessOf(args[4])
		}
		return parseToJSON(req)
	})))
	exports.Set("canonicalize", js.FuncOf(guarded(func(args []js.Value) string {
		if len(args) < 1 || args[0].Type() != js.TypeString {
			return failure(jobspec.KindParse, "canonicalize: the argument must be job JSON text")
		}
		return canonicalizeJSON(args[0].String())
	})))
	exports.Set("maxInputBytes", jobspec.MaxInputBytes)
	js.Global().Set("__nomadJobspec", exports)
	select {}
}

// guarded adapts fn to js.FuncOf and turns a panic into an error answer: a panic escaping a
// callback would end the Go program.
func guarded(fn func(args []js.Value) string) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = failure(jobspec.KindInternal, fmt.Sprintf("internal error: %v", r))
			}
		}()
		return fn(args)
	}
}
