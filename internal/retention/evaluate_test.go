package retention

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func days(n int) time.Time { return t0.Add(-time.Duration(n) * 24 * time.Hour) }

// numeric compares "1.N" versions by N, as a format's order would, so
// that version order and string order differ (1.10 > 1.9).
func numeric(a, b string) int {
	var x, y int
	for _, c := range strings.TrimPrefix(a, "1.") {
		x = x*10 + int(c-'0')
	}
	for _, c := range strings.TrimPrefix(b, "1.") {
		y = y*10 + int(c-'0')
	}
	return x - y
}

func pkg(vs ...Candidate) *Package {
	return &Package{Repository: "main", Key: model.PackageKey{Format: model.FormatNpm, Name: "left-pad"}, Versions: vs, Compare: numeric}
}

func cand(v string, age int, s model.Status) Candidate {
	return Candidate{Version: v, Revision: "r-" + v, Status: s, PublishedTime: days(age), Bytes: 100}
}

const pub = model.StatusPublished

func TestEvaluate(t *testing.T) {
	// Published out of version order: 1.10 is the highest version but
	// not the newest publish.
	base := []Candidate{cand("1.1", 50, pub), cand("1.2", 40, pub), cand("1.10", 35, pub), cand("1.3", 30, pub), cand("1.4", 20, pub)}
	tests := []struct {
		name string
		rule Rule
		p    *Package
		want []string
	}{
		{"keep newest 2 by time", Rule{KeepNewest: 2, Action: ActionDelete}, pkg(base...), []string{"1.1", "1.2", "1.10"}},
		{"keep newest 2 by version", Rule{KeepNewest: 2, Order: OrderVersion, Action: ActionDelete}, pkg(base...), []string{"1.1", "1.2", "1.3"}},
		{"keep more than there are", Rule{KeepNewest: 10, Action: ActionDelete}, pkg(base...), nil},
		{"older than", Rule{OlderThan: Duration(33 * 24 * time.Hour), Action: ActionArchive}, pkg(base...), []string{"1.1", "1.2", "1.10"}},
		{"exactly the age is not older", Rule{OlderThan: Duration(35 * 24 * time.Hour), Action: ActionArchive}, pkg(base...), []string{"1.1", "1.2"}},
		{"both criteria must hold", Rule{KeepNewest: 1, OlderThan: Duration(45 * 24 * time.Hour), Action: ActionDelete}, pkg(base...), []string{"1.1"}},
		{"protected by a dist-tag", Rule{KeepNewest: 2, Action: ActionDelete},
			&Package{Key: model.PackageKey{Format: model.FormatNpm, Name: "x"}, Versions: base, Protected: map[string]string{"1.2": "dist-tag beta"}}, []string{"1.1", "1.10"}},
		{"keep list", Rule{KeepNewest: 2, Action: ActionDelete, Keep: []VersionRef{{Format: model.FormatNpm, Package: "left-pad", Version: "1.10"}}}, pkg(base...), []string{"1.1", "1.2"}},
		{"keep list of another package", Rule{KeepNewest: 2, Action: ActionDelete, Keep: []VersionRef{{Format: model.FormatNpm, Package: "other", Version: "1.10"}}}, pkg(base...), []string{"1.1", "1.2", "1.10"}},
		{"statuses filter", Rule{KeepNewest: 1, Action: ActionDelete, Statuses: []model.Status{model.StatusArchived}},
			pkg(cand("1.1", 9, model.StatusArchived), cand("1.2", 8, pub), cand("1.3", 7, pub)), []string{"1.1"}},
		{"unfinished not selected by default", Rule{KeepNewest: 1, Action: ActionDelete},
			pkg(cand("1.1", 9, model.StatusUnfinished), cand("1.2", 8, pub), cand("1.3", 7, pub)), []string{"1.2"}},
		{"already archived is left alone", Rule{KeepNewest: 1, Action: ActionArchive, Statuses: []model.Status{pub, model.StatusArchived}},
			pkg(cand("1.1", 9, model.StatusArchived), cand("1.2", 8, pub), cand("1.3", 7, pub)), []string{"1.2"}},
		{"disposed holds no slot", Rule{KeepNewest: 2, Action: ActionArchive},
			pkg(cand("1.1", 9, pub), cand("1.2", 8, pub), cand("1.3", 7, model.StatusDisposed)), nil},
		{"published after the evaluation began is untouched and uncounted", Rule{KeepNewest: 2, Action: ActionDelete},
			pkg(cand("1.1", 9, pub), cand("1.2", 8, pub), Candidate{Version: "1.3", Status: pub, PublishedTime: t0.Add(time.Second)}), nil},
		{"not downloaded for", Rule{NotDownloadedFor: Duration(10 * 24 * time.Hour), Action: ActionArchive},
			pkg(Candidate{Version: "1.1", Status: pub, PublishedTime: days(30), LastDownloaded: days(20)},
				Candidate{Version: "1.2", Status: pub, PublishedTime: days(30), LastDownloaded: days(5)},
				Candidate{Version: "1.3", Status: pub, PublishedTime: days(30)},
				Candidate{Version: "1.4", Status: pub, PublishedTime: days(3)}), []string{"1.1", "1.3"}},
		{"cannot unlist a disposed version", Rule{KeepNewest: 1, Action: ActionUnlist, Statuses: []model.Status{model.StatusDisposed, pub}},
			pkg(cand("1.1", 9, model.StatusDisposed), cand("1.2", 8, pub), cand("1.3", 7, pub)), []string{"1.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			r.Name = "r"
			if err := r.Check(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range r.Evaluate(tt.p, t0) {
				got = append(got, d.Version)
				if d.Reason == "" {
					t.Errorf("%s: no reason", d.Version)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateReasonAndBytes(t *testing.T) {
	r := Rule{Name: "r", KeepNewest: 1, OlderThan: Duration(24 * time.Hour), Action: ActionDispose}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	ds := r.Evaluate(pkg(cand("1.1", 3, pub), cand("1.2", 2, pub)), t0)
	if len(ds) != 1 || ds[0].Bytes != 100 || ds[0].Revision != "r-1.1" {
		t.Fatalf("%+v", ds)
	}
	if want := "newest #2 by publish time, beyond the 1 kept; published 3d ago, older than 1d"; ds[0].Reason != want {
		t.Errorf("reason %q, want %q", ds[0].Reason, want)
	}
	r.Action = ActionArchive
	if ds := r.Evaluate(pkg(cand("1.1", 3, pub), cand("1.2", 2, pub)), t0); ds[0].Bytes != 0 {
		t.Errorf("archiving frees nothing, got %d", ds[0].Bytes)
	}
}

func TestMatches(t *testing.T) {
	k := model.PackageKey{Format: model.FormatNpm, Namespace: "acme", Name: "ui"}
	tests := []struct {
		rule Rule
		repo string
		want bool
	}{
		{Rule{}, "main", true},
		{Rule{Repository: "main"}, "main", true},
		{Rule{Repository: "main"}, "other", false},
		{Rule{PackageGroup: "/npm/acme/*"}, "main", true},
		{Rule{PackageGroup: "/npm/other/*"}, "main", false},
		{Rule{PackageGroup: "/maven/*"}, "main", false},
	}
	for _, tt := range tests {
		if got := tt.rule.Matches(tt.repo, k); got != tt.want {
			t.Errorf("%+v on %s: %v, want %v", tt.rule, tt.repo, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		bad  string
	}{
		{"ok", Rule{Name: "a", KeepNewest: 1, Action: ActionDelete}, ""},
		{"no name", Rule{KeepNewest: 1, Action: ActionDelete}, "name"},
		{"bad name", Rule{Name: "a/b", KeepNewest: 1, Action: ActionDelete}, "name"},
		{"dot name", Rule{Name: "..", KeepNewest: 1, Action: ActionDelete}, "name"},
		{"no action", Rule{Name: "a", KeepNewest: 1}, "action"},
		{"no criterion", Rule{Name: "a", Action: ActionDelete}, "keepNewest, olderThan or notDownloadedFor"},
		{"negative idle", Rule{Name: "a", NotDownloadedFor: -1, Action: ActionDelete}, "negative"},
		{"negative keep", Rule{Name: "a", KeepNewest: -1, Action: ActionDelete}, "negative"},
		{"bad order", Rule{Name: "a", KeepNewest: 1, Order: "RANDOM", Action: ActionDelete}, "order"},
		{"bad status", Rule{Name: "a", KeepNewest: 1, Action: ActionDelete, Statuses: []model.Status{"Gone"}}, "status"},
		{"deleted status", Rule{Name: "a", KeepNewest: 1, Action: ActionDelete, Statuses: []model.Status{model.StatusDeleted}}, "status"},
		{"bad pattern", Rule{Name: "a", KeepNewest: 1, Action: ActionDelete, PackageGroup: "npm"}, "attern"},
		{"bad keep", Rule{Name: "a", KeepNewest: 1, Action: ActionDelete, Keep: []VersionRef{{Format: "npm", Package: "x"}}}, "keep[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Check()
			if tt.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.rule.Order != OrderPublished || !slices.Equal(tt.rule.Statuses, DefaultStatuses) {
					t.Errorf("defaults not filled: %+v", tt.rule)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("error %v, want one mentioning %q", err, tt.bad)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	for _, tt := range []struct {
		in, out string
		bad     bool
	}{
		{`"30d"`, `"30d"`, false},
		{`"36h"`, `"36h0m0s"`, false},
		{`"48h"`, `"2d"`, false},
		{`"-1d"`, "", true},
		{`"xd"`, "", true},
		{`30`, "", true},
	} {
		var d Duration
		err := json.Unmarshal([]byte(tt.in), &d)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: no error", tt.in)
			}
			continue
		}
		b, _ := json.Marshal(d)
		if err != nil || string(b) != tt.out {
			t.Errorf("%s: %s %v, want %s", tt.in, b, err, tt.out)
		}
	}
}
