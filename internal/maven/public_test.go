package maven

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format/formattest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

func TestDecodePublicMetadata(t *testing.T) {
	doc := func(g, a string, versions ...string) string {
		s := `<?xml version="1.0" encoding="UTF-8"?><metadata><groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><versioning><versions>`
		for _, v := range versions {
			s += "<version>" + v + "</version>"
		}
		return s + `</versions><lastUpdated>20240102030405</lastUpdated></versioning></metadata>`
	}
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr bool
	}{
		{"releases", doc("com.acme", "lib", "1.0", "1.1", "2.0-beta"), []string{"1.0", "1.1", "2.0-beta"}, false},
		{"SNAPSHOTs are not proxied", doc("com.acme", "lib", "1.0", "1.1-SNAPSHOT"), []string{"1.0"}, false},
		{"invalid and repeated versions are left out", doc("com.acme", "lib", "1.0", "a b", "1.0", "x/y"), []string{"1.0"}, false},
		{"no coordinates", `<metadata><versioning><versions><version>3</version></versions></versioning></metadata>`, []string{"3"}, false},
		{"no versioning", `<metadata><groupId>com.acme</groupId></metadata>`, nil, false},
		{"another artifact", doc("com.acme", "other", "1.0"), nil, true},
		{"another group", doc("org.acme", "lib", "1.0"), nil, true},
		{"plugin group", `<metadata><plugins><plugin><name>Foo</name><prefix>foo</prefix><artifactId>maven-foo-plugin</artifactId></plugin></plugins></metadata>`, nil, false},
		{"not XML", `{"versions":[]}`, nil, true},
		{"trailing garbage", doc("com.acme", "lib", "1.0") + "<x/>", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decodePublicMetadata("com.acme:lib", []byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", m)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(m.versions, tt.want) {
				t.Fatalf("got %+v, %v; want %v", m, err, tt.want)
			}
			for _, v := range tt.want {
				if !m.has(v) {
					t.Errorf("has[%s] false", v)
				}
			}
			if strings.Contains(tt.body, "<plugins>") && (len(m.plugins) != 1 || m.plugins[0].Prefix != "foo" || m.plugins[0].ArtifactID != "maven-foo-plugin") {
				t.Errorf("plugins %+v", m.plugins)
			}
			if strings.Contains(tt.body, "lastUpdated") && !m.lastUpdated.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
				t.Errorf("lastUpdated %v", m.lastUpdated)
			}
		})
	}
}

// TestFetchFileVerified: a file is accepted only when the strongest
// checksum file the repository has matches it.
func TestFetchFileVerified(t *testing.T) {
	jar := []byte("the jar's bytes")
	s1, s256 := sha1.Sum(jar), sha256.Sum256(jar)
	hex1, hex256 := hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])
	const file = "/com/acme/lib/1.0/lib-1.0.jar"
	type answer struct {
		status int
		body   string
	}
	tests := []struct {
		name    string
		files   map[string]answer // by path; others 404
		wantErr error             // nil: accepted
	}{
		{"sha256 matches", map[string]answer{file: {200, string(jar)}, file + ".sha256": {200, hex256}, file + ".sha1": {200, strings.Repeat("0", 40)}}, nil},
		{"sha1 only, with a file name", map[string]answer{file: {200, string(jar)}, file + ".sha1": {200, hex1 + "  lib-1.0.jar\n"}}, nil},
		{"uppercase digest", map[string]answer{file: {200, string(jar)}, file + ".sha1": {200, strings.ToUpper(hex1)}}, nil},
		{"sha256 mismatch wins over a matching sha1", map[string]answer{file: {200, string(jar)}, file + ".sha256": {200, strings.Repeat("a", 64)}, file + ".sha1": {200, hex1}}, publiccache.ErrUnavailable},
		{"sha1 mismatch", map[string]answer{file: {200, string(jar) + "x"}, file + ".sha1": {200, hex1}}, publiccache.ErrUnavailable},
		{"no checksum file", map[string]answer{file: {200, string(jar)}, file + ".md5": {200, "0123456789abcdef0123456789abcdef"}}, publiccache.ErrUnavailable},
		{"malformed checksum", map[string]answer{file: {200, string(jar)}, file + ".sha1": {200, "not a sum"}}, publiccache.ErrUnavailable},
		{"checksum server error", map[string]answer{file: {200, string(jar)}, file + ".sha256": {500, "boom"}}, publiccache.ErrUnavailable},
		{"file missing", map[string]answer{file + ".sha1": {200, hex1}}, publiccache.ErrNotFound},
		{"file server error", map[string]answer{file: {503, "down"}, file + ".sha1": {200, hex1}}, publiccache.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a, ok := tt.files[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			}))
			defer srv.Close()
			p, err := newPublicRepo("public:maven-central", srv.URL+"/", publiccache.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			f, err := p.fetchFile(ctx, Path{GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar"}, t.TempDir())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.SHA1 != hex1 || f.Size != int64(len(jar)) {
				t.Errorf("file %+v", f)
			}
		})
	}
}

// publicFixture is the handler with public:maven-central served by the
// Maven stand-in, held by the fixture's repository.
func publicFixture(t *testing.T) (*fixture, *upstreamtest.Maven) {
	t.Helper()
	up := upstreamtest.NewMaven(t.TempDir())
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	fx := formattest.New(t, Format, formattest.Options{URLs: map[string]string{"public:maven-central": srv.URL}})
	f := &fixture{t: t, fx: fx, svc: fx.Service, other: fx.Replica(), base: fx.URL, token: fx.Token}
	if _, err := f.svc.AssociateExternalConnection(ctx, admin, service.ExternalConnectionInput{
		RepositoryInput: service.RepositoryInput{Domain: formattest.Domain, Repository: formattest.Repository}, ExternalConnection: "public:maven-central"}); err != nil {
		t.Fatal(err)
	}
	return f, up
}

// TestPublicConnection: the repository lists public versions merged with
// its own, fetches each file once however many clients miss it together,
// keeps it with origin EXTERNAL, refuses corrupted bytes (502, nothing
// kept), keeps serving what it fetched through an outage, and refuses a
// publish of a version the public repository has.
func TestPublicConnection(t *testing.T) {
	f, up := publicFixture(t)
	jar := []byte("PK jar 1.0")
	up.Add("com.acme", "lib", "1.0", map[string][]byte{"pom": pom("com.acme", "lib", "1.0", "<description>public lib</description>"), "jar": jar})
	up.Add("com.acme", "lib", "2.0", map[string][]byte{"pom": pom("com.acme", "lib", "2.0", ""), "jar": []byte("PK jar 2.0")})
	up.Add("com.acme", "lib", "2.1-SNAPSHOT", map[string][]byte{"pom": pom("com.acme", "lib", "2.1-SNAPSHOT", "")})

	md := string(f.expect("GET", "com/acme/lib/maven-metadata.xml", nil, http.StatusOK))
	if !strings.Contains(md, "<version>1.0</version>") || !strings.Contains(md, "<release>2.0</release>") || strings.Contains(md, "SNAPSHOT") {
		t.Errorf("merged metadata:\n%s", md)
	}
	if f.statuses("com.acme", "lib")["1.0"] != "" {
		t.Fatal("listing a public version ingested it")
	}

	// Ten clients miss the jar at once: one fetch.
	up.ResetCounts()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, body, _ := f.do("GET", "com/acme/lib/1.0/lib-1.0.jar", nil)
			if st != http.StatusOK || string(body) != string(jar) {
				t.Errorf("GET jar = %d %q", st, body)
			}
		}()
	}
	wg.Wait()
	if n := up.Requests("/com/acme/lib/1.0/lib-1.0.jar"); n != 1 {
		t.Errorf("the jar was fetched %d times, want 1", n)
	}
	sum := sha1.Sum(jar)
	if got := f.expect("GET", "com/acme/lib/1.0/lib-1.0.jar.sha1", nil, http.StatusOK); string(got) != hex.EncodeToString(sum[:]) {
		t.Errorf("jar.sha1 = %s", got)
	}
	f.expect("GET", "com/acme/lib/1.0/lib-1.0.pom", nil, http.StatusOK)
	vv, err := f.svc.ViewVersion(ctx, admin, f.ref("com.acme", "lib"), "1.0", service.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if vv.Version.OriginType != model.OriginExternal || vv.Version.OriginExternal != "public:maven-central" || len(vv.Assets) != 2 {
		t.Errorf("ingested 1.0: origin %s %s, %d assets", vv.Version.OriginType, vv.Version.OriginExternal, len(vv.Assets))
	}

	// A plugin group's prefixes are passed on (mvn PREFIX:GOAL).
	up.Add("org.acme.plugins", "maven-foo-plugin", "1.0", map[string][]byte{"pom": pom("org.acme.plugins", "maven-foo-plugin", "1.0", "")})
	if md := string(f.expect("GET", "org/acme/plugins/maven-metadata.xml", nil, http.StatusOK)); !strings.Contains(md, "<prefix>foo</prefix>") || strings.Contains(md, "<version>") {
		t.Errorf("plugin group metadata:\n%s", md)
	}

	// SNAPSHOTs are not fetched; neither is a file the repository lacks.
	f.expect("GET", "com/acme/lib/2.1-SNAPSHOT/lib-2.1-SNAPSHOT.pom", nil, http.StatusNotFound)
	f.expect("GET", "com/acme/lib/1.0/lib-1.0-sources.jar", nil, http.StatusNotFound)
	f.expect("GET", "com/acme/nothing/maven-metadata.xml", nil, http.StatusNotFound)

	// Corrupted upstream: 502, nothing kept.
	up.Add("com.acme", "lib", "3.0", map[string][]byte{"pom": pom("com.acme", "lib", "3.0", ""), "jar": []byte("PK jar 3.0")})
	up.Corrupt("com/acme/lib/3.0/lib-3.0.pom")
	f.expect("GET", "com/acme/lib/3.0/lib-3.0.pom", nil, http.StatusBadGateway)
	if _, ok := f.statuses("com.acme", "lib")["3.0"]; ok {
		t.Error("a corrupted file was kept")
	}

	// Outage: what was fetched is served, the listing from its cache, a
	// new file is a 502 naming the connection.
	up.SetOutage(upstreamtest.Unavailable)
	f.expect("GET", "com/acme/lib/1.0/lib-1.0.jar", nil, http.StatusOK)
	if md := string(f.expect("GET", "com/acme/lib/maven-metadata.xml", nil, http.StatusOK)); !strings.Contains(md, "<version>2.0</version>") {
		t.Errorf("metadata during the outage:\n%s", md)
	}
	if body := f.expect("GET", "com/acme/lib/2.0/lib-2.0.jar", nil, http.StatusBadGateway); !strings.Contains(string(body), "public:maven-central") {
		t.Errorf("502 body %s", body)
	}
	f.expect("GET", "org/other/thing/maven-metadata.xml", nil, http.StatusBadGateway)
	up.SetOutage(upstreamtest.Up)

	// A publish of a version the public repository lists is refused; one
	// it does not is accepted (and makes the package publish=ALLOW,
	// upstream=BLOCK: the public repository is no longer asked).
	up.Add("org.pub", "tool", "2.0", map[string][]byte{"pom": pom("org.pub", "tool", "2.0", "")})
	f.expect("PUT", "org/pub/tool/2.0/tool-2.0.pom", pom("org.pub", "tool", "2.0", ""), http.StatusConflict)
	f.expect("PUT", "org/pub/tool/1.0/tool-1.0.pom", pom("org.pub", "tool", "1.0", ""), http.StatusCreated)
}

// TestListChain: maven-metadata.xml lists each version as its nearest
// holder does, a connection's public versions merged after the versions
// of the repository holding it; a public repository that cannot be read
// is passed by.
func TestListChain(t *testing.T) {
	pub, unl := model.StatusPublished, model.StatusUnlisted
	up := upstreamtest.NewMaven(t.TempDir())
	srv := httptest.NewServer(up)
	defer srv.Close()
	up.Add("com.acme", "lib", "1.0", map[string][]byte{"pom": pom("com.acme", "lib", "1.0", "")})
	up.Add("com.acme", "lib", "3.0", map[string][]byte{"pom": pom("com.acme", "lib", "3.0", "")})
	up.Add("com.acme", "lib", "4.0", map[string][]byte{"pom": pom("com.acme", "lib", "4.0", "")})
	h := &Handler{log: slog.New(slog.DiscardHandler), public: map[string]*publicRepo{}}
	for _, conn := range []string{"public:maven-central", "public:maven-clojars"} {
		base := srv.URL
		if conn == "public:maven-clojars" {
			base = "http://127.0.0.1:1" // nothing listens there
		}
		p, err := newPublicRepo(conn, base, publiccache.Options{Dir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		h.public[conn] = p
	}
	tests := []struct {
		name      string
		chain     []service.ChainEntry
		want      []string
		wantLast  time.Time
		found     bool
		unreached bool
	}{
		{"repositories only", []service.ChainEntry{
			upEntry("b", "", upVer(1, "1.0", pub, 1), upVer(2, "3.0", unl, 9)),
			upEntry("a", "", upVer(3, "1.0", pub, 2), upVer(4, "2.0", pub, 5), upVer(5, "3.0", pub, 9)),
		}, []string{"1.0", "2.0"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), true, false},
		{"public versions merged; an Unlisted copy nearer hides one", []service.ChainEntry{
			upEntry("team", "", upVer(1, "3.0", unl, 3)),
			upEntry("store", "public:maven-central", upVer(2, "0.9", pub, 2)),
		}, []string{"0.9", "1.0", "4.0"}, time.Time{}, true, false},
		{"an unreadable public repository is passed by", []service.ChainEntry{
			upEntry("team", "", upVer(1, "0.1", pub, 3)),
			upEntry("jstore", "public:maven-clojars"),
		}, []string{"0.1"}, time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), true, true},
		{"nothing anywhere but an unreadable public repository", []service.ChainEntry{upEntry("jstore", "public:maven-clojars")}, nil, time.Time{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := h.listChain(ctx, tt.chain, "com.acme", "lib")
			if !reflect.DeepEqual(l.versions, tt.want) || l.found != tt.found || (l.unavailable != nil) != tt.unreached {
				t.Fatalf("got %+v, want %v found=%v unreached=%v", l, tt.want, tt.found, tt.unreached)
			}
			if !tt.wantLast.IsZero() && !l.last.Equal(tt.wantLast) {
				t.Errorf("last %v, want %v", l.last, tt.wantLast)
			}
			var pe *endpoint.UpstreamError
			if tt.unreached && !errors.As(l.unavailable, &pe) {
				t.Errorf("unavailable %v is not an endpoint.UpstreamError", l.unavailable)
			}
		})
	}
}

// TestPublicConnectionsInOrder: a repository whose upstreams hold two
// Maven connections fetches from the second what the first lacks, into
// the repository holding it, and retains it where it was asked; a file
// neither has is a 404.
func TestPublicConnectionsInOrder(t *testing.T) {
	central, clojars := upstreamtest.NewMaven(t.TempDir()), upstreamtest.NewMaven(t.TempDir())
	csrv, jsrv := httptest.NewServer(central), httptest.NewServer(clojars)
	defer csrv.Close()
	defer jsrv.Close()
	fx := formattest.New(t, Format, formattest.Options{URLs: map[string]string{"public:maven-central": csrv.URL, "public:maven-clojars": jsrv.URL}})
	f := &fixture{t: t, fx: fx, svc: fx.Service, base: fx.URL, token: fx.Token}
	for repo, conn := range map[string]string{"cstore": "public:maven-central", "jstore": "public:maven-clojars"} {
		if _, err := f.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: formattest.Domain, Repository: repo}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AssociateExternalConnection(ctx, admin, service.ExternalConnectionInput{
			RepositoryInput: service.RepositoryInput{Domain: formattest.Domain, Repository: repo}, ExternalConnection: conn}); err != nil {
			t.Fatal(err)
		}
	}
	ups := []service.UpstreamRepositoryInfo{{RepositoryName: "cstore"}, {RepositoryName: "jstore"}}
	if _, err := f.svc.UpdateRepository(ctx, admin, service.UpdateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: formattest.Domain, Repository: formattest.Repository}, Upstreams: &ups}); err != nil {
		t.Fatal(err)
	}
	clojars.Add("org.clj", "tool", "0.1", map[string][]byte{"pom": pom("org.clj", "tool", "0.1", ""), "jar": []byte("clj jar")})

	if md := string(f.expect("GET", "org/clj/tool/maven-metadata.xml", nil, http.StatusOK)); !strings.Contains(md, "<version>0.1</version>") {
		t.Errorf("metadata:\n%s", md)
	}
	if got := f.expect("GET", "org/clj/tool/0.1/tool-0.1.jar", nil, http.StatusOK); string(got) != "clj jar" {
		t.Errorf("jar %q", got)
	}
	if central.Requests("/org/clj/tool/0.1/tool-0.1.jar") != 1 || clojars.Requests("/org/clj/tool/0.1/tool-0.1.jar") != 1 {
		t.Errorf("central asked %d times, clojars %d, want once each", central.Requests("/org/clj/tool/0.1/tool-0.1.jar"), clojars.Requests("/org/clj/tool/0.1/tool-0.1.jar"))
	}
	for repo, want := range map[string]bool{"jstore": true, formattest.Repository: true, "cstore": false} {
		ref := f.ref("org.clj", "tool")
		ref.Repository = repo
		vv, err := f.svc.ViewVersion(ctx, admin, ref, "0.1", service.ViewOptions{})
		if !want {
			if err == nil {
				t.Errorf("%s holds 0.1", repo)
			}
			continue
		}
		if err != nil || vv.Version.OriginExternal != "public:maven-clojars" {
			t.Errorf("%s: %+v %v, want 0.1 through public:maven-clojars", repo, vv, err)
		}
	}
	f.expect("GET", "org/clj/tool/0.2/tool-0.2.jar", nil, http.StatusNotFound)

	// The retained copy lacks the POM: fetched through the connection
	// into jstore, and the retained copy completed.
	f.expect("GET", "org/clj/tool/0.1/tool-0.1.pom", nil, http.StatusOK)
	for _, repo := range []string{"jstore", formattest.Repository} {
		ref := f.ref("org.clj", "tool")
		ref.Repository = repo
		vv, err := f.svc.ViewVersion(ctx, admin, ref, "0.1", service.ViewOptions{})
		if err != nil || len(vv.Assets) != 2 {
			t.Errorf("%s: 0.1 after its POM was asked: %+v %v, want 2 assets", repo, vv, err)
		}
	}
	if n := clojars.Requests("/org/clj/tool/0.1/tool-0.1.pom"); n != 1 {
		t.Errorf("the POM was fetched %d times", n)
	}
}
