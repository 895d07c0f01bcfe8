package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

func (f *fixture) publish(t *testing.T, version string) {
	t.Helper()
	body := []byte("content of " + version)
	sum := sha256.Sum256(body)
	_, err := f.svc.PublishPackageVersion(context.Background(), admin, service.PublishPackageVersionInput{
		PackageRef:     service.PackageRef{Domain: "acme", Repository: "main", Format: model.FormatGeneric, Namespace: "ns", Package: "p"},
		PackageVersion: version, AssetName: "a.txt", AssetSHA256: hex.EncodeToString(sum[:])}, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) statuses(t *testing.T) map[string]model.Status {
	t.Helper()
	out, err := f.svc.ListPackageVersions(context.Background(), admin, service.ListPackageVersionsInput{
		PackageRef: service.PackageRef{Domain: "acme", Repository: "main", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]model.Status{}
	for _, v := range out.Versions {
		got[v.Version] = v.Status
	}
	return got
}

// Each action changes versions only once confirmed, through the service,
// and a batch that fails anywhere changes nothing and says why for every
// version.
func TestActions(t *testing.T) {
	f := newFixture(t)
	sc, tok := f.signIn(t, adminKey, adminSec)
	if _, err := f.svc.CreateRepository(context.Background(), admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "acme", Repository: "other"}}); err != nil {
		t.Fatal(err)
	}
	f.publish(t, "1.0")
	f.publish(t, "2.0")
	post := func(v url.Values) *httptest.ResponseRecorder {
		v.Set("csrf", tok)
		v.Set("format", "generic")
		v.Set("namespace", "ns")
		v.Set("package", "p")
		r := form("/console/d/"+acct+"/acme/r/main/action", v)
		r.AddCookie(sc)
		return f.do(r)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		code   int
		body   []string
		status map[string]model.Status
	}{
		{"unknown action", url.Values{"op": {"explode"}, "version": {"1.0"}, "confirm": {"yes"}}, http.StatusBadRequest, []string{"Unknown action"}, nil},
		{"no versions", url.Values{"op": {"archive"}, "confirm": {"yes"}}, http.StatusBadRequest, []string{"Choose at least one version"}, nil},
		{"copy without destination", url.Values{"op": {"copy"}, "version": {"1.0"}, "confirm": {"yes"}}, http.StatusBadRequest, []string{"destination"}, nil},
		{"unconfirmed dispose", url.Values{"op": {"dispose"}, "version": {"1.0"}}, http.StatusOK, []string{"Dispose 1 version of p?", "Yes, dispose"},
			map[string]model.Status{"1.0": model.StatusPublished, "2.0": model.StatusPublished}},
		{"unlist", url.Values{"op": {"unlist"}, "version": {"1.0", "2.0"}, "confirm": {"yes"}}, http.StatusSeeOther, nil,
			map[string]model.Status{"1.0": model.StatusUnlisted, "2.0": model.StatusUnlisted}},
		{"publish", url.Values{"op": {"publish"}, "version": {"2.0"}, "confirm": {"yes"}}, http.StatusSeeOther, nil,
			map[string]model.Status{"1.0": model.StatusUnlisted, "2.0": model.StatusPublished}},
		{"delete is all or nothing", url.Values{"op": {"delete"}, "version": {"1.0", "9.9"}, "confirm": {"yes"}}, http.StatusConflict,
			[]string{"9.9: ", "NOT_FOUND", "1.0: ", "SKIPPED"}, map[string]model.Status{"1.0": model.StatusUnlisted, "2.0": model.StatusPublished}},
		{"dispose", url.Values{"op": {"dispose"}, "version": {"1.0"}, "confirm": {"yes"}}, http.StatusSeeOther, nil,
			map[string]model.Status{"1.0": model.StatusDisposed, "2.0": model.StatusPublished}},
		{"copy", url.Values{"op": {"copy"}, "version": {"2.0"}, "destination": {"other"}, "confirm": {"yes"}}, http.StatusSeeOther, nil,
			map[string]model.Status{"1.0": model.StatusDisposed, "2.0": model.StatusPublished}},
		{"delete", url.Values{"op": {"delete"}, "version": {"1.0"}, "confirm": {"yes"}}, http.StatusSeeOther, nil,
			map[string]model.Status{"2.0": model.StatusPublished}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post(tc.form)
			if w.Code != tc.code {
				t.Fatalf("got %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			for _, s := range tc.body {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("missing %q in %s", s, w.Body)
				}
			}
			if tc.code == http.StatusSeeOther {
				// The next page says what was done, once.
				for i, want := range []bool{true, false} {
					r := httptest.NewRequest("GET", w.Header().Get("Location"), nil)
					r.AddCookie(sc)
					page := f.do(r).Body.String()
					if got := strings.Contains(page, `class="flash"`); got != want {
						t.Errorf("visit %d after the action: flash shown %v, want %v", i, got, want)
					}
				}
			}
			if tc.status != nil {
				got := f.statuses(t)
				if len(got) != len(tc.status) {
					t.Fatalf("statuses %v, want %v", got, tc.status)
				}
				for v, s := range tc.status {
					if got[v] != s {
						t.Errorf("%s is %s, want %s", v, got[v], s)
					}
				}
			}
		})
	}
	copied, err := f.svc.DescribePackageVersion(context.Background(), admin, service.VersionRef{PackageRef: service.PackageRef{
		Domain: "acme", Repository: "other", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}, PackageVersion: "2.0"})
	if err != nil || copied.PackageVersion.Status != model.StatusPublished {
		t.Errorf("the copy: %+v %v", copied, err)
	}
}

// The asset download is an attachment with GetPackageVersionAsset's
// headers, and a Disposed version's assets cannot be downloaded.
func TestAssetDownload(t *testing.T) {
	f := newFixture(t)
	sc, _ := f.signIn(t, adminKey, adminSec)
	f.publish(t, "1.0")
	get := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/console/d/"+acct+"/acme/r/main/asset?format=generic&namespace=ns&package=p&version=1.0&asset=a.txt", nil)
		r.AddCookie(sc)
		return f.do(r)
	}
	w := get()
	if w.Code != http.StatusOK || w.Body.String() != "content of 1.0" || w.Header().Get("Content-Type") != "application/octet-stream" ||
		w.Header().Get("Content-Disposition") != "attachment; filename=a.txt" || w.Header().Get("X-PackageVersion") != "1.0" {
		t.Fatalf("download: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if _, err := f.svc.DisposePackageVersions(context.Background(), admin, service.DisposePackageVersionsInput{
		PackageRef: service.PackageRef{Domain: "acme", Repository: "main", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}, Versions: []string{"1.0"}}); err != nil {
		t.Fatal(err)
	}
	if w := get(); w.Code != http.StatusNotFound {
		t.Fatalf("download of a Disposed version: %d", w.Code)
	}
}
