package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	cur := map[string]*Version{
		"1.0": {Version: "1.0", Revision: "r1", Status: StatusPublished},
		"2.0": {Version: "2.0", Revision: "r2", Status: StatusArchived},
		"3.0": {Version: "3.0", Revision: "r3", Status: StatusDisposed},
		"4.0": {Version: "4.0", Revision: "r4", Status: StatusUnfinished},
	}
	tests := []struct {
		name   string
		batch  Batch
		ok     map[string]VersionResult
		failed map[string]ErrorCode
	}{
		{"delete any status", Batch{Op: OpDelete, Versions: []string{"1.0", "2.0", "3.0", "4.0"}},
			map[string]VersionResult{"1.0": {"r1", StatusDeleted}, "2.0": {"r2", StatusDeleted}, "3.0": {"r3", StatusDeleted}, "4.0": {"r4", StatusDeleted}}, nil},
		{"duplicates count once", Batch{Op: OpDelete, Versions: []string{"1.0", "1.0"}},
			map[string]VersionResult{"1.0": {"r1", StatusDeleted}}, nil},
		{"not found skips the rest", Batch{Op: OpDelete, Versions: []string{"1.0", "9.9"}},
			nil, map[string]ErrorCode{"1.0": CodeSkipped, "9.9": CodeNotFound}},
		{"expected status mismatch", Batch{Op: OpDelete, Versions: []string{"1.0", "2.0"}, Expected: StatusArchived},
			nil, map[string]ErrorCode{"1.0": CodeMismatchedStatus, "2.0": CodeSkipped}},
		{"expected status match", Batch{Op: OpDelete, Versions: []string{"2.0"}, Expected: StatusArchived},
			map[string]VersionResult{"2.0": {"r2", StatusDeleted}}, nil},
		{"revision mismatch", Batch{Op: OpDispose, Versions: []string{"1.0", "2.0"}, Revisions: map[string]string{"1.0": "bad"}},
			nil, map[string]ErrorCode{"1.0": CodeMismatchedRevision, "2.0": CodeSkipped}},
		{"dispose disposed not allowed", Batch{Op: OpDispose, Versions: []string{"3.0"}},
			nil, map[string]ErrorCode{"3.0": CodeNotAllowed}},
		{"dispose", Batch{Op: OpDispose, Versions: []string{"1.0", "4.0"}, Revisions: map[string]string{"1.0": "r1"}},
			map[string]VersionResult{"1.0": {"r1", StatusDisposed}, "4.0": {"r4", StatusDisposed}}, nil},
		{"update from disposed", Batch{Op: OpUpdateStatus, Versions: []string{"3.0", "1.0"}, Target: StatusPublished},
			nil, map[string]ErrorCode{"3.0": CodeNotAllowed, "1.0": CodeSkipped}},
		{"update unfinished and archived", Batch{Op: OpUpdateStatus, Versions: []string{"2.0", "4.0"}, Target: StatusUnlisted},
			map[string]VersionResult{"2.0": {"r2", StatusUnlisted}, "4.0": {"r4", StatusUnlisted}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.batch.Check(); err != nil {
				t.Fatalf("Check: %v", err)
			}
			ok, failed := tt.batch.Plan(cur)
			if tt.ok == nil {
				tt.ok = map[string]VersionResult{}
			}
			if !reflect.DeepEqual(ok, tt.ok) {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			codes := map[string]ErrorCode{}
			for v, e := range failed {
				codes[v] = e.ErrorCode
			}
			if tt.failed == nil {
				tt.failed = map[string]ErrorCode{}
			}
			if !reflect.DeepEqual(codes, tt.failed) {
				t.Errorf("failed = %v, want %v", codes, tt.failed)
			}
		})
	}
}

func TestBatchCheck(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = "v"
	}
	tests := []struct {
		name  string
		batch Batch
	}{
		{"empty", Batch{Op: OpDelete}},
		{"101 versions", Batch{Op: OpDelete, Versions: many}},
		{"bad expected", Batch{Op: OpDelete, Versions: []string{"1"}, Expected: "Gone"}},
		{"unfinished target", Batch{Op: OpUpdateStatus, Versions: []string{"1"}, Target: StatusUnfinished}},
		{"disposed target", Batch{Op: OpUpdateStatus, Versions: []string{"1"}, Target: StatusDisposed}},
		{"revision for unlisted version", Batch{Op: OpDispose, Versions: []string{"1"}, Revisions: map[string]string{"2": "r"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.batch.Check(); !errors.Is(err, ErrValidation) {
				t.Fatalf("Check = %v, want ValidationException", err)
			}
		})
	}
}

func TestCanTransition(t *testing.T) {
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := ValidTarget(to) && from != StatusDisposed && from != StatusDeleted
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		f             Format
		name, version string
		wantN, wantV  string
	}{
		{FormatPyPI, "Wharf_Demo", "1.0", "wharf-demo", "1.0"},
		{FormatPyPI, "pigeon.._cli", "1.0.0rc1", "pigeon-cli", "1.0.0rc1"},
		{FormatNuGet, "Newtonsoft.JSON", "12.0.03.0", "newtonsoft.json", "12.0.3"},
		{FormatNuGet, "A", "1.00.0-Beta+abc", "a", "1.0.0-beta"},
		{FormatNuGet, "A", "1.0.0.1", "a", "1.0.0.1"},
		{FormatSwift, "Alamofire", "5.0.0", "alamofire", "5.0.0"},
		{FormatNpm, "Left-Pad", "1.0.0-Beta", "Left-Pad", "1.0.0-Beta"},
		{FormatMaven, "Lib_X", "1.0", "Lib_X", "1.0"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.f, tt.name); got != tt.wantN {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", tt.f, tt.name, got, tt.wantN)
		}
		if got := NormalizeVersion(tt.f, tt.version); got != tt.wantV {
			t.Errorf("NormalizeVersion(%s, %q) = %q, want %q", tt.f, tt.version, got, tt.wantV)
		}
	}
}

func TestCheckNamespace(t *testing.T) {
	for _, f := range Formats {
		for _, ns := range []string{"", "acme"} {
			err := CheckNamespace(f, ns)
			var want bool
			switch f {
			case FormatMaven, FormatSwift, FormatGeneric:
				want = ns != ""
			case FormatNpm:
				want = true
			default:
				want = ns == ""
			}
			if (err == nil) != want {
				t.Errorf("CheckNamespace(%s, %q) = %v, want ok=%v", f, ns, err, want)
			}
		}
	}
}

func TestARNRoundTrip(t *testing.T) {
	k := PackageKey{Format: FormatPyPI, Name: "requests"}
	s := PackageARN("us-east-1", "111122223333", "dom", "repo", k)
	if s != "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/pypi//requests" {
		t.Fatalf("PackageARN = %s", s)
	}
	a, ok := ParseARN(s)
	if !ok || a.Type != "package" || a.Package != k || a.Domain != "dom" || a.Repository != "repo" || a.Account != "111122223333" {
		t.Fatalf("ParseARN = %+v, %v", a, ok)
	}
	for _, bad := range []string{"", "arn:aws:s3:::bucket", "arn:aws:codeartifact:us-east-1:1:domain/", "arn:aws:codeartifact:us-east-1:1:repository/d", "arn:aws:codeartifact:us-east-1:1:package/d/r/npm/x"} {
		if _, ok := ParseARN(bad); ok {
			t.Errorf("ParseARN(%q) accepted", bad)
		}
	}
	if r, ok := ParseARN(RepositoryARN("us-east-1", "1", "d", "r")); !ok || r.Repository != "r" {
		t.Errorf("repository ARN round trip: %+v", r)
	}
}

// TestCheckGemName: rubygems.org's name rules (Patterns::NAME_PATTERN,
// LETTER_REGEXP and SPECIAL_CHAR_PREFIX_REGEXP, MAX_FIELD_LENGTH).
func TestCheckGemName(t *testing.T) {
	for name, ok := range map[string]bool{
		"rack": true, "net-http-persistent": true, "ruby_parser": true, "RedCloth": true, "a.b": true, "x1": true,
		"2fa": true, "a": true, strings.Repeat("a", 255): true,
		"": false, "123": false, "-rack": false, ".rack": false, "_rack": false, "ra ck": false, "ra/ck": false,
		"räck": false, "rack!": false, strings.Repeat("a", 256): false, "..": false,
	} {
		if err := CheckGemName(name); (err == nil) != ok {
			t.Errorf("CheckGemName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestSwiftIdentities(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	scopes := map[string]bool{
		"mona": true, "MONA": true, "a": true, "a-b": true, "a1-b2-c3": true, long(39): true,
		"": false, "-a": false, "a-": false, "a--b": false, "a_b": false, "a.b": false, long(40): false, "ä": false,
	}
	for s, want := range scopes {
		if got := ValidSwiftScope(s); got != want {
			t.Errorf("ValidSwiftScope(%q) = %v, want %v", s, got, want)
		}
	}
	names := map[string]bool{
		"LinkedList": true, "linked-list": true, "linked_list": true, "a_b-c": true, long(100): true,
		"": false, "_a": false, "a_": false, "a__b": false, "a-_b": false, "a.b": false, "a b": false, long(101): false,
	}
	for s, want := range names {
		if got := ValidSwiftName(s); got != want {
			t.Errorf("ValidSwiftName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		f  Format
		v  string
		ok bool
	}{
		{FormatSwift, "1.0.0", true},
		{FormatSwift, "1.0.0-beta.1+exp", true},
		{FormatSwift, "1.0", false},
		{FormatSwift, "v1.0.0", false},
		{FormatSwift, "1.0.0.0", false},
		{FormatGeneric, "1.0", true},
		{FormatMaven, "1.0-SNAPSHOT", true},
	}
	for _, tt := range tests {
		err := CheckVersion(tt.f, tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("CheckVersion(%s, %q) = %v, want ok %v", tt.f, tt.v, err, tt.ok)
		}
		if err != nil && AsError(err).Kind != KindValidation {
			t.Errorf("CheckVersion(%s, %q): kind %v, want validation", tt.f, tt.v, AsError(err).Kind)
		}
	}
}
