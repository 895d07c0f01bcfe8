package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/retention"
	"github.com/wharf-dev/wharf/internal/service"
)

// The retention pages list a domain's rules, show one, list what its dry
// run would touch and run it only once confirmed; a principal the API
// would refuse is refused here with the same action named.
func TestRetentionPages(t *testing.T) {
	f := newFixture(t)
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		f.publish(t, v)
	}
	if _, err := f.c.rules.PutRule(context.Background(), admin, "", "acme", retention.Rule{Name: "keep-one", KeepNewest: 1, Action: retention.ActionArchive}); err != nil {
		t.Fatal(err)
	}
	sc, tok := f.signIn(t, adminKey, adminSec)
	base := "/console/d/" + acct + "/acme/retention/"
	for _, tc := range []struct {
		name, path string
		want       int
		contains   []string
	}{
		{"domain links rules", "/console/d/" + acct + "/acme/", 200, []string{`href="` + base + `"`}},
		{"list", base, 200, []string{"keep-one", "ARCHIVE", "never"}},
		{"show", base + "keep-one", 200, []string{"Retention rule keep-one", "keepNewest", "Dry run"}},
		{"dry run", base + "keep-one/dry-run", 200, []string{"Selects 2 versions", "<code>1.0</code>", "<code>2.0</code>", "beyond the 1 kept"}},
		{"unknown rule", base + "nope", 404, []string{"nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(sc, tc.path)
			body := w.Body.String()
			if w.Code != tc.want {
				t.Fatalf("%d, want %d: %s", w.Code, tc.want, body)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q:\n%s", s, body)
				}
			}
			if tc.name == "dry run" && strings.Contains(body, "<code>3.0</code>") {
				t.Error("the dry run lists the newest version, which the rule keeps")
			}
		})
	}
	if st := f.statuses(t); st["1.0"] != model.StatusPublished {
		t.Fatalf("a dry run changed versions: %v", st)
	}
	run := func(v url.Values) *http.Response {
		v.Set("csrf", tok)
		r := form(base+"keep-one/run", v)
		r.AddCookie(sc)
		return f.do(r).Result()
	}
	// Unconfirmed: a confirmation page, nothing changes.
	if resp := run(url.Values{}); resp.StatusCode != 200 {
		t.Fatalf("confirmation page: %d", resp.StatusCode)
	}
	if st := f.statuses(t); st["1.0"] != model.StatusPublished {
		t.Fatalf("an unconfirmed run changed versions: %v", st)
	}
	if resp := run(url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed run: %d", resp.StatusCode)
	}
	st := f.statuses(t) // Archived versions are listed only when asked for
	archived, err := f.svc.ListPackageVersions(context.Background(), admin, service.ListPackageVersionsInput{Status: model.StatusArchived,
		PackageRef: service.PackageRef{Domain: "acme", Repository: "main", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st["3.0"] != model.StatusPublished || len(archived.Versions) != 2 {
		t.Fatalf("after the run: %v, archived %+v", st, archived.Versions)
	}
	if w := f.get(sc, base+"keep-one"); !strings.Contains(w.Body.String(), "Ran keep-one: 2 versions in 1 packages") {
		t.Errorf("no flash after the run:\n%s", w.Body)
	}

	// Another account may not read the domain's rules, and the refusal
	// names the API's action.
	osc, otok := f.signIn(t, otherKey, otherSec)
	for _, p := range []string{base, base + "keep-one", base + "keep-one/dry-run"} {
		if w := f.get(osc, p); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "wharf:") {
			t.Errorf("%s as another account: %d %s", p, w.Code, w.Body)
		}
	}
	r := form(base+"keep-one/run", url.Values{"csrf": {otok}, "confirm": {"yes"}})
	r.AddCookie(osc)
	if w := f.do(r); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "wharf:RunRetentionRule") {
		t.Errorf("run as another account: %d %s", w.Code, w.Body)
	}
}
