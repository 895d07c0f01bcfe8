package ruby

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

func TestParseInfoLine(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		line     string
		full     string
		platform string
		deps     [][2]string
		bad      string
	}{
		{line: "1.0.0 |checksum:" + sum, full: "g-1.0.0", platform: "ruby"},
		{line: "2.0.0.pre1 a:>= 1.0&< 3,b_c:= 2|checksum:" + strings.ToUpper(sum) + ",ruby:>= 2.7", full: "g-2.0.0.pre1", platform: "ruby",
			deps: [][2]string{{"a", ">= 1.0, < 3"}, {"b_c", "= 2"}}},
		{line: "1.0-x86_64-linux |checksum:" + sum + ",rubygems:> 1.3.1", full: "g-1.0-x86_64-linux", platform: "x86_64-linux"},
		{line: "1.0-java a:>= 0|checksum:" + sum, full: "g-1.0-java", platform: "java", deps: [][2]string{{"a", ">= 0"}}},
		{line: "1.0.0|checksum:" + sum, bad: "no space"},
		{line: "1.0.0 checksum:" + sum, bad: "no |"},
		{line: "1.0.0 |checksum:abc", bad: "not a SHA-256"},
		{line: "1.0.0 |ruby:>= 2", bad: "not a SHA-256"},
		{line: "x1.0 |checksum:" + sum, bad: "not a gem version"},
		{line: "1.0/../x |checksum:" + sum, bad: "not a gem version"},
		{line: "1.0 a|checksum:" + sum, bad: "NAME:REQUIREMENT"},
		{line: "1.0 a b:>= 1|checksum:" + sum, bad: "NAME:REQUIREMENT"},
	} {
		g, err := parseInfoLine("g", tc.line)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q: err = %v, want %q", tc.line, err, tc.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if g.full != tc.full || g.platform != tc.platform || g.sha256 != sum || !slices.Equal(g.deps, tc.deps) || g.line != tc.line {
			t.Errorf("%q = %+v", tc.line, g)
		}
	}
}

func TestParsePublicInfo(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		doc   string
		files []string
		bad   bool
	}{
		{doc: "---\n", files: nil},
		{doc: "---\n1.0 |checksum:" + sum + "\n1.1 |checksum:" + sum + "\n1.1-java |checksum:" + sum + "\n", files: []string{"g-1.0", "g-1.1", "g-1.1-java"}},
		{doc: "---\n1.0 |checksum:" + sum + "\n1.0 |checksum:" + sum + "\n", files: []string{"g-1.0"}}, // a repeated line counts once
		{doc: "<html>not an index</html>", bad: true},
		{doc: "---\n1.0 |checksum:" + sum + "\ngarbage\n", bad: true},
	} {
		info, err := parsePublicInfo("g", []byte(tc.doc))
		if tc.bad {
			if err == nil {
				t.Errorf("%q parsed", tc.doc)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.doc, err)
			continue
		}
		var files []string
		for _, g := range info.gems {
			files = append(files, g.full)
			if info.byFile[g.full] != g {
				t.Errorf("%q: byFile[%s] is not its line", tc.doc, g.full)
			}
		}
		if !slices.Equal(files, tc.files) {
			t.Errorf("%q: files %v, want %v", tc.doc, files, tc.files)
		}
	}
}

// standInGem is a testdata gem as the stand-in registry serves it.
func standInGem(t *testing.T, name string) *upstreamtest.RubyGem {
	t.Helper()
	data := readTestdata(t, name+".gem")
	spec, err := readGem(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g := &upstreamtest.RubyGem{Name: spec.Name, Version: spec.Version, Platform: spec.Platform, Data: data, QuickSpec: quickSpec(spec)}
	if p, ok := spec.platform(); ok {
		g.Platform = p.String()
	}
	for _, d := range spec.Dependencies {
		if d.Type == "runtime" {
			g.Deps = append(g.Deps, [2]string{d.Name, d.Requirement.String()})
		}
	}
	if !spec.RequiredRuby.isDefault() {
		g.Ruby = spec.RequiredRuby.String()
	}
	if !spec.RequiredRubygems.isDefault() {
		g.Rubygems = spec.RequiredRubygems.String()
	}
	return g
}

// publicEnv is the handler with public:ruby-gems-org pointed at a
// stand-in registry holding demo_gem (pure Ruby and x86_64-linux) and
// tiny: the fixture's repository holds the connection, "team" has it as
// upstream.
func publicEnv(t *testing.T) (*testEnv, *upstreamtest.RubyGems, string) {
	t.Helper()
	reg := upstreamtest.NewRubyGems()
	reg.Add(standInGem(t, "demo_gem-1.0.0"), standInGem(t, "demo_gem-1.0.0-x86_64-linux"), standInGem(t, "tiny-0.1.0.pre"))
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	e := newTestEnv(t, formattest.Options{URLs: map[string]string{rubyGemsConnection: srv.URL}})
	if _, err := e.svc.AssociateExternalConnection(ctx, admin, service.ExternalConnectionInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"}, ExternalConnection: rubyGemsConnection}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "team"},
		Upstreams: []service.UpstreamRepositoryInfo{{RepositoryName: "repo"}}}); err != nil {
		t.Fatal(err)
	}
	return e, reg, srv.URL
}

// versionsIn lists a package's versions in a repository as
// VERSION:STATUS:ORIGIN:CONNECTION:ASSETS.
func versionsIn(t *testing.T, e *testEnv, repo, name string) []string {
	t.Helper()
	ref := e.ref(name)
	ref.Repository = repo
	view, err := e.svc.ViewPackage(ctx, admin, ref, service.ViewOptions{WithAssets: true})
	if model.AsError(err).Kind == model.KindNotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range view.Versions {
		var assets []string
		for _, a := range view.Assets[v.ID] {
			assets = append(assets, a.Name)
		}
		slices.Sort(assets)
		out = append(out, v.Version+":"+string(v.Status)+":"+string(v.OriginType)+":"+v.OriginExternal+":"+strings.Join(assets, ","))
	}
	slices.Sort(out)
	return out
}

// infoLines are an info document's lines after "---".
func infoLines(body []byte) []string {
	return slices.DeleteFunc(strings.Split(strings.TrimPrefix(string(body), "---\n"), "\n"), func(s string) bool { return s == "" })
}

// TestPublicConnection: a repository whose upstream holds the connection
// lists the registry's gems before any is fetched; a download (or the
// gemspec) fetches the gem, verified, into the connection's repository
// with origin EXTERNAL and retains it; a platform gem fetched later
// completes the same version; a corrupted gem is a 502 and keeps nothing;
// a stopped registry still serves what was fetched; a push of a version
// the registry has is refused.
func TestPublicConnection(t *testing.T) {
	e, reg, upURL := publicEnv(t)
	repoBase := e.base
	e.base = strings.Replace(repoBase, "/repo/", "/team/", 1)
	demo := readTestdata(t, "demo_gem-1.0.0.gem")
	demoLinux := readTestdata(t, "demo_gem-1.0.0-x86_64-linux.gem")

	resp, err := http.Get(upURL + "/info/demo_gem")
	if err != nil {
		t.Fatal(err)
	}
	var upInfo bytes.Buffer
	upInfo.ReadFrom(resp.Body)
	resp.Body.Close()
	upLines := infoLines(upInfo.Bytes())
	if len(upLines) != 2 {
		t.Fatalf("stand-in info = %q", upInfo.String())
	}

	// Listed before anything is fetched: the registry's lines as they are.
	resp, body := e.do(t, "GET", "info/demo_gem", nil)
	if resp.StatusCode != 200 || string(body) != upInfo.String() || resp.Header.Get("ETag") == "" {
		t.Fatalf("info/demo_gem = %d %q", resp.StatusCode, body)
	}
	idx, err := buildMergedIndex(&service.PackageView{Package: &model.Package{Key: model.PackageKey{Format: model.FormatRuby, Name: "demo_gem"}}}, mustParse(t, "demo_gem", upInfo.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.do(t, "GET", "api/v1/dependencies?gems=demo_gem", nil); resp.StatusCode != 200 || !bytes.Equal(body, marshalDump(idx.dependencyEntries())) || len(idx.dependencyEntries()) != 2 {
		t.Fatalf("dependencies?gems=demo_gem = %d %q", resp.StatusCode, body)
	}
	if got := versionsIn(t, e, "repo", "demo_gem"); got != nil {
		t.Fatalf("listed gems were ingested: %v", got)
	}

	// The first download fetches, checks and keeps the pure-Ruby gem.
	if resp, body := e.do(t, "GET", "gems/demo_gem-1.0.0.gem", nil); resp.StatusCode != 200 || !bytes.Equal(body, demo) {
		t.Fatalf("download through the connection = %d", resp.StatusCode)
	}
	want := []string{"1.0.0:Published:EXTERNAL:public:ruby-gems-org:demo_gem-1.0.0.gem"}
	for _, repo := range []string{"repo", "team"} {
		if got := versionsIn(t, e, repo, "demo_gem"); !slices.Equal(got, want) {
			t.Fatalf("%s demo_gem = %v, want %v", repo, got, want)
		}
	}
	// The platform gem of that version is still the registry's line.
	_, body = e.do(t, "GET", "info/demo_gem", nil)
	if lines := infoLines(body); len(lines) != 2 || lines[1] != upLines[1] {
		t.Fatalf("info after the first fetch = %q", body)
	}

	// Its gemspec fetches it into the same version, in both repositories.
	resp, body = e.do(t, "GET", "quick/Marshal.4.8/demo_gem-1.0.0-x86_64-linux.gemspec.rz", nil)
	spec, _ := readGem(bytes.NewReader(demoLinux))
	if resp.StatusCode != 200 || !bytes.Equal(body, quickSpec(spec)) {
		t.Fatalf("platform gemspec through the connection = %d", resp.StatusCode)
	}
	want = []string{"1.0.0:Published:EXTERNAL:public:ruby-gems-org:demo_gem-1.0.0-x86_64-linux.gem,demo_gem-1.0.0.gem"}
	for _, repo := range []string{"repo", "team"} {
		if got := versionsIn(t, e, repo, "demo_gem"); !slices.Equal(got, want) {
			t.Fatalf("%s demo_gem = %v, want %v", repo, got, want)
		}
	}
	_, body = e.do(t, "GET", "info/demo_gem", nil)
	if lines := infoLines(body); !slices.Equal(lines, upLines) {
		t.Fatalf("info once both gems are kept = %q, want the registry's %q", lines, upLines)
	}
	if resp, body := e.do(t, "GET", "gems/demo_gem-1.0.0-x86_64-linux.gem", nil); resp.StatusCode != 200 || !bytes.Equal(body, demoLinux) {
		t.Fatalf("platform gem download = %d", resp.StatusCode)
	}

	// A corrupted gem: 502, nothing kept.
	reg.Corrupt("tiny-0.1.0.pre")
	resp, body = e.do(t, "GET", "gems/tiny-0.1.0.pre.gem", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "does not match the checksum") {
		t.Fatalf("corrupted gem = %d %s", resp.StatusCode, body)
	}
	for _, repo := range []string{"repo", "team"} {
		if got := versionsIn(t, e, repo, "tiny"); got != nil {
			t.Fatalf("%s kept the corrupted gem: %v", repo, got)
		}
	}

	// Pushing a version the registry has is refused.
	e.base = repoBase
	if st, msg := e.push(t, readTestdata(t, "tiny-0.1.0.pre.gem")); st != http.StatusConflict {
		t.Fatalf("push of a version the registry has = %d %s", st, msg)
	}
	e.base = strings.Replace(repoBase, "/repo/", "/team/", 1)

	// The registry stopped: what was fetched is served, a gem never asked
	// for is a 502, one the registry lacks when it answers is a 404.
	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		reg.SetOutage(o)
		for _, p := range []string{"info/demo_gem", "gems/demo_gem-1.0.0.gem", "api/v1/dependencies?gems=demo_gem"} {
			if resp, body := e.do(t, "GET", p, nil); resp.StatusCode != 200 {
				t.Fatalf("outage %d: %s = %d %s", o, p, resp.StatusCode, body)
			}
		}
		if resp, body := e.do(t, "GET", "info/rake", nil); resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), rubyGemsConnection) {
			t.Fatalf("outage %d: info of a gem never fetched = %d %s", o, resp.StatusCode, body)
		}
	}
	reg.SetOutage(upstreamtest.Up)
	if resp, body := e.do(t, "GET", "info/nowhere", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("info of a gem nobody has = %d %s", resp.StatusCode, body)
	}
}

// TestPublicLinesHidden: a version the chain holds hides the registry's
// lines for it, unless it came through the connection and lacks the file;
// an Unlisted copy hides them all.
func TestPublicLinesHidden(t *testing.T) {
	sum := strings.Repeat("1f", 32)
	pub := mustParse(t, "g", []byte("---\n1.0 |checksum:"+sum+"\n1.0-java |checksum:"+sum+"\n2.0 |checksum:"+sum+"\n"))
	gem := func(platform string) gemRelease {
		s := &gemSpec{Name: "g", Version: "1.0", Platform: platform, Date: "2024-01-01", RequiredRuby: defaultRequirement, RequiredRubygems: defaultRequirement}
		return gemRelease{File: s.fileName(), SHA256: sum, Spec: s}
	}
	doc, _ := mergeRelease(nil, gem(rubyPlatform))
	for _, tc := range []struct {
		name   string
		v      model.Version
		public []string
	}{
		{"own copy", model.Version{Status: model.StatusPublished, OriginType: model.OriginInternal}, []string{"g-2.0"}},
		{"through the connection", model.Version{Status: model.StatusPublished, OriginType: model.OriginExternal, OriginExternal: rubyGemsConnection}, []string{"g-1.0-java", "g-2.0"}},
		{"unlisted", model.Version{Status: model.StatusUnlisted, OriginType: model.OriginExternal, OriginExternal: rubyGemsConnection}, []string{"g-2.0"}},
		{"archived", model.Version{Status: model.StatusArchived, OriginType: model.OriginInternal}, []string{"g-2.0"}},
	} {
		v := tc.v
		v.Version, v.FormatMetadata = "1.0", doc
		idx, err := buildMergedIndex(&service.PackageView{Package: &model.Package{Key: model.PackageKey{Format: model.FormatRuby, Name: "g"}}, Versions: []*model.Version{&v}}, pub)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range idx.publicListed {
			got = append(got, g.full)
		}
		if !slices.Equal(got, tc.public) {
			t.Errorf("%s: public gems listed %v, want %v", tc.name, got, tc.public)
		}
		if n := len(infoLines(idx.info)); n != len(tc.public)+len(idx.listed) {
			t.Errorf("%s: %d info lines for %d listed and %v public", tc.name, n, len(idx.listed), got)
		}
	}
}

// TestUpstreamRepository: without any connection, a repository sees its
// upstream's gems and retains one on its first download.
func TestUpstreamRepository(t *testing.T) {
	e := newTestEnv(t)
	e.mustPush(t, readTestdata(t, "demo_gem-1.0.0.gem"))
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "down"},
		Upstreams: []service.UpstreamRepositoryInfo{{RepositoryName: "repo"}}}); err != nil {
		t.Fatal(err)
	}
	_, upInfo := e.do(t, "GET", "info/demo_gem", nil)
	e.base = strings.Replace(e.base, "/repo/", "/down/", 1)
	if resp, body := e.do(t, "GET", "info/demo_gem", nil); resp.StatusCode != 200 || !bytes.Equal(body, upInfo) {
		t.Fatalf("info through the upstream = %d %q, want %q", resp.StatusCode, body, upInfo)
	}
	if resp, body := e.do(t, "GET", "gems/demo_gem-1.0.0.gem", nil); resp.StatusCode != 200 || !bytes.Equal(body, readTestdata(t, "demo_gem-1.0.0.gem")) {
		t.Fatalf("download through the upstream = %d", resp.StatusCode)
	}
	if got := versionsIn(t, e, "down", "demo_gem"); !slices.Equal(got, []string{"1.0.0:Published:INTERNAL::demo_gem-1.0.0.gem"}) {
		t.Fatalf("retained = %v", got)
	}
	if resp, _ := e.do(t, "GET", "info/nowhere", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("info of a gem the chain lacks = %d", resp.StatusCode)
	}
	if resp, _ := e.do(t, "GET", "gems/nowhere-1.0.gem", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("download of a gem the chain lacks = %d", resp.StatusCode)
	}
}

func mustParse(t *testing.T, name string, body []byte) *publicInfo {
	t.Helper()
	info, err := parsePublicInfo(name, body)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
