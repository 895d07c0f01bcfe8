package swift

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// The tests in this file check each MUST (and the SHOULDs a client relies
// on) of SwiftPM's Registry.md with requests shaped as SwiftPM's
// RegistryClient sends them.

// wantAPI checks what every registry answer carries: Content-Version 1
// (3.5) and, for errors, a problem details object with a detail (3.3).
func wantAPI(t *testing.T, what string, resp *http.Response, body []byte, status int, contentType string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, status, body)
	}
	if v := resp.Header.Get("Content-Version"); v != "1" {
		t.Errorf("%s: Content-Version %q, want 1", what, v)
	}
	if contentType != "" && resp.Header.Get("Content-Type") != contentType {
		t.Errorf("%s: Content-Type %q, want %q", what, resp.Header.Get("Content-Type"), contentType)
	}
	if status >= 400 {
		var p struct {
			Detail string `json:"detail"`
		}
		if resp.Header.Get("Content-Type") != typeProblem || json.Unmarshal(body, &p) != nil || p.Detail == "" {
			t.Errorf("%s: error is not application/problem+json with a detail: %s %s", what, resp.Header.Get("Content-Type"), body)
		}
	}
}

func TestLogin(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, method, auth string
		status             int
	}{
		{"token", http.MethodPost, "Bearer " + e.token, http.StatusOK},
		{"basic aws:token", http.MethodPost, basicAuth(e.token), http.StatusOK},
		{"no credentials", http.MethodPost, "", http.StatusUnauthorized},
		{"bad token", http.MethodPost, "Bearer not-a-token", http.StatusUnauthorized},
		{"unsupported scheme", http.MethodPost, "Digest username=\"aws\"", http.StatusNotImplemented},
		{"GET", http.MethodGet, "Bearer " + e.token, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			if tt.auth != "" {
				hdr.Set("Authorization", tt.auth)
			}
			// SwiftPM's login sends no Accept header and no body.
			resp, body := e.do(t, tt.method, "login", hdr, nil)
			ct := ""
			if tt.status >= 400 {
				ct = typeProblem
			}
			wantAPI(t, "login", resp, body, tt.status, ct)
			if tt.status == http.StatusUnauthorized {
				ch := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
				if !strings.Contains(ch, "Bearer") || !strings.Contains(ch, "Basic") {
					t.Errorf("401 challenges %q, want Bearer and Basic", ch)
				}
			}
		})
	}
}

// TestPublishAndFetch follows SwiftPM through a publish and a
// resolution: list, release metadata, manifest (and its alternates),
// archive.
func TestPublishAndFetch(t *testing.T) {
	e := newTestEnv(t)
	alt := file{"Package@swift-5.9.swift", manifestFor("5.9", "LinkedList")}
	alt4 := file{"Package@swift-4.swift", "// swift-tools-version:4\nimport PackageDescription\nlet package = Package(name: \"LinkedList\")\n"}
	nested := file{"Examples/Demo/Package.swift", manifestFor("5.5", "Demo")}
	zip110 := makeArchive(t, "LinkedList", packageFiles("LinkedList", alt, alt4, nested))
	metadata := `{
  "description": "One thing links to another.",
  "repositoryURLs": ["https://github.com/mona/LinkedList", "git@github.com:mona/LinkedList.git"],
  "licenseURL": "https://www.apache.org/licenses/LICENSE-2.0",
  "readmeURL": "https://github.com/mona/LinkedList/blob/main/README.md",
  "originalPublicationTime": "2023-02-16T04:00:00.123+01:00",
  "author": {"name": "Mona Lisa Octocat", "email": "mona@example.com", "organization": {"name": "GitHub"}},
  "x-extra": {"kept": true}
}`
	resp, body := e.publish(t, "mona", "LinkedList", "1.1.0", zip110, metadata)
	wantAPI(t, "publish", resp, body, http.StatusCreated, "")
	if loc := resp.Header.Get("Location"); loc != e.base+"mona/linkedlist/1.1.0" {
		t.Errorf("Location %q", loc)
	}
	e.mustPublish(t, "mona", "LinkedList", "1.0.0", makeArchive(t, "LinkedList", packageFiles("LinkedList")), "")
	e.mustPublish(t, "Mona", "linkedlist", "1.2.0-beta.1", makeArchive(t, "LinkedList", packageFiles("LinkedList")), `{"repositoryURLs":["https://github.com/mona/LinkedList"]}`)

	t.Run("list", func(t *testing.T) {
		for _, path := range []string{"mona/LinkedList", "MONA/linkedlist", "mona/LinkedList.json"} {
			resp, body := e.get(t, path, mediaJSON)
			wantAPI(t, "list "+path, resp, body, http.StatusOK, typeJSON)
			var doc struct {
				Releases map[string]struct {
					URL     string          `json:"url"`
					Problem json.RawMessage `json:"problem"`
				} `json:"releases"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Releases) != 3 || doc.Releases["1.1.0"].URL != e.base+"mona/linkedlist/1.1.0" {
				t.Errorf("releases %s", body)
			}
			// Highest precedence first (a SHOULD the body keeps in order).
			if i, j, k := strings.Index(string(body), `"1.2.0-beta.1"`), strings.Index(string(body), `"1.1.0"`), strings.Index(string(body), `"1.0.0"`); !(i < j && j < k) {
				t.Errorf("releases not in descending precedence: %s", body)
			}
			links := resp.Header.Get("Link")
			if !strings.Contains(links, "<"+e.base+`mona/linkedlist/1.2.0-beta.1>; rel="latest-version"`) ||
				!strings.Contains(links, `<https://github.com/mona/LinkedList>; rel="canonical"`) {
				t.Errorf("Link %q", links)
			}
		}
	})

	t.Run("release metadata", func(t *testing.T) {
		resp, body := e.get(t, "mona/LinkedList/1.1.0", mediaJSON)
		wantAPI(t, "release", resp, body, http.StatusOK, typeJSON)
		var doc struct {
			ID        string `json:"id"`
			Version   string `json:"version"`
			Resources []struct {
				Name, Type, Checksum string
				Signing              *json.RawMessage
			} `json:"resources"`
			Metadata    map[string]any `json:"metadata"`
			PublishedAt string         `json:"publishedAt"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(zip110)
		if doc.ID != "mona.linkedlist" || doc.Version != "1.1.0" || len(doc.Resources) != 1 ||
			doc.Resources[0].Name != "source-archive" || doc.Resources[0].Type != "application/zip" ||
			doc.Resources[0].Checksum != hex.EncodeToString(sum[:]) || doc.Resources[0].Signing != nil {
			t.Errorf("release %s", body)
		}
		if doc.Metadata["description"] != "One thing links to another." || doc.Metadata["x-extra"] == nil ||
			doc.Metadata["originalPublicationTime"] != "2023-02-16T03:00:00Z" {
			t.Errorf("metadata %v", doc.Metadata)
		}
		// Foundation's .iso8601 date strategy, which SwiftPM decodes with,
		// takes no fractional seconds.
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(doc.PublishedAt) {
			t.Errorf("publishedAt %q", doc.PublishedAt)
		}
		links := resp.Header.Get("Link")
		for _, want := range []string{
			"<" + e.base + `mona/linkedlist/1.2.0-beta.1>; rel="latest-version"`,
			"<" + e.base + `mona/linkedlist/1.2.0-beta.1>; rel="successor-version"`,
			"<" + e.base + `mona/linkedlist/1.0.0>; rel="predecessor-version"`,
		} {
			if !strings.Contains(links, want) {
				t.Errorf("Link %q lacks %q", links, want)
			}
		}
		if resp, body := e.get(t, "mona/LinkedList/1.1.0.json", mediaJSON); resp.StatusCode != http.StatusOK {
			t.Errorf(".json: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("manifest", func(t *testing.T) {
		resp, body := e.get(t, "mona/LinkedList/1.1.0/Package.swift", mediaSwift)
		wantAPI(t, "manifest", resp, body, http.StatusOK, typeSwift)
		if string(body) != manifestFor("5.7", "LinkedList") {
			t.Errorf("manifest %q", body)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="Package.swift"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("Content-Length %q for %d bytes", resp.Header.Get("Content-Length"), len(body))
		}
		// One alternate link per version-specific manifest of the archive,
		// as SwiftPM's parseManifestLinkLine reads it: four fields.
		want := []string{
			"<" + e.base + `mona/linkedlist/1.1.0/Package.swift?swift-version=4>; rel="alternate"; filename="Package@swift-4.swift"; swift-tools-version="4.0"`,
			"<" + e.base + `mona/linkedlist/1.1.0/Package.swift?swift-version=5.9>; rel="alternate"; filename="Package@swift-5.9.swift"; swift-tools-version="5.9"`,
		}
		got := strings.Split(resp.Header.Get("Link"), ", ")
		if !slices.Equal(got, want) {
			t.Errorf("Link\n%q\nwant\n%q", got, want)
		}
		for _, sv := range []string{"5.9", "5.9.0"} {
			resp, body := e.get(t, "mona/LinkedList/1.1.0/Package.swift?swift-version="+sv, mediaSwift)
			wantAPI(t, "manifest "+sv, resp, body, http.StatusOK, typeSwift)
			if string(body) != alt.body || resp.Header.Get("Content-Disposition") != `attachment; filename="Package@swift-5.9.swift"` {
				t.Errorf("swift-version=%s: %q %q", sv, resp.Header.Get("Content-Disposition"), body)
			}
		}
		resp, body = e.get(t, "mona/LinkedList/1.1.0/Package.swift?swift-version=5.3", mediaSwift)
		wantAPI(t, "manifest 5.3", resp, body, http.StatusSeeOther, "")
		if loc := resp.Header.Get("Location"); loc != e.base+"mona/linkedlist/1.1.0/Package.swift" {
			t.Errorf("303 Location %q", loc)
		}
		resp, body = e.get(t, "mona/LinkedList/1.0.0/Package.swift", mediaSwift)
		wantAPI(t, "manifest 1.0.0", resp, body, http.StatusOK, typeSwift)
		if resp.Header.Get("Link") != "" {
			t.Errorf("release without alternates has Link %q", resp.Header.Get("Link"))
		}
	})

	t.Run("archive", func(t *testing.T) {
		resp, body := e.get(t, "mona/LinkedList/1.1.0.zip", mediaZip)
		wantAPI(t, "archive", resp, body, http.StatusOK, typeZip)
		sum := sha256.Sum256(zip110)
		if string(body) != string(zip110) ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(zip110)) ||
			resp.Header.Get("Digest") != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="LinkedList-1.1.0.zip"` ||
			resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("archive headers %v (%d bytes)", resp.Header, len(body))
		}
		hdr := http.Header{"Authorization": {"Bearer " + e.token}, "Accept": {swiftPMAccept(mediaZip)}, "Range": {"bytes=0-3"}}
		resp, body = e.do(t, http.MethodGet, "mona/LinkedList/1.1.0.zip", hdr, nil)
		if resp.StatusCode != http.StatusPartialContent || string(body) != "PK\x03\x04" {
			t.Errorf("range: %d %q", resp.StatusCode, body)
		}
		hdr = http.Header{"Authorization": {"Bearer " + e.token}, "Accept": {swiftPMAccept(mediaZip)}}
		resp, body = e.do(t, http.MethodHead, "mona/LinkedList/1.1.0.zip", hdr, nil)
		if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(zip110)) {
			t.Errorf("HEAD: %d %v", resp.StatusCode, resp.Header)
		}
	})

	t.Run("identifiers", func(t *testing.T) {
		for _, u := range []string{"https://github.com/mona/LinkedList", "https://github.com/mona/linkedlist.git", "git@github.com:mona/LinkedList.git", "ssh://git@github.com/Mona/LinkedList/"} {
			resp, body := e.get(t, "identifiers?url="+u, mediaJSON)
			wantAPI(t, "identifiers "+u, resp, body, http.StatusOK, typeJSON)
			if string(body) != `{"identifiers":["mona.linkedlist"]}` {
				t.Errorf("identifiers %s: %s", u, body)
			}
		}
		resp, body := e.get(t, "identifiers?url=https://github.com/mona/HashMap", mediaJSON)
		wantAPI(t, "identifiers unknown", resp, body, http.StatusNotFound, typeProblem)
		resp, body = e.get(t, "identifiers", mediaJSON)
		wantAPI(t, "identifiers without url", resp, body, http.StatusBadRequest, typeProblem)
	})

	t.Run("control plane", func(t *testing.T) {
		d, err := e.svc.DescribePackageVersion(t.Context(), admin, serviceVersionRef("Mona", "LINKEDLIST", "1.1.0"))
		if err != nil {
			t.Fatal(err)
		}
		pv := d.PackageVersion
		if pv.Namespace != "mona" || pv.PackageName != "linkedlist" || pv.DisplayName != "LinkedList" || pv.Summary != "One thing links to another." ||
			pv.SourceCodeRepository != "https://github.com/mona/LinkedList" || len(pv.Licenses) != 1 || pv.Licenses[0].URL != "https://www.apache.org/licenses/LICENSE-2.0" {
			t.Errorf("DescribePackageVersion %+v", pv)
		}
		assets := e.assetNames(t, "mona", "linkedlist", "1.1.0")
		want := []string{"Package.swift", "Package@swift-4.swift", "Package@swift-5.9.swift", "linkedlist-1.1.0.zip"}
		if !slices.Equal(assets, want) {
			t.Errorf("assets %v, want %v", assets, want)
		}
	})
}

// TestAccept applies the API version rules of Registry.md 3.5.
func TestAccept(t *testing.T) {
	e := newTestEnv(t)
	e.mustPublish(t, "mona", "LinkedList", "1.0.0", makeArchive(t, "LinkedList", packageFiles("LinkedList")), "")
	tests := []struct {
		path, accept string
		status       int
	}{
		{"mona/LinkedList", "application/vnd.swift.registry.v1+json", 200},
		{"mona/LinkedList", "application/vnd.swift.registry.v1", 200},
		{"mona/LinkedList", "application/vnd.swift.registry+json", 200},
		{"mona/LinkedList", "", 200},
		{"mona/LinkedList", "*/*", 200},
		{"mona/LinkedList", "application/json", 200},
		{"mona/LinkedList", "application/vnd.swift.registry.v2+json", 400},
		{"mona/LinkedList", "application/vnd.swift.registry.vx+json", 400},
		{"mona/LinkedList", "application/vnd.swift.registry.1+json", 400},
		{"mona/LinkedList", "application/vnd.swift.registry.v1+zip", 415},
		{"mona/LinkedList", "application/vnd.swift.registry.v1+xml", 415},
		{"mona/LinkedList", "application/vnd.swift.registry.v2+json, application/vnd.swift.registry.v1+json", 200},
		{"mona/LinkedList/1.0.0", "application/vnd.swift.registry.v1+swift", 415},
		{"mona/LinkedList/1.0.0.zip", "application/vnd.swift.registry.v1+zip", 200},
		{"mona/LinkedList/1.0.0.zip", "application/vnd.swift.registry.v2+zip", 400},
		{"mona/LinkedList/1.0.0/Package.swift", "application/vnd.swift.registry.v1+swift", 200},
		{"mona/LinkedList/1.0.0/Package.swift", "application/vnd.swift.registry.v1+json", 415},
		{"identifiers?url=x", "application/vnd.swift.registry.v3", 400},
	}
	for _, tt := range tests {
		hdr := http.Header{"Authorization": {"Bearer " + e.token}}
		if tt.accept != "" {
			hdr.Set("Accept", tt.accept)
		}
		resp, body := e.do(t, http.MethodGet, tt.path, hdr, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s Accept %q: %d, want %d: %s", tt.path, tt.accept, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status >= 400 {
			wantAPI(t, tt.path+" "+tt.accept, resp, body, tt.status, typeProblem)
		}
	}
}

// TestNotFoundAndBadPaths: every error is a problem, and identifiers
// that cannot exist are named as such.
func TestNotFoundAndBadPaths(t *testing.T) {
	e := newTestEnv(t)
	e.mustPublish(t, "mona", "LinkedList", "1.0.0", makeArchive(t, "LinkedList", packageFiles("LinkedList")), "")
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "mona/HashMap", 404},
		{"GET", "mona/LinkedList/2.0.0", 404},
		{"GET", "mona/LinkedList/2.0.0.zip", 404},
		{"GET", "mona/LinkedList/2.0.0/Package.swift", 404},
		{"GET", "mona/LinkedList/1.0.0/Package.swift?swift-version=five", 400},
		{"GET", "mona/LinkedList/1.0", 400},
		{"GET", "mona/LinkedList/v1.0.0", 400},
		{"GET", "-mona/LinkedList", 400},
		{"GET", "mona/Linked.List", 400},
		{"GET", "mona/LinkedList/1.0.0/Other.swift", 404},
		{"GET", "", 404},
		{"DELETE", "mona/LinkedList/1.0.0", 405},
		{"POST", "mona/LinkedList", 405},
	}
	for _, tt := range tests {
		resp, body := e.do(t, tt.method, tt.path, http.Header{"Authorization": {"Bearer " + e.token}}, nil)
		wantAPI(t, tt.method+" "+tt.path, resp, body, tt.status, typeProblem)
	}
	// Refused before the handler: no credentials, a path naming no
	// repository.
	resp, body := e.do(t, "GET", "mona/LinkedList", nil, nil)
	wantAPI(t, "no credentials", resp, body, http.StatusUnauthorized, typeProblem)
}

// TestStatuses: Decision 8 for Swift. Unlisted releases leave the list
// but still resolve by exact version; Archived, Disposed and Deleted
// ones are gone everywhere.
func TestStatuses(t *testing.T) {
	e := newTestEnv(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"} {
		e.mustPublish(t, "mona", "LinkedList", v, makeArchive(t, "LinkedList", packageFiles("LinkedList")), "")
	}
	e.setStatus(t, "mona", "LinkedList", model.StatusUnlisted, "1.3.0")
	e.setStatus(t, "mona", "LinkedList", model.StatusArchived, "1.1.0")
	ref := serviceVersionRef("mona", "LinkedList", "")
	if _, err := e.svc.DisposePackageVersions(t.Context(), admin, disposeInput(ref.PackageRef, "1.0.0")); err != nil {
		t.Fatal(err)
	}

	resp, body := e.get(t, "mona/LinkedList", mediaJSON)
	wantAPI(t, "list", resp, body, http.StatusOK, typeJSON)
	if string(body) != `{"releases":{"1.2.0":{"url":"`+e.base+`mona/linkedlist/1.2.0"}}}` {
		t.Errorf("list %s", body)
	}
	if !strings.Contains(resp.Header.Get("Link"), `mona/linkedlist/1.2.0>; rel="latest-version"`) {
		t.Errorf("Link %q", resp.Header.Get("Link"))
	}
	for v, want := range map[string]int{"1.3.0": 200, "1.2.0": 200, "1.1.0": 404, "1.0.0": 404} {
		for _, p := range []struct{ path, media string }{{v, mediaJSON}, {v + ".zip", mediaZip}, {v + "/Package.swift", mediaSwift}} {
			resp, body := e.get(t, "mona/LinkedList/"+p.path, p.media)
			if resp.StatusCode != want {
				t.Errorf("%s (%s): %d, want %d: %s", p.path, v, resp.StatusCode, want, body)
			}
		}
	}
	// The Unlisted release's neighbours are the listed releases.
	resp, _ = e.get(t, "mona/LinkedList/1.3.0", mediaJSON)
	if l := resp.Header.Get("Link"); !strings.Contains(l, `1.2.0>; rel="predecessor-version"`) || strings.Contains(l, "successor") {
		t.Errorf("Unlisted release Link %q", l)
	}

	// Nothing fetchable left: the package is not found.
	e.setStatus(t, "mona", "LinkedList", model.StatusArchived, "1.2.0", "1.3.0")
	resp, body = e.get(t, "mona/LinkedList", mediaJSON)
	wantAPI(t, "list of archived", resp, body, http.StatusNotFound, typeProblem)
	// A release that exists in any status is never published again.
	resp, body = e.publish(t, "mona", "LinkedList", "1.1.0", makeArchive(t, "LinkedList", packageFiles("LinkedList")), "")
	wantAPI(t, "republish archived", resp, body, http.StatusConflict, typeProblem)
}

// TestPublishConflict: a release is published once (Registry.md 4.6),
// even with the same bytes, and the refusal changes nothing.
func TestPublishConflict(t *testing.T) {
	e := newTestEnv(t)
	z := makeArchive(t, "LinkedList", packageFiles("LinkedList"))
	e.mustPublish(t, "mona", "LinkedList", "1.0.0", z, `{"description":"first"}`)
	for _, scope := range []string{"mona", "MONA"} {
		resp, body := e.publish(t, scope, "LinkedList", "1.0.0", z, `{"description":"second"}`)
		wantAPI(t, "republish", resp, body, http.StatusConflict, typeProblem)
	}
	_, body := e.get(t, "mona/LinkedList/1.0.0", mediaJSON)
	if !strings.Contains(string(body), `"first"`) {
		t.Errorf("metadata changed: %s", body)
	}
}

// TestPublishCurl publishes as the AWS documentation's curl command
// does: Basic auth, -F source-archive=@FILE (application/octet-stream,
// with a filename) and -F metadata=JSON.
func TestPublishCurl(t *testing.T) {
	e := newTestEnv(t)
	z := makeArchive(t, "my_package", packageFiles("my_package"))
	var b strings.Builder
	b.WriteString("--curlboundary\r\nContent-Disposition: form-data; name=\"source-archive\"; filename=\"pkg.zip\"\r\nContent-Type: application/octet-stream\r\n\r\n")
	b.Write(z)
	b.WriteString("\r\n--curlboundary\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"description\":\"from curl\"}\r\n--curlboundary--\r\n")
	hdr := http.Header{
		"Authorization": {basicAuth(e.token)},
		"Accept":        {"application/vnd.swift.registry.v1+json"},
		"Content-Type":  {"multipart/form-data; boundary=curlboundary"},
	}
	resp, body := e.do(t, http.MethodPut, "my-scope/my_package/1.0.0", hdr, []byte(b.String()))
	wantAPI(t, "curl publish", resp, body, http.StatusCreated, "")
	resp, body = e.do(t, http.MethodGet, "my-scope/my_package/1.0.0", http.Header{"Authorization": {basicAuth(e.token)}}, nil)
	wantAPI(t, "fetch", resp, body, http.StatusOK, typeJSON)
	if !strings.Contains(string(body), `"description":"from curl"`) {
		t.Errorf("metadata %s", body)
	}
}

// TestPublishSigned: a signed release keeps its signature, shows it in
// its source-archive resource and sends it with the archive.
func TestPublishSigned(t *testing.T) {
	e := newTestEnv(t)
	z := makeArchive(t, "LinkedList", packageFiles("LinkedList"))
	sig, metaSig := []byte("\x30\x82archive-cms"), []byte("\x30\x82metadata-cms")
	hdr := e.swiftPMPublishHeaders()
	hdr.Set("X-Swift-Package-Signature-Format", "cms-1.0.0")
	resp, body := e.do(t, http.MethodPut, "mona/LinkedList/1.0.0", hdr, swiftPMPublishBody(testBoundary, z, `{"description":"signed"}`, sig, metaSig))
	wantAPI(t, "signed publish", resp, body, http.StatusCreated, "")
	_, body = e.get(t, "mona/LinkedList/1.0.0", mediaJSON)
	want := `"signing":{"signatureBase64Encoded":"` + base64.StdEncoding.EncodeToString(sig) + `","signatureFormat":"cms-1.0.0"}`
	if !strings.Contains(string(body), want) {
		t.Errorf("release %s lacks %s", body, want)
	}
	resp, _ = e.get(t, "mona/LinkedList/1.0.0.zip", mediaZip)
	if resp.Header.Get("X-Swift-Package-Signature-Format") != "cms-1.0.0" || resp.Header.Get("X-Swift-Package-Signature") != base64.StdEncoding.EncodeToString(sig) {
		t.Errorf("archive signature headers %v", resp.Header)
	}
}

// TestPublishRefusals: every bad upload gets a clear 4xx problem and
// leaves nothing behind.
func TestPublishRefusals(t *testing.T) {
	e := newTestEnv(t)
	good := makeArchive(t, "LinkedList", packageFiles("LinkedList"))
	part := func(name, extra, content string) string {
		return "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n" + extra + "\r\n" + content + "\r\n"
	}
	end := "--" + testBoundary + "--\r\n"
	tooLarge := makeArchive(t, "LinkedList", packageFiles("LinkedList", file{"big.bin", incompressible(1<<20 + 1)}))
	tests := []struct {
		name    string
		hdr     func(http.Header)
		body    []byte
		status  int
		message string
	}{
		{"not a zip", nil, swiftPMPublishBody(testBoundary, []byte("hello, not a zip"), "", nil, nil), 422, "not a valid zip"},
		{"no manifest", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "LinkedList", []file{{"README.md", "x"}}), "", nil, nil), 422, "no LinkedList/Package.swift"},
		{"manifest only nested", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "LinkedList", []file{{"Sub/Package.swift", manifestFor("5.7", "Sub")}}), "", nil, nil), 422, "no LinkedList/Package.swift"},
		{"no top-level directory", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "", packageFiles("LinkedList")), "", nil, nil), 422, "outside a top-level directory"},
		{"two top-level directories", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "", []file{{"A/Package.swift", manifestFor("5.7", "A")}, {"B/x", "x"}}), "", nil, nil), 422, "more than one top-level directory"},
		{"no tools version", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "LinkedList", []file{{"Package.swift", "import PackageDescription\n"}}), "", nil, nil), 422, "swift-tools-version"},
		{"bad alternate tools version", nil, swiftPMPublishBody(testBoundary, makeArchive(t, "LinkedList", packageFiles("LinkedList", file{"Package@swift-5.9.swift", "// no version\n"})), "", nil, nil), 422, "Package@swift-5.9.swift"},
		{"too large", nil, swiftPMPublishBody(testBoundary, tooLarge, "", nil, nil), 413, "larger than"},
		{"metadata not JSON", nil, swiftPMPublishBody(testBoundary, good, "{not json", nil, nil), 422, "invalid release metadata"},
		{"metadata not an object", nil, swiftPMPublishBody(testBoundary, good, `["a"]`, nil, nil), 422, "JSON object"},
		{"metadata wrong type", nil, swiftPMPublishBody(testBoundary, good, `{"description": 5}`, nil, nil), 422, "description must be a string"},
		{"author without name", nil, swiftPMPublishBody(testBoundary, good, `{"author": {"email": "a@b.c"}}`, nil, nil), 422, "author.name is required"},
		{"bad date", nil, swiftPMPublishBody(testBoundary, good, `{"originalPublicationTime": "yesterday"}`, nil, nil), 422, "originalPublicationTime"},
		{"relative license URL", nil, swiftPMPublishBody(testBoundary, good, `{"licenseURL": "LICENSE"}`, nil, nil), 422, "absolute URI"},
		{"no source archive", nil, []byte(part("metadata", "", "{}") + end), 400, "no source-archive part"},
		{"unknown part", nil, []byte(part("source-archive", "", string(good)) + part("readme", "", "x") + end), 400, `unexpected part "readme"`},
		{"two archives", nil, []byte(part("source-archive", "", string(good)) + part("source-archive", "", string(good)) + end), 400, "more than once"},
		{"empty archive", nil, []byte(part("source-archive", "", "") + end), 422, "empty"},
		{"bad transfer encoding", nil, []byte(part("source-archive", "Content-Transfer-Encoding: x-gzip\r\n", string(good)) + end), 400, "Content-Transfer-Encoding"},
		{"truncated body", nil, []byte(part("source-archive", "", string(good[:40]))), 400, "malformed"},
		{"not multipart", func(h http.Header) { h.Set("Content-Type", "application/zip") }, good, 415, "multipart/form-data"},
		{"signature without format", nil, swiftPMPublishBody(testBoundary, good, "", []byte("sig"), nil), 400, "X-Swift-Package-Signature-Format"},
		{"unknown signature format", func(h http.Header) { h.Set("X-Swift-Package-Signature-Format", "pgp") }, swiftPMPublishBody(testBoundary, good, "", []byte("sig"), nil), 422, "unsupported signature format"},
		{"metadata unsigned in a signed release", func(h http.Header) { h.Set("X-Swift-Package-Signature-Format", "cms-1.0.0") }, swiftPMPublishBody(testBoundary, good, "{}", []byte("sig"), nil), 400, "metadata-signature"},
		{"metadata signature alone", nil, swiftPMPublishBody(testBoundary, good, "{}", nil, []byte("sig")), 400, "signed source archive"},
		{"accept v2", func(h http.Header) { h.Set("Accept", "application/vnd.swift.registry.v2+json") }, swiftPMPublishBody(testBoundary, good, "", nil, nil), 400, "unknown API version"},
		{"accept +zip", func(h http.Header) { h.Set("Accept", "application/vnd.swift.registry.v1+zip") }, swiftPMPublishBody(testBoundary, good, "", nil, nil), 415, "served as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := e.swiftPMPublishHeaders()
			if tt.hdr != nil {
				tt.hdr(hdr)
			}
			resp, body := e.do(t, http.MethodPut, "mona/LinkedList/1.0.0", hdr, tt.body)
			wantAPI(t, tt.name, resp, body, tt.status, typeProblem)
			var p problem
			json.Unmarshal(body, &p)
			if !strings.Contains(p.Detail, tt.message) {
				t.Errorf("detail %q, want it to say %q", p.Detail, tt.message)
			}
			if resp, _ := e.get(t, "mona/LinkedList", mediaJSON); resp.StatusCode != http.StatusNotFound {
				t.Errorf("a refused upload left a package (%d)", resp.StatusCode)
			}
		})
	}
	// The same repository takes the good archive afterwards.
	e.mustPublish(t, "mona", "LinkedList", "1.0.0", good, "")
}

// TestPublishBomb: a zip that inflates far beyond its size is refused
// while it is checked, before anything is stored.
func TestPublishBomb(t *testing.T) {
	e := newTestEnv(t)
	bomb := makeArchive(t, "LinkedList", packageFiles("LinkedList", file{"bomb.bin", strings.Repeat("\x00", 40<<20)}))
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes; the test env bounds archives at 1 MiB", len(bomb))
	}
	resp, body := e.publish(t, "mona", "LinkedList", "1.0.0", bomb, "")
	wantAPI(t, "bomb", resp, body, http.StatusUnprocessableEntity, typeProblem)
	if !strings.Contains(string(body), "expands") {
		t.Errorf("detail %s", body)
	}
	if resp, _ := e.get(t, "mona/LinkedList", mediaJSON); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bomb left a package (%d)", resp.StatusCode)
	}
}

// TestUpstream: a repository with an upstream lists the upstream's
// releases and retains a release whose files a client fetches, as npm,
// pip and Maven reads do.
func TestUpstream(t *testing.T) {
	e := newTestEnv(t)
	ctx := t.Context()
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "up"}}); err != nil {
		t.Fatal(err)
	}
	up := *e
	up.base = strings.Replace(e.base, "/repo/", "/up/", 1)
	upZip := makeArchive(t, "LinkedList", packageFiles("LinkedList", file{"UP.md", "upstream"}))
	up.mustPublish(t, "mona", "LinkedList", "1.0.0", upZip, "")
	up.mustPublish(t, "mona", "LinkedList", "1.1.0", upZip, "")
	ups := []service.UpstreamRepositoryInfo{{RepositoryName: "up"}}
	if _, err := e.svc.UpdateRepository(ctx, admin, service.UpdateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"}, Upstreams: &ups}); err != nil {
		t.Fatal(err)
	}

	resp, body := e.get(t, "mona/LinkedList", mediaJSON)
	wantAPI(t, "list", resp, body, http.StatusOK, typeJSON)
	if !strings.Contains(string(body), `"1.0.0"`) || !strings.Contains(string(body), `"1.1.0"`) {
		t.Fatalf("list through the upstream: %s", body)
	}
	resp, body = e.get(t, "mona/LinkedList/1.1.0", mediaJSON)
	wantAPI(t, "release from upstream", resp, body, http.StatusOK, typeJSON)
	local := func() []string {
		out, err := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: serviceVersionRef("mona", "linkedlist", "").PackageRef})
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var vs []string
		for _, v := range out.Versions {
			vs = append(vs, v.Version)
		}
		slices.Sort(vs)
		return vs
	}
	if got := local(); len(got) != 0 {
		t.Fatalf("before fetching, the repository holds %v", got)
	}
	resp, body = e.get(t, "mona/LinkedList/1.0.0.zip", mediaZip)
	wantAPI(t, "archive from upstream", resp, body, http.StatusOK, typeZip)
	if string(body) != string(upZip) {
		t.Error("served another archive")
	}
	if got := local(); !slices.Equal(got, []string{"1.0.0"}) {
		t.Fatalf("after fetching, the repository holds %v", got)
	}
	resp, body = e.get(t, "mona/LinkedList/1.0.0/Package.swift", mediaSwift)
	wantAPI(t, "manifest", resp, body, http.StatusOK, typeSwift)
}
