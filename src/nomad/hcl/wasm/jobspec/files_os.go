//go:build !(js && wasm)

package jobspec

import (
	"os"
)

// OSFileSystem is the operating system's file system, for the native build (main_native.go) and
// the tests. The WebAssembly build uses Node's instead (bridge_js.go).
type OSFileSystem struct{}

func (OSFileSystem) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

func (OSFileSystem) Stat(name string) (FileInfo, error) {
	info, err := os.Stat(name)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Mode: info.Mode()}, nil
}

func (OSFileSystem) ReadDir(name string) ([]string, error) {
	entries, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, entry := range entries {
		names[i] = entry.Name()
	}
	return names, nil
}

func (OSFileSystem) Getwd() (string, error) { return os.Getwd() }

func (OSFileSystem) HomeDir() (string, error) { return os.UserHomeDir() }
