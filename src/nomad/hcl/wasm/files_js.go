//go:build js && wasm

package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"syscall/js"

	"nomad-operator.local/jobspec-wasm/jobspec"
)

// jsFileSystem reads files through synchronous functions the caller passes from JavaScript
// (src/nomad/hcl/jobspec.ts builds them on Node's fs): the WebAssembly program has no file
// system of its own. Each function returns an object with either its result or `code` (an errno
// name such as "ENOENT") and `message`.
type jsFileSystem struct {
	hooks js.Value
}

func (f jsFileSystem) call(name string, args ...any) (js.Value, error) {
	fn := f.hooks.Get(name)
	if fn.Type() != js.TypeFunction {
		return js.Undefined(), fmt.Errorf("file access: %s is not available", name)
	}
	result := fn.Invoke(args...)
	if result.Type() != js.TypeObject {
		return js.Undefined(), fmt.Errorf("file access: %s returned no object", name)
	}
	if code := result.Get("code"); code.Type() == js.TypeString {
		message := result.Get("message")
		text := code.String()
		if message.Type() == js.TypeString {
			text = message.String()
		}
		if code.String() == "ENOENT" || code.String() == "ENOTDIR" {
			return js.Undefined(), fmt.Errorf("%s: %w", text, fs.ErrNotExist)
		}
		return js.Undefined(), errors.New(text)
	}
	return result, nil
}

func (f jsFileSystem) ReadFile(name string) ([]byte, error) {
	result, err := f.call("readFile", name)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(result.Get("data").String())
}

func (f jsFileSystem) Stat(name string) (jobspec.FileInfo, error) {
	result, err := f.call("stat", name)
	if err != nil {
		return jobspec.FileInfo{}, err
	}
	return jobspec.FileInfo{Mode: jobspec.ModeFromUnix(uint32(result.Get("mode").Int()))}, nil
}

func (f jsFileSystem) ReadDir(name string) ([]string, error) {
	result, err := f.call("readDir", name)
	if err != nil {
		return nil, err
	}
	list := result.Get("names")
	names := make([]string, list.Length())
	for i := range names {
		names[i] = list.Index(i).String()
	}
	return names, nil
}

func (f jsFileSystem) Getwd() (string, error) {
	result, err := f.call("cwd")
	if err != nil {
		return "", err
	}
	return result.Get("path").String(), nil
}

func (f jsFileSystem) HomeDir() (string, error) {
	result, err := f.call("homeDir")
	if err != nil {
		return "", err
	}
	return result.Get("path").String(), nil
}

// fileAccessOf reads the optional fifth argument of parse: {baseDir, readFile, stat, readDir, cwd,
// homeDir}. Anything else leaves the file functions disabled.
func fileAccessOf(value js.Value) *jobspec.FileAccess {
	if value.Type() != js.TypeObject {
		return nil
	}
	base := value.Get("baseDir")
	if base.Type() != js.TypeString {
		return nil
	}
	return &jobspec.FileAccess{FS: jsFileSystem{hooks: value}, BaseDir: base.String()}
}
