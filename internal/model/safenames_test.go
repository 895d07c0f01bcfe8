package model

import "testing"

func TestCheckSafeName(t *testing.T) {
	cases := []struct {
		value string
		ok    bool
	}{
		{"lodash", true},
		{"1.0.0-beta+build.5", true},
		{"..x", true},
		{"名前", true},
		{".", false},
		{"..", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"\x7f", false},
		{"\xff\xfe", false},
		{"a\xc3\x28", false},
	}
	for _, c := range cases {
		err := CheckSafeName("packageName", c.value)
		if (err == nil) != c.ok {
			t.Errorf("CheckSafeName(%q) = %v, want ok=%v", c.value, err, c.ok)
		}
		if err != nil && AsError(err).Kind != KindValidation {
			t.Errorf("CheckSafeName(%q) kind %v, want a ValidationException", c.value, AsError(err).Kind)
		}
	}
}

func TestCheckAssetName(t *testing.T) {
	cases := []struct {
		format Format
		name   string
		ok     bool
	}{
		{FormatGeneric, "app-1.0.tar.gz", true},
		{FormatGeneric, "My Installer (x64) [v2]~!@^&{};,+.exe", true},
		{FormatGeneric, "données.bin", true},
		{FormatGeneric, "back`tick.bin", true},
		{FormatGeneric, "..", false},
		{FormatGeneric, ".", false},
		{FormatGeneric, "../../wharf.db", false},
		{FormatGeneric, `..\..\wharf.db`, false},
		{FormatGeneric, "a/b", false},
		{FormatGeneric, "a\x00", false},
		{FormatGeneric, "\xc3\x28", false},
		{FormatGeneric, " lead", false},
		{FormatGeneric, "trail ", false},
		{FormatGeneric, "two  spaces", false},
		{FormatGeneric, "tab\there", false},
		{FormatGeneric, "hash#.bin", false},
		{FormatGeneric, "star*.bin", false},
		{FormatGeneric, "dollar$.bin", false},
		// Other formats' file names follow their own conventions; only
		// the unsafe ones are refused.
		{FormatMaven, "lib-1.0.jar", true},
		{FormatPyPI, "pkg-1.0-py3-none-any.whl", true},
		{FormatPyPI, "pkg 1.0#x.tar.gz", true},
		{FormatMaven, "../lib.jar", false},
		{FormatNpm, "..", false},
		{FormatNpm, `a\b.tgz`, false},
	}
	for _, c := range cases {
		err := CheckAssetName(c.format, c.name)
		if (err == nil) != c.ok {
			t.Errorf("CheckAssetName(%s, %q) = %v, want ok=%v", c.format, c.name, err, c.ok)
		}
	}
}
