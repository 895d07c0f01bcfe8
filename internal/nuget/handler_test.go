package nuget

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// TestChallenge: NuGet sends credentials only after a 401 with a Basic
// challenge, so every unauthenticated request, the service index and the
// push included, gets one.
func TestChallenge(t *testing.T) {
	e := newTestEndpoint(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, pathIndex}, {http.MethodPut, pathPublish + "/"}, {http.MethodGet, pathFlat + "a/index.json"},
		{http.MethodDelete, pathPublish + "/A/1.0.0"},
	} {
		req := httptest.NewRequest(tt.method, e.base+tt.path, nil)
		w := httptest.NewRecorder()
		e.mux.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s %s unauthenticated: %d %q", tt.method, tt.path, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	req := httptest.NewRequest(http.MethodGet, e.base+pathIndex, nil)
	req.SetBasicAuth("aws", "not-a-token")
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("bad token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestServiceIndex(t *testing.T) {
	e := newTestEndpoint(t)
	var idx struct {
		Version   string
		Resources []struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}
	}
	if code := e.getJSON(t, pathIndex, &idx); code != http.StatusOK || idx.Version != "3.0.0" {
		t.Fatalf("service index: %d %+v", code, idx)
	}
	types := map[string]string{}
	for _, r := range idx.Resources {
		types[r.Type] = r.ID
	}
	want := map[string]string{
		"PackageBaseAddress/3.0.0":        pathFlat,
		"RegistrationsBaseUrl":            pathRegistration,
		"RegistrationsBaseUrl/3.0.0-beta": pathRegistration,
		"RegistrationsBaseUrl/3.0.0-rc":   pathRegistration,
		"RegistrationsBaseUrl/3.4.0":      pathRegistration,
		"RegistrationsBaseUrl/3.6.0":      pathRegSemVer2,
		"PackagePublish/2.0.0":            pathPublish,
		"SearchQueryService":              pathSearch,
		"SearchQueryService/3.0.0-beta":   pathSearch,
		"SearchQueryService/3.0.0-rc":     pathSearch,
		"SearchQueryService/3.5.0":        pathSearch,
		"RegistrationsBaseUrl/Versioned":  pathRegSemVer2,
	}
	for typ, path := range want {
		if types[typ] != e.base+path {
			t.Errorf("@type %s at %q, want %q", typ, types[typ], e.base+path)
		}
	}
}

// regIndexDoc is the part of a registration index the tests read.
type regIndexDoc struct {
	Count int `json:"count"`
	Items []struct {
		ID    string `json:"@id"`
		Count int    `json:"count"`
		Lower string `json:"lower"`
		Upper string `json:"upper"`
		Items []struct {
			ID             string `json:"@id"`
			PackageContent string `json:"packageContent"`
			CatalogEntry   struct {
				ID               string   `json:"id"`
				Version          string   `json:"version"`
				Listed           bool     `json:"listed"`
				Published        string   `json:"published"`
				Description      string   `json:"description"`
				Authors          string   `json:"authors"`
				Tags             []string `json:"tags"`
				LicenseURL       string   `json:"licenseUrl"`
				DependencyGroups []struct {
					TargetFramework string `json:"targetFramework"`
					Dependencies    []struct {
						ID           string `json:"id"`
						Range        string `json:"range"`
						Registration string `json:"registration"`
					} `json:"dependencies"`
				} `json:"dependencyGroups"`
			} `json:"catalogEntry"`
		} `json:"items"`
	} `json:"items"`
}

func (d regIndexDoc) leaves() map[string]bool {
	out := map[string]bool{}
	for _, p := range d.Items {
		for _, l := range p.Items {
			out[l.CatalogEntry.Version] = l.CatalogEntry.Listed
		}
	}
	return out
}

// TestPushAndRead pushes packages as nuget.exe does and reads them back
// through every document a client uses and through the control plane.
func TestPushAndRead(t *testing.T) {
	e := newTestEndpoint(t)
	lib := spec{id: "Demo.Lib", version: "1.00.0+build.7", extra: `<tags>demo lib</tags><license type="expression">MIT</license>
		<projectUrl>https://example.com/demo</projectUrl><repository type="git" url="https://example.com/demo.git"/>
		<readme>README.md</readme>`}
	libPkg := makeNupkg(t, lib, file{name: "README.md", body: "# Demo.Lib\nHello."})
	if w := e.push(t, libPkg); w.Code != http.StatusCreated {
		t.Fatalf("push: %d %s", w.Code, w.Body)
	}
	e.mustPush(t, spec{id: "Demo.App", version: "2.0.0", deps: `
		<group targetFramework=".NETStandard2.0"><dependency id="Demo.Lib" version="1.0"/></group>
		<group targetFramework="net45"><dependency id="Demo.Lib" version="[1.0,2.0)"/><dependency id="Other" version="3.0"/></group>`})

	// Flat container: lowercase normalized versions, the nupkg's bytes,
	// the manifest as pushed; any case of the id finds the package.
	if w := e.do(http.MethodGet, pathFlat+"Demo.LIB/index.json", nil); w.Code != http.StatusOK || w.Body.String() != versionsJSON("1.0.0") {
		t.Fatalf("flat index: %d %s", w.Code, w.Body)
	}
	w := e.do(http.MethodGet, pathFlat+"demo.lib/1.0.0/demo.lib.1.0.0.nupkg", nil)
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), libPkg) {
		t.Fatalf("download: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := e.do(http.MethodGet, pathFlat+"demo.lib/1.0.0/demo.lib.nuspec", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<version>1.00.0+build.7</version>") {
		t.Fatalf("nuspec: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodHead, pathFlat+"demo.lib/1.0.0/demo.lib.1.0.0.nupkg", nil); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("HEAD download: %d", w.Code)
	}
	for _, p := range []string{"demo.lib/2.0.0/demo.lib.2.0.0.nupkg", "demo.lib/1.0.0/other.1.0.0.nupkg", "nope/index.json", "demo.lib/1.0.0/demo.lib.2.0.0.nupkg"} {
		if w := e.do(http.MethodGet, pathFlat+p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}

	// Registration: original-case id, dependencies per framework with
	// normalized ranges pointing at the same hive.
	var reg regIndexDoc
	if code := e.getJSON(t, pathRegSemVer2+"demo.app/index.json", &reg); code != http.StatusOK || len(reg.Items) != 1 || len(reg.Items[0].Items) != 1 {
		t.Fatalf("registration: %d %+v", code, reg)
	}
	ce := reg.Items[0].Items[0].CatalogEntry
	if ce.ID != "Demo.App" || ce.Version != "2.0.0" || !ce.Listed || ce.Authors != "Wharf Tests" || len(ce.DependencyGroups) != 2 {
		t.Fatalf("catalog entry: %+v", ce)
	}
	g := ce.DependencyGroups[1]
	if g.TargetFramework != "net45" || len(g.Dependencies) != 2 || g.Dependencies[0].Range != "[1.0.0, 2.0.0)" ||
		g.Dependencies[0].Registration != e.base+pathRegSemVer2+"demo.lib/index.json" || ce.DependencyGroups[0].Dependencies[0].Range != "[1.0.0, )" {
		t.Fatalf("dependency groups: %+v", ce.DependencyGroups)
	}
	if pc := reg.Items[0].Items[0].PackageContent; pc != e.base+pathFlat+"demo.app/2.0.0/demo.app.2.0.0.nupkg" {
		t.Errorf("packageContent = %s", pc)
	}
	// Build metadata makes 1.00.0+build.7 a SemVer 2.0.0 version: only
	// the /3.6.0 hive shows it.
	if w := e.do(http.MethodGet, pathRegistration+"demo.lib/index.json", nil); w.Code != http.StatusNotFound {
		t.Errorf("SemVer 1 hive of a SemVer 2 version: %d", w.Code)
	}
	reg = regIndexDoc{}
	e.getJSON(t, pathRegSemVer2+"demo.lib/index.json", &reg)
	if ce := reg.Items[0].Items[0].CatalogEntry; ce.ID != "Demo.Lib" || ce.LicenseURL != licenseExpressionURL+"MIT" || !slices.Equal(ce.Tags, []string{"demo", "lib"}) {
		t.Fatalf("Demo.Lib catalog entry: %+v", ce)
	}
	var leaf struct {
		Listed       bool   `json:"listed"`
		Registration string `json:"registration"`
	}
	if code := e.getJSON(t, pathRegSemVer2+"demo.lib/1.0.0.json", &leaf); code != http.StatusOK || !leaf.Listed || leaf.Registration != e.base+pathRegSemVer2+"demo.lib/index.json" {
		t.Fatalf("leaf: %d %+v", code, leaf)
	}

	// The control plane sees the version with NuGet's metadata.
	ctx := context.Background()
	vref := service.VersionRef{PackageRef: service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatNuGet, Package: "Demo.Lib"}, PackageVersion: "1.0"}
	d, err := e.svc.DescribePackageVersion(ctx, admin, vref)
	must(t, err)
	pv := d.PackageVersion
	if pv.PackageName != "demo.lib" || pv.DisplayName != "Demo.Lib" || pv.Version != "1.0.0" || pv.HomePage != "https://example.com/demo" ||
		pv.SourceCodeRepository != "https://example.com/demo.git" || len(pv.Licenses) != 1 || pv.Licenses[0].Name != "MIT" || pv.Summary != "Test package Demo.Lib" {
		t.Errorf("DescribePackageVersion = %+v", pv)
	}
	rd, err := e.svc.GetPackageVersionReadme(ctx, admin, vref)
	must(t, err)
	if rd.Readme != "# Demo.Lib\nHello." {
		t.Errorf("readme = %q", rd.Readme)
	}
	assets, err := e.svc.ListPackageVersionAssets(ctx, admin, service.ListPackageVersionAssetsInput{VersionRef: vref})
	must(t, err)
	if len(assets.Assets) != 1 || assets.Assets[0].Name != "demo.lib.1.0.0.nupkg" {
		t.Errorf("assets = %+v", assets.Assets)
	}
	vref.Package, vref.PackageVersion = "demo.app", "2.0.0"
	deps, err := e.svc.ListPackageVersionDependencies(ctx, admin, service.ListPackageVersionDependenciesInput{VersionRef: vref})
	must(t, err)
	want := []model.Dependency{{Package: "demo.lib", VersionRequirement: "1.0"}, {Package: "demo.lib", VersionRequirement: "[1.0,2.0)"}, {Package: "other", VersionRequirement: "3.0"}}
	if !slices.Equal(deps.Dependencies, want) {
		t.Errorf("dependencies = %+v, want %+v", deps.Dependencies, want)
	}
}

// TestPushExisting: an existing version is 409 whatever the bytes, and
// nothing about it changes.
func TestPushExisting(t *testing.T) {
	e := newTestEndpoint(t)
	s := spec{id: "Demo.Lib", version: "1.0.0"}
	first := makeNupkg(t, s)
	if w := e.push(t, first); w.Code != http.StatusCreated {
		t.Fatalf("push: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	vref := service.VersionRef{PackageRef: service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatNuGet, Package: "demo.lib"}, PackageVersion: "1.0.0"}
	before, err := e.svc.DescribePackageVersion(ctx, admin, vref)
	must(t, err)
	other := makeNupkg(t, spec{id: "demo.lib", version: "1.0.0.0", extra: "<title>changed</title>"})
	for name, body := range map[string][]byte{"same bytes": first, "other bytes, same normalized version": other} {
		if w := e.push(t, body); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "-SkipDuplicate") {
			t.Errorf("%s: %d %s, want 409", name, w.Code, w.Body)
		}
	}
	after, err := e.svc.DescribePackageVersion(ctx, admin, vref)
	must(t, err)
	if after.PackageVersion.Revision != before.PackageVersion.Revision {
		t.Error("a refused re-push changed the version's revision")
	}
	// Archived versions block the push too; a deleted one can come back.
	e.setStatus(t, "repo", "demo.lib", model.StatusArchived, "1.0.0")
	if w := e.push(t, first); w.Code != http.StatusConflict {
		t.Errorf("push over archived: %d %s", w.Code, w.Body)
	}
	_, err = e.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: vref.PackageRef, Versions: []string{"1.0.0"}})
	must(t, err)
	if w := e.push(t, other); w.Code != http.StatusCreated {
		t.Errorf("push after delete: %d %s", w.Code, w.Body)
	}
}

// TestBadPushes: every bad upload is a 400 (413 when too large) with a
// message, and stores nothing.
func TestBadPushes(t *testing.T) {
	e := newTestEndpointWith(t, Options{MaxPushBytes: 1 << 20})
	multipartOf := func(field, filename string, body []byte) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		var w io.Writer
		if filename == "" {
			w, _ = mw.CreateFormField(field)
		} else {
			w, _ = mw.CreateFormFile(field, filename)
		}
		w.Write(body)
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	good := spec{id: "Demo.Lib", version: "1.0.0"}
	tests := []struct {
		name   string
		nupkg  []byte // pushed as nuget.exe does, when set
		ctype  string
		body   []byte
		status int
		msg    string
	}{
		{name: "not a zip", nupkg: []byte("hello, not a package"), status: 400, msg: "not a valid nupkg"},
		{name: "no manifest", nupkg: makeZip(t, file{name: "lib/x.dll", body: "x"}), status: 400, msg: "no .nuspec"},
		{name: "manifest of another id", nupkg: makeZip(t, file{name: "Other.nuspec", body: good.xml()}), status: 400, msg: "declares package id"},
		{name: "malformed manifest", nupkg: makeZip(t, file{name: "Demo.Lib.nuspec", body: "<package><metadata><id>Demo.Lib</id>"}), status: 400, msg: "not well-formed"},
		{name: "invalid version", nupkg: makeNupkg(t, spec{id: "Demo.Lib", version: "one"}), status: 400, msg: "invalid <version>"},
		{name: "invalid id", nupkg: makeZip(t, file{name: "Demo Lib.nuspec", body: spec{id: "Demo Lib", version: "1.0"}.xml()}), status: 400, msg: "invalid <id>"},
		{name: "zip bomb", nupkg: bomb(t, good, 256<<20, 256<<20), status: 400, msg: "expands more than"},
		{name: "zip bomb lying about its size", nupkg: bomb(t, good, 256<<20, 1<<10), status: 400, msg: "expands past its declared"},
		{name: "too large", nupkg: makeNupkg(t, good, file{name: "lib/big", body: strings.Repeat("x", 1<<20), store: true}), status: 413, msg: "larger than"},
		{name: "not multipart", ctype: "application/octet-stream", body: makeNupkg(t, good), status: 400, msg: "multipart/form-data"},
		{name: "no file part", body: []byte("x"), status: 400, msg: "no file part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			switch {
			case tt.nupkg != nil:
				w = e.push(t, tt.nupkg)
			case tt.ctype != "":
				w = e.do(http.MethodPut, pathPublish, bytes.NewReader(tt.body), "Content-Type", tt.ctype)
			default:
				ct, body := multipartOf("comment", "", tt.body)
				w = e.do(http.MethodPut, pathPublish, bytes.NewReader(body), "Content-Type", ct)
			}
			var body struct{ Message string }
			json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != tt.status || !strings.Contains(body.Message, tt.msg) {
				t.Fatalf("push: %d %s; want %d with %q", w.Code, w.Body, tt.status, tt.msg)
			}
			if n := e.blobCount(t); n != 0 {
				t.Fatalf("a refused push left %d blobs", n)
			}
			keys, err := e.svc.ListPackageKeys(context.Background(), admin, service.RepoRef{Domain: "dom", DomainOwner: account, Repository: "repo"}, model.FormatNuGet)
			if err != nil || len(keys) != 0 {
				t.Fatalf("a refused push left packages %v (%v)", keys, err)
			}
		})
	}
	if w := e.do(http.MethodPost, pathPublish, nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST to the publish resource: %d", w.Code)
	}
}

// TestStatuses follows Decision 8: Unlisted stays in the flat container
// and downloads, listed:false in registration, absent from search;
// Archived is absent everywhere. DELETE unlists and POST relists.
func TestStatuses(t *testing.T) {
	e := newTestEndpoint(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.mustPush(t, spec{id: "Demo.Lib", version: v})
	}
	if w := e.do(http.MethodDelete, pathPublish+"/Demo.Lib/1.1.0", nil); w.Code != http.StatusNoContent {
		t.Fatalf("nuget delete: %d %s", w.Code, w.Body)
	}
	// Unlisting again is done already.
	if w := e.do(http.MethodDelete, pathPublish+"/Demo.Lib/1.1.0", nil); w.Code != http.StatusNoContent {
		t.Fatalf("second delete: %d %s", w.Code, w.Body)
	}
	e.setStatus(t, "repo", "demo.lib", model.StatusArchived, "1.2.0")

	if w := e.do(http.MethodGet, pathFlat+"demo.lib/index.json", nil); w.Body.String() != versionsJSON("1.0.0", "1.1.0") {
		t.Errorf("flat index: %s", w.Body)
	}
	var reg regIndexDoc
	e.getJSON(t, pathRegSemVer2+"demo.lib/index.json", &reg)
	if got := reg.leaves(); len(got) != 2 || !got["1.0.0"] || got["1.1.0"] {
		t.Errorf("registration listed = %v", got)
	}
	for _, l := range reg.Items[0].Items {
		if l.CatalogEntry.Version == "1.1.0" && !strings.HasPrefix(l.CatalogEntry.Published, "1900-01-01") {
			t.Errorf("unlisted published = %s", l.CatalogEntry.Published)
		}
	}
	var res struct {
		TotalHits int
		Data      []struct {
			Version  string
			Versions []struct{ Version string }
		}
	}
	e.getJSON(t, pathSearch+"?q=demo", &res)
	if res.TotalHits != 1 || res.Data[0].Version != "1.0.0" || len(res.Data[0].Versions) != 1 {
		t.Errorf("search = %+v", res)
	}
	for path, want := range map[string]int{
		pathFlat + "demo.lib/1.1.0/demo.lib.1.1.0.nupkg": 200, pathFlat + "demo.lib/1.1.0/demo.lib.nuspec": 200,
		pathFlat + "demo.lib/1.2.0/demo.lib.1.2.0.nupkg": 404, pathFlat + "demo.lib/1.2.0/demo.lib.nuspec": 404,
		pathRegSemVer2 + "demo.lib/1.2.0.json": 404, pathRegSemVer2 + "demo.lib/1.1.0.json": 200,
	} {
		if w := e.do(http.MethodGet, path, nil); w.Code != want {
			t.Errorf("GET %s: %d, want %d", path, w.Code, want)
		}
	}
	// nuget delete does not bring an archived version back.
	if w := e.do(http.MethodDelete, pathPublish+"/Demo.Lib/1.2.0", nil); w.Code != http.StatusNotFound {
		t.Errorf("delete of an archived version: %d %s", w.Code, w.Body)
	}
	if w := e.do(http.MethodPost, pathPublish+"/Demo.Lib/1.1.0", nil); w.Code != http.StatusOK {
		t.Fatalf("relist: %d %s", w.Code, w.Body)
	}
	reg = regIndexDoc{}
	e.getJSON(t, pathRegSemVer2+"demo.lib/index.json", &reg)
	if got := reg.leaves(); !got["1.1.0"] {
		t.Errorf("after relist: %v", got)
	}
	// Every version gone: the package reads as not found.
	e.setStatus(t, "repo", "demo.lib", model.StatusArchived, "1.0.0", "1.1.0")
	for _, p := range []string{pathFlat + "demo.lib/index.json", pathRegSemVer2 + "demo.lib/index.json"} {
		if w := e.do(http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s with every version archived: %d", p, w.Code)
		}
	}
}

// TestSemVer2Hive: SemVer 2.0.0 versions show only in the /3.6.0 hive.
func TestSemVer2Hive(t *testing.T) {
	e := newTestEndpoint(t)
	e.mustPush(t, spec{id: "A", version: "1.0.0"})
	e.mustPush(t, spec{id: "A", version: "2.0.0-beta.1"})
	e.mustPush(t, spec{id: "B", version: "1.0.0+meta"})
	var reg regIndexDoc
	e.getJSON(t, pathRegSemVer2+"a/index.json", &reg)
	if got := reg.leaves(); len(got) != 2 {
		t.Errorf("semver2 hive: %v", got)
	}
	reg = regIndexDoc{}
	e.getJSON(t, pathRegistration+"a/index.json", &reg)
	if got := reg.leaves(); len(got) != 1 || !got["1.0.0"] {
		t.Errorf("semver1 hive: %v", got)
	}
	if w := e.do(http.MethodGet, pathRegistration+"b/index.json", nil); w.Code != http.StatusNotFound {
		t.Errorf("semver1 hive of a SemVer 2-only package: %d", w.Code)
	}
	if w := e.do(http.MethodGet, pathFlat+"a/index.json", nil); w.Body.String() != versionsJSON("1.0.0", "2.0.0-beta.1") {
		t.Errorf("flat index: %s", w.Body)
	}
}

// TestRegistrationPaging: beyond 128 versions the index links its pages,
// 64 versions each, and each page document serves its range.
func TestRegistrationPaging(t *testing.T) {
	e := newTestEndpoint(t)
	const n = 130
	for i := range n {
		e.mustPush(t, spec{id: "Many", version: fmt.Sprintf("1.0.%d", i)})
	}
	var reg regIndexDoc
	if code := e.getJSON(t, pathRegSemVer2+"many/index.json", &reg); code != 200 || reg.Count != 3 {
		t.Fatalf("index: %d count %d", code, reg.Count)
	}
	total := 0
	for i, p := range reg.Items {
		if len(p.Items) != 0 {
			t.Fatalf("page %d inlined in a %d-version index", i, n)
		}
		want := e.base + pathRegSemVer2 + "many/page/" + p.Lower + "/" + p.Upper + ".json"
		if p.ID != want {
			t.Fatalf("page @id %s, want %s", p.ID, want)
		}
		var page struct {
			Count int `json:"count"`
			Items []struct {
				CatalogEntry struct{ Version string } `json:"catalogEntry"`
			} `json:"items"`
		}
		if code := e.getJSON(t, strings.TrimPrefix(p.ID, e.base), &page); code != 200 || page.Count != p.Count || len(page.Items) != p.Count {
			t.Fatalf("page %s: %d %d/%d", p.ID, code, len(page.Items), p.Count)
		}
		if page.Items[0].CatalogEntry.Version != p.Lower || page.Items[len(page.Items)-1].CatalogEntry.Version != p.Upper {
			t.Errorf("page %s holds %s..%s", p.ID, page.Items[0].CatalogEntry.Version, page.Items[len(page.Items)-1].CatalogEntry.Version)
		}
		total += p.Count
	}
	if total != n || reg.Items[0].Count != pageSize || reg.Items[0].Lower != "1.0.0" || reg.Items[2].Upper != "1.0.129" {
		t.Errorf("pages: %+v", reg.Items)
	}
	if w := e.do(http.MethodGet, pathRegSemVer2+"many/page/9.0.0/9.9.9.json", nil); w.Code != 404 {
		t.Errorf("empty page range: %d", w.Code)
	}
}

func TestSearch(t *testing.T) {
	e := newTestEndpoint(t)
	e.mustPush(t, spec{id: "Json.Tools", version: "1.0.0"})
	e.mustPush(t, spec{id: "Json.Tools", version: "2.0.0-beta"})
	e.mustPush(t, spec{id: "Json.Tools", version: "3.0.0-rc.1"})
	e.mustPush(t, spec{id: "Json", version: "1.0.0"})
	e.mustPush(t, spec{id: "Xml.Json", version: "1.0.0", extra: "<tags>parser</tags>"})
	e.mustPush(t, spec{id: "Pre.Only", version: "0.1.0-alpha"})
	e.mustPush(t, spec{id: "Json.Tool", version: "1.0.0", extra: `<packageTypes><packageType name="DotnetTool"/></packageTypes>`})
	type result struct {
		TotalHits int
		Data      []struct {
			ID       string
			Version  string
			Versions []struct{ Version string }
		}
	}
	run := func(q string) (result, []string) {
		var r result
		if code := e.getJSON(t, pathSearch+"?"+q, &r); code != 200 {
			t.Fatalf("search %s: %d", q, code)
		}
		var ids []string
		for _, d := range r.Data {
			ids = append(ids, d.ID+"@"+d.Version)
		}
		return r, ids
	}
	for _, tt := range []struct {
		q    string
		want []string
		hits int
	}{
		{"q=json", []string{"Json@1.0.0", "Json.Tool@1.0.0", "Json.Tools@1.0.0", "Xml.Json@1.0.0"}, 4},
		{"q=json&prerelease=true", []string{"Json@1.0.0", "Json.Tool@1.0.0", "Json.Tools@2.0.0-beta", "Xml.Json@1.0.0"}, 4},
		{"q=json&prerelease=true&semVerLevel=2.0.0", []string{"Json@1.0.0", "Json.Tool@1.0.0", "Json.Tools@3.0.0-rc.1", "Xml.Json@1.0.0"}, 4},
		{"q=", []string{"Json@1.0.0", "Json.Tool@1.0.0", "Json.Tools@1.0.0", "Xml.Json@1.0.0"}, 4},
		{"q=&prerelease=true&take=2", []string{"Json@1.0.0", "Json.Tool@1.0.0"}, 5},
		{"q=&prerelease=true&skip=4", []string{"Xml.Json@1.0.0"}, 5},
		{"q=json&packageType=dotnettool", []string{"Json.Tool@1.0.0"}, 1},
		{"q=json&packageType=Dependency", []string{"Json@1.0.0", "Json.Tools@1.0.0", "Xml.Json@1.0.0"}, 3},
		{"q=&packageType=Template", nil, 0},
		{"q=parser", []string{"Xml.Json@1.0.0"}, 1},
		{"q=packageid:json.tools", []string{"Json.Tools@1.0.0"}, 1},
		{"q=id:tools", []string{"Json.Tools@1.0.0"}, 1},
		{"q=id:tool", []string{"Json.Tool@1.0.0", "Json.Tools@1.0.0"}, 2},
		{"q=nothing-matches", nil, 0},
	} {
		r, ids := run(tt.q)
		if !slices.Equal(ids, tt.want) || r.TotalHits != tt.hits {
			t.Errorf("search %s = %v (%d hits), want %v (%d)", tt.q, ids, r.TotalHits, tt.want, tt.hits)
		}
	}
	r, _ := run("q=packageid:json.tools&prerelease=true&semVerLevel=2.0.0")
	if len(r.Data) != 1 || len(r.Data[0].Versions) != 3 {
		t.Errorf("versions of Json.Tools: %+v", r.Data)
	}
	for _, q := range []string{"take=-1", "skip=x", "semVerLevel=two"} {
		if w := e.do(http.MethodGet, pathSearch+"?"+q, nil); w.Code != http.StatusBadRequest {
			t.Errorf("search %s: %d, want 400", q, w.Code)
		}
	}
}

// TestDocumentCache: documents follow every change at once (the cache is
// checked against the package generation), revalidate with ETags, and
// come gzipped to clients that take it.
func TestDocumentCache(t *testing.T) {
	e := newTestEndpoint(t)
	e.mustPush(t, spec{id: "A", version: "1.0.0"})
	w := e.do(http.MethodGet, pathFlat+"a/index.json", nil)
	tag := w.Header().Get("ETag")
	if w.Code != 200 || tag == "" {
		t.Fatalf("flat index: %d %q", w.Code, tag)
	}
	if w := e.do(http.MethodGet, pathFlat+"a/index.json", nil, "If-None-Match", tag); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w.Code)
	}
	if w := e.do(http.MethodGet, pathFlat+"a/index.json", nil, "Accept-Encoding", "gzip"); w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("no gzip for a client that takes it")
	}
	e.mustPush(t, spec{id: "A", version: "1.1.0"})
	w = e.do(http.MethodGet, pathFlat+"a/index.json", nil, "If-None-Match", tag)
	if w.Code != 200 || w.Body.String() != versionsJSON("1.0.0", "1.1.0") {
		t.Errorf("after a push: %d %s", w.Code, w.Body)
	}
	// A status change made elsewhere (the control plane) shows at once.
	e.setStatus(t, "repo", "a", model.StatusArchived, "1.1.0")
	if w := e.do(http.MethodGet, pathFlat+"a/index.json", nil); w.Body.String() != versionsJSON("1.0.0") {
		t.Errorf("after archiving: %s", w.Body)
	}
}

// TestUpstream: a repository with an upstream shows the upstream's
// versions and retains a version when it is downloaded.
func TestUpstream(t *testing.T) {
	e := newTestEndpoint(t)
	up := e.in("up")
	up.mustPush(t, spec{id: "Up.Lib", version: "1.0.0"})
	ctx := context.Background()
	_, err := e.svc.UpdateRepository(ctx, admin, service.UpdateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"},
		Upstreams: &[]service.UpstreamRepositoryInfo{{RepositoryName: "up"}}})
	must(t, err)
	if w := e.do(http.MethodGet, pathFlat+"up.lib/index.json", nil); w.Code != 200 || w.Body.String() != versionsJSON("1.0.0") {
		t.Fatalf("flat index through the upstream: %d %s", w.Code, w.Body)
	}
	var reg regIndexDoc
	if code := e.getJSON(t, pathRegSemVer2+"up.lib/index.json", &reg); code != 200 || len(reg.leaves()) != 1 {
		t.Fatalf("registration through the upstream: %d %+v", code, reg)
	}
	ref := service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatNuGet, Package: "up.lib"}
	if _, err := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: ref}); err == nil {
		t.Fatal("the version is in the downstream repository before any download")
	}
	if w := e.do(http.MethodGet, pathFlat+"up.lib/1.0.0/up.lib.1.0.0.nupkg", nil); w.Code != 200 {
		t.Fatalf("download through the upstream: %d %s", w.Code, w.Body)
	}
	out, err := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: ref})
	must(t, err)
	if len(out.Versions) != 1 || out.Versions[0].Version != "1.0.0" {
		t.Errorf("retained versions = %+v", out.Versions)
	}
	if w := e.do(http.MethodGet, pathFlat+"nothing/index.json", nil); w.Code != 404 {
		t.Errorf("unknown package through upstreams: %d", w.Code)
	}
}
