package nuget

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// publicEnv is a test endpoint whose repository "up" holds
// public:nuget-org, reached at a stand-in feed, and whose "repo" has
// "up" as its upstream.
func publicEnv(t *testing.T, fixtures ...string) (*testEndpoint, *upstreamtest.NuGet) {
	t.Helper()
	feed := upstreamtest.NewNuGet()
	if err := feed.AddFixtures(fixtures...); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(feed)
	t.Cleanup(srv.Close)
	e := newTestEndpointWith(t, Options{NuGetOrgURL: srv.URL + "/v3/index.json"})
	ctx := context.Background()
	_, err := e.svc.AssociateExternalConnection(ctx, admin, service.ExternalConnectionInput{
		RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "up"}, ExternalConnection: nugetConnection})
	must(t, err)
	_, err = e.svc.UpdateRepository(ctx, admin, service.UpdateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"},
		Upstreams: &[]service.UpstreamRepositoryInfo{{RepositoryName: "up"}}})
	must(t, err)
	return e, feed
}

// versionsIn lists a package's versions in a repository with their
// origin, nil when the repository does not have the package.
func (e *testEndpoint) versionsIn(t *testing.T, repo, id string) map[string]string {
	t.Helper()
	out, err := e.svc.ListPackageVersions(context.Background(), admin, service.ListPackageVersionsInput{
		PackageRef: service.PackageRef{Domain: "dom", Repository: repo, Format: model.FormatNuGet, Package: id}})
	if err != nil {
		if model.AsError(err).Kind == model.KindNotFound {
			return nil
		}
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, v := range out.Versions {
		o := ""
		if v.Origin != nil {
			o = v.Origin.OriginType
			if v.Origin.DomainEntryPoint != nil && v.Origin.DomainEntryPoint.ExternalConnectionName != "" {
				o += " " + v.Origin.DomainEntryPoint.ExternalConnectionName
			}
		}
		m[v.Version] = o
	}
	return m
}

// TestPublicFeed: the feed's versions show in the flat index and the
// registration of a repository reaching public:nuget-org before they are
// fetched; a download fetches, verifies and ingests the nupkg (origin
// EXTERNAL in the repository owning the connection, retained in the one
// asked); a version published upstream after the registration was cached
// downloads at once; with the feed down, what was fetched is still
// served and only a true miss is a 502; a corrupted nupkg is a 502 and
// nothing is kept.
func TestPublicFeed(t *testing.T) {
	e, feed := publicEnv(t, "Wharf.Pub.Lib.1.0.0.nupkg", "Wharf.Pub.App.1.0.0.nupkg")
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.app/index.json", nil); w.Code != 200 || w.Body.String() != versionsJSON("1.0.0") {
		t.Fatalf("flat index: %d %s", w.Code, w.Body)
	}
	var reg regIndexDoc
	if code := e.getJSON(t, pathRegSemVer2+"wharf.pub.app/index.json", &reg); code != 200 || len(reg.Items) != 1 || len(reg.Items[0].Items) != 1 {
		t.Fatalf("registration: %d %+v", code, reg)
	}
	leaf := reg.Items[0].Items[0]
	if ce := leaf.CatalogEntry; ce.ID != "Wharf.Pub.App" || len(ce.DependencyGroups) != 1 || len(ce.DependencyGroups[0].Dependencies) != 1 ||
		ce.DependencyGroups[0].Dependencies[0].Range != "[1.0.0, )" || !strings.HasPrefix(leaf.PackageContent, e.base) {
		t.Fatalf("registration leaf: %+v", leaf)
	}
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.app/1.0.0/wharf.pub.app.nuspec", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "<id>Wharf.Pub.App</id>") {
		t.Fatalf("nuspec of a public version: %d %s", w.Code, w.Body)
	}
	if e.versionsIn(t, "up", "wharf.pub.app") != nil {
		t.Fatal("reading metadata ingested the package")
	}

	want, _ := upstreamtest.NuGetFixture("Wharf.Pub.App.1.0.0.nupkg")
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.app/1.0.0/wharf.pub.app.1.0.0.nupkg", nil); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("download: %d", w.Code)
	}
	if got := e.versionsIn(t, "up", "wharf.pub.app"); got["1.0.0"] != "EXTERNAL public:nuget-org" {
		t.Errorf("in the repository owning the connection: %v", got)
	}
	if got := e.versionsIn(t, "repo", "wharf.pub.app"); got["1.0.0"] != "EXTERNAL public:nuget-org" {
		t.Errorf("retained in the repository asked: %v", got)
	}

	// Published upstream after the registration was cached.
	must(t, feed.AddFixtures("Wharf.Pub.Lib.1.1.0.nupkg"))
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.lib/1.1.0/wharf.pub.lib.1.1.0.nupkg", nil); w.Code != 200 {
		t.Fatalf("download of a version published after the fetch: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.lib/index.json", nil); w.Body.String() != versionsJSON("1.0.0", "1.1.0") {
		t.Errorf("flat index after the refetch: %s", w.Body)
	}

	// The feed down: fetched versions still served, a true miss is a 502.
	must(t, feed.AddFixtures("Wharf.Pub.Lib.1.2.0.nupkg"))
	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		feed.SetOutage(o)
		for _, path := range []string{"wharf.pub.app/1.0.0/wharf.pub.app.1.0.0.nupkg", "wharf.pub.lib/index.json"} {
			if w := e.do(http.MethodGet, pathFlat+path, nil); w.Code != 200 {
				t.Errorf("outage %d: %s: %d %s", o, path, w.Code, w.Body)
			}
		}
		// A version the cached registration lacks, a package never
		// fetched: 502s. The versions fetched are still listed.
		time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond) // Refetch's own rate limit
		for _, path := range []string{"wharf.pub.lib/1.2.0/wharf.pub.lib.1.2.0.nupkg", "never.fetched/index.json", "never.fetched/1.0.0/never.fetched.1.0.0.nupkg"} {
			if w := e.do(http.MethodGet, pathFlat+path, nil); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), nugetConnection) {
				t.Errorf("outage %d: %s: %d %s", o, path, w.Code, w.Body)
			}
		}
	}
	feed.SetOutage(upstreamtest.Up)
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond) // Refetch's own rate limit

	// Corrupted upstream: 502, nothing kept.
	feed.Corrupt("Wharf.Pub.Lib", "1.2.0")
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.lib/1.2.0/wharf.pub.lib.1.2.0.nupkg", nil); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "packageHash") {
		t.Errorf("corrupted nupkg: %d %s", w.Code, w.Body)
	}
	for _, repo := range []string{"up", "repo"} {
		if got := e.versionsIn(t, repo, "wharf.pub.lib"); got["1.2.0"] != "" {
			t.Errorf("a corrupted nupkg was kept in %s: %v", repo, got)
		}
	}
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.nothing/index.json", nil); w.Code != 404 {
		t.Errorf("a package neither the chain nor the feed has: %d %s", w.Code, w.Body)
	}
}

// TestPublicFeedPagesAndPush: a registration whose pages the feed does
// not inline is read page by page; a push of a version the feed has is
// refused (409), one it lacks is taken.
func TestPublicFeedPagesAndPush(t *testing.T) {
	e, feed := publicEnv(t, "Wharf.Pub.Lib.1.0.0.nupkg", "Wharf.Pub.Lib.1.1.0.nupkg")
	feed.Inline = 1
	var reg regIndexDoc
	if code := e.getJSON(t, pathRegSemVer2+"wharf.pub.lib/index.json", &reg); code != 200 {
		t.Fatalf("registration: %d", code)
	}
	if got := reg.leaves(); len(got) != 2 || !got["1.0.0"] || !got["1.1.0"] {
		t.Errorf("versions from a paged registration: %v", got)
	}
	if feed.Requests("/v3/registration5-gz-semver2/wharf.pub.lib/page/1.0.0/1.1.0.json") != 1 {
		t.Errorf("the page was not fetched: %v", feed.Paths())
	}
	// A version the feed unlisted stays in the flat index, listed:false
	// in the registration (after a refresh: the leaf names it).
	feed.Unlist("Wharf.Pub.Lib", "1.0.0")
	time.Sleep(publiccache.DefaultMinRefetch + 100*time.Millisecond)
	var leaf struct {
		Listed bool `json:"listed"`
	}
	if code := e.getJSON(t, pathRegSemVer2+"wharf.pub.lib/9.9.9.json", &leaf); code != http.StatusNotFound {
		t.Errorf("leaf of a version nobody has: %d", code)
	}
	reg = regIndexDoc{}
	if code := e.getJSON(t, pathRegSemVer2+"wharf.pub.lib/index.json", &reg); code != 200 {
		t.Fatalf("registration: %d", code)
	}
	if got := reg.leaves(); len(got) != 2 || got["1.0.0"] || !got["1.1.0"] {
		t.Errorf("versions after unlisting 1.0.0 upstream: %v", got)
	}
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.lib/index.json", nil); w.Body.String() != versionsJSON("1.0.0", "1.1.0") {
		t.Errorf("flat index with an unlisted version: %s", w.Body)
	}
	up := e.in("up")
	if w := up.push(t, makeNupkg(t, spec{id: "Wharf.Pub.Lib", version: "1.1.0"})); w.Code != http.StatusConflict {
		t.Errorf("push of a version the feed has: %d %s", w.Code, w.Body)
	}
	up.mustPush(t, spec{id: "Wharf.Pub.Lib", version: "9.0.0"})
	// A package first published sets upstream=BLOCK, as in CodeArtifact:
	// the feed's versions no longer enter.
	if w := e.do(http.MethodGet, pathFlat+"wharf.pub.lib/index.json", nil); w.Body.String() != versionsJSON("9.0.0") {
		t.Errorf("flat index of a package published here: %s", w.Body)
	}
}

func TestParseServiceIndex(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      *feedServices
	}{
		{"nuget.org", `{"resources":[
			{"@id":"https://api.nuget.org/v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"},
			{"@id":"https://api.nuget.org/v3/registration5-semver1/","@type":"RegistrationsBaseUrl"},
			{"@id":"https://api.nuget.org/v3/registration5-gz-semver2/","@type":"RegistrationsBaseUrl/3.6.0"},
			{"@id":"https://api.nuget.org/v3/catalog0/index.json","@type":"Catalog/3.0.0"}]}`,
			&feedServices{Flat: "https://api.nuget.org/v3-flatcontainer/", Registration: "https://api.nuget.org/v3/registration5-gz-semver2/", Catalog: "https://api.nuget.org/v3/catalog0/"}},
		{"semver1 hive only, no slash", `{"resources":[
			{"@id":"http://feed/flat","@type":"PackageBaseAddress/3.0.0"},
			{"@id":"http://feed/reg","@type":"RegistrationsBaseUrl"}]}`,
			&feedServices{Flat: "http://feed/flat/", Registration: "http://feed/reg/"}},
		{"no flat container", `{"resources":[{"@id":"http://feed/reg/","@type":"RegistrationsBaseUrl"}]}`, nil},
		{"not http", `{"resources":[{"@id":"file:///etc/","@type":"PackageBaseAddress/3.0.0"},{"@id":"http://feed/reg/","@type":"RegistrationsBaseUrl"}]}`, nil},
		{"not json", `<html>`, nil},
	} {
		got, err := parseServiceIndex("http://feed/v3/index.json", []byte(tc.doc))
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: accepted %+v", tc.name, got)
			}
			continue
		}
		if err != nil || *got != *tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestCheckHash(t *testing.T) {
	body := []byte("nupkg bytes")
	s512 := sha512.Sum512(body)
	s256 := sha256.Sum256(body)
	f := &publiccache.File{SHA512: hex.EncodeToString(s512[:]), SHA256: hex.EncodeToString(s256[:])}
	b64 := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		algo, hash string
		ok         bool
	}{
		{"SHA512", b64(s512[:]), true},
		{"", b64(s512[:]), true},
		{"sha256", b64(s256[:]), true},
		{"SHA512", b64(s256[:]), false},
		{"SHA512", "not base64!", false},
		{"MD5", b64(s512[:]), false},
	} {
		if err := checkHash(tc.algo, tc.hash, f); (err == nil) != tc.ok {
			t.Errorf("checkHash(%s, %s) = %v", tc.algo, tc.hash, err)
		}
	}
}

func TestPublicVersionOf(t *testing.T) {
	f := false
	for _, tc := range []struct {
		name   string
		ce     *feedCatalogEntry
		listed bool
		ver    string
		bad    bool
	}{
		{"listed", &feedCatalogEntry{PackageID: "A", Version: "1.00", Published: "2024-01-02T03:04:05Z"}, true, "1.0.0", false},
		{"listed false", &feedCatalogEntry{PackageID: "A", Version: "1.0.0", Listed: &f, Published: "2024-01-02T03:04:05Z"}, false, "1.0.0", false},
		{"unlisted by its 1900 date", &feedCatalogEntry{PackageID: "A", Version: "2.0.0-Beta.1+git", Published: "1900-01-01T00:00:00+00:00"}, false, "2.0.0-Beta.1", false},
		{"no id", &feedCatalogEntry{Version: "1.0.0"}, false, "", true},
		{"bad version", &feedCatalogEntry{PackageID: "A", Version: "one"}, false, "", true},
		{"no entry", nil, false, "", true},
	} {
		pv, err := publicVersionOf(tc.ce)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted %+v", tc.name, pv)
			}
			continue
		}
		if err != nil || pv.Listed != tc.listed || pv.Doc.Version != tc.ver {
			t.Errorf("%s: %+v %v", tc.name, pv, err)
		}
	}
}

func TestMergePublic(t *testing.T) {
	mk := func(public bool, vs ...string) []*entry {
		var out []*entry
		for _, v := range vs {
			p, _ := model.ParseNuGetVersion(v)
			out = append(out, &entry{v: &model.Version{Version: v}, doc: &versionDoc{Version: v}, parsed: p, public: public})
		}
		return out
	}
	for _, tc := range []struct {
		local, pub []string
		want       string // versions, "*" marking the feed's
	}{
		{nil, []string{"1.0.0", "2.0.0"}, "1.0.0* 2.0.0*"},
		{[]string{"1.5.0"}, []string{"1.0.0", "2.0.0"}, "1.0.0* 1.5.0 2.0.0*"},
		{[]string{"1.0.0", "3.0.0"}, []string{"1.0.0", "2.0.0"}, "1.0.0 2.0.0* 3.0.0"},
		{[]string{"1.0.0"}, nil, "1.0.0"},
	} {
		var local *pkgEntries
		if tc.local != nil {
			local = &pkgEntries{es: mk(false, tc.local...)}
		}
		got := mergePublic(local, &publicPackage{es: mk(true, tc.pub...)})
		var s []string
		for _, e := range got.es {
			m := e.doc.Version
			if e.public {
				m += "*"
			}
			s = append(s, m)
		}
		if strings.Join(s, " ") != tc.want {
			t.Errorf("merge %v %v = %v, want %s", tc.local, tc.pub, s, tc.want)
		}
		if !slices.IsSortedFunc(got.es, func(a, b *entry) int { return a.parsed.Compare(b.parsed) }) {
			t.Errorf("merge %v %v is not sorted", tc.local, tc.pub)
		}
	}
}
