package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// seedVersions puts n versions of generic package ns/big, each with one
// asset record, straight into the metadata store (as wharfbench seeds):
// publishing 10,000 versions through the API would only slow the test.
func (f *fixture) seedVersions(t testing.TB, n int) {
	t.Helper()
	now := time.Now().UTC()
	err := f.meta.Update(context.Background(), func(tx meta.Tx) error {
		d, err := tx.GetDomain(acct, "acme")
		if err != nil {
			return err
		}
		r, err := tx.GetRepository(d.ID, "main")
		if err != nil {
			return err
		}
		p := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "big"}, Origin: model.DefaultOriginForPublish}
		if err := tx.CreatePackage(p); err != nil {
			return err
		}
		for i := range n {
			v := &model.Version{PackageID: p.ID, Version: fmt.Sprintf("1.0.%05d", i), Status: model.StatusPublished, Revision: "r",
				PublishedTime: now.Add(time.Duration(i) * time.Millisecond), OriginType: model.OriginInternal, OriginRepository: "main"}
			if err := tx.CreateVersion(v); err != nil {
				return err
			}
			sha := fmt.Sprintf("%064x", i+1)
			if err := tx.PutAsset(&model.Asset{VersionID: v.ID, Name: "data.bin", Size: 1024, Created: now,
				Hashes: model.Hashes{SHA256: sha, SHA1: sha[:40], MD5: sha[:32], SHA512: sha + sha}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	versionCheckbox = regexp.MustCompile(`name="version" value="(1\.0\.\d+)"`)
	nextLink        = regexp.MustCompile(`rel="next" href="([^"]+)"`)
)

// A package with many versions shows one page of them, with sizes, and a
// link to the next page that continues where the first stopped. (1,000
// here: seeding SQLite under the race detector is slow; the benchmark
// renders the first page of 10,000.)
func TestPackagePagePaginates(t *testing.T) {
	f := newFixture(t)
	f.seedVersions(t, 1000)
	sc, _ := f.signIn(t, adminKey, adminSec)
	get := func(target string) string {
		r := httptest.NewRequest("GET", target, nil)
		r.AddCookie(sc)
		w := f.do(r)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", target, w.Code)
		}
		return w.Body.String()
	}
	first := get("/console/d/" + acct + "/acme/r/main/package?format=generic&namespace=ns&package=big")
	rows := versionCheckbox.FindAllStringSubmatch(first, -1)
	if len(rows) != pageSize || !strings.Contains(first, "1.0 KiB (1 asset)") {
		t.Fatalf("first page: %d rows", len(rows))
	}
	m := nextLink.FindStringSubmatch(first)
	if m == nil {
		t.Fatal("no next page link")
	}
	second := get(strings.ReplaceAll(m[1], "&amp;", "&"))
	rows2 := versionCheckbox.FindAllStringSubmatch(second, -1)
	if len(rows2) != pageSize || rows2[0][1] == rows[0][1] {
		t.Fatalf("second page: %d rows starting %v", len(rows2), rows2)
	}
	if !strings.Contains(second, "namespace=ns") {
		t.Error("the next page link must keep the package's coordinates")
	}
}

// BenchmarkPackagePage10k renders the first page of a package with
// 10,000 versions.
func BenchmarkPackagePage10k(b *testing.B) {
	f := newFixture(b)
	f.seedVersions(b, 10000)
	sc, _ := f.signIn(b, adminKey, adminSec)
	target := "/console/d/" + acct + "/acme/r/main/package?format=generic&namespace=ns&package=big"
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest("GET", target, nil)
		r.AddCookie(sc)
		if w := f.do(r); w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
