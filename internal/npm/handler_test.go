package npm

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

var ctx = context.Background()

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func versionsOf(t *testing.T, e *testEnv, name string) []string {
	t.Helper()
	resp, b := e.do(t, "GET", escapeName(name), nil, "Accept", abbrevType)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", name, resp.StatusCode, b)
	}
	return keys(decodeJSON(t, b)["versions"].(map[string]any))
}

func TestPackumentAndTarball(t *testing.T) {
	e := newTestEnv(t)
	tgz := pkgTgz(t, "@s/p", "1.0.0")
	e.publish(t, "@s/p", "1.0.0", map[string]any{"description": "first"}, tgz)
	e.publish(t, "@s/p", "1.1.0", nil, nil)

	for _, path := range []string{"@s%2fp", "@s/p", "@s%2Fp"} {
		resp, b := e.do(t, "GET", path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		doc := decodeJSON(t, b)
		if doc["name"] != "@s/p" || len(doc["versions"].(map[string]any)) != 2 || doc["dist-tags"].(map[string]any)["latest"] != "1.1.0" {
			t.Fatalf("GET %s: %s", path, b)
		}
	}

	// Abbreviated, gzip, ETag and 304.
	req, _ := http.NewRequest("GET", e.base+"@s%2fp", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", abbrevType+"; q=1.0, application/json; q=0.8, */*")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != abbrevType {
		t.Fatalf("gzip: %v %v", err, resp.Header)
	}
	plain, _ := io.ReadAll(zr)
	resp.Body.Close()
	if doc := decodeJSON(t, plain); doc["modified"] == nil || doc["_rev"] != nil {
		t.Fatalf("abbreviated doc: %s", plain)
	}
	tag := resp.Header.Get("ETag")
	resp, _ = e.do(t, "GET", "@s%2fp", nil, "Accept", abbrevType, "If-None-Match", tag)
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: %d", tag, resp.StatusCode)
	}
	resp, _ = e.do(t, "GET", "@s%2fp", nil, "If-None-Match", tag)
	if resp.StatusCode != 200 {
		t.Fatalf("full document with the abbreviated ETag: %d", resp.StatusCode)
	}
	resp, b := e.do(t, "HEAD", "@s%2fp", nil)
	if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("ETag") == "" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, b)
	}

	// Tarball: bytes, ETag = SHA-256, Range, and the scoped spelling.
	resp, b = e.do(t, "GET", "@s/p/-/p-1.0.0.tgz", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, tgz) || len(resp.Header.Get("ETag")) != 66 {
		t.Fatalf("tarball: %d %d bytes ETag %s", resp.StatusCode, len(b), resp.Header.Get("ETag"))
	}
	resp, b = e.do(t, "GET", "@s/p/-/p-1.0.0.tgz", nil, "Range", "bytes=0-9")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, tgz[:10]) {
		t.Fatalf("range: %d %d bytes", resp.StatusCode, len(b))
	}
	resp, _ = e.do(t, "GET", "@s/p/-/p-1.0.0.tgz", nil, "If-None-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("tarball If-None-Match: %d", resp.StatusCode)
	}
	for path, want := range map[string]int{"@s/p/-/p-9.9.9.tgz": 404, "@s/p/-/q-1.0.0.tgz": 404, "nope": 404, "nope/-/nope-1.0.0.tgz": 404} {
		if resp, b := e.do(t, "GET", path, nil); resp.StatusCode != want {
			t.Errorf("GET %s: %d %s, want %d", path, resp.StatusCode, b, want)
		}
	}

	// One version's manifest by version and by tag.
	resp, b = e.do(t, "GET", "@s%2fp/latest", nil)
	if resp.StatusCode != 200 || decodeJSON(t, b)["version"] != "1.1.0" {
		t.Fatalf("GET latest: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do(t, "GET", "@s%2fp/1.0.0", nil)
	if resp.StatusCode != 200 || decodeJSON(t, b)["description"] != "first" {
		t.Fatalf("GET 1.0.0: %d %s", resp.StatusCode, b)
	}
}

func TestPublishRules(t *testing.T) {
	e := newTestEnv(t)
	// A refused publish stores nothing: the package does not exist.
	resp, b := e.do(t, "PUT", "a", publishBody("a", "1.0.0", nil, pkgTgz(t, "a", "2.0.0")))
	if resp.StatusCode != 400 || !strings.Contains(string(b), "version 2.0.0") {
		t.Fatalf("mismatched tarball: %d %s", resp.StatusCode, b)
	}
	if resp, _ := e.do(t, "GET", "a", nil); resp.StatusCode != 404 {
		t.Fatalf("package exists after a refused publish: %d", resp.StatusCode)
	}
	resp, b = e.do(t, "PUT", "a", publishBody("b", "1.0.0", nil, pkgTgz(t, "b", "1.0.0")))
	if resp.StatusCode != 400 {
		t.Fatalf("URL/body name mismatch: %d %s", resp.StatusCode, b)
	}

	tgz := pkgTgz(t, "a", "1.0.0")
	e.publish(t, "a", "1.0.0", nil, tgz)
	// Identical bytes: idempotent. Different bytes: 409.
	e.publish(t, "a", "1.0.0", nil, tgz)
	resp, b = e.do(t, "PUT", "a", publishBody("a", "1.0.0", nil, pkgTgz(t, "a", "1.0.0", tgzFile{"package/x", "y"})))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("different bytes: %d %s", resp.StatusCode, b)
	}
	// Archived versions cannot be published over.
	if _, err := e.svc.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: ref("a"), Versions: []string{"1.0.0"}, TargetStatus: model.StatusArchived}); err != nil {
		t.Fatal(err)
	}
	if resp, b := e.do(t, "PUT", "a", publishBody("a", "1.0.0", nil, tgz)); resp.StatusCode != http.StatusConflict {
		t.Fatalf("publish over Archived: %d %s", resp.StatusCode, b)
	}
	// A body over the limit is refused before it is read.
	e.h.opts.MaxPublishBytes = 100
	if resp, b := e.do(t, "PUT", "a", publishBody("a", "1.0.1", nil, nil)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized publish: %d %s", resp.StatusCode, b)
	}
}

func TestStatusesAndCache(t *testing.T) {
	e := newTestEnv(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.publish(t, "p", v, nil, nil)
	}
	if got := versionsOf(t, e, "p"); len(got) != 3 {
		t.Fatalf("versions = %v", got)
	}
	set := func(st model.Status, vs ...string) {
		t.Helper()
		if _, err := e.svc.UpdatePackageVersionsStatus(ctx, admin, service.UpdatePackageVersionsStatusInput{PackageRef: ref("p"), Versions: vs, TargetStatus: st}); err != nil {
			t.Fatal(err)
		}
	}
	tarball := func(v string) int {
		resp, _ := e.do(t, "GET", "p/-/p-"+v+".tgz", nil)
		return resp.StatusCode
	}
	// The cached document is replaced at once: Archived and Unlisted
	// versions leave the packument, and latest falls back.
	set(model.StatusArchived, "1.2.0")
	set(model.StatusUnlisted, "1.1.0")
	if got := versionsOf(t, e, "p"); len(got) != 1 || got[0] != "1.0.0" {
		t.Fatalf("versions = %v", got)
	}
	_, b := e.do(t, "GET", "-/package/p/dist-tags", nil)
	if tags := decodeJSON(t, b); tags["latest"] != "1.0.0" || len(tags) != 1 {
		t.Fatalf("dist-tags = %s", b)
	}
	if tarball("1.2.0") != 404 || tarball("1.1.0") != 200 {
		t.Fatalf("tarballs: archived %d unlisted %d", tarball("1.2.0"), tarball("1.1.0"))
	}
	set(model.StatusPublished, "1.2.0", "1.1.0")
	if got := versionsOf(t, e, "p"); len(got) != 3 || tarball("1.2.0") != 200 {
		t.Fatalf("after restore: %v", got)
	}
	if _, err := e.svc.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: ref("p"), Versions: []string{"1.2.0"}}); err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(t, e, "p"); len(got) != 2 || tarball("1.2.0") != 404 {
		t.Fatalf("after delete: %v", got)
	}
}

func TestDistTagsAndDeprecate(t *testing.T) {
	e := newTestEnv(t)
	e.publish(t, "p", "1.0.0", nil, nil)
	e.publish(t, "p", "1.1.0", nil, nil)
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"PUT", "-/package/p/dist-tags/stable", `"1.0.0"`, 201},
		{"PUT", "-/package/p/dist-tags/stable", `1.0.0`, 400},
		{"PUT", "-/package/p/dist-tags/stable", `"9.9.9"`, 404},
		{"PUT", "-/package/p/dist-tags/1.0.0", `"1.0.0"`, 400},
		{"PUT", "-/package/nope/dist-tags/x", `"1.0.0"`, 404},
		{"DELETE", "-/package/p/dist-tags/latest", ``, 400},
		{"DELETE", "-/package/p/dist-tags/missing", ``, 404},
		{"POST", "-/package/p/dist-tags/x", ``, 405},
		{"GET", "-/package/p/access", ``, 404},
	}
	for _, tt := range tests {
		if resp, b := e.do(t, tt.method, tt.path, []byte(tt.body)); resp.StatusCode != tt.want {
			t.Errorf("%s %s %s: %d %s, want %d", tt.method, tt.path, tt.body, resp.StatusCode, b, tt.want)
		}
	}
	_, b := e.do(t, "GET", "-/package/p/dist-tags", nil)
	if tags := decodeJSON(t, b); tags["stable"] != "1.0.0" || tags["latest"] != "1.1.0" {
		t.Fatalf("tags = %s", b)
	}
	if resp, _ := e.do(t, "DELETE", "-/package/p/dist-tags/stable", nil); resp.StatusCode != 200 {
		t.Fatalf("delete tag: %d", resp.StatusCode)
	}

	// npm deprecate: PUT the packument it read with "deprecated" set.
	_, b = e.do(t, "GET", "p?write=true", nil)
	doc := decodeJSON(t, b)
	doc["versions"].(map[string]any)["1.0.0"].(map[string]any)["deprecated"] = "use 1.1"
	body, _ := json.Marshal(doc)
	if resp, b := e.do(t, "PUT", "p", body); resp.StatusCode != 200 {
		t.Fatalf("deprecate: %d %s", resp.StatusCode, b)
	}
	_, b = e.do(t, "GET", "p", nil, "Accept", abbrevType)
	if v := decodeJSON(t, b)["versions"].(map[string]any)["1.0.0"].(map[string]any); v["deprecated"] != "use 1.1" {
		t.Fatalf("not deprecated: %v", v)
	}
	// A PUT without a revision never removes versions, and names no
	// version that does not exist.
	delete(doc["versions"].(map[string]any), "1.1.0")
	body, _ = json.Marshal(doc)
	e.do(t, "PUT", "p", body)
	if got := versionsOf(t, e, "p"); len(got) != 2 {
		t.Fatalf("versions after a partial PUT = %v", got)
	}
	doc["versions"].(map[string]any)["3.0.0"] = map[string]any{}
	body, _ = json.Marshal(doc)
	if resp, b := e.do(t, "PUT", "p", body); resp.StatusCode != 400 {
		t.Fatalf("PUT with an unknown version: %d %s", resp.StatusCode, b)
	}
}

func TestUnpublish(t *testing.T) {
	e := newTestEnv(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.publish(t, "p", v, nil, nil)
	}
	read := func() map[string]any {
		_, b := e.do(t, "GET", "p?write=true", nil)
		return decodeJSON(t, b)
	}
	// npm unpublish p@1.2.0: PUT the packument without it to /-rev/REV.
	doc := read()
	rev := doc["_rev"].(string)
	delete(doc["versions"].(map[string]any), "1.2.0")
	body, _ := json.Marshal(doc)
	if resp, b := e.do(t, "PUT", "p/-rev/"+rev, body); resp.StatusCode != 200 {
		t.Fatalf("unpublish PUT: %d %s", resp.StatusCode, b)
	}
	if got := versionsOf(t, e, "p"); len(got) != 2 {
		t.Fatalf("versions = %v", got)
	}
	// The same revision again is stale: nothing more is deleted.
	delete(doc["versions"].(map[string]any), "1.1.0")
	body, _ = json.Marshal(doc)
	if resp, _ := e.do(t, "PUT", "p/-rev/"+rev, body); resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale revision: %d", resp.StatusCode)
	}
	// Partial documents never remove versions: npm owner's maintainers-only
	// PUT and a document without versions are refused.
	rev = read()["_rev"].(string)
	for body, want := range map[string]string{
		`{"_id":"p","_rev":"` + rev + `","maintainers":[{"name":"bob"}]}`: "npm owner is not supported",
		`{"_id":"p","name":"p","versions":{}}`:                            "unpublish the package instead",
	} {
		if resp, b := e.do(t, "PUT", "p/-rev/"+rev, []byte(body)); resp.StatusCode != 400 || !strings.Contains(string(b), want) {
			t.Errorf("PUT %s: %d %s", body, resp.StatusCode, b)
		}
	}
	if got := versionsOf(t, e, "p"); len(got) != 2 {
		t.Fatalf("versions after refused PUTs = %v", got)
	}
	// Then npm deletes the tarball; it is gone with the version.
	rev = read()["_rev"].(string)
	if resp, _ := e.do(t, "DELETE", "p/-/p-1.2.0.tgz/-rev/"+rev, nil); resp.StatusCode != 404 {
		t.Fatalf("DELETE tarball of a deleted version: %d", resp.StatusCode)
	}
	if resp, _ := e.do(t, "DELETE", "p/-/p-1.1.0.tgz/-rev/"+rev, nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE tarball: %d", resp.StatusCode)
	}
	// npm unpublish p --force: DELETE /p/-rev/REV.
	if resp, _ := e.do(t, "DELETE", "p/-rev/"+rev, nil); resp.StatusCode != http.StatusConflict {
		t.Fatalf("DELETE with a stale revision: %d", resp.StatusCode)
	}
	if resp, _ := e.do(t, "DELETE", "p", nil); resp.StatusCode != 400 {
		t.Fatalf("DELETE without revision: %d", resp.StatusCode)
	}
	rev = read()["_rev"].(string)
	if resp, b := e.do(t, "DELETE", "p/-rev/"+rev, nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE package: %d %s", resp.StatusCode, b)
	}
	if resp, _ := e.do(t, "GET", "p", nil); resp.StatusCode != 404 {
		t.Fatalf("package after unpublish: %d", resp.StatusCode)
	}
}

func TestUnsupportedAndAuth(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		method, path string
		want         int
		msg          string
	}{
		{"GET", "-/ping", 200, ""},
		{"GET", "-/whoami", 404, "whoami"},
		{"GET", "-/v1/search?text=x", 404, "search"},
		{"PUT", "-/user/org.couchdb.user:bob", 404, "login"},
		{"DELETE", "-/user/token/abc", 404, "logout"},
		{"POST", "-/v1/login", 404, "login"},
		{"POST", "-/npm/v1/security/advisories/bulk", 404, "audit"},
		{"GET", "-/npm/v1/tokens", 404, "token"},
		{"GET", "-/anything", 404, "not part of the npm registry API"},
		{"GET", "", 404, "not part"},
		{"POST", "p", 405, "not allowed"},
	}
	for _, tt := range tests {
		resp, b := e.do(t, tt.method, tt.path, nil)
		if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.msg) {
			t.Errorf("%s %s: %d %s, want %d with %q", tt.method, tt.path, resp.StatusCode, b, tt.want, tt.msg)
		}
	}
	// Without a valid token: 401 and nothing written.
	for _, tok := range []string{"", "garbage"} {
		req, _ := http.NewRequest("PUT", e.base+"a", bytes.NewReader(publishBody("a", "1.0.0", nil, pkgTgz(t, "a", "1.0.0"))))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("token %q: %d", tok, resp.StatusCode)
		}
	}
	if resp, _ := e.do(t, "GET", "a", nil); resp.StatusCode != 404 {
		t.Fatalf("unauthenticated publish wrote the package: %d", resp.StatusCode)
	}
}
