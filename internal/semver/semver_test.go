package semver

import (
	"slices"
	"testing"
)

func TestParseSemver(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"1.0.0", true},
		{"0.0.0", true},
		{"10.20.30", true},
		{"1.0.0-alpha", true},
		{"1.0.0-alpha.1", true},
		{"1.0.0-0.3.7", true},
		{"1.0.0-x.7.z.92", true},
		{"1.0.0+20130313144700", true},
		{"1.0.0-beta+exp.sha.5114f85", true},
		{"1.0.0-a-b--c", true},
		{"99999999999999999999.0.0", true},
		{"", false},
		{"1", false},
		{"1.0", false},
		{"1.0.0.0", false},
		{"v1.0.0", false},
		{"01.0.0", false},
		{"1.01.0", false},
		{"1.0.0-", false},
		{"1.0.0-01", false},
		{"1.0.0-a..b", false},
		{"1.0.0+", false},
		{"1.0.0-a_b", false},
		{"1.0.0 ", false},
		{"a.b.c", false},
		{"1.0.0/x", false},
	}
	for _, tt := range tests {
		if _, ok := Parse(tt.in); ok != tt.ok {
			t.Errorf("Parse(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	// SemVer 2.0.0's own precedence example, then numeric width.
	want := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0", "10.0.0"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, CompareStrings)
	if !slices.Equal(got, want) {
		t.Fatalf("sorted = %v\nwant     %v", got, want)
	}
	if CompareStrings("1.0.0", "1.0.0") != 0 {
		t.Error("equal versions compare non-zero")
	}
	if CompareStrings("not-semver", "0.0.1") >= 0 {
		t.Error("unparsable versions must sort before SemVer ones")
	}
}

func TestValidAndPrerelease(t *testing.T) {
	tests := []struct {
		in         string
		valid, pre bool
	}{
		{"1.0.0", true, false},
		{"1.0.0+build.1", true, false},
		{"1.0.0-rc.1", true, true},
		{"1.0.0-rc.1+build", true, true},
		{"1.0", false, false},
	}
	for _, tt := range tests {
		v, ok := Parse(tt.in)
		if ok != tt.valid || Valid(tt.in) != tt.valid || v.Prerelease() != tt.pre {
			t.Errorf("%q: Parse ok %v, Valid %v, Prerelease %v; want valid %v, pre-release %v", tt.in, ok, Valid(tt.in), v.Prerelease(), tt.valid, tt.pre)
		}
	}
}
