package jobspec

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The jobspec's file-system functions (file, filebase64, fileexists, fileset, abspath, basename,
// dirname, pathexpand) as the Nomad CLI evaluates them when it parses a job file: relative paths
// are taken from BaseDir, `~` is the user's home directory, absolute paths are used as they are.
// Nomad's HTTP parse endpoint disables them; so does a Request without a FileSystem.
//
// The functions reach files only through FileSystem, so the WebAssembly build can hand them
// Node's file system (bridge.go) and the native build the operating system's.

// FileInfo is what the file functions need to know about a path.
type FileInfo struct {
	Mode fs.FileMode
}

// FileSystem is the file access of the file functions. Paths are host paths (absolute or relative
// to the process's working directory). Errors for a missing path satisfy errors.Is(err,
// fs.ErrNotExist).
type FileSystem interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (FileInfo, error)
	// ReadDir lists the names in a directory.
	ReadDir(name string) ([]string, error)
	Getwd() (string, error)
	HomeDir() (string, error)
}

// FileAccess enables the file functions for one parse.
type FileAccess struct {
	FS FileSystem
	// BaseDir is where relative paths start; "" is the working directory.
	BaseDir string
}

func stringParam(name string) function.Parameter {
	return function.Parameter{Name: name, Type: cty.String}
}

// expandHome replaces a leading "~" with the home directory, as the Nomad CLI does.
func expandHome(fsys FileSystem, p string) (string, error) {
	if p == "" || p[0] != '~' {
		return p, nil
	}
	if len(p) > 1 && p[1] != '/' && p[1] != '\\' {
		return "", errors.New("cannot expand user-specific home dir")
	}
	home, err := fsys.HomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, p[1:]), nil
}

// resolve turns a function's path argument into the path to open.
func (a FileAccess) resolve(p string) (string, error) {
	expanded, err := expandHome(a.FS, p)
	if err != nil {
		return "", fmt.Errorf("failed to expand ~: %s", err)
	}
	if !filepath.IsAbs(expanded) {
		expanded = filepath.Join(a.BaseDir, expanded)
	}
	return filepath.Clean(expanded), nil
}

func (a FileAccess) readFile(p string) ([]byte, error) {
	resolved, err := a.resolve(p)
	if err != nil {
		return nil, err
	}
	src, err := a.FS.ReadFile(resolved)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no file exists at %s", resolved)
		}
		return nil, fmt.Errorf("failed to read %s", resolved)
	}
	return src, nil
}

func (a FileAccess) fileFunction(encodeBase64 bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			src, err := a.readFile(p)
			if err != nil {
				return cty.UnknownVal(cty.String), err
			}
			if encodeBase64 {
				return cty.StringVal(base64.StdEncoding.EncodeToString(src)), nil
			}
			if !utf8.Valid(src) {
				return cty.UnknownVal(cty.String), fmt.Errorf("contents of %s are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead", p)
			}
			return cty.StringVal(string(src)), nil
		},
	})
}

func (a FileAccess) fileExistsFunction() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			resolved, err := a.resolve(args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.Bool), err
			}
			info, err := a.FS.Stat(resolved)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return cty.False, nil
				}
				return cty.UnknownVal(cty.Bool), fmt.Errorf("failed to stat %s", resolved)
			}
			if info.Mode.IsRegular() {
				return cty.True, nil
			}
			return cty.False, fmt.Errorf("%s is not a regular file, but %q", resolved, info.Mode.String())
		},
	})
}

func (a FileAccess) fileSetFunction() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path"), stringParam("pattern")},
		Type:   function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			dir := args[0].AsString()
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(a.BaseDir, dir)
			}
			pattern := filepath.Join(dir, args[1].AsString())
			matches, err := glob(a.FS, pattern)
			if err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), fmt.Errorf("failed to glob pattern (%s): %s", pattern, err)
			}
			var values []cty.Value
			for _, match := range matches {
				info, err := a.FS.Stat(match)
				if err != nil {
					return cty.UnknownVal(cty.Set(cty.String)), fmt.Errorf("failed to stat (%s): %s", match, err)
				}
				if !info.Mode.IsRegular() {
					continue
				}
				rel, err := filepath.Rel(dir, match)
				if err != nil {
					return cty.UnknownVal(cty.Set(cty.String)), fmt.Errorf("failed to trim path of match (%s): %s", match, err)
				}
				values = append(values, cty.StringVal(filepath.ToSlash(rel)))
			}
			if len(values) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			return cty.SetVal(values), nil
		},
	})
}

func (a FileAccess) absPathFunction() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				wd, err := a.FS.Getwd()
				if err != nil {
					return cty.StringVal(""), err
				}
				p = filepath.Join(wd, p)
			}
			return cty.StringVal(filepath.ToSlash(filepath.Clean(p))), nil
		},
	})
}

func (a FileAccess) pathExpandFunction() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			expanded, err := expandHome(a.FS, args[0].AsString())
			return cty.StringVal(expanded), err
		},
	})
}

func pathFunction(transform func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(transform(args[0].AsString())), nil
		},
	})
}

// functions returns the file functions reading through a.
func (a FileAccess) functions() map[string]function.Function {
	return map[string]function.Function{
		"abspath":    a.absPathFunction(),
		"basename":   pathFunction(filepath.Base),
		"dirname":    pathFunction(filepath.Dir),
		"file":       a.fileFunction(false),
		"filebase64": a.fileFunction(true),
		"fileexists": a.fileExistsFunction(),
		"fileset":    a.fileSetFunction(),
		"pathexpand": a.pathExpandFunction(),
	}
}

// glob lists the paths matching pattern, a path whose components may hold `*`, `?`, `[…]`,
// `{a,b}` alternatives and `**` (any number of directories), sorted.
func glob(fsys FileSystem, pattern string) ([]string, error) {
	pattern = filepath.ToSlash(pattern)
	root := ""
	if strings.HasPrefix(pattern, "/") {
		root = "/"
		pattern = strings.TrimLeft(pattern, "/")
	}
	var parts []string
	if pattern != "" {
		parts = strings.Split(pattern, "/")
	}
	for _, part := range parts {
		for _, alternative := range expandAlternatives(part) {
			if _, err := path.Match(alternative, ""); err != nil {
				return nil, err
			}
		}
	}
	found := map[string]bool{}
	if err := globFrom(fsys, root, parts, found); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(found))
	for match := range found {
		out = append(out, filepath.FromSlash(match))
	}
	sort.Strings(out)
	return out, nil
}

func joinSlash(dir, name string) string {
	switch dir {
	case "":
		return name
	case "/":
		return "/" + name
	}
	return dir + "/" + name
}

func isDir(fsys FileSystem, name string) bool {
	info, err := fsys.Stat(dirOrDot(name))
	return err == nil && info.Mode.IsDir()
}

func dirOrDot(name string) string {
	if name == "" {
		return "."
	}
	return filepath.FromSlash(name)
}

func globFrom(fsys FileSystem, dir string, parts []string, found map[string]bool) error {
	if len(parts) == 0 {
		if dir != "" {
			if _, err := fsys.Stat(dirOrDot(dir)); err == nil {
				found[dir] = true
			}
		}
		return nil
	}
	part, rest := parts[0], parts[1:]
	if part == "**" {
		// Zero directories, then each subdirectory with `**` still in front.
		if err := globFrom(fsys, dir, rest, found); err != nil {
			return err
		}
		names, err := fsys.ReadDir(dirOrDot(dir))
		if err != nil {
			return nil
		}
		for _, name := range names {
			child := joinSlash(dir, name)
			if isDir(fsys, child) {
				if err := globFrom(fsys, child, parts, found); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if part == "." || part == ".." || !strings.ContainsAny(part, "*?[{\\") {
		return globFrom(fsys, joinSlash(dir, part), rest, found)
	}
	names, err := fsys.ReadDir(dirOrDot(dir))
	if err != nil {
		return nil
	}
	alternatives := expandAlternatives(part)
	for _, name := range names {
		for _, alternative := range alternatives {
			if ok, _ := path.Match(alternative, name); ok {
				if err := globFrom(fsys, joinSlash(dir, name), rest, found); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// expandAlternatives turns `a{b,c}d` into `abd` and `acd` (nested braces included).
func expandAlternatives(pattern string) []string {
	start := strings.IndexByte(pattern, '{')
	if start < 0 {
		return []string{pattern}
	}
	depth := 0
	var options []string
	last := start + 1
	for i := start; i < len(pattern); i++ {
		switch pattern[i] {
		case '{':
			depth++
		case ',':
			if depth == 1 {
				options = append(options, pattern[last:i])
				last = i + 1
			}
		case '}':
			depth--
			if depth == 0 {
				options = append(options, pattern[last:i])
				var out []string
				for _, option := range options {
					out = append(out, expandAlternatives(pattern[:start]+option+pattern[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{pattern} // unbalanced: matched literally
}

// ModeFromUnix converts a POSIX st_mode (as Node's fs.Stats.mode reports it) into Go's FileMode.
func ModeFromUnix(mode uint32) fs.FileMode {
	out := fs.FileMode(mode & 0o777)
	switch mode & 0o170000 {
	case 0o040000:
		out |= fs.ModeDir
	case 0o120000:
		out |= fs.ModeSymlink
	case 0o010000:
		out |= fs.ModeNamedPipe
	case 0o140000:
		out |= fs.ModeSocket
	case 0o020000:
		out |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		out |= fs.ModeDevice
	}
	if mode&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}
