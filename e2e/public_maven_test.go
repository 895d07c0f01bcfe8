package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// TestPublicMavenCentral: mvn, pointed at team (team -> store, store
// holding public:maven-central, Maven Central being a stand-in serving
// Debian's Maven repository), resolves commons-digester with its
// transitive dependencies and the plugin it runs. Everything is fetched
// through the connection, verified, and kept in store with origin
// EXTERNAL; a version published upstream later resolves at once; with
// the upstream stopped everything fetched still resolves (fresh local
// repository) while a new version is a 502; a corrupted file is refused
// and nothing of it retained. A second connection (public:maven-clojars,
// its own flag) proxies the same way.
func TestPublicMavenCentral(t *testing.T) {
	t.Parallel()
	mvnNeed(t)
	if _, err := os.Stat(filepath.Join(upstreamtest.DebianMavenRepo, "commons-digester/commons-digester/1.8.1")); err != nil {
		missingTool(t, "Debian's commons-digester in its Maven repository", err, "apt-get install -y libcommons-digester-java")
	}
	central := upstreamtest.NewMaven(upstreamtest.DebianMavenRepo)
	csrv := httptest.NewServer(central)
	defer csrv.Close()
	clojars := upstreamtest.NewMaven(t.TempDir())
	jsrv := httptest.NewServer(clojars)
	defer jsrv.Close()
	s := StartServerWith(t, ServerOptions{Args: []string{"--maven-central-url", csrv.URL, "--maven-clojars-url", jsrv.URL + "/"}})
	c := s.Client()
	const dom = "pubmvn"
	Setup(t, c, dom, "store", "team", "jstore")
	chainRepos(t, c, dom, "team", "store")
	associate(t, c, dom, "store", "public:maven-central")
	associate(t, c, dom, "jstore", "public:maven-clojars")
	tok := s.Token(t, dom)
	team := s.Endpoint(t, dom, "team", types.PackageFormatMaven)

	rig := newMvnRig(t, team)
	// Every repository, plugins' included, is mirrored by team: nothing
	// comes from anywhere but Wharf.
	settings := func(name string) (string, string) {
		local := filepath.Join(rig.dir, name+"-m2")
		doc := `<settings>
  <localRepository>` + local + `</localRepository>
  <mirrors><mirror><id>wharf</id><mirrorOf>*</mirrorOf><url>` + team + `</url></mirror></mirrors>
  <servers><server><id>wharf</id><username>aws</username><password>` + tok + `</password></server></servers>
</settings>`
		p := filepath.Join(rig.dir, name+"-settings.xml")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p, local
	}
	get := func(name, artifact string) (string, string, error) {
		st, local := settings(name)
		out, err := rig.run(st, "-C", mvnGetPlugin, "-Dartifact="+artifact)
		return out, local, err
	}
	origin := func(repo, ns, pkg, version string) *types.PackageVersionOrigin {
		t.Helper()
		out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
			Format: types.PackageFormatMaven, Namespace: aws.String(ns), Package: aws.String(pkg)})
		if err != nil {
			t.Fatalf("ListPackageVersions %s:%s in %s: %v", ns, pkg, repo, err)
		}
		for _, v := range out.Versions {
			if aws.ToString(v.Version) == version {
				return v.Origin
			}
		}
		return nil
	}
	wantExternal := func(repo, ns, pkg, version, conn string) {
		t.Helper()
		o := origin(repo, ns, pkg, version)
		if o == nil || o.OriginType != types.PackageVersionOriginTypeExternal || o.DomainEntryPoint == nil ||
			aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != conn {
			t.Errorf("%s:%s %s in %s: origin %+v, want EXTERNAL through %s", ns, pkg, version, repo, o, conn)
		}
	}
	wantStatus := func(url string, want int) string {
		t.Helper()
		resp := pyGet(t, url, tok, "")
		body := pyBody(t, resp)
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d %s, want %d", url, resp.StatusCode, body, want)
		}
		return body
	}

	// Public versions are listed before anything is fetched.
	md := wantStatus(team+"commons-digester/commons-digester/maven-metadata.xml", http.StatusOK)
	if !strings.Contains(md, "<version>1.8.1</version>") {
		t.Errorf("maven-metadata.xml through team does not list the public 1.8.1:\n%s", md)
	}

	out, local, err := get("first", "commons-digester:commons-digester:1.8.1")
	mustMvn(t, "dependency:get commons-digester through public:maven-central", out, err)
	deps := []string{
		"commons-digester/commons-digester/1.8.1/commons-digester-1.8.1.jar",
		"commons-beanutils/commons-beanutils/debian/commons-beanutils-debian.jar", // its dependency
		"commons-logging/commons-logging/debian/commons-logging-debian.jar",       // and theirs
	}
	for _, f := range deps {
		got, err := os.ReadFile(filepath.Join(local, f))
		want, _ := os.ReadFile(filepath.Join(upstreamtest.DebianMavenRepo, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("mvn did not get %s as published upstream (%v)\n%s", f, err, out)
		}
	}
	for _, v := range [][3]string{{"commons-digester", "commons-digester", "1.8.1"}, {"commons-beanutils", "commons-beanutils", "debian"},
		{"commons-logging", "commons-logging", "debian"}, {"org.apache.maven.plugins", "maven-dependency-plugin", "3.5.0"}} {
		wantExternal("store", v[0], v[1], v[2], "public:maven-central")
		wantExternal("team", v[0], v[1], v[2], "public:maven-central") // retained where asked
	}
	// "mvn PREFIX:GOAL" resolves the prefix through the public plugin
	// group's maven-metadata.xml, passed on by Wharf.
	st, local := settings("prefix")
	out, err = rig.run(st, "-C", "dependency:get", "-Dartifact=commons-digester:commons-digester:1.8.1")
	mustMvn(t, "mvn dependency:get by the plugin's prefix", out, err)
	if _, err := os.Stat(filepath.Join(local, deps[0])); err != nil {
		t.Fatalf("dependency:get by prefix did not resolve commons-digester: %v\n%s", err, out)
	}
	pkg, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String(dom), Repository: aws.String("store"),
		Format: types.PackageFormatMaven, Namespace: aws.String("commons-digester"), Package: aws.String("commons-digester")})
	if err != nil {
		t.Fatal(err)
	}
	if r := pkg.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
		t.Errorf("store's commons-digester origin restrictions %+v, want publish=BLOCK upstream=ALLOW", r)
	}

	// Released upstream after the first fetch: a range resolves through
	// the merged metadata, an exact version at once.
	central.Add("com.acme.probe", "probe", "1.0", map[string][]byte{"pom": probePOM("1.0"), "jar": jarOf(t, "probe 1.0")})
	out, local, err = get("range", "com.acme.probe:probe:[1.0,2.0)")
	mustMvn(t, "dependency:get a range of a public artifact", out, err)
	if _, err := os.Stat(filepath.Join(local, "com/acme/probe/probe/1.0/probe-1.0.jar")); err != nil {
		t.Fatalf("the range did not resolve to 1.0: %v\n%s", err, out)
	}
	jar11 := jarOf(t, "probe 1.1") // (zip entries in map order: built once)
	central.Add("com.acme.probe", "probe", "1.1", map[string][]byte{"pom": probePOM("1.1"), "jar": jar11})
	out, local, err = get("added", "com.acme.probe:probe:1.1")
	mustMvn(t, "dependency:get of a version released upstream since", out, err)
	if got, err := os.ReadFile(filepath.Join(local, "com/acme/probe/probe/1.1/probe-1.1.jar")); err != nil || !bytes.Equal(got, jar11) {
		t.Fatalf("probe 1.1 not resolved: %v\n%s", err, out)
	}
	wantExternal("store", "com.acme.probe", "probe", "1.1", "public:maven-central")

	// The upstream stops: what was fetched still resolves, from a fresh
	// local repository; a version never fetched is a 502.
	central.Add("com.acme.probe", "probe", "1.2", map[string][]byte{"pom": probePOM("1.2"), "jar": jarOf(t, "probe 1.2")})
	for _, o := range []upstreamtest.Outage{upstreamtest.Unavailable, upstreamtest.Unreachable} {
		central.SetOutage(o)
		name := map[upstreamtest.Outage]string{upstreamtest.Unavailable: "unavailable", upstreamtest.Unreachable: "unreachable"}[o]
		out, local, err = get(name, "commons-digester:commons-digester:1.8.1")
		mustMvn(t, "dependency:get of fetched versions with the upstream "+name, out, err)
		for _, f := range deps {
			if _, err := os.Stat(filepath.Join(local, f)); err != nil {
				t.Fatalf("upstream %s: %s not resolved: %v\n%s", name, f, err, out)
			}
		}
		out, _, err = get(name+"-1.1", "com.acme.probe:probe:1.1")
		mustMvn(t, "dependency:get of probe 1.1 with the upstream "+name, out, err)
		out, _, err = get(name+"-new", "com.acme.probe:probe:1.2")
		if err == nil {
			t.Fatalf("upstream %s: probe 1.2, never fetched, resolved\n%s", name, out)
		}
		body := wantStatus(team+"com/acme/probe/probe/1.2/probe-1.2.pom", http.StatusBadGateway)
		if !strings.Contains(body, "public:maven-central") {
			t.Errorf("upstream %s: the 502 does not name the connection: %s", name, body)
		}
	}
	central.SetOutage(upstreamtest.Up)

	// A corrupted release is refused, and nothing of it kept.
	central.Add("com.acme.probe", "probe", "1.3", map[string][]byte{"pom": probePOM("1.3"), "jar": jarOf(t, "probe 1.3")})
	central.Corrupt("com/acme/probe/probe/1.3/probe-1.3.pom")
	central.Corrupt("com/acme/probe/probe/1.3/probe-1.3.jar")
	out, _, err = get("corrupt", "com.acme.probe:probe:1.3")
	if err == nil {
		t.Fatalf("mvn resolved a corrupted release\n%s", out)
	}
	wantStatus(team+"com/acme/probe/probe/1.3/probe-1.3.jar", http.StatusBadGateway)
	for _, repo := range []string{"store", "team"} {
		if o := origin(repo, "com.acme.probe", "probe", "1.3"); o != nil {
			t.Errorf("the corrupted 1.3 was retained in %s: %+v", repo, o)
		}
	}

	// public:maven-clojars, its own flag and stand-in.
	cljJar := jarOf(t, "clj")
	clojars.Add("org.clojars.probe", "cljprobe", "0.1.0", map[string][]byte{"pom": []byte(strings.ReplaceAll(string(probePOM("0.1.0")),
		"<groupId>com.acme.probe</groupId>\n  <artifactId>probe</artifactId>", "<groupId>org.clojars.probe</groupId>\n  <artifactId>cljprobe</artifactId>")), "jar": cljJar})
	jstore := s.Endpoint(t, dom, "jstore", types.PackageFormatMaven)
	if md := wantStatus(jstore+"org/clojars/probe/cljprobe/maven-metadata.xml", http.StatusOK); !strings.Contains(md, "<version>0.1.0</version>") {
		t.Errorf("jstore's maven-metadata.xml does not list the public 0.1.0:\n%s", md)
	}
	if jar := wantStatus(jstore+"org/clojars/probe/cljprobe/0.1.0/cljprobe-0.1.0.jar", http.StatusOK); jar != string(cljJar) {
		t.Errorf("jstore served another jar than clojars'")
	}
	wantExternal("jstore", "org.clojars.probe", "cljprobe", "0.1.0", "public:maven-clojars")
	if clojars.Total() == 0 || central.Requests("/org/clojars/probe/cljprobe/maven-metadata.xml") != 0 {
		t.Errorf("public:maven-clojars was not read from its own URL")
	}
}
