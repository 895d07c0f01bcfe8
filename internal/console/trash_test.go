package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// A deleted version within the restore window is listed and restored
// only once confirmed; another account is refused with the API's action,
// and bad input changes nothing.
func TestDeletedVersionsRestore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.PutRestoreWindow(ctx, admin, "", "acme", 7); err != nil {
		t.Fatal(err)
	}
	f.publish(t, "1.0")
	f.publish(t, "2.0")
	ref := service.PackageRef{Domain: "acme", Repository: "main", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}
	if _, err := f.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: ref, Versions: []string{"1.0"}}); err != nil {
		t.Fatal(err)
	}
	sc, tok := f.signIn(t, adminKey, adminSec)
	repo := "/console/d/" + acct + "/acme/r/main/"
	if w := f.get(sc, repo); !strings.Contains(w.Body.String(), `href="`+repo+`deleted"`) {
		t.Errorf("the repository page does not link its deleted versions")
	}
	w := f.get(sc, repo+"deleted")
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "<code>1.0</code>") || strings.Contains(body, "<code>2.0</code>") || !strings.Contains(body, "7 days") {
		t.Fatalf("deleted page: %d %s", w.Code, body)
	}
	restore := func(sc *http.Cookie, tok string, v url.Values) *httptest.ResponseRecorder {
		v.Set("csrf", tok)
		r := form(repo+"restore", v)
		r.AddCookie(sc)
		return f.do(r)
	}
	one := func(more ...string) url.Values {
		v := url.Values{"format": {"generic"}, "namespace": {"ns"}, "package": {"p"}, "version": {"1.0"}}
		for i := 0; i+1 < len(more); i += 2 {
			v.Set(more[i], more[i+1])
		}
		return v
	}
	osc, otok := f.signIn(t, otherKey, otherSec)
	for _, tc := range []struct {
		name string
		sc   *http.Cookie
		tok  string
		v    url.Values
		want int
		says string
	}{
		{"unconfirmed asks", sc, tok, one(), 200, "Yes, restore"},
		{"bad format", sc, tok, one("format", "nope", "confirm", "yes"), 400, "Invalid format"},
		{"no version", sc, tok, one("version", "", "confirm", "yes"), 400, "Choose a deleted version"},
		{"not deleted", sc, tok, one("version", "2.0", "confirm", "yes"), 404, "No deleted version 2.0"},
		{"another account", osc, otok, one("confirm", "yes"), 403, "wharf:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := restore(tc.sc, tc.tok, tc.v)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.says) {
				t.Fatalf("%d, want %d with %q: %s", w.Code, tc.want, tc.says, w.Body)
			}
			if _, ok := f.statuses(t)["1.0"]; ok {
				t.Fatal("1.0 is back before a confirmed restore")
			}
		})
	}
	if w := f.get(osc, repo+"deleted"); w.Code != 403 || !strings.Contains(w.Body.String(), "wharf:ListDeletedPackageVersions") {
		t.Errorf("deleted page as another account: %d %s", w.Code, w.Body)
	}
	w = restore(sc, tok, one("confirm", "yes"))
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "version?") {
		t.Fatalf("restore: %d %s", w.Code, w.Body)
	}
	if st := f.statuses(t); st["1.0"] != model.StatusPublished {
		t.Fatalf("after restore: %v", st)
	}
	if w := f.get(sc, w.Header().Get("Location")); !strings.Contains(w.Body.String(), "Restored p 1.0 as Published.") {
		t.Errorf("no flash after restoring: %s", w.Body)
	}
	if w := f.get(sc, repo+"deleted"); strings.Contains(w.Body.String(), "<code>1.0</code>") {
		t.Error("a restored version is still listed as deleted")
	}
}
