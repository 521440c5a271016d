package jobspec

import (
	"bytes"
	"fmt"
)

// MaxInputBytes bounds the job specification plus the variables text. Nomad itself has no such
// limit on /v1/jobs/parse, but the parser runs in-process here, so a hostile body must not be able
// to take the process down.
const MaxInputBytes = 4 << 20

// MaxNestingDepth bounds how deeply brackets and braces may nest. The HCL parser and the
// evaluator recurse once per level; without a bound a few megabytes of "[[[[…" would exhaust the
// Go stack, which is a fatal error rather than a recoverable panic.
const MaxNestingDepth = 512

// checkLimits refuses inputs that are too large or too deeply nested.
func checkLimits(body []byte, vars string) error {
	if total := len(body) + len(vars); total > MaxInputBytes {
		return fmt.Errorf("job specification is too large: %d bytes (job HCL plus variables); the limit is %d bytes", total, MaxInputBytes)
	}
	if d := nestingDepth(body); d > MaxNestingDepth {
		return fmt.Errorf("job specification nests too deeply: more than %d levels of blocks, brackets or parentheses", MaxNestingDepth)
	}
	if d := nestingDepth([]byte(vars)); d > MaxNestingDepth {
		return fmt.Errorf("variables nest too deeply: more than %d levels of blocks, brackets or parentheses", MaxNestingDepth)
	}
	return nil
}

// nestingDepth is a conservative scan for the deepest nesting in src. It understands just enough
// of the lexical syntax (comments, quoted strings, heredocs and template interpolations inside
// both) that text in strings cannot hide real nesting, because the parser recurses once per
// bracket and once per interpolation. It stops counting as soon as the limit is passed.
func nestingDepth(src []byte) int {
	type frame struct {
		kind   byte // 'c' bracket in code, 'i' interpolation, 's' quoted string, 'h' heredoc
		marker []byte
	}
	stack := []frame{{kind: 'c'}}
	deepest := 0
	push := func(f frame) {
		stack = append(stack, f)
		if len(stack)-1 > deepest {
			deepest = len(stack) - 1
		}
	}
	pop := func() {
		if len(stack) > 1 {
			stack = stack[:len(stack)-1]
		}
	}
	interpolationAt := func(i int) (skip int, opens bool) {
		c := src[i]
		if c != '$' && c != '%' {
			return 0, false
		}
		if i+2 < len(src) && src[i+1] == c && src[i+2] == '{' {
			return 2, false // "$${" or "%%{": an escaped literal
		}
		if i+1 < len(src) && src[i+1] == '{' {
			return 1, true
		}
		return 0, false
	}
	lineStart := true
	for i := 0; i < len(src) && deepest <= MaxNestingDepth; i++ {
		c := src[i]
		top := stack[len(stack)-1]
		atLineStart := lineStart
		lineStart = c == '\n'
		switch top.kind {
		case 's':
			if c == '\\' {
				i++
			} else if c == '"' || c == '\n' {
				pop()
			} else if skip, opens := interpolationAt(i); skip > 0 {
				i += skip
				if opens {
					push(frame{kind: 'i'})
				}
			}
			continue
		case 'h':
			if atLineStart {
				end := bytes.IndexByte(src[i:], '\n')
				line := src[i:]
				if end >= 0 {
					line = src[i : i+end]
				}
				if bytes.Equal(bytes.TrimSpace(line), top.marker) {
					pop()
					if end < 0 {
						return deepest
					}
					i += end - 1 // the newline is seen next, in the enclosing mode
					continue
				}
			}
			if skip, opens := interpolationAt(i); skip > 0 {
				i += skip
				if opens {
					push(frame{kind: 'i'})
				}
			}
			continue
		}
		switch c {
		case '"':
			push(frame{kind: 's'})
		case '#':
			i = skipLine(src, i) - 1
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i) - 1
			} else if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return deepest
				}
				i += end + 3
			}
		case '<':
			if marker, next := heredocIntro(src, i); marker != nil {
				push(frame{kind: 'h', marker: marker})
				i = next - 1 // the newline ending the introducer
			}
		case '{', '[', '(':
			push(frame{kind: 'c'})
		case '}', ']', ')':
			pop()
		}
	}
	return deepest
}

// skipLine returns the index of the newline ending the line that contains src[i], or len(src).
func skipLine(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	return i
}

// heredocIntro recognises "<<MARKER\n" or "<<-MARKER\n" at src[i] and returns the marker and the
// index of the newline that ends the introducer.
func heredocIntro(src []byte, i int) ([]byte, int) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return nil, 0
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for j < len(src) && isIdentByte(src[j]) {
		j++
	}
	if j == start || j >= len(src) || (src[j] != '\n' && src[j] != '\r') {
		return nil, 0
	}
	marker := src[start:j]
	for j < len(src) && src[j] != '\n' {
		j++
	}
	return marker, j
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
