package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// pyDist describes a distribution built by the test: a real wheel or
// sdist that twine reads and pip installs.
type pyDist struct {
	name           string // as in METADATA ("Wharf_Demo")
	version        string
	requiresPython string
	summary        string
	requiresDist   []string
	// marker ends up in the package's __init__.py, so two builds of one
	// version can differ.
	marker string
}

func (d pyDist) metadata() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n", d.name, d.version, d.summary)
	b.WriteString("Home-page: https://example.test/wharf-demo\nLicense: MIT\n")
	b.WriteString("Project-URL: Source, https://example.test/wharf-demo/src\n")
	if d.requiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", d.requiresPython)
	}
	for _, r := range d.requiresDist {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	b.WriteString("Description-Content-Type: text/markdown\n\n# Wharf demo\n\nA package built by the end-to-end tests.\n")
	return b.String()
}

func (d pyDist) module() string { return strings.ToLower(strings.ReplaceAll(d.name, "-", "_")) }

func (d pyDist) initPy() string {
	return fmt.Sprintf("VERSION = %q\nMARKER = %q\n", d.version, d.marker)
}

// pyBuildWheel writes NAME-VER-py3-none-any.whl into dir: the package, and
// a dist-info folder with METADATA, WHEEL and a RECORD of both.
func pyBuildWheel(t *testing.T, dir string, d pyDist) string {
	t.Helper()
	mod := d.module()
	distInfo := fmt.Sprintf("%s-%s.dist-info", mod, d.version)
	files := []struct{ name, body string }{
		{mod + "/__init__.py", d.initPy()},
		{distInfo + "/METADATA", d.metadata()},
		{distInfo + "/WHEEL", "Wheel-Version: 1.0\nGenerator: wharf-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.body)
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", distInfo)
	w, err := zw.Create(distInfo + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, record.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", mod, d.version))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pyBuildSdist writes NAME-VER.tar.gz (keeping the name's spelling, as
// legacy sdists do) with PKG-INFO and an in-tree PEP 517 backend that
// needs nothing installed, so pip can prepare it without the network.
func pyBuildSdist(t *testing.T, dir string, d pyDist) string {
	t.Helper()
	root := fmt.Sprintf("%s-%s", d.name, d.version)
	backend := fmt.Sprintf(`import base64, hashlib, os, zipfile

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.dirname(os.path.abspath(__file__))
    files = {}
    with open(os.path.join(here, "PKG-INFO")) as f:
        files["%[1]s-%[2]s.dist-info/METADATA"] = f.read()
    with open(os.path.join(here, "%[1]s", "__init__.py")) as f:
        files["%[1]s/__init__.py"] = f.read()
    files["%[1]s-%[2]s.dist-info/WHEEL"] = "Wheel-Version: 1.0\nGenerator: wharf-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = ""
    for name, body in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
        record += "%%s,sha256=%%s,%%d\n" %% (name, digest, len(body.encode()))
    files["%[1]s-%[2]s.dist-info/RECORD"] = record + "%[1]s-%[2]s.dist-info/RECORD,,\n"
    wheel = "%[1]s-%[2]s-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
    return wheel
`, d.module(), d.version)
	files := []struct{ name, body string }{
		{root + "/PKG-INFO", d.metadata()},
		{root + "/pyproject.toml", "[build-system]\nrequires = []\nbuild-backend = \"wharf_backend\"\nbackend-path = [\".\"]\n"},
		{root + "/wharf_backend.py", backend},
		{root + "/" + d.module() + "/__init__.py", d.initPy()},
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, f.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, root+".tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pyNeedTool finds a client (see missingTool).
func pyNeedTool(t *testing.T, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		missingTool(t, name, err, install)
	}
}

// pyEnv is s.Env with only the configuration `aws codeartifact login`
// writes into HOME: no index, find-links or config from the machine, no
// prompts, no keyring.
func pyEnv(t *testing.T, s *Server) []string {
	var env []string
	for _, kv := range s.Env(t) {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TWINE_") || strings.HasPrefix(k, "XDG_") || slices.Contains([]string{
			"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONFIG_FILE", "PIP_REQUIRE_VIRTUALENV"}, k) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PIP_NO_INPUT=1", "PIP_KEYRING_PROVIDER=disabled", "TWINE_NON_INTERACTIVE=1", "PYTHONDONTWRITEBYTECODE=1")
}

func pyHome(env []string) string {
	for _, kv := range env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			return h
		}
	}
	return ""
}

// pyClients logs twine and pip in to the repository with the real
// `aws codeartifact login` and returns their environment.
func pyClients(t *testing.T, s *Server, domain, repo string) []string {
	t.Helper()
	pyNeedTool(t, "twine", "apt-get install -y twine")
	pyNeedTool(t, "pip", "pip comes with Python")
	pyNeedTool(t, "aws", "pip install awscli")
	env := pyEnv(t, s)
	for _, tool := range []string{"twine", "pip"} {
		Run(t, env, "", "aws", "codeartifact", "login", "--tool", tool, "--domain", domain, "--repository", repo, "--endpoint-url", s.URL)
	}
	rc, err := os.ReadFile(filepath.Join(pyHome(env), ".pypirc"))
	if err != nil || !strings.Contains(string(rc), "[codeartifact]") {
		t.Fatalf("aws codeartifact login --tool twine wrote no [codeartifact] section: %v\n%s", err, rc)
	}
	return env
}

func twineUpload(env []string, files ...string) (string, error) {
	return RunErr(env, "", "twine", append([]string{"upload", "--repository", "codeartifact", "--disable-progress-bar", "--verbose"}, files...)...)
}

// pipDownload runs pip download into a fresh folder and returns the
// files it fetched, or pip's output and error.
func pipDownload(t *testing.T, env []string, args ...string) (map[string][]byte, string, error) {
	t.Helper()
	dir := t.TempDir()
	out, err := RunErr(env, "", "pip", append([]string{"download", "--no-deps", "--disable-pip-version-check", "-d", dir}, args...)...)
	if err != nil {
		return nil, out, err
	}
	got := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = b
	}
	return got, out, nil
}

func pyRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pySHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// pyGet is an authenticated GET on the PyPI endpoint as pip sends it.
func pyGet(t *testing.T, url, token, accept string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("aws", token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// Redirects are checked by the callers, not followed.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func pyBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pypiVersions(t *testing.T, c *ca.Client, domain, repo, pkg string, status types.PackageVersionStatus) []string {
	t.Helper()
	out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatPypi, Package: aws.String(pkg), Status: status})
	if err != nil {
		t.Fatalf("ListPackageVersions %s: %v", pkg, err)
	}
	var vs []string
	for _, v := range out.Versions {
		vs = append(vs, *v.Version)
	}
	sort.Strings(vs)
	return vs
}

func pySetStatus(t *testing.T, c *ca.Client, domain, repo, version string, st types.PackageVersionStatus) {
	t.Helper()
	out, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatPypi, Package: aws.String("wharf-demo"), Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s -> %s: %v %+v", version, st, err, out)
	}
}

// TestPyPITwineUploadPipInstall: twine uploads a wheel and an sdist under
// a non-normalized name; pip finds them by the normalized one; the control
// plane sees the versions, metadata, dependencies and assets; status
// changes and deletes take effect for pip at once.
func TestPyPITwineUploadPipInstall(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "pyd", "pyrepo"
	Setup(t, c, dom, repo)
	env := pyClients(t, s, dom, repo)
	token := s.Token(t, dom)
	base := s.Endpoint(t, dom, repo, types.PackageFormatPypi)

	dist := t.TempDir()
	v1 := pyDist{name: "Wharf_Demo", version: "1.0.0", requiresPython: ">=3.8", summary: "Wharf demo package",
		requiresDist: []string{"requests>=2.0", `click (>=7.0) ; python_version < "4"`}, marker: "first"}
	wheel1 := pyBuildWheel(t, dist, v1)
	sdist1 := pyBuildSdist(t, dist, v1)
	// 2.0.0 needs a Python that does not exist, so pip must pass it over:
	// proof that requires-python reaches pip.
	v2 := pyDist{name: "Wharf_Demo", version: "2.0.0", requiresPython: ">=4", summary: "Wharf demo, future", marker: "future"}
	wheel2 := pyBuildWheel(t, dist, v2)

	if out, err := twineUpload(env, sdist1, wheel1, wheel2); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}

	// The same files again: idempotent, with or without --skip-existing.
	if out, err := twineUpload(env, sdist1, wheel1); err != nil {
		t.Fatalf("twine upload of identical files again: %v\n%s", err, out)
	}
	if out, err := twineUpload(env, "--skip-existing", wheel1); err != nil {
		t.Fatalf("twine upload --skip-existing of an identical file: %v\n%s", err, out)
	}
	// Other bytes under an existing file name: 409, which --skip-existing
	// treats as "already there".
	otherDir := t.TempDir()
	changed := pyBuildWheel(t, otherDir, pyDist{name: v1.name, version: v1.version, requiresPython: v1.requiresPython, summary: v1.summary, marker: "changed"})
	if out, err := twineUpload(env, changed); err == nil || !strings.Contains(out, "409") {
		t.Fatalf("twine upload of different bytes under an existing name: err=%v, want a 409 failure\n%s", err, out)
	}
	if out, err := twineUpload(env, "--skip-existing", changed); err != nil || !strings.Contains(out, "Skipping") {
		t.Fatalf("twine upload --skip-existing of different bytes: err=%v, want a skip\n%s", err, out)
	}

	// pip by the normalized name: the newest version this Python can use.
	got, out, err := pipDownload(t, env, "wharf-demo")
	if err != nil {
		t.Fatalf("pip download wharf-demo: %v\n%s", err, out)
	}
	if b, ok := got[filepath.Base(wheel1)]; !ok || !bytes.Equal(b, pyRead(t, wheel1)) || len(got) != 1 {
		t.Fatalf("pip download wharf-demo fetched %v, want exactly the uploaded %s\n%s", pyKeys(got), filepath.Base(wheel1), out)
	}
	target := t.TempDir()
	Run(t, env, "", "pip", "install", "--no-deps", "--disable-pip-version-check", "--target", target, "wharf-demo==1.0.0")
	if b, err := os.ReadFile(filepath.Join(target, "wharf_demo", "__init__.py")); err != nil || !strings.Contains(string(b), `MARKER = "first"`) {
		t.Fatalf("pip install --target: wharf_demo/__init__.py = %q, %v", b, err)
	}
	// The sdist, through pip too: pip prepares it with its own backend.
	got, out, err = pipDownload(t, env, "--no-binary", ":all:", "wharf-demo==1.0.0")
	if err != nil {
		t.Fatalf("pip download of the sdist: %v\n%s", err, out)
	}
	if b, ok := got[filepath.Base(sdist1)]; !ok || !bytes.Equal(b, pyRead(t, sdist1)) {
		t.Fatalf("pip download --no-binary fetched %v, want the uploaded %s\n%s", pyKeys(got), filepath.Base(sdist1), out)
	}

	// The control plane, by normalized name.
	if vs := pypiVersions(t, c, dom, repo, "wharf-demo", ""); !slices.Equal(vs, []string{"1.0.0", "2.0.0"}) {
		t.Fatalf("ListPackageVersions(wharf-demo) = %v, want [1.0.0 2.0.0]", vs)
	}
	pkgs, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String(repo), Format: types.PackageFormatPypi})
	if err != nil || len(pkgs.Packages) != 1 || *pkgs.Packages[0].Package != "wharf-demo" || pkgs.Packages[0].Namespace != nil {
		t.Fatalf("ListPackages = %+v, %v; want one package wharf-demo without namespace", pkgs, err)
	}
	ref := func(v string) (*string, *string, types.PackageFormat, *string, *string) {
		return aws.String(dom), aws.String(repo), types.PackageFormatPypi, aws.String("wharf-demo"), aws.String(v)
	}
	d, r, f, p, v := ref("1.0.0")
	desc, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: d, Repository: r, Format: f, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	pv := desc.PackageVersion
	if aws.ToString(pv.Summary) != "Wharf demo package" || aws.ToString(pv.HomePage) != "https://example.test/wharf-demo" ||
		aws.ToString(pv.SourceCodeRepository) != "https://example.test/wharf-demo/src" || pv.Status != types.PackageVersionStatusPublished ||
		len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "MIT" {
		t.Fatalf("DescribePackageVersion 1.0.0 = %+v", pv)
	}
	deps, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: d, Repository: r, Format: f, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	var depStrs []string
	for _, dep := range deps.Dependencies {
		depStrs = append(depStrs, fmt.Sprintf("%s|%s|%s", aws.ToString(dep.Package), aws.ToString(dep.DependencyType), aws.ToString(dep.VersionRequirement)))
	}
	sort.Strings(depStrs)
	if want := []string{`click|Requires-Dist|>=7.0; python_version < "4"`, "requests|Requires-Dist|>=2.0"}; !slices.Equal(depStrs, want) {
		t.Fatalf("ListPackageVersionDependencies = %q, want %q", depStrs, want)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: d, Repository: r, Format: f, Package: p, PackageVersion: v})
	if err != nil {
		t.Fatal(err)
	}
	gotAssets := map[string]string{}
	for _, a := range assets.Assets {
		gotAssets[aws.ToString(a.Name)] = a.Hashes["SHA-256"]
	}
	wantAssets := map[string]string{filepath.Base(wheel1): pySHA256(pyRead(t, wheel1)), filepath.Base(sdist1): pySHA256(pyRead(t, sdist1))}
	if fmt.Sprint(gotAssets) != fmt.Sprint(wantAssets) {
		t.Fatalf("ListPackageVersionAssets = %v, want %v", gotAssets, wantAssets)
	}

	pyCheckSimplePages(t, base, token, pyRead(t, wheel1))

	wheelURL := base + "files/wharf-demo/1.0.0/" + filepath.Base(wheel1)
	pipSees := func(want bool, why string) {
		t.Helper()
		got, out, err := pipDownload(t, env, "wharf-demo==1.0.0")
		switch {
		case want && (err != nil || got[filepath.Base(wheel1)] == nil):
			t.Fatalf("%s: pip download wharf-demo==1.0.0: %v %v\n%s", why, err, pyKeys(got), out)
		case !want && err == nil:
			t.Fatalf("%s: pip download wharf-demo==1.0.0 succeeded with %v, want no matching distribution", why, pyKeys(got))
		case !want && !strings.Contains(out, "No matching distribution"):
			t.Fatalf("%s: pip failed for another reason:\n%s", why, out)
		}
	}
	fileStatus := func(want int, why string) {
		t.Helper()
		resp := pyGet(t, wheelURL, token, "")
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: GET %s = %d, want %d", why, wheelURL, resp.StatusCode, want)
		}
	}

	// Archived: gone for pip, listing and download alike; restored: back.
	pySetStatus(t, c, dom, repo, "1.0.0", types.PackageVersionStatusArchived)
	pipSees(false, "archived")
	fileStatus(http.StatusNotFound, "archived")
	pySetStatus(t, c, dom, repo, "1.0.0", types.PackageVersionStatusPublished)
	pipSees(true, "restored from archived")

	// Unlisted: not offered to pip, still downloadable by URL.
	pySetStatus(t, c, dom, repo, "1.0.0", types.PackageVersionStatusUnlisted)
	pipSees(false, "unlisted")
	fileStatus(http.StatusOK, "unlisted")
	pySetStatus(t, c, dom, repo, "1.0.0", types.PackageVersionStatusPublished)

	// Deleted: gone; and the version may be published again.
	del, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: d, Repository: r, Format: f, Package: p, Versions: []string{"1.0.0"}})
	if err != nil || len(del.FailedVersions) > 0 {
		t.Fatalf("DeletePackageVersions: %v %+v", err, del)
	}
	pipSees(false, "deleted")
	fileStatus(http.StatusNotFound, "deleted")
	if vs := pypiVersions(t, c, dom, repo, "wharf-demo", ""); !slices.Equal(vs, []string{"2.0.0"}) {
		t.Fatalf("after delete ListPackageVersions = %v, want [2.0.0]", vs)
	}
	if out, err := twineUpload(env, wheel1); err != nil {
		t.Fatalf("twine upload after delete: %v\n%s", err, out)
	}
	pipSees(true, "re-published after delete")
}

// pyCheckSimplePages checks what pip does not show: HTML and JSON by Accept,
// escaping, the normalization redirect, and ETag revalidation.
func pyCheckSimplePages(t *testing.T, base, token string, wheel []byte) {
	t.Helper()
	resp := pyGet(t, base+"simple/Wharf_Demo/", token, "text/html")
	pyBody(t, resp)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "../wharf-demo/" {
		t.Fatalf("GET simple/Wharf_Demo/ = %d Location %q, want 301 to ../wharf-demo/", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp = pyGet(t, base+"simple/wharf-demo/", token, "text/html")
	page := pyBody(t, resp)
	wantLink := fmt.Sprintf(`href="../../files/wharf-demo/1.0.0/wharf_demo-1.0.0-py3-none-any.whl#sha256=%s" data-requires-python="&gt;=3.8"`, pySHA256(wheel))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, wantLink) ||
		!strings.Contains(page, `data-requires-python="&gt;=4"`) || !strings.Contains(page, "Wharf_Demo-1.0.0.tar.gz</a>") {
		t.Fatalf("HTML project page (%d %s) lacks %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), wantLink, page)
	}
	tag := resp.Header.Get("ETag")
	resp = pyGet(t, base+"simple/wharf-demo/", token, "text/html", "If-None-Match", tag)
	pyBody(t, resp)
	if tag == "" || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation with ETag %q = %d, want 304", tag, resp.StatusCode)
	}

	resp = pyGet(t, base+"simple/wharf-demo/", token, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Name  string `json:"name"`
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
			Size           int64             `json:"size"`
		} `json:"files"`
	}
	body := pyBody(t, resp)
	if err := json.Unmarshal([]byte(body), &doc); err != nil || resp.Header.Get("Content-Type") != "application/vnd.pypi.simple.v1+json" {
		t.Fatalf("JSON project page: %v (%s)\n%s", err, resp.Header.Get("Content-Type"), body)
	}
	if doc.Meta.APIVersion == "" || doc.Name != "wharf-demo" || len(doc.Files) != 3 {
		t.Fatalf("JSON project page = %+v", doc)
	}
	for _, f := range doc.Files {
		if f.Filename == "wharf_demo-1.0.0-py3-none-any.whl" && (f.Hashes["sha256"] != pySHA256(wheel) || f.RequiresPython != ">=3.8") {
			t.Fatalf("JSON file entry = %+v", f)
		}
		// The link, resolved as pip does, works with the same credentials.
		page, _ := url.Parse(base + "simple/wharf-demo/")
		link, err := page.Parse(f.URL)
		if err != nil {
			t.Fatal(err)
		}
		r := pyGet(t, link.String(), token, "")
		r.Body.Close()
		if r.StatusCode != 200 || r.ContentLength != f.Size {
			t.Fatalf("GET %s = %d, %d bytes, want 200 and %d bytes", link, r.StatusCode, r.ContentLength, f.Size)
		}
	}

	resp = pyGet(t, base+"simple/", token, "application/vnd.pypi.simple.v1+json")
	if body := pyBody(t, resp); !strings.Contains(body, `"projects":[{"name":"wharf-demo"}]`) {
		t.Fatalf("JSON root index: %s", body)
	}
	resp = pyGet(t, base+"simple/no-such-project/", token, "")
	pyBody(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown project = %d, want 404", resp.StatusCode)
	}
}

// TestPyPIRefusals: without a valid token nothing is read or written, and
// malformed uploads are refused with 4xx before anything is stored.
func TestPyPIRefusals(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "pyr", "pyrepo"
	Setup(t, c, dom, repo)
	env := pyClients(t, s, dom, repo)
	token := s.Token(t, dom)
	base := s.Endpoint(t, dom, repo, types.PackageFormatPypi)
	dist := t.TempDir()
	d := pyDist{name: "Wharf_Demo", version: "1.0.0", requiresPython: ">=3.8", summary: "demo", marker: "x"}
	wheel := pyBuildWheel(t, dist, d)

	out, err := RunErr(env, "", "twine", "upload", "--repository", "codeartifact", "--disable-progress-bar", "-p", "not-a-token", wheel)
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("twine upload with a wrong token: err=%v, want a 401 failure\n%s", err, out)
	}
	badPip := append(slices.Clone(env), "PIP_INDEX_URL="+strings.Replace(base, "http://", "http://aws:wrong@", 1)+"simple/")
	if _, out, err := pipDownload(t, badPip, "wharf-demo"); err == nil {
		t.Fatalf("pip with a wrong token succeeded:\n%s", out)
	}

	// Uploads as twine would send them, each broken in one way.
	content := pyRead(t, wheel)
	good := map[string]string{":action": "file_upload", "protocol_version": "1", "name": "Wharf-Demo", "version": "1.0.0",
		"filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1", "sha256_digest": pySHA256(content)}
	post := func(token string, fields map[string]string, filename string, file []byte, mangle func([]byte) []byte) *http.Response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			mw.WriteField(k, fields[k])
		}
		if file != nil {
			w, _ := mw.CreateFormFile("content", filename)
			w.Write(file)
		}
		mw.Close()
		b := body.Bytes()
		if mangle != nil {
			b = mangle(b)
		}
		req, _ := http.NewRequest(http.MethodPost, base, bytes.NewReader(b))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.SetBasicAuth("aws", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		pyBody(t, resp)
		return resp
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	wheelName := filepath.Base(wheel)
	md5Only := with("sha256_digest", "")
	md5Only["md5_digest"] = strings.Repeat("0", 32)
	cases := []struct {
		name     string
		token    string
		fields   map[string]string
		filename string
		file     []byte
		mangle   func([]byte) []byte
		want     int
	}{
		{"no token", "", good, wheelName, content, nil, http.StatusUnauthorized},
		{"wrong token", "garbage", good, wheelName, content, nil, http.StatusUnauthorized},
		{"truncated body", token, good, wheelName, content, func(b []byte) []byte { return b[:len(b)-200] }, http.StatusBadRequest},
		{"no file", token, good, "", nil, nil, http.StatusBadRequest},
		{"wrong name in file", token, good, "other_pkg-1.0.0-py3-none-any.whl", content, nil, http.StatusBadRequest},
		{"wrong version in file", token, good, "wharf_demo-1.0.1-py3-none-any.whl", content, nil, http.StatusBadRequest},
		{"invalid version", token, with("version", "one"), wheelName, content, nil, http.StatusBadRequest},
		{"invalid name", token, with("name", "-bad-"), wheelName, content, nil, http.StatusBadRequest},
		{"no action", token, with(":action", ""), wheelName, content, nil, http.StatusBadRequest},
		{"egg", token, with("filetype", "bdist_egg"), wheelName, content, nil, http.StatusBadRequest},
		{"not a zip", token, with("sha256_digest", ""), wheelName, []byte("hello, not a wheel"), nil, http.StatusBadRequest},
		{"sha256 mismatch", token, with("sha256_digest", strings.Repeat("ab", 32)), wheelName, content, nil, http.StatusBadRequest},
		{"md5 mismatch", token, md5Only, wheelName, content, nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		resp := post(tc.token, tc.fields, tc.filename, tc.file, tc.mangle)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate %q, want a Basic challenge", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// Not one of them left a package, a version or a page.
	pkgs, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String(repo)})
	if err != nil || len(pkgs.Packages) != 0 {
		t.Fatalf("after refused uploads ListPackages = %+v, %v; want none", pkgs.Packages, err)
	}
	resp := pyGet(t, base+"simple/wharf-demo/", token, "")
	pyBody(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("simple page after refused uploads = %d, want 404", resp.StatusCode)
	}
	// And a good upload then works: the refusals were about the requests.
	if resp := post(token, good, wheelName, content, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("good upload = %d", resp.StatusCode)
	}
	resp = pyGet(t, base+"simple/wharf-demo/", "", "")
	pyBody(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("simple page without a token = %d, want 401", resp.StatusCode)
	}
}

func pyKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
