package apimodel

import (
	"strings"
	"testing"
)

func TestJavaPatternSemantics(t *testing.T) {
	tests := []struct {
		pattern, value string
		match          bool
	}{
		// Anchored: Java's matches() needs the whole value.
		{`[0-9]{12}`, "111122223333", true},
		{`[0-9]{12}`, "1111222233334", false},
		{`[0-9]{12}`, "x11122223333", false},
		{`[a-z][a-z0-9\-]{0,48}[a-z0-9]`, "my-domain", true},
		{`[a-z][a-z0-9\-]{0,48}[a-z0-9]`, "my-", false},
		{`[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}`, "public:npmjs", true},
		{`[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}`, "public/npmjs", false},
		// Java's \s includes the vertical tab that Go's \s lacks.
		{`[^#/\s]+`, "lodash", true},
		{`[^#/\s]+`, "a\vb", false},
		{`[^#/\s]+`, "a/b", false},
		{`[^#/\s]+`, "a#b", false},
		{`[^#/\s]+`, "é", true},
		{`\S+`, "\v", false},
		{`\S+`, "abc", true},
		// \P{C} excludes unassigned code points (Java's Cn), which Go's
		// own \P{C} would let through.
		{`\P{C}+`, "naïve name", true},
		{`\P{C}+`, "\u0378", false},
		{`\P{C}+`, "a\u200bb", false}, // Cf
		{`\P{C}+`, "a\x00", false},    // Cc
		{`\P{C}*`, "", true},
		{`[\P{C}\s]+`, "{\n\t\"Version\": \"2012-10-17\"\r\n}", true},
		{`[\P{C}\s]+`, "a\x01", false},
		// \p{IsWhitespace} is Unicode White_Space, absent from RE2.
		{`[^\p{C}\p{IsWhitespace}]+`, "/npm/*", true},
		{`[^\p{C}\p{IsWhitespace}]+`, "a\u00a0b", false},
		{`[^\p{C}\p{IsWhitespace}]+`, "a\u2028b", false},
		{`[^\p{C}\p{IsWhitespace}]+`, "a\u0378b", false},
		{`[0-9a-f]+`, strings.Repeat("ab", 32), true},
		{`[0-9a-f]+`, "ABCD", false},
		// Java's '.' also stops at \r and U+2028.
		{`a.b`, "a-b", true},
		{`a.b`, "a\rb", false},
		{`a.b`, "a\u2028b", false},
		{`(ab|cd)+x?`, "abcdx", true},
		{`[-a]+`, "-a-", true},
		{`[a-]+`, "-a-", true},
	}
	for _, tt := range tests {
		re, err := compileJavaPattern(tt.pattern)
		if err != nil {
			t.Errorf("compile %q: %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.value); got != tt.match {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.value, got, tt.match)
		}
	}
}

// Constructs we cannot translate faithfully must fail loudly at init, not
// silently validate differently from AWS.
func TestJavaPatternUnsupported(t *testing.T) {
	for _, p := range []string{
		`\bword`, `[a-z&&[^b]]`, `[[a]]`, `(?i)abc`, `\p{Alpha}`, `(a)\1`, `a++`, `[abc`, `\`, `[z-a]`, `\x`, `\Qa\E`,
	} {
		if re, err := compileJavaPattern(p); err == nil {
			t.Errorf("compileJavaPattern(%q) = %v, want an error", p, re)
		}
	}
}
