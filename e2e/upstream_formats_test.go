package e2e

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// chainRepos makes each repository's single upstream the next one named:
// chainRepos(c, d, "upb", "mid", "upa") gives upb -> mid -> upa.
func chainRepos(t *testing.T, c *ca.Client, domain string, repos ...string) {
	t.Helper()
	for i := 0; i+1 < len(repos); i++ {
		if _, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repos[i]),
			Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String(repos[i+1])}}}); err != nil {
			t.Fatalf("UpdateRepository %s upstream %s: %v", repos[i], repos[i+1], err)
		}
	}
}

func associate(t *testing.T, c *ca.Client, domain, repo, conn string) {
	t.Helper()
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String(domain),
		Repository: aws.String(repo), ExternalConnection: aws.String(conn)}); err != nil {
		t.Fatalf("AssociateExternalConnection %s %s: %v", repo, conn, err)
	}
}

// wantNoPackage checks a repository holds no such package: intermediates
// of a resolution retain nothing.
func wantNoPackage(t *testing.T, c *ca.Client, domain, repo string, f types.PackageFormat, ns, pkg string) {
	t.Helper()
	in := &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo), Format: f, Package: aws.String(pkg)}
	if ns != "" {
		in.Namespace = aws.String(ns)
	}
	out, err := c.ListPackageVersions(ctx, in)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("ListPackageVersions %s in %s: %v %+v, want ResourceNotFoundException (nothing retained)", pkg, repo, err, out)
	}
}

// TestPyPIUpstreamReadThrough: twine uploads to a; pip, logged in to b
// (b -> mid -> a), downloads and installs it through b; the version is
// retained in b, not in mid; a package that blocks upstream versions
// sees only its own; and a miss reaching public:pypi, whose index is
// down, is a 502.
func TestPyPIUpstreamReadThrough(t *testing.T) {
	t.Parallel()
	s := StartServerWith(t, ServerOptions{Args: []string{"--pypi-url", "http://" + freeAddr(t)}})
	c := s.Client()
	const dom = "pyup"
	Setup(t, c, dom, "upa", "mid", "upb", "blk", "pystore")
	chainRepos(t, c, dom, "upb", "mid", "upa")
	chainRepos(t, c, dom, "blk", "upa")
	associate(t, c, dom, "pystore", "public:pypi")
	env := pyClients(t, s, dom, "upa") // twine to a
	Run(t, env, "", "aws", "codeartifact", "login", "--tool", "pip", "--domain", dom, "--repository", "upb", "--endpoint-url", s.URL)
	token := s.Token(t, dom)

	dist := t.TempDir()
	wheel := pyBuildWheel(t, dist, pyDist{name: "Wharf_Up", version: "1.0", summary: "from a", marker: "in-a"})
	if out, err := twineUpload(env, wheel); err != nil {
		t.Fatalf("twine upload to a: %v\n%s", err, out)
	}
	wantNoPackage(t, c, dom, "upb", types.PackageFormatPypi, "", "wharf-up")

	got, out, err := pipDownload(t, env, "wharf-up==1.0")
	if err != nil {
		t.Fatalf("pip download through b: %v\n%s", err, out)
	}
	name := filepath.Base(wheel)
	if !bytes.Equal(got[name], pyRead(t, wheel)) {
		t.Fatalf("pip download through b got %v, want %s with a's bytes\n%s", pyKeys(got), name, out)
	}
	target := t.TempDir()
	if out, err := RunErr(env, "", "pip", "install", "--no-deps", "--disable-pip-version-check", "--target", target, "wharf-up==1.0"); err != nil {
		t.Fatalf("pip install through b: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(target, "wharf_up", "__init__.py")); err != nil || !strings.Contains(string(b), "in-a") {
		t.Fatalf("pip install through b installed %q, %v", b, err)
	}

	// Retained in b, with a's origin; mid, between them, retains nothing.
	if got := pypiVersions(t, c, dom, "upb", "wharf-up", ""); !slices.Equal(got, []string{"1.0"}) {
		t.Fatalf("ListPackageVersions in b after pip = %v, want [1.0]", got)
	}
	dv, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("upb"),
		Format: types.PackageFormatPypi, Package: aws.String("wharf-up"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatal(err)
	}
	if o := dv.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeInternal ||
		o.DomainEntryPoint == nil || aws.ToString(o.DomainEntryPoint.RepositoryName) != "upa" {
		t.Errorf("origin of the retained version: %+v, want INTERNAL entered at a", o)
	}
	wantNoPackage(t, c, dom, "mid", types.PackageFormatPypi, "", "wharf-up")

	// blk's own package (a direct upload makes upstream=BLOCK) lists and
	// serves only its own versions.
	blkBase := s.Endpoint(t, dom, "blk", types.PackageFormatPypi)
	own := pyBuildWheel(t, t.TempDir(), pyDist{name: "Wharf_Up", version: "0.9", summary: "in blk", marker: "in-blk"})
	if out, err := RunErr(env, "", "twine", "upload", "--repository-url", blkBase, "-u", "aws", "-p", token, "--disable-progress-bar", own); err != nil {
		t.Fatalf("twine upload to blk: %v\n%s", err, out)
	}
	page := pyBody(t, pyGet(t, blkBase+"simple/wharf-up/", token, ""))
	if !strings.Contains(page, "wharf_up-0.9-") || strings.Contains(page, "wharf_up-1.0-") {
		t.Errorf("blk's page with upstream=BLOCK shows a's version or misses its own:\n%s", page)
	}
	if resp := pyGet(t, blkBase+"files/wharf-up/1.0/"+name, token, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("blk (upstream=BLOCK) served a's file: %d", resp.StatusCode)
	}
	if got := pypiVersions(t, c, dom, "blk", "wharf-up", ""); !slices.Equal(got, []string{"0.9"}) {
		t.Errorf("blk holds %v, want only [0.9]", got)
	}

	// pystore's connection cannot be reached: a 502 that says so, for the
	// page and the file alike, and nothing recorded.
	store := s.Endpoint(t, dom, "pystore", types.PackageFormatPypi)
	pyWantStatus(t, store+"simple/requests/", token, http.StatusBadGateway, "public:pypi")
	pyWantStatus(t, store+"files/requests/2.31.0/requests-2.31.0-py3-none-any.whl", token, http.StatusBadGateway, "public:pypi")
	wantNoPackage(t, c, dom, "pystore", types.PackageFormatPypi, "", "requests")
}

// TestMavenUpstreamReadThrough: mvn deploys to a; dependency:get through
// b (b -> mid -> a) resolves it, b retains the version and mid does not
// (public:maven-central: public_maven_test.go).
func TestMavenUpstreamReadThrough(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const dom = "mvnup"
	Setup(t, c, dom, "upa", "mid", "upb")
	chainRepos(t, c, dom, "upb", "mid", "upa")
	tok := s.Token(t, dom)

	ma := newMvnRig(t, s.Endpoint(t, dom, "upa", types.PackageFormatMaven))
	aSettings, _ := ma.settings("upa", tok)
	jar := jarOf(t, "up in a")
	out, err := ma.deploy(aSettings, "-Dfile="+ma.file("uplib.jar", jar),
		"-DgroupId=com.acme", "-DartifactId=uplib", "-Dversion=1.0", "-Dpackaging=jar")
	mustMvn(t, "deploy to a", out, err)

	bBase := s.Endpoint(t, dom, "upb", types.PackageFormatMaven)
	md := pyBody(t, pyGet(t, bBase+"com/acme/uplib/maven-metadata.xml", tok, ""))
	if !strings.Contains(md, "<version>1.0</version>") {
		t.Errorf("maven-metadata.xml through b does not list a's 1.0:\n%s", md)
	}

	mb := newMvnRig(t, bBase)
	bSettings, bLocal := mb.settings("upb", tok)
	out, err = mb.get(bSettings, "com.acme:uplib:1.0:jar")
	mustMvn(t, "dependency:get through b", out, err)
	if got, err := os.ReadFile(filepath.Join(bLocal, "com/acme/uplib/1.0/uplib-1.0.jar")); err != nil || !bytes.Equal(got, jar) {
		t.Fatalf("the jar resolved through b is not a's (%v)", err)
	}
	if got := mvnVersions(t, c, dom, "upb", "com.acme", "uplib", ""); got["1.0"] != types.PackageVersionStatusPublished || len(got) != 1 {
		t.Fatalf("ListPackageVersions in b after dependency:get = %v, want 1.0 Published", got)
	}
	wantNoPackage(t, c, dom, "mid", types.PackageFormatMaven, "com.acme", "uplib")

}
