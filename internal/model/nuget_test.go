package model

import (
	"strings"
	"testing"
)

func TestCheckNuGetID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"Newtonsoft.Json", true},
		{"Demo-Lib_2", true},
		{"a", true},
		{"_private", true},
		{"Ünïcode.Pkg", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"", false},
		{".lead", false},
		{"trail.", false},
		{"trail-", false},
		{"two..dots", false},
		{"dot.-dash", false},
		{"has space", false},
		{"slash/x", false},
		{"plus+x", false},
		{"..", false},
	}
	for _, tt := range tests {
		if err := CheckNuGetID(tt.id); (err == nil) != tt.ok {
			t.Errorf("CheckNuGetID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

func TestParseNuGetVersion(t *testing.T) {
	tests := []struct {
		in, norm string // norm "" means invalid
		pre, sv2 bool
	}{
		{"1.0.0", "1.0.0", false, false},
		{"1", "1.0.0", false, false},
		{"1.00", "1.0.0", false, false},
		{"1.01.1", "1.1.1", false, false},
		{"1.00.0.1", "1.0.0.1", false, false},
		{"1.0.0.0", "1.0.0", false, false},
		{"1.0.01.0", "1.0.1", false, false},
		{"1.0.7+r3456", "1.0.7", false, true},
		{"12.0.03.0", "12.0.3", false, false},
		{"1.0.0-Beta", "1.0.0-Beta", true, false},
		{"1.0.0-beta.1", "1.0.0-beta.1", true, true},
		{"1.0.0-rc-1+sha.abc", "1.0.0-rc-1", true, true},
		{"2147483647.0.0", "2147483647.0.0", false, false},
		{"1.0.0-0alpha", "1.0.0-0alpha", true, false},
		{"1.0.0+01", "1.0.0", false, true},
		{"", "", false, false},
		{"1.0.0.0.0", "", false, false},
		{"1..0", "", false, false},
		{"v1.0", "", false, false},
		{"1.0-", "", false, false},
		{"1.0-beta..1", "", false, false},
		{"1.0-beta.01", "", false, false},
		{"1.0-beta_1", "", false, false},
		{"1.0+", "", false, false},
		{"2147483648.0", "", false, false},
		{" 1.0", "", false, false},
		{"1.0.*", "", false, false},
	}
	for _, tt := range tests {
		v, err := ParseNuGetVersion(tt.in)
		if tt.norm == "" {
			if err == nil {
				t.Errorf("ParseNuGetVersion(%q) = %v, want an error", tt.in, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseNuGetVersion(%q): %v", tt.in, err)
			continue
		}
		if got := v.String(); got != tt.norm {
			t.Errorf("ParseNuGetVersion(%q).String() = %q, want %q", tt.in, got, tt.norm)
		}
		if v.IsPrerelease() != tt.pre || v.IsSemVer2() != tt.sv2 {
			t.Errorf("ParseNuGetVersion(%q): prerelease %v semver2 %v, want %v %v", tt.in, v.IsPrerelease(), v.IsSemVer2(), tt.pre, tt.sv2)
		}
		if got, want := NormalizeVersion(FormatNuGet, tt.in), strings.ToLower(tt.norm); got != want {
			t.Errorf("NormalizeVersion(nuget, %q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestNuGetVersionCompare(t *testing.T) {
	// Ascending by NuGet's precedence.
	order := []string{
		"0.9.9", "1.0.0-alpha", "1.0.0-Alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.10.0", "2.0.0",
	}
	for i := range order {
		for j := range order {
			a, err := ParseNuGetVersion(order[i])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := ParseNuGetVersion(order[j])
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	// Case and build metadata do not order.
	a, _ := ParseNuGetVersion("1.0.0-BETA+x")
	b, _ := ParseNuGetVersion("1.0.0-beta")
	if a.Compare(b) != 0 {
		t.Errorf("1.0.0-BETA+x and 1.0.0-beta should be equal")
	}
}
