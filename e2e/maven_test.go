package e2e

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// The Maven tests drive the real mvn (Debian's 3.8) with the deploy and
// dependency plugins Debian ships; Maven Central is unreachable, so
// settings.xml mirrors central to /usr/share/maven-repo.

const (
	mvnDeployPlugin = "org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file"
	mvnGetPlugin    = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get"
	mvnServerID     = "wharf"
)

// mvnNeed finds mvn and the two plugins. Missing, it fails under CI
// (where .ci/run installs them) and skips, loudly, elsewhere.
func mvnNeed(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("mvn")
	for _, dir := range []string{
		"/usr/share/maven-repo/org/apache/maven/plugins/maven-deploy-plugin/3.0.0",
		"/usr/share/maven-repo/org/apache/maven/plugins/maven-dependency-plugin/3.5.0",
	} {
		if err == nil {
			_, err = os.Stat(dir)
		}
	}
	if err != nil {
		missingTool(t, "Maven with its Debian plugins", err, "apt-get install -y maven libmaven-deploy-plugin-java libmaven-dependency-plugin-java junit4")
	}
}

// mvnRig runs mvn against one repository endpoint from an empty working
// directory (mvn would otherwise pick up a pom.xml as its project).
type mvnRig struct {
	t        *testing.T
	dir      string
	work     string
	endpoint string
	env      []string
}

func newMvnRig(t *testing.T, endpoint string) *mvnRig {
	t.Helper()
	mvnNeed(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "MAVEN_") {
			env = append(env, kv)
		}
	}
	// The JVM's quick tier is plenty for short mvn runs and halves them.
	env = append(env, "HOME="+dir, "MAVEN_OPTS=-XX:+TieredCompilation -XX:TieredStopAtLevel=1")
	return &mvnRig{t: t, dir: dir, work: work, endpoint: endpoint, env: env}
}

// settings writes a settings.xml with its own local repository and, when
// token is not empty, credentials for the endpoint.
func (m *mvnRig) settings(name, token string) (path, localRepo string) {
	m.t.Helper()
	localRepo = filepath.Join(m.dir, name+"-m2")
	server := ""
	if token != "" {
		server = "<servers><server><id>" + mvnServerID + "</id><username>aws</username><password>" + token + "</password></server></servers>"
	}
	doc := `<settings>
  <localRepository>` + localRepo + `</localRepository>
  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
  ` + server + `
</settings>`
	path = filepath.Join(m.dir, name+"-settings.xml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		m.t.Fatal(err)
	}
	return path, localRepo
}

func (m *mvnRig) run(settings string, args ...string) (string, error) {
	return RunErr(m.env, m.work, "mvn", append([]string{"-B", "-s", settings}, args...)...)
}

// deploy runs deploy-file with the given artifact arguments.
func (m *mvnRig) deploy(settings string, args ...string) (string, error) {
	return m.run(settings, append([]string{mvnDeployPlugin, "-DrepositoryId=" + mvnServerID, "-Durl=" + m.endpoint}, args...)...)
}

// get runs dependency:get for artifact (g:a:v:jar).
func (m *mvnRig) get(settings, artifact string) (string, error) {
	return m.run(settings, mvnGetPlugin, "-DremoteRepositories="+mvnServerID+"::default::"+m.endpoint, "-Dartifact="+artifact)
}

// file writes content under the rig's directory and returns its path.
func (m *mvnRig) file(name string, content []byte) string {
	m.t.Helper()
	p := filepath.Join(m.dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		m.t.Fatal(err)
	}
	return p
}

// jarOf builds a small jar (a zip with a manifest and one text entry).
func jarOf(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\n\r\n", "content.txt": text} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mustMvn fails the test with mvn's output when it failed.
func mustMvn(t *testing.T, what string, out string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
}

// mustNotResolve checks a dependency:get failed because the artifact was
// not there, not for some other reason.
func mustNotResolve(t *testing.T, what, out string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: dependency:get succeeded, want a failure\n%s", what, out)
	}
	if !strings.Contains(out, "Could not find artifact") && !strings.Contains(out, "not found") {
		t.Fatalf("%s: dependency:get failed for another reason than a missing artifact\n%s", what, out)
	}
}

func mvnVersions(t *testing.T, c *ca.Client, domain, repo, ns, pkg string, status types.PackageVersionStatus) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String(ns), Package: aws.String(pkg), Status: status})
	if err != nil {
		t.Fatalf("ListPackageVersions %s:%s: %v", ns, pkg, err)
	}
	got := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		got[*v.Version] = v.Status
	}
	return got
}

func mvnSetStatus(t *testing.T, c *ca.Client, domain, repo, ns, pkg, version string, st types.PackageVersionStatus) {
	t.Helper()
	out, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String(ns), Package: aws.String(pkg), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s -> %s: %v %+v", version, st, err, out)
	}
}

// TestMavenDeployResolveLifecycle: mvn deploys a jar with its POM, the
// control plane sees the version, its dependencies and description, and
// mvn resolves it (with a dependency deployed alongside) until it is
// archived or deleted.
func TestMavenDeployResolveLifecycle(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const domain, repo = "mvn", "releases"
	Setup(t, c, domain, repo)
	m := newMvnRig(t, s.Endpoint(t, domain, repo, types.PackageFormatMaven))
	tok := s.Token(t, domain)
	deploySettings, _ := m.settings("deploy", tok)

	coreJar, libJar := jarOf(t, "core"), jarOf(t, "lib")
	out, err := m.deploy(deploySettings, "-Dfile="+m.file("core.jar", coreJar),
		"-DgroupId=com.acme", "-DartifactId=core", "-Dversion=1.0", "-Dpackaging=jar")
	mustMvn(t, "deploy core", out, err)
	libPOM := `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>lib</artifactId>
  <version>1.0</version>
  <description>Acme test library,
    deployed by the real mvn.</description>
  <url>https://acme.example/lib</url>
  <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license></licenses>
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
  </dependencies>
</project>
`
	out, err = m.deploy(deploySettings, "-Dfile="+m.file("lib.jar", libJar), "-DpomFile="+m.file("lib.pom", []byte(libPOM)))
	mustMvn(t, "deploy lib", out, err)

	if got := mvnVersions(t, c, domain, repo, "com.acme", "lib", ""); len(got) != 1 || got["1.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions after deploy = %v, want 1.0 Published", got)
	}
	d, r, f, ns, p, v := aws.String(domain), aws.String(repo), types.PackageFormatMaven, aws.String("com.acme"), aws.String("lib"), aws.String("1.0")
	deps, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	var gotDeps []string
	for _, dep := range deps.Dependencies {
		gotDeps = append(gotDeps, aws.ToString(dep.Namespace)+":"+aws.ToString(dep.Package)+":"+aws.ToString(dep.VersionRequirement)+":"+aws.ToString(dep.DependencyType))
	}
	if want := []string{"com.acme:core:1.0:compile", "junit:junit:4.13.2:test"}; !slices.Equal(gotDeps, want) {
		t.Fatalf("ListPackageVersionDependencies = %v, want %v", gotDeps, want)
	}
	desc, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	pv := desc.PackageVersion
	if aws.ToString(pv.Summary) != "Acme test library, deployed by the real mvn." || aws.ToString(pv.HomePage) != "https://acme.example/lib" ||
		len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "Apache-2.0" {
		t.Fatalf("DescribePackageVersion = summary %q, home %q, licenses %+v", aws.ToString(pv.Summary), aws.ToString(pv.HomePage), pv.Licenses)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range assets.Assets {
		names = append(names, aws.ToString(a.Name))
	}
	// Checksums and metadata are generated, never stored as assets.
	if want := []string{"lib-1.0.jar", "lib-1.0.pom"}; !slices.Equal(names, want) {
		t.Fatalf("assets = %v, want %v", names, want)
	}

	getSettings, local := m.settings("get", tok)
	libDir := filepath.Join(local, "com", "acme", "lib")
	resolve := func() (string, error) {
		// Forget what an earlier run cached (including "not found"), so
		// every get asks the server.
		os.RemoveAll(libDir)
		return m.get(getSettings, "com.acme:lib:1.0:jar")
	}
	out, err = resolve()
	mustMvn(t, "dependency:get", out, err)
	if got, err := os.ReadFile(filepath.Join(libDir, "1.0", "lib-1.0.jar")); err != nil || !bytes.Equal(got, libJar) {
		t.Fatalf("resolved jar differs from the deployed one (%v)", err)
	}
	if got, err := os.ReadFile(filepath.Join(local, "com", "acme", "core", "1.0", "core-1.0.jar")); err != nil || !bytes.Equal(got, coreJar) {
		t.Fatalf("the compile dependency was not resolved through Wharf (%v)\n%s", err, out)
	}

	mvnSetStatus(t, c, domain, repo, "com.acme", "lib", "1.0", types.PackageVersionStatusArchived)
	out, err = resolve()
	mustNotResolve(t, "archived", out, err)
	mvnSetStatus(t, c, domain, repo, "com.acme", "lib", "1.0", types.PackageVersionStatusPublished)
	out, err = resolve()
	mustMvn(t, "dependency:get after restoring", out, err)

	del, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p, Versions: []string{"1.0"}})
	if err != nil || len(del.FailedVersions) > 0 {
		t.Fatalf("DeletePackageVersions: %v %+v", err, del)
	}
	out, err = resolve()
	mustNotResolve(t, "deleted", out, err)
}

// TestMavenSnapshot: two deploys of a SNAPSHOT add timestamped builds to
// one version, and mvn resolves the newest.
func TestMavenSnapshot(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const domain, repo = "mvnsnap", "snapshots"
	Setup(t, c, domain, repo)
	m := newMvnRig(t, s.Endpoint(t, domain, repo, types.PackageFormatMaven))
	tok := s.Token(t, domain)
	deploySettings, _ := m.settings("deploy", tok)

	builds := [][]byte{jarOf(t, "build one"), jarOf(t, "build two")}
	for i, jar := range builds {
		out, err := m.deploy(deploySettings, "-Dfile="+m.file("snap.jar", jar),
			"-DgroupId=com.acme", "-DartifactId=snap", "-Dversion=1.0-SNAPSHOT", "-Dpackaging=jar")
		mustMvn(t, "deploy SNAPSHOT build", out, err)
		uploaded := regexp.MustCompile(`Uploaded to ` + mvnServerID + `: \S+/snap-1\.0-[0-9]{8}\.[0-9]{6}-` + strconv.Itoa(i+1) + `\.jar`)
		if !uploaded.MatchString(out) {
			t.Fatalf("build %d was not uploaded as a timestamped file numbered %d:\n%s", i+1, i+1, out)
		}
	}
	if got := mvnVersions(t, c, domain, repo, "com.acme", "snap", ""); len(got) != 1 || got["1.0-SNAPSHOT"] != types.PackageVersionStatusPublished {
		t.Fatalf("ListPackageVersions = %v, want only 1.0-SNAPSHOT Published", got)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.acme"), Package: aws.String("snap"), PackageVersion: aws.String("1.0-SNAPSHOT")})
	if err != nil {
		t.Fatal(err)
	}
	jars := 0
	for _, a := range assets.Assets {
		if strings.HasSuffix(aws.ToString(a.Name), ".jar") {
			jars++
		}
	}
	if len(assets.Assets) != 4 || jars != 2 {
		t.Fatalf("assets of 1.0-SNAPSHOT = %+v, want two timestamped jars and two POMs", assets.Assets)
	}

	getSettings, local := m.settings("get", tok)
	out, err := m.get(getSettings, "com.acme:snap:1.0-SNAPSHOT:jar")
	mustMvn(t, "dependency:get SNAPSHOT", out, err)
	got, err := os.ReadFile(filepath.Join(local, "com", "acme", "snap", "1.0-SNAPSHOT", "snap-1.0-SNAPSHOT.jar"))
	if err != nil || !bytes.Equal(got, builds[1]) {
		t.Fatalf("resolved SNAPSHOT is not the newest build (%v)\n%s", err, out)
	}
}

// TestMavenAuthAndUnfinished: without the right token nothing is written;
// a jar uploaded without maven-metadata.xml stays Unfinished and cannot
// be resolved; bad paths and POMs are refused.
func TestMavenAuthAndUnfinished(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const domain, repo = "mvnauth", "repo"
	Setup(t, c, domain, repo)
	endpoint := s.Endpoint(t, domain, repo, types.PackageFormatMaven)
	m := newMvnRig(t, endpoint)
	tok := s.Token(t, domain)
	jar := m.file("lib.jar", jarOf(t, "lib"))
	coords := []string{"-Dfile=" + jar, "-DgroupId=com.acme", "-DartifactId=lib", "-Dversion=1.0", "-Dpackaging=jar"}

	for _, tc := range []struct{ name, token string }{{"wrong token", "not-a-token"}, {"missing token", ""}} {
		settings, _ := m.settings(strings.ReplaceAll(tc.name, " ", "-"), tc.token)
		out, err := m.deploy(settings, coords...)
		if err == nil || !strings.Contains(out, "401") {
			t.Fatalf("deploy with %s: %v, want a failure with 401\n%s", tc.name, err, out)
		}
	}
	_, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.acme"), Package: aws.String("lib")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("after refused deploys ListPackageVersions = %v, want ResourceNotFoundException (nothing written)", err)
	}

	put := func(path, token string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, endpoint+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.SetBasicAuth("aws", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("401 without a Basic challenge: %v", resp.Header)
		}
		return resp.StatusCode, string(b)
	}
	jarBytes, _ := os.ReadFile(jar)
	for _, tc := range []struct {
		name, path, token string
		body              []byte
		want              int
	}{
		{"no token", "com/acme/lib/1.0/lib-1.0.jar", "", jarBytes, 401},
		{"wrong token", "com/acme/lib/1.0/lib-1.0.jar", "not-a-token", jarBytes, 401},
		{"encoded traversal", "com/acme/%2e%2e/%2e%2e/lib/1.0/lib-1.0.jar", tok, jarBytes, 400},
		{"encoded slash", "com/acme%2flib/1.0/lib-1.0.jar", tok, jarBytes, 400},
		{"NUL", "com/acme/lib/1.0/lib-1.0.jar%00", tok, jarBytes, 400},
		{"malformed POM", "com/acme/lib/1.0/lib-1.0.pom", tok, []byte("<project><groupId>com.acme"), 400},
		{"POM of another artifact", "com/acme/lib/1.0/lib-1.0.pom", tok,
			[]byte("<project><groupId>com.acme</groupId><artifactId>other</artifactId><version>1.0</version></project>"), 400},
		{"malformed maven-metadata.xml", "com/acme/lib/maven-metadata.xml", tok, []byte("<metadata><versioning>"), 400},
	} {
		if st, body := put(tc.path, tc.token, tc.body); st != tc.want {
			t.Fatalf("%s: PUT %s = %d %s, want %d", tc.name, tc.path, st, body, tc.want)
		}
	}
	if _, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.acme"), Package: aws.String("lib")}); !errors.As(err, &nf) {
		t.Fatalf("after refused uploads ListPackageVersions = %v, want ResourceNotFoundException", err)
	}

	// A jar without metadata: stored, Unfinished, not resolvable.
	if st, body := put("com/acme/lib/1.0/lib-1.0.jar", tok, jarBytes); st != http.StatusCreated {
		t.Fatalf("PUT jar = %d %s", st, body)
	}
	if got := mvnVersions(t, c, domain, repo, "com.acme", "lib", ""); len(got) != 1 || got["1.0"] != types.PackageVersionStatusUnfinished {
		t.Fatalf("ListPackageVersions after a bare jar = %v, want 1.0 Unfinished", got)
	}
	getSettings, _ := m.settings("get", tok)
	out, err := m.get(getSettings, "com.acme:lib:1.0:jar")
	mustNotResolve(t, "unfinished", out, err)
}
