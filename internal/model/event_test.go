package model

import (
	"fmt"
	"testing"
)

func TestDiffVersion(t *testing.T) {
	st := func(status Status, rev string, assets ...string) *VersionState {
		m := map[string]string{}
		for i := 0; i < len(assets); i += 2 {
			m[assets[i]] = assets[i+1]
		}
		return &VersionState{Status: status, Revision: rev, Assets: m}
	}
	tests := []struct {
		name          string
		before, after *VersionState
		want          string
	}{
		{"nothing", nil, nil, " {0 0 0 false false} false"},
		{"created", nil, st("Published", "r", "a", "1"), "Created {1 0 0 true true} true"},
		{"deleted", st("Archived", "r", "a", "1", "b", "2"), nil, "Deleted {0 2 0 false false} true"},
		{"unchanged", st("Published", "r", "a", "1"), st("Published", "r", "a", "1"), " {0 0 0 false false} false"},
		{"status", st("Published", "r", "a", "1"), st("Unlisted", "r", "a", "1"), "Updated {0 0 0 false true} true"},
		{"assets", st("Published", "r", "a", "1", "b", "2"), st("Published", "s", "a", "9", "c", "3"), "Updated {1 1 1 false false} true"},
		{"metadata", st("Published", "r", "a", "1"), st("Published", "s", "a", "1"), "Updated {0 0 0 true false} true"},
	}
	for _, tt := range tests {
		op, c, ok := DiffVersion(tt.before, tt.after)
		if got := fmt.Sprintf("%s %v %v", op, c, ok); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
