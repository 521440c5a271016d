package jobspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseWithFiles(t *testing.T, files *FileAccess, meta string) (map[string]string, error) {
	t.Helper()
	src := "job \"x\" {\n  meta = " + meta + "\n  group \"g\" {\n    task \"t\" {\n      driver = \"docker\"\n    }\n  }\n}\n"
	job, err := Parse(Request{JobHCL: src, Files: files})
	if err != nil {
		return nil, err
	}
	return job.Meta, nil
}

func TestFileFunctionsReadRelativeToTheBaseDirectory(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "conf", "nested"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "conf", "app.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "conf", "nested", "b.txt"), []byte("b"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "conf", "c.yaml"), []byte("c"), 0o644))
	files := &FileAccess{FS: OSFileSystem{}, BaseDir: dir}

	meta, err := parseWithFiles(t, files, `{
    text    = file("conf/app.txt")
    b64     = filebase64("conf/app.txt")
    yes     = fileexists("conf/app.txt")
    no      = fileexists("conf/missing.txt")
    set     = join(",", fileset("conf", "**/*.txt"))
    alt     = join(",", fileset("conf", "*.{txt,yaml}"))
    base    = basename("conf/app.txt")
    dir     = dirname("conf/app.txt")
    abs     = abspath("/a/../b")
    rel     = abspath("x")
  }`)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := map[string]string{
		"text": "hello", "b64": "aGVsbG8=", "yes": "true", "no": "false",
		"set": "app.txt,nested/b.txt", "alt": "app.txt,c.yaml", "base": "app.txt", "dir": "conf",
		"abs": "/b", "rel": filepath.ToSlash(filepath.Join(wd, "x")),
	}
	for key, value := range want {
		if meta[key] != value {
			t.Errorf("%s = %q, want %q", key, meta[key], value)
		}
	}

	_, err = parseWithFiles(t, files, `{ a = file("conf/missing.txt") }`)
	if err == nil || !strings.Contains(err.Error(), "no file exists at "+filepath.Join(dir, "conf", "missing.txt")) {
		t.Errorf("missing file: %v", err)
	}
	_, err = parseWithFiles(t, files, `{ a = fileexists("conf") }`)
	if err == nil || !strings.Contains(err.Error(), "is not a regular file, but \"drwxr-xr-x\"") {
		t.Errorf("directory: %v", err)
	}
}

func TestFileFunctionsAreDisabledWithoutFileAccess(t *testing.T) {
	for _, call := range []string{`file("a")`, `fileexists("a")`, `abspath("a")`, `basename("a")`} {
		_, err := parseWithFiles(t, nil, `{ a = `+call+` }`)
		if err == nil || !strings.Contains(err.Error(), "failed: filesystem function disabled.") {
			t.Errorf("%s: %v", call, err)
		}
	}
}
