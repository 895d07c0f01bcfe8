package npm

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

func TestCheckDist(t *testing.T) {
	body := []byte("tarball bytes")
	s1, s512 := sha1.Sum(body), sha512.Sum512(body)
	other := sha512.Sum512([]byte("other"))
	sri := func(algo string, sum []byte) string { return algo + "-" + base64.StdEncoding.EncodeToString(sum) }
	tests := []struct {
		name string
		dist publicDist
		ok   bool
	}{
		{"sha512 integrity", publicDist{Integrity: sri("sha512", s512[:])}, true},
		{"sha512 integrity mismatch", publicDist{Integrity: sri("sha512", other[:]), Shasum: hex.EncodeToString(s1[:])}, false},
		{"sha1 integrity", publicDist{Integrity: sri("sha1", s1[:])}, true},
		{"unknown algorithm falls back to shasum", publicDist{Integrity: "md5-AAAA", Shasum: hex.EncodeToString(s1[:])}, true},
		{"shasum only", publicDist{Shasum: strings.ToUpper(hex.EncodeToString(s1[:]))}, true},
		{"shasum mismatch", publicDist{Shasum: strings.Repeat("0", 40)}, false},
		{"neither", publicDist{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDist(tt.dist, s1[:], s512[:])
			if (err == nil) != tt.ok {
				t.Errorf("checkDist = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// fakeRegistry serves public packuments and tarballs, counting requests.
type fakeRegistry struct {
	srv       *httptest.Server
	docs      map[string]map[string]any
	tarballs  map[string][]byte
	docHits   atomic.Int64
	tgzHits   atomic.Int64
	tgzDelay  time.Duration
	failNames map[string]bool
	down      atomic.Bool // every packument request answered 503
}

func newFakeRegistry(t testing.TB) *fakeRegistry {
	f := &fakeRegistry{docs: map[string]map[string]any{}, tarballs: map[string][]byte{}, failNames: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		if strings.Contains(p, "/-/") {
			f.tgzHits.Add(1)
			time.Sleep(f.tgzDelay)
			if b, ok := f.tarballs[p]; ok {
				w.Write(b)
				return
			}
			http.NotFound(w, r)
			return
		}
		f.docHits.Add(1)
		if f.failNames[p] || f.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		d, ok := f.docs[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(d)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// add publishes name@version on the fake; corrupt makes its integrity
// describe other bytes.
func (f *fakeRegistry) add(t testing.TB, name, version string, tgz []byte, corrupt bool) {
	sum := sha512.Sum512(tgz)
	if corrupt {
		sum = sha512.Sum512(append(tgz, 0))
	}
	file := name + "/-/" + name + "-" + version + ".tgz"
	f.tarballs[file] = tgz
	d := f.docs[name]
	if d == nil {
		d = map[string]any{"name": name, "dist-tags": map[string]string{}, "versions": map[string]any{}, "time": map[string]string{}}
		f.docs[name] = d
	}
	d["dist-tags"].(map[string]string)["latest"] = version
	d["versions"].(map[string]any)[version] = map[string]any{"name": name, "version": version, "description": "from the fake",
		"dist": map[string]any{"tarball": f.srv.URL + "/" + file, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}
	d["time"].(map[string]string)[version] = "2020-01-02T03:04:05.000Z"
}

// newPublicEnv is a test environment whose repository dom/repo has the
// public:npmjs connection, served by a fake registry.
func newPublicEnv(t testing.TB) (*testEnv, *fakeRegistry) {
	t.Helper()
	f := newFakeRegistry(t)
	e := newTestEnv(t, formattest.Options{URLs: map[string]string{npmjsConnection: f.srv.URL}})
	if _, err := e.svc.AssociateExternalConnection(context.Background(), admin, service.ExternalConnectionInput{
		RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"}, ExternalConnection: "public:npmjs"}); err != nil {
		t.Fatal(err)
	}
	return e, f
}

// TestPublicConnection: a repository with public:npmjs lists the public
// versions, ingests a tarball once however many clients miss it at the
// same time, and answers 502 for bytes that fail their integrity, for a
// tarball URL outside the registry and for a registry that is down.
func TestPublicConnection(t *testing.T) {
	e, f := newPublicEnv(t)
	ctx := context.Background()
	good := pkgTgz(t, "pub-lib", "1.0.0")
	f.add(t, "pub-lib", "1.0.0", good, false)
	f.add(t, "pub-lib", "2.0.0", pkgTgz(t, "pub-lib", "2.0.0"), true)
	f.add(t, "pub-lib", "3.0.0", pkgTgz(t, "pub-lib", "3.0.0"), false)
	f.docs["pub-lib"]["versions"].(map[string]any)["3.0.0"].(map[string]any)["dist"].(map[string]any)["tarball"] = "http://elsewhere.invalid/x.tgz"
	f.failNames["down-lib"] = true
	f.tgzDelay = 50 * time.Millisecond

	resp, body := e.do(t, "GET", "pub-lib", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("packument: %d %s", resp.StatusCode, body)
	}
	var doc struct {
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			Dist struct{ Tarball, Integrity string } `json:"dist"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Versions) != 3 || doc.DistTags["latest"] != "3.0.0" || doc.Versions["1.0.0"].Dist.Tarball != e.base+"pub-lib/-/pub-lib-1.0.0.tgz" {
		t.Errorf("packument through the connection: %s", body)
	}

	// /NAME/VERSION and /NAME/TAG read the same merged view.
	if resp, b := e.do(t, "GET", "pub-lib/latest", nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"3.0.0"`) {
		t.Errorf("GET pub-lib/latest: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do(t, "GET", "pub-lib/1.0.0", nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), e.base+"pub-lib/-/pub-lib-1.0.0.tgz") {
		t.Errorf("GET pub-lib/1.0.0: %d %s", resp.StatusCode, b)
	}

	var wg sync.WaitGroup
	statuses := make([]int, 8)
	bodies := make([][]byte, 8)
	for i := range statuses {
		wg.Go(func() {
			resp, b := e.do(t, "GET", "pub-lib/-/pub-lib-1.0.0.tgz", nil)
			statuses[i], bodies[i] = resp.StatusCode, b
		})
	}
	wg.Wait()
	for i := range statuses {
		if statuses[i] != http.StatusOK || string(bodies[i]) != string(good) {
			t.Errorf("tarball request %d: %d, %d bytes", i, statuses[i], len(bodies[i]))
		}
	}
	if n := f.tgzHits.Load(); n != 1 {
		t.Errorf("%d tarball fetches from the public registry, want 1", n)
	}
	if n := f.docHits.Load(); n != 1 {
		t.Errorf("%d packument fetches from the public registry, want 1 (cached)", n)
	}
	view, err := e.svc.ViewPackage(ctx, admin, ref("pub-lib"), service.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Versions) != 1 || view.Versions[0].OriginType != model.OriginExternal || view.Versions[0].OriginExternal != "public:npmjs" ||
		view.Package.Origin != model.DefaultOriginForUpstream || view.Versions[0].Summary != "from the fake" {
		t.Errorf("ingested: %+v %+v", view.Package, view.Versions)
	}

	for _, tc := range []struct{ path string }{{"pub-lib/-/pub-lib-2.0.0.tgz"}, {"pub-lib/-/pub-lib-3.0.0.tgz"}, {"down-lib"}} {
		resp, b := e.do(t, "GET", tc.path, nil)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "public:npmjs") {
			t.Errorf("GET %s: %d %s, want 502 naming the connection", tc.path, resp.StatusCode, b)
		}
	}
	if resp, _ := e.do(t, "GET", "no-such-lib", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("package the registry lacks: %d, want 404", resp.StatusCode)
	}
	if resp, _ := e.do(t, "GET", "pub-lib/-/pub-lib-9.9.9.tgz", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("version the registry lacks: %d, want 404", resp.StatusCode)
	}
	// With the registry down, a version the cached packument lacks may
	// have been published since: the registry's failure (502), not a 404;
	// the cached packument is still served.
	f.down.Store(true)
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	if resp, b := e.do(t, "GET", "pub-lib/-/pub-lib-9.9.9.tgz", nil); resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "public:npmjs") {
		t.Errorf("a version the cached packument lacks, registry down: %d %s, want 502", resp.StatusCode, b)
	}
	if resp, b := e.do(t, "GET", "pub-lib", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the cached packument, registry down: %d %s", resp.StatusCode, b)
	}
	f.down.Store(false)
	view, err = e.svc.ViewPackage(ctx, admin, ref("pub-lib"), service.ViewOptions{})
	if err != nil || len(view.Versions) != 1 {
		t.Errorf("failed fetches recorded versions: %v %d", err, len(view.Versions))
	}
}

// TestPublishOverPublicVersion: npm publish of a version the registry
// behind public:npmjs has is a 409 that names the connection, and stores
// nothing; other versions publish; a registry that is down does not stop
// a publish (fail open).
func TestPublishOverPublicVersion(t *testing.T) {
	e, f := newPublicEnv(t)
	ctx := context.Background()
	f.add(t, "pub-lib", "1.0.0", pkgTgz(t, "pub-lib", "1.0.0"), false)
	f.failNames["down-lib"] = true

	put := func(name, version string) (int, string) {
		resp, b := e.do(t, "PUT", escapeName(name), publishBody(name, version, nil, pkgTgz(t, name, version)), "Content-Type", "application/json")
		return resp.StatusCode, string(b)
	}
	if st, b := put("pub-lib", "1.0.0"); st != http.StatusConflict || !strings.Contains(b, "is available from external connection public:npmjs of repository repo") {
		t.Errorf("publishing a public version: %d %s, want 409 naming public:npmjs", st, b)
	}
	if _, err := e.svc.ViewPackage(ctx, admin, ref("pub-lib"), service.ViewOptions{}); err == nil {
		t.Errorf("a refused publish created the package")
	}
	if st, b := put("pub-lib", "1.1.0"); st != http.StatusCreated {
		t.Errorf("publishing a version the registry lacks: %d %s", st, b)
	}
	if st, b := put("down-lib", "1.0.0"); st != http.StatusCreated {
		t.Errorf("publishing while the registry fails: %d %s, want 201", st, b)
	}
	if n := f.docHits.Load(); n != 2 {
		t.Errorf("%d packument fetches, want 2 (pub-lib once, then from the cache; down-lib once)", n)
	}
}

// TestPublicCacheWarmAndRefetch: public packuments are kept on disk in
// DATA-DIR/public-cache/npmjs (owner-only); a fresh packument is served
// without asking the registry; a version published upstream after
// the packument was fetched installs at once (the miss refetches).
func TestPublicCacheWarmAndRefetch(t *testing.T) {
	e, f := newPublicEnv(t)
	f.add(t, "warm-lib", "1.0.0", pkgTgz(t, "warm-lib", "1.0.0"), false)
	if resp, b := e.do(t, "GET", "warm-lib", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("packument: %d %s", resp.StatusCode, b)
	}
	dir := filepath.Join(e.fx.Dir, "public-cache", "npmjs")
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("public cache directory %s: %v %v, want mode 0700", dir, fi, err)
	}

	f.add(t, "warm-lib", "2.0.0", pkgTgz(t, "warm-lib", "2.0.0"), false)
	// The cached packument is fresh: the new version is not listed yet,
	// and the registry is not asked.
	hits := f.docHits.Load()
	if resp, b := e.do(t, "GET", "warm-lib", nil); resp.StatusCode != http.StatusOK || strings.Contains(string(b), `"2.0.0"`) {
		t.Errorf("warm packument: %d %s", resp.StatusCode, b)
	}
	if n := f.docHits.Load(); n != hits {
		t.Errorf("a warm read asked the registry %d times", n-hits)
	}
	// Refetch is allowed once MinRefetch has passed since the last fetch.
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	if resp, b := e.do(t, "GET", "warm-lib/-/warm-lib-2.0.0.tgz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("version published after the fetch: %d %s", resp.StatusCode, b)
	}

	if resp, b := e.do(t, "GET", "warm-lib", nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"2.0.0"`) {
		t.Errorf("packument after the refetch: %d %s", resp.StatusCode, b)
	}
}
