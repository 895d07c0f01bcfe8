package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

type trashList struct {
	Versions []struct {
		Package      string `json:"package"`
		Version      string `json:"version"`
		FormerStatus string `json:"formerStatus"`
		Revision     string `json:"revision"`
	} `json:"versions"`
}

// TestRestoreWindow deletes a version by mistake in a domain with a
// restore window, brings it back with its status, revision and bytes,
// installs it with npm, and checks that a version published again
// replaces a deleted one for good and that once the window has passed
// the deleted version and its bytes are gone.
func TestRestoreWindow(t *testing.T) {
	needTool(t, "npm", "npm", "--version")
	r := newRetRigWith(t, []string{"--gc-interval", "200ms", "--gc-grace", "1ms"}, "main")
	reg := r.s.Endpoint(t, r.domain, "main", types.PackageFormatNpm)
	npmEnv := r.npmEnv(t, reg)
	admin := func(args ...string) string {
		t.Helper()
		return Run(t, r.env, "", wharfBin, append([]string{"admin"}, append(args, "--domain", r.domain)...)...)
	}
	list := func() trashList {
		t.Helper()
		var l trashList
		if err := json.Unmarshal([]byte(admin("trash", "list", "--repository", "main")), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	restore := func(version string) (string, error) {
		return RunErr(r.env, "", wharfBin, "admin", "trash", "restore", "--domain", r.domain, "--repository", "main", "--format", "npm", "--package", "oops", "--version", version)
	}
	describe := func(version string) *types.PackageVersionDescription {
		t.Helper()
		out, err := r.c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String(r.domain), Repository: aws.String("main"),
			Format: types.PackageFormatNpm, Package: aws.String("oops"), PackageVersion: aws.String(version)})
		if err != nil {
			t.Fatalf("DescribePackageVersion %s: %v", version, err)
		}
		return out.PackageVersion
	}
	del := func(version string) {
		t.Helper()
		if _, err := r.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(r.domain), Repository: aws.String("main"),
			Format: types.PackageFormatNpm, Package: aws.String("oops"), Versions: []string{version}}); err != nil {
			t.Fatal(err)
		}
	}
	asset := func(version string) (sha string) {
		t.Helper()
		out, err := r.c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(r.domain), Repository: aws.String("main"),
			Format: types.PackageFormatNpm, Package: aws.String("oops"), PackageVersion: aws.String(version)})
		if err != nil || len(out.Assets) != 1 {
			t.Fatalf("assets of %s: %+v %v", version, out, err)
		}
		return out.Assets[0].Hashes["SHA-256"]
	}
	blobExists := func(sha string) bool {
		m, _ := filepath.Glob(filepath.Join(r.s.DataDir, "blobs", "*", sha[:2], sha))
		return len(m) > 0
	}
	proj := func() string {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`), 0o644)
		return d
	}

	if got := strings.TrimSpace(admin("restore-window", "get")); !strings.Contains(got, `"days":0`) {
		t.Fatalf("the restore window is off by default, got %s", got)
	}
	// Without a window a delete is final, as in CodeArtifact.
	r.npmPublish(t, "main", "oops", "0.9.0")
	del("0.9.0")
	if l := list(); len(l.Versions) != 0 {
		t.Fatalf("deleted without a window, yet restorable: %+v", l)
	}

	admin("restore-window", "set", "--days", "7")
	r.npmPublish(t, "main", "oops", "1.0.0")
	r.npmPublish(t, "main", "oops", "1.1.0")
	r.npmPublish(t, "main", "oops", "1.2.0")
	if _, err := r.c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(r.domain), Repository: aws.String("main"),
		Format: types.PackageFormatNpm, Package: aws.String("oops"), Versions: []string{"1.2.0"}, TargetStatus: types.PackageVersionStatusUnlisted}); err != nil {
		t.Fatal(err)
	}
	before := describe("1.0.0")
	sha := asset("1.0.0")

	// Deleted by mistake: npm cannot install it, but it is in the trash.
	del("1.0.0")
	if out, err := RunErr(npmEnv, proj(), "npm", "install", "oops@1.0.0"); err == nil {
		t.Fatalf("installed a deleted version:\n%s", out)
	}
	l := list()
	if len(l.Versions) != 1 || l.Versions[0].Version != "1.0.0" || l.Versions[0].FormerStatus != "Published" || l.Versions[0].Revision != *before.Revision {
		t.Fatalf("trash: %+v", l)
	}
	// Collections run meanwhile (every 200ms) and must leave its bytes.
	time.Sleep(time.Second)
	if !blobExists(sha) {
		t.Fatal("the collector freed the bytes of a version inside its restore window")
	}
	if out, err := restore("1.0.0"); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	after := describe("1.0.0")
	if after.Status != types.PackageVersionStatusPublished || *after.Revision != *before.Revision || !after.PublishedTime.Equal(*before.PublishedTime) {
		t.Fatalf("restored as %+v, was %+v", after, before)
	}
	if got := asset("1.0.0"); got != sha {
		t.Fatalf("restored asset %s, was %s", got, sha)
	}
	if len(list().Versions) != 0 {
		t.Fatal("a restored version is still in the trash")
	}
	Run(t, npmEnv, proj(), "npm", "install", "oops@1.0.0")
	if out, err := restore("1.0.0"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("restoring a version twice: %v %s", err, out)
	}

	// A version comes back in the status it had: Unlisted stays Unlisted.
	unlisted := describe("1.2.0")
	del("1.2.0")
	if out, err := restore("1.2.0"); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	if got := describe("1.2.0"); got.Status != types.PackageVersionStatusUnlisted || *got.Revision != *unlisted.Revision {
		t.Fatalf("restored as %+v, was %+v", got, unlisted)
	}

	// Published again under the same number: the deleted one is gone.
	del("1.1.0")
	r.npmPublish(t, "main", "oops", "1.1.0")
	if out, err := restore("1.1.0"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("restoring a version published again: %v %s", err, out)
	}

	// Deleted again, and the window passes: gone for good, bytes too.
	del("1.0.0")
	if len(list().Versions) != 1 {
		t.Fatal("the second delete is not in the trash")
	}
	r.at(t, -day(8)) // the clock moves 8 days on
	deadline := time.Now().Add(20 * time.Second)
	for blobExists(sha) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if blobExists(sha) {
		t.Fatal("the bytes outlived the restore window")
	}
	if l := list(); len(l.Versions) != 0 {
		t.Fatalf("past the window, still restorable: %+v", l)
	}
	if out, err := restore("1.0.0"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("restoring past the window: %v %s", err, out)
	}
	if out, err := RunErr(npmEnv, proj(), "npm", "install", "oops@1.0.0"); err == nil {
		t.Fatalf("installed a version deleted past its window:\n%s", out)
	}
}
