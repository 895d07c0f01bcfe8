package model

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestCopyCheck(t *testing.T) {
	many := make([]string, MaxBatchVersions+1)
	manyRevs := map[string]string{}
	for i := range many {
		many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
		manyRevs[many[i]] = "r"
	}
	tests := []struct {
		name string
		cp   Copy
		ok   bool
	}{
		{"versions", Copy{Source: "a", Destination: "b", Versions: []string{"1"}}, true},
		{"revisions", Copy{Source: "a", Destination: "b", Revisions: map[string]string{"1": "r"}}, true},
		{"neither", Copy{Source: "a", Destination: "b"}, false},
		{"both", Copy{Source: "a", Destination: "b", Versions: []string{"1"}, Revisions: map[string]string{"1": "r"}}, false},
		{"101 versions", Copy{Source: "a", Destination: "b", Versions: many}, false},
		{"101 revisions", Copy{Source: "a", Destination: "b", Revisions: manyRevs}, false},
		{"same repository", Copy{Source: "a", Destination: "a", Versions: []string{"1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cp.Check()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrValidation)) {
				t.Errorf("Check = %v, want ok %v (else a ValidationException)", err, tt.ok)
			}
		})
	}
}

func TestCopyUnique(t *testing.T) {
	if got := (Copy{Versions: []string{"2.0", "1.0", "2.0"}}).Unique(); !slices.Equal(got, []string{"1.0", "2.0"}) {
		t.Errorf("Unique of versions = %v", got)
	}
	if got := (Copy{Revisions: map[string]string{"b": "r", "a": "r"}}).Unique(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Unique of revisions = %v", got)
	}
}

func TestCopyPlan(t *testing.T) {
	found := map[string]*Version{
		"pub":  {Version: "pub", Revision: "rp", Status: StatusPublished},
		"unl":  {Version: "unl", Revision: "ru", Status: StatusUnlisted},
		"arc":  {Version: "arc", Revision: "ra", Status: StatusArchived},
		"unf":  {Version: "unf", Revision: "rf", Status: StatusUnfinished},
		"dis":  {Version: "dis", Revision: "rd", Status: StatusDisposed},
		"both": {Version: "both", Revision: "rb", Status: StatusPublished},
	}
	existing := map[string]*Version{"both": {Version: "both", Revision: "other", Status: StatusPublished}, "dis": {Version: "dis"}}
	type res map[string]VersionResult
	type codes map[string]ErrorCode
	tests := []struct {
		name   string
		cp     Copy
		ok     res
		failed codes
	}{
		{"copyable statuses keep theirs", Copy{Versions: []string{"pub", "unl", "arc"}},
			res{"pub": {"rp", StatusPublished}, "unl": {"ru", StatusUnlisted}, "arc": {"ra", StatusArchived}}, codes{}},
		{"decided per version, not all or nothing", Copy{Versions: []string{"pub", "nope", "unf", "dis"}},
			res{"pub": {"rp", StatusPublished}}, codes{"nope": CodeNotFound, "unf": CodeNotAllowed, "dis": CodeNotAllowed}},
		{"already there", Copy{Versions: []string{"both"}}, res{}, codes{"both": CodeAlreadyExists}},
		{"overwrite", Copy{Versions: []string{"both"}, AllowOverwrite: true}, res{"both": {"rb", StatusPublished}}, codes{}},
		{"revisions", Copy{Revisions: map[string]string{"pub": "rp", "unl": "stale"}},
			res{"pub": {"rp", StatusPublished}}, codes{"unl": CodeMismatchedRevision}},
		{"not found before a revision", Copy{Revisions: map[string]string{"nope": "r"}}, res{}, codes{"nope": CodeNotFound}},
		{"revision before status", Copy{Revisions: map[string]string{"unf": "stale"}}, res{}, codes{"unf": CodeMismatchedRevision}},
		{"status before existing", Copy{Versions: []string{"dis"}}, res{}, codes{"dis": CodeNotAllowed}},
		{"duplicates count once", Copy{Versions: []string{"pub", "pub"}}, res{"pub": {"rp", StatusPublished}}, codes{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, failed := tt.cp.Plan(found, existing)
			if !reflect.DeepEqual(ok, map[string]VersionResult(tt.ok)) {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			got := codes{}
			for v, e := range failed {
				got[v] = e.ErrorCode
				if e.ErrorMessage == "" {
					t.Errorf("%s failed with no message", v)
				}
			}
			if !reflect.DeepEqual(got, tt.failed) {
				t.Errorf("failed = %v, want %v", got, tt.failed)
			}
		})
	}
}
