package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// needTool finds a client the test drives. Missing, it fails under CI
// (where .ci/run must have installed it) and skips, loudly, elsewhere.
func needTool(t *testing.T, name string, check ...string) {
	t.Helper()
	var err error
	if len(check) > 0 {
		err = exec.Command(check[0], check[1:]...).Run()
	} else {
		_, err = exec.LookPath(name)
	}
	if err != nil {
		missingTool(t, name, err, "")
	}
}

// missingTool fails a test under CI, where .ci/run installs every client,
// and skips it, loudly, elsewhere.
func missingTool(t *testing.T, what string, err error, install string) {
	t.Helper()
	if install != "" {
		install = " (install with: " + install + ")"
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required%s: %v", what, install, err)
	}
	t.Skipf("SKIPPING: %s is not available%s: %v; CI fails instead", what, install, err)
}

// awsJSON runs an aws codeartifact command and decodes its JSON output.
func awsJSON(t *testing.T, env []string, dir string, args ...string) map[string]any {
	t.Helper()
	out, err := runStdout(env, dir, "aws", append([]string{"codeartifact", "--output", "json"}, args...)...)
	if err != nil {
		t.Fatalf("aws codeartifact %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("aws codeartifact %s printed %q: %v", strings.Join(args, " "), out, err)
	}
	return doc
}

// runStdout runs a command and returns its standard output, with standard
// error appended to the error.
func runStdout(env []string, dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &cmdError{err: err, stderr: stderr.String()}
	}
	return string(out), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.stderr }

// jsonEqual compares a decoded document with the JSON text wanted.
func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("%s:\n got %s\nwant %s", what, g, want)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// TestCLIControlPlane drives the control plane with the real aws CLI: the
// same output shapes AWS gives, for the batch operations in particular.
func TestCLIControlPlane(t *testing.T) {
	t.Parallel() // each aws/python start costs a second; overlap them
	needTool(t, "aws")
	s := StartServer(t)
	env := s.Env(t)
	dir := t.TempDir()

	d := awsJSON(t, env, dir, "create-domain", "--domain", "cli")
	if dd, _ := d["domain"].(map[string]any); str(dd["arn"]) != "arn:aws:codeartifact:us-east-1:111122223333:domain/cli" || str(dd["status"]) != "Active" {
		t.Errorf("create-domain = %v", d)
	}
	awsJSON(t, env, dir, "create-repository", "--domain", "cli", "--repository", "repo")
	awsJSON(t, env, dir, "create-repository", "--domain", "cli", "--repository", "dst")

	coord := []string{"--domain", "cli", "--repository", "repo", "--format", "generic", "--namespace", "tools", "--package", "hello"}
	revs := map[string]string{}
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		content := []byte("hello from the aws CLI, version " + v + "\n")
		file := filepath.Join(dir, "hello-"+v+".txt")
		if err := os.WriteFile(file, content, 0o644); err != nil {
			t.Fatal(err)
		}
		out := awsJSON(t, env, dir, append(append([]string{"publish-package-version"}, coord...), "--package-version", v,
			"--asset-content", file, "--asset-name", "hello.txt", "--asset-sha256", sha256Hex(content))...)
		revs[v] = str(out["versionRevision"])
		if !isRevision(revs[v]) {
			t.Errorf("versionRevision %q", revs[v])
		}
		sums := hexSum(content)
		hashes := map[string]any{}
		for k, h := range sums {
			hashes[k] = h
		}
		delete(out, "versionRevision")
		jsonEqual(t, "publish-package-version "+v, out, mustJSON(map[string]any{
			"format": "generic", "namespace": "tools", "package": "hello", "version": v, "status": "Published",
			"asset": map[string]any{"name": "hello.txt", "size": len(content), "hashes": hashes},
		}))
	}

	// list-package-versions: the CLI follows nextToken itself with
	// --page-size 1.
	lv := awsJSON(t, env, dir, append(append([]string{"list-package-versions"}, coord...), "--page-size", "1")...)
	var listed []string
	vs, _ := lv["versions"].([]any)
	for _, v := range vs {
		m := v.(map[string]any)
		listed = append(listed, str(m["version"]))
		if str(m["revision"]) != revs[str(m["version"])] || str(m["status"]) != "Published" {
			t.Errorf("listed %v", m)
		}
		jsonEqual(t, "origin", m["origin"], `{"domainEntryPoint":{"repositoryName":"repo"},"originType":"INTERNAL"}`)
	}
	if strings.Join(listed, ",") != "1.0,2.0,3.0" || str(lv["defaultDisplayVersion"]) != "3.0" {
		t.Errorf("list-package-versions = %v", lv)
	}

	// get-package-version-asset into a file.
	outfile := filepath.Join(dir, "downloaded.txt")
	ga := awsJSON(t, env, dir, append(append([]string{"get-package-version-asset"}, coord...), "--package-version", "2.0",
		"--asset", "hello.txt", outfile)...)
	jsonEqual(t, "get-package-version-asset", ga, mustJSON(map[string]any{
		"assetName": "hello.txt", "packageVersion": "2.0", "packageVersionRevision": revs["2.0"]}))
	if b, err := os.ReadFile(outfile); err != nil || string(b) != "hello from the aws CLI, version 2.0\n" {
		t.Errorf("downloaded %q, %v", b, err)
	}

	// delete-package-versions: a failure skips the rest, then a success.
	out := awsJSON(t, env, dir, append(append([]string{"delete-package-versions"}, coord...), "--versions", "1.0", "9.9")...)
	jsonEqual(t, "delete-package-versions with a missing version", out, `{"successfulVersions":{},"failedVersions":{
		"1.0":{"errorCode":"SKIPPED","errorMessage":"version 1.0 is skipped"},
		"9.9":{"errorCode":"NOT_FOUND","errorMessage":"version 9.9 not found"}}}`)
	out = awsJSON(t, env, dir, append(append([]string{"delete-package-versions"}, coord...), "--versions", "1.0", "--expected-status", "Archived")...)
	jsonEqual(t, "delete-package-versions expecting Archived", out, `{"successfulVersions":{},"failedVersions":{
		"1.0":{"errorCode":"MISMATCHED_STATUS","errorMessage":"current status: Published, expected status: Archived"}}}`)
	out = awsJSON(t, env, dir, append(append([]string{"delete-package-versions"}, coord...), "--versions", "1.0")...)
	jsonEqual(t, "delete-package-versions", out, `{"successfulVersions":{"1.0":{"revision":"`+revs["1.0"]+`","status":"Deleted"}},"failedVersions":{}}`)

	// update-package-versions-status and dispose-package-versions.
	out = awsJSON(t, env, dir, append(append([]string{"update-package-versions-status"}, coord...), "--versions", "2.0",
		"--version-revisions", "2.0="+revs["2.0"], "--target-status", "Unlisted")...)
	jsonEqual(t, "update-package-versions-status", out, `{"successfulVersions":{"2.0":{"revision":"`+revs["2.0"]+`","status":"Unlisted"}},"failedVersions":{}}`)
	out = awsJSON(t, env, dir, append(append([]string{"dispose-package-versions"}, coord...), "--versions", "2.0", "3.0", "--expected-status", "Unlisted")...)
	jsonEqual(t, "dispose-package-versions", out, `{"successfulVersions":{},"failedVersions":{
		"3.0":{"errorCode":"MISMATCHED_STATUS","errorMessage":"current status: Published, expected status: Unlisted"},
		"2.0":{"errorCode":"SKIPPED","errorMessage":"version 2.0 is skipped"}}}`)

	// copy-package-versions into another repository.
	out = awsJSON(t, env, dir, "copy-package-versions", "--domain", "cli", "--source-repository", "repo", "--destination-repository", "dst",
		"--format", "generic", "--namespace", "tools", "--package", "hello", "--versions", "3.0")
	jsonEqual(t, "copy-package-versions", out, `{"successfulVersions":{"3.0":{"revision":"`+revs["3.0"]+`","status":"Published"}},"failedVersions":{}}`)
	out = awsJSON(t, env, dir, "copy-package-versions", "--domain", "cli", "--source-repository", "repo", "--destination-repository", "dst",
		"--format", "generic", "--namespace", "tools", "--package", "hello", "--versions", "3.0")
	if f, _ := out["failedVersions"].(map[string]any); f == nil || str(f["3.0"].(map[string]any)["errorCode"]) != "ALREADY_EXISTS" {
		t.Errorf("copy again = %v", out)
	}

	// Errors come out as the CLI prints AWS's.
	_, err := runStdout(env, dir, "aws", "codeartifact", "describe-domain", "--domain", "nodomain")
	if err == nil || !strings.Contains(err.Error(), "An error occurred (ResourceNotFoundException) when calling the DescribeDomain operation") {
		t.Errorf("describe-domain of a missing domain: %v", err)
	}
	_, err = runStdout(env, dir, "aws", append(append([]string{"codeartifact", "update-package-versions-status"}, coord...), "--versions", "3.0", "--target-status", "Unfinished")...)
	if err == nil || !strings.Contains(err.Error(), "An error occurred (ValidationException) when calling the UpdatePackageVersionsStatus operation") {
		t.Errorf("update to Unfinished: %v", err)
	}
}

// TestCLIPublishSHA256Mismatch: botocore signs X-Amz-Content-Sha256 as the
// asset's claimed hash, so the signature holds and the mismatch is found
// in the bytes: a ValidationException, and nothing is stored.
func TestCLIPublishSHA256Mismatch(t *testing.T) {
	t.Parallel() // each aws/python start costs a second; overlap them
	needTool(t, "aws")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "sha", "repo")
	env := s.Env(t)
	dir := t.TempDir()
	content := []byte("what is really sent")
	file := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	claimed := sha256Hex([]byte("what the client claims"))
	_, err := runStdout(env, dir, "aws", "codeartifact", "publish-package-version", "--domain", "sha", "--repository", "repo",
		"--format", "generic", "--namespace", "ns", "--package", "pkg", "--package-version", "1.0",
		"--asset-content", file, "--asset-name", "a.bin", "--asset-sha256", claimed)
	if err == nil || !strings.Contains(err.Error(), "An error occurred (ValidationException) when calling the PublishPackageVersion operation") {
		t.Fatalf("publish with a wrong --asset-sha256: %v", err)
	}
	_, err = genericPkg(c, "sha", "repo", "ns", "pkg").describe("1.0")
	wantNotFound(t, err, "package", "pkg")
	if files := blobFiles(t, s.DataDir); files[sha256Hex(content)] || files[claimed] {
		t.Errorf("refused publish left bytes: %v", files)
	}
}

// TestBoto3 runs testdata/codeartifact_boto3.py and checks boto3 decodes
// every response into AWS's shapes.
func TestBoto3(t *testing.T) {
	t.Parallel() // each aws/python start costs a second; overlap them
	needTool(t, "boto3", "python3", "-c", "import boto3")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "boto", "repo")
	script, err := filepath.Abs("testdata/codeartifact_boto3.py")
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := runStdout(s.Env(t), t.TempDir(), "python3", script, "boto", "repo")
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stdout)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("boto3 script printed %q: %v", stdout, err)
	}
	pub := out["publish"].(map[string]any)
	revs := map[string]string{}
	for v, p := range pub {
		revs[v] = str(p.(map[string]any)["versionRevision"])
	}
	rev := func(v string) string { return revs[v] }
	for v, p := range pub {
		m := p.(map[string]any)
		content := []byte("boto3 " + v)
		hashes := map[string]any{}
		for k, h := range hexSum(content) {
			hashes[k] = h
		}
		delete(m, "versionRevision")
		jsonEqual(t, "publish_package_version "+v, m, mustJSON(map[string]any{
			"format": "generic", "namespace": "ns", "package": "pkg", "version": v, "status": "Published",
			"asset": map[string]any{"name": "data.bin", "size": len(content), "hashes": hashes}}))
		if !isRevision(rev(v)) {
			t.Errorf("revision of %s: %q", v, rev(v))
		}
	}
	if m := out["publish_unfinished"].(map[string]any); str(m["status"]) != "Unfinished" {
		t.Errorf("unfinished publish = %v", m)
	}
	jsonEqual(t, "get_package_version_asset", out["get_asset"], mustJSON(map[string]any{
		"assetName": "data.bin", "packageVersion": "2.0", "packageVersionRevision": rev("2.0"), "content": "boto3 2.0"}))
	jsonEqual(t, "list_package_versions pages", out["list_pages"], `[["1.0","2.0"],["3.0","4.0"],["5.0"]]`)
	jsonEqual(t, "delete_package_versions NOT_FOUND", out["delete_failed"], `{"successfulVersions":{},"failedVersions":{
		"1.0":{"errorCode":"SKIPPED","errorMessage":"version 1.0 is skipped"},
		"9.9":{"errorCode":"NOT_FOUND","errorMessage":"version 9.9 not found"}}}`)
	jsonEqual(t, "delete_package_versions MISMATCHED_STATUS", out["delete_mismatched"], `{"successfulVersions":{},"failedVersions":{
		"1.0":{"errorCode":"MISMATCHED_STATUS","errorMessage":"current status: Published, expected status: Unlisted"},
		"2.0":{"errorCode":"MISMATCHED_STATUS","errorMessage":"current status: Published, expected status: Unlisted"}}}`)
	five := out["publish_unfinished"].(map[string]any)
	jsonEqual(t, "delete_package_versions", out["delete_ok"], `{"successfulVersions":{
		"1.0":{"revision":"`+rev("1.0")+`","status":"Deleted"},
		"5.0":{"revision":"`+str(five["versionRevision"])+`","status":"Deleted"}},"failedVersions":{}}`)
	jsonEqual(t, "update_package_versions_status MISMATCHED_REVISION", out["update_mismatched_revision"], `{"successfulVersions":{},"failedVersions":{
		"2.0":{"errorCode":"MISMATCHED_REVISION","errorMessage":"current revision: `+rev("2.0")+`, expected revision: c3RhbGU="},
		"3.0":{"errorCode":"SKIPPED","errorMessage":"version 3.0 is skipped"}}}`)
	jsonEqual(t, "dispose_package_versions", out["dispose"], `{"successfulVersions":{"3.0":{"revision":"`+rev("3.0")+`","status":"Disposed"}},"failedVersions":{}}`)
	if f := out["update_disposed"].(map[string]any)["failedVersions"].(map[string]any)["3.0"].(map[string]any); str(f["errorCode"]) != "NOT_ALLOWED" {
		t.Errorf("update a Disposed version: %v", out["update_disposed"])
	}
	errOf := func(name string) map[string]any {
		e, _ := out[name].(map[string]any)
		if e == nil {
			t.Errorf("%s did not fail", name)
			return map[string]any{}
		}
		return e
	}
	if e := errOf("update_unfinished_target"); str(e["code"]) != "ValidationException" || e["status"] != float64(400) {
		t.Errorf("target Unfinished: %v", e)
	}
	if e := errOf("delete_too_many"); str(e["code"]) != "ValidationException" || str(e["reason"]) != "FIELD_VALIDATION_FAILED" ||
		!strings.Contains(str(e["message"]), "at 'versions' failed to satisfy constraint: Member must have length less than or equal to 100") {
		t.Errorf("101 versions: %v", e)
	}
	if e := errOf("delete_missing_repo"); str(e["code"]) != "ResourceNotFoundException" || e["status"] != float64(404) ||
		str(e["resourceType"]) != "repository" || str(e["resourceId"]) != "norepo" {
		t.Errorf("missing repository: %v", e)
	}
	if e := errOf("publish_bad_sha"); str(e["code"]) != "ValidationException" || e["status"] != float64(400) {
		t.Errorf("wrong assetSHA256: %v", e)
	}
	jsonEqual(t, "final listing", out["list_after"], `{"2.0":"Published","3.0":"Disposed","4.0":"Published"}`)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
