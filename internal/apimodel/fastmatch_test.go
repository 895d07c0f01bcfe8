package apimodel

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// extraPatterns try the matcher's parsing beyond the model's patterns.
var extraPatterns = []string{
	`a.b`, `(ab|cd)+x?`, `[-a]+`, `[a-]+`, `ab?c{2}d{1,3}`, `x{2,}`, `\d{3}-\d{4}`, `[^a-c]*z`, `\x41+`,
	`a{1,2}b{1,2}`, `a+?`, `a{2}+`, `\p{Lu}[\p{Ll}\s]*`, `[\]]+`, `\.\-\\+`, `a,b`, `é+`, `\S{0,3}`,
}

// patterns returns the model's patterns and extraPatterns, sorted.
func patterns() []string {
	var ps []string
	for _, s := range registry.apiModel.Shapes {
		if s.Pattern != "" && !slices.Contains(ps, s.Pattern) {
			ps = append(ps, s.Pattern)
		}
	}
	slices.Sort(ps)
	return append(ps, extraPatterns...)
}

type compiled struct {
	m  *asciiMatcher
	re *regexp.Regexp
}

var compiledPatterns sync.Map // pattern -> compiled

// checkASCII compares the matcher with the regexp for one value.
func checkASCII(t *testing.T, pattern, value string) {
	t.Helper()
	c, ok := compiledPatterns.Load(pattern)
	if !ok {
		re, err := compileJavaPattern(pattern)
		if err != nil {
			re = nil // the pattern is refused anyway
		}
		c, _ = compiledPatterns.LoadOrStore(pattern, compiled{compileASCIIMatcher(pattern), re})
	}
	m, re := c.(compiled).m, c.(compiled).re
	if m == nil || re == nil {
		return
	}
	matched, ok := m.match(value)
	isASCII := strings.IndexFunc(value, func(r rune) bool { return r >= 0x80 }) < 0
	if ok != isASCII {
		t.Fatalf("%q on %q: decided %v, want it to decide exactly the ASCII values", pattern, value, ok)
	}
	if ok && matched != re.MatchString(value) {
		t.Fatalf("%q on %q: matcher %v, regexp %v", pattern, value, matched, !matched)
	}
}

func TestASCIIMatcherIsTheRegexp(t *testing.T) {
	var values []string
	for c := range 0x80 {
		b := string(rune(c))
		values = append(values, b, b+b, "a"+b, b+"a", "my"+b+"domain", strings.Repeat(b, 12), strings.Repeat(b, 50), strings.Repeat(b, 51))
	}
	values = append(values, "", "my-domain", "my-", "-my", "111122223333", "11112222333", "public:npmjs", "lodash", "1.0.0+build",
		"a/b", "a#b", "a\vb", "abcccd", "abccd", "abccdddd", "xx", "x", "Ab c", "é", "naïve", strings.Repeat("ab", 32), strings.Repeat("x", 101))
	for _, p := range patterns() {
		for _, v := range values {
			checkASCII(t, p, v)
		}
	}
}

// The names every control-plane request carries are matched without the
// regexp engine.
func TestModelNamePatternsHaveASCIIMatchers(t *testing.T) {
	for _, name := range []string{"AccountId", "DomainName", "RepositoryName", "PackageNamespace", "PackageName", "PackageVersion", "PaginationToken", "ExternalConnectionName"} {
		s := registry.apiModel.Shapes[name]
		if s == nil || s.ascii == nil {
			t.Errorf("shape %s: no ASCII matcher for %q", name, s.Pattern)
		}
	}
	for _, p := range []string{`a.b`, `(ab|cd)+x?`, `a+?`, `a{2}+`, `a{1,2}b{1,2}`} {
		if compileASCIIMatcher(p) != nil {
			t.Errorf("%q: the matcher must leave it to the regexp", p)
		}
	}
}

// FuzzASCIIMatcher: where the matcher decides, it agrees with the regexp.
func FuzzASCIIMatcher(f *testing.F) {
	for _, v := range []string{"my-domain", "111122223333", "a\vb", "1.0.0", "é"} {
		f.Add(uint8(0), v, "")
	}
	f.Add(uint8(0), "abc", `[a-c]{1,2}x?\d*`)
	ps := patterns()
	f.Fuzz(func(t *testing.T, i uint8, value, pattern string) {
		checkASCII(t, ps[int(i)%len(ps)], value)
		if pattern != "" {
			checkASCII(t, pattern, value)
		}
	})
}
