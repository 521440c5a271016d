//go:build !(js && wasm)

// The native build is a small command-line tool for debugging the parser without Node:
//
//	go run . [-canonicalize] [-vars FILE] < job.nomad.hcl
//	go run . -canonicalize-json < job.json
//
// It prints the same JSON answer the WebAssembly build returns.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"nomad-operator.local/jobspec-wasm/jobspec"
)

func main() {
	canonicalize := flag.Bool("canonicalize", false, "apply api.Job.Canonicalize")
	canonicalizeOnly := flag.Bool("canonicalize-json", false, "read api.Job JSON and canonicalize it")
	varsFile := flag.String("vars", "", "variables file (HCL `name = value` lines)")
	path := flag.String("path", jobspec.DefaultPath, "file name used in diagnostics")
	allowFS := flag.Bool("allow-fs", false, "enable the file functions, relative to -base-dir")
	baseDir := flag.String("base-dir", ".", "directory relative file-function paths start from")
	flag.Parse()

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *canonicalizeOnly {
		fmt.Println(canonicalizeJSON(string(input)))
		return
	}
	req := jobspec.Request{JobHCL: string(input), Canonicalize: *canonicalize, Path: *path}
	if *allowFS {
		req.Files = &jobspec.FileAccess{FS: jobspec.OSFileSystem{}, BaseDir: *baseDir}
	}
	if *varsFile != "" {
		vars, err := os.ReadFile(*varsFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		req.Variables = string(vars)
	}
	fmt.Println(parseToJSON(req))
}
