package model

import "testing"

// TestStatusRules: every status predicate for every status, as the
// Decisions in codeartifact-behaviour.md set them.
func TestStatusRules(t *testing.T) {
	type rules struct{ downloadable, served, servedWithUnfinished, listed, hidden, blocksRepublish, hasAssets, copyable bool }
	tests := []struct {
		status Status
		want   rules
	}{
		{StatusPublished, rules{downloadable: true, served: true, servedWithUnfinished: true, listed: true, hasAssets: true, copyable: true}},
		{StatusUnfinished, rules{servedWithUnfinished: true, hasAssets: true}},
		{StatusUnlisted, rules{downloadable: true, served: true, servedWithUnfinished: true, hasAssets: true, copyable: true}},
		{StatusArchived, rules{hidden: true, blocksRepublish: true, hasAssets: true, copyable: true}},
		{StatusDisposed, rules{blocksRepublish: true}},
		{StatusDeleted, rules{}},
	}
	if len(tests) != len(Statuses) {
		t.Fatalf("table covers %d statuses, the model has %d", len(tests), len(Statuses))
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			s := tt.status
			got := rules{s.Downloadable(), s.Served(false), s.Served(true), s.Listed(), s.HiddenByDefault(), s.BlocksRepublish(), s.HasAssets(), s.Copyable()}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
