package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// The web console in a real browser: Playwright (playwright-core, pinned
// in e2e/console/package.json and installed there by .ci/run) drives
// Debian's Chromium headless through e2e/console/console.spec.mjs against
// a wharf holding packages published with the real npm. The script signs
// in, browses, changes statuses, deletes and copies with confirmation,
// checks that npm sees the changes, that a read-only user gets no action
// buttons and is refused a crafted POST, that a hostile readme runs
// nothing, that a cross-site POST is refused, dry-runs a retention rule,
// restores a deleted version from the restore window and installs it with
// npm, finds those calls on the audit trail page, and writes screenshots
// into docs/screenshots.

func TestConsoleBrowser(t *testing.T) {
	chromium := os.Getenv("WHARF_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missingTool(t, "chromium", err, "apt-get install -y chromium")
	}
	needTool(t, "node", "node", "--version")
	if _, err := os.Stat(filepath.Join("console", "node_modules", "playwright-core", "package.json")); err != nil {
		missingTool(t, "playwright-core", err, "cd e2e/console && npm ci")
	}
	e := npmSetup(t)
	admin := e.s.Client()
	if _, err := admin.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(e.domain), Repository: aws.String("release"),
		Description: aws.String("Versions promoted from npm-store")}); err != nil {
		t.Fatal(err)
	}
	// Something to show on the repository and package-group pages: a
	// repository reading through npm-store and one holding the external
	// connection (a repository may not have both).
	if _, err := admin.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(e.domain), Repository: aws.String("npmjs-proxy")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String(e.domain), Repository: aws.String("npmjs-proxy"),
		ExternalConnection: aws.String("public:npmjs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		Description: aws.String("What the team installs from"),
		Upstreams:   []types.UpstreamRepository{{RepositoryName: aws.String(e.repo)}, {RepositoryName: aws.String("npmjs-proxy")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String(e.domain), Repository: aws.String("team"),
		PolicyDocument: resourcePolicy(stmt("Allow", []string{"arn:aws:iam::" + testAccount + ":root"}, "codeartifact:ReadFromRepository"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreatePackageGroup(ctx, &ca.CreatePackageGroupInput{Domain: aws.String(e.domain), PackageGroup: aws.String("/npm/*"),
		Description: aws.String("Every npm package"), ContactInfo: aws.String("platform@example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UpdatePackageGroupOriginConfiguration(ctx, &ca.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(e.domain), PackageGroup: aws.String("/npm/*"),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{string(types.PackageGroupOriginRestrictionTypeExternalUpstream): types.PackageGroupOriginRestrictionModeBlock}}); err != nil {
		t.Fatal(err)
	}

	readme := "# Console demo\n\nA package to **browse** in the console.\n\n- [documentation](https://example.com/docs)\n\n```js\nrequire('console-demo')\n```\n"
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0", "2.1.0"} {
		dir := npmPkgDir(t, map[string]any{"name": "console-demo", "version": v, "main": "index.js", "license": "MIT",
			"description": "A package to browse in the console", "dependencies": map[string]string{"left-pad": "^1.3.0"},
			"devDependencies": map[string]string{"mocha": "^10.0.0"}},
			map[string]string{"index.js": "module.exports = 1;\n", "README.md": readme})
		e.npm(t, dir, "publish")
	}
	evil := "# Evil readme\n\n<script>window.__pwned = 1; alert('script')</script>\n\n" +
		"<img src=x onerror=\"window.__pwned = 2; alert('img')\">\n\n" +
		"[click me](javascript:window.__pwned=3;alert('link'))\n\n" +
		"<a href=\"javascript:alert('raw')\">raw link</a>\n\n[fine link](https://example.com/)\n"
	dir := npmPkgDir(t, map[string]any{"name": "evil-readme", "version": "1.0.0", "main": "index.js", "license": "MIT"},
		map[string]string{"index.js": "module.exports = 1;\n", "README.md": evil})
	e.npm(t, dir, "publish")

	// The restore window keeps what the script deletes, and a retention
	// rule gives the dry run something to list: every version of each
	// package of the repository but its newest (the script dry-runs it and
	// never runs it).
	Run(t, e.env, "", wharfBin, "admin", "restore-window", "set", "--days", "7", "--domain", e.domain)
	Run(t, e.env, "", wharfBin, "admin", "retention", "put", "--domain", e.domain,
		"--rule", `{"name":"keep-newest","repository":"`+e.repo+`","keepNewest":1,"action":"ARCHIVE"}`)
	// A package without dependencies, so that npm can install it from
	// this registry alone once the console has restored it.
	for _, v := range []string{"1.0.0", "1.1.0"} {
		dir := npmPkgDir(t, map[string]any{"name": "restore-demo", "version": v, "main": "index.js", "license": "MIT"},
			map[string]string{"index.js": "module.exports = '" + v + "';\n"})
		e.npm(t, dir, "publish")
	}
	if _, err := admin.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String(e.repo),
		Format: types.PackageFormatNpm, Package: aws.String("restore-demo"), Versions: []string{"1.1.0"}}); err != nil {
		t.Fatal(err)
	}

	readOnly := newUser(t, e.s, nil, acctA, "viewer", allow("codeartifact:List*", "codeartifact:Describe*", "codeartifact:Get*", "codeartifact:ReadFromRepository"))

	shots, err := filepath.Abs(filepath.Join("..", "docs", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "console.spec.mjs")
	cmd.Dir = "console"
	cmd.Env = append(e.env,
		"WHARF_URL="+e.s.URL, "WHARF_DOMAIN="+e.domain, "WHARF_REPO="+e.repo, "WHARF_DEST_REPO=release", "WHARF_ACCOUNT="+testAccount,
		"ADMIN_KEY="+testKeyID, "ADMIN_SECRET="+testSecret, "RO_KEY="+readOnly.key, "RO_SECRET="+readOnly.secret,
		"CHROMIUM="+chromium, "SCREENSHOT_DIR="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("console.spec.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}

	// What the browser did is what the API sees.
	p := e.pkg("", "console-demo")
	got := p.listVersions(t, "")
	want := map[string]types.PackageVersionStatus{"2.0.0": types.PackageVersionStatusPublished, "2.1.0": types.PackageVersionStatusPublished}
	if len(got) != len(want) || got["2.0.0"] != want["2.0.0"] || got["2.1.0"] != want["2.1.0"] {
		t.Errorf("versions after the browser session: %v, want %v", got, want)
	}
	cp, err := admin.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(e.domain), Repository: aws.String("release"),
		Format: types.PackageFormatNpm, Package: aws.String("console-demo")})
	if err != nil || len(cp.Versions) != 1 || aws.ToString(cp.Versions[0].Version) != "2.1.0" {
		t.Errorf("release after the copy: %+v, %v", cp, err)
	}
	if vs := e.versions(t, "console-demo"); strings.Join(vs, ",") != "2.0.0,2.1.0" {
		t.Errorf("npm view console-demo versions: %v", vs)
	}
	if vs := e.versions(t, "restore-demo"); strings.Join(vs, ",") != "1.0.0,1.1.0" {
		t.Errorf("npm view restore-demo versions after the restore: %v", vs)
	}
}
