package jobspec

import (
	"strings"
	"testing"
)

func TestNestingDepthCountsInterpolationsButNotLiteralText(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want int
	}{
		{"blocks", "a {\n b {\n c = [1, [2]]\n }\n}\n", 4},
		{"brackets in a string are text", `x = "[[[[{{{{(((("`, 1},
		{"closers in a string cannot hide nesting", `x = [ "]]]]" [ "]]]]" [ 1 ] ] ]`, 3},
		{"interpolation opens a level", `x = "${[[1]]}"`, 4},
		{"escaped interpolation is text", `x = "$${[[[[[1]]]]]}"`, 1},
		{"heredoc body is text", "x = <<EOT\n[[[[[[\nEOT\n", 1},
		{"heredoc interpolation counts", "x = <<EOT\n${[[[1]]]}\nEOT\n", 5},
		{"comments are skipped", "# [[[[\n// ((((\n/* {{{{ */ a = 1\n", 0},
	}
	for _, c := range cases {
		if got := nestingDepth([]byte(c.src)); got != c.want {
			t.Errorf("%s: nestingDepth = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestParseRefusesHugeAndDeepInputs(t *testing.T) {
	_, err := Parse(Request{JobHCL: strings.Repeat("#", MaxInputBytes+1)})
	if e, ok := AsError(err); !ok || e.Kind != KindTooLarge {
		t.Fatalf("oversized input: got %v", err)
	}
	deep := "job \"x\" {\n meta = { a = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + " }\n}\n"
	_, err = Parse(Request{JobHCL: deep})
	if e, ok := AsError(err); !ok || e.Kind != KindTooLarge {
		t.Fatalf("deep input: got %v", err)
	}
	hidden := "job \"x\" {\n meta {\n a = <<EOT\n${" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}\nEOT\n }\n}\n"
	_, err = Parse(Request{JobHCL: hidden})
	if e, ok := AsError(err); !ok || e.Kind != KindTooLarge {
		t.Fatalf("deep heredoc interpolation: got %v", err)
	}
}

func TestUndefinedReferencesStayLiteral(t *testing.T) {
	job, err := Parse(Request{JobHCL: "job \"x\" {\n region = meta.r\n meta {\n a = \"${ attr.kernel.name }\"\n b = \"x-${NOMAD_ALLOC_ID}-y\"\n }\n}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if *job.Region != "${meta.r}" {
		t.Errorf("Region = %q", *job.Region)
	}
	if job.Meta["a"] != "${ attr.kernel.name }" || job.Meta["b"] != "x-${NOMAD_ALLOC_ID}-y" {
		t.Errorf("Meta = %v", job.Meta)
	}
}
