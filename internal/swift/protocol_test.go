package swift

import (
	"bytes"
	"encoding/base64"
	"errors"
	"mime/multipart"
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	tests := []struct {
		rest   string
		want   route
		status int // 0: parsed
	}{
		{"login", route{kind: routeLogin}, 0},
		{"identifiers", route{kind: routeIdentifiers}, 0},
		{"mona/LinkedList", route{kind: routeList, scope: "mona", name: "LinkedList"}, 0},
		{"mona/LinkedList.json", route{kind: routeList, scope: "mona", name: "LinkedList"}, 0},
		{"mona/LinkedList/1.0.0", route{kind: routeRelease, scope: "mona", name: "LinkedList", version: "1.0.0"}, 0},
		{"mona/LinkedList/1.0.0.json", route{kind: routeRelease, scope: "mona", name: "LinkedList", version: "1.0.0"}, 0},
		{"mona/LinkedList/1.0.0-beta.json", route{kind: routeRelease, scope: "mona", name: "LinkedList", version: "1.0.0-beta"}, 0},
		{"mona/LinkedList/1.0.0+build.7", route{kind: routeRelease, scope: "mona", name: "LinkedList", version: "1.0.0+build.7"}, 0},
		{"mona/LinkedList/1.0.0.zip", route{kind: routeArchive, scope: "mona", name: "LinkedList", version: "1.0.0"}, 0},
		{"mona/LinkedList/1.0.0/Package.swift", route{kind: routeManifest, scope: "mona", name: "LinkedList", version: "1.0.0"}, 0},
		{"mona/Linked%4Cist", route{kind: routeList, scope: "mona", name: "LinkedList"}, 0},
		{"", route{}, 404},
		{"mona", route{}, 404},
		{"mona/LinkedList/1.0.0/Package.swift/x", route{}, 404},
		{"mona/LinkedList/1.0.0/README.md", route{}, 404},
		{"mona//1.0.0", route{}, 404},
		{"mona/a%2Fb", route{}, 404},
		{"mona/%zz", route{}, 404},
		{"mo_na/LinkedList", route{}, 400},
		{"mona/Linked.List", route{}, 400},
		{"mona/LinkedList/1.0", route{}, 400},
		{"mona/LinkedList/1.0.json", route{}, 400},
		{"mona/LinkedList/latest.zip", route{}, 400},
	}
	for _, tt := range tests {
		got, err := parseRoute(tt.rest)
		var re *routeError
		switch {
		case tt.status == 0 && (err != nil || got != tt.want):
			t.Errorf("parseRoute(%q) = %+v, %v; want %+v", tt.rest, got, err, tt.want)
		case tt.status != 0 && (!errors.As(err, &re) || re.status != tt.status):
			t.Errorf("parseRoute(%q) = %+v, %v; want status %d", tt.rest, got, err, tt.status)
		}
	}
}

func TestToolsVersion(t *testing.T) {
	tests := map[string]string{
		"// swift-tools-version:5.9\nimport PackageDescription": "5.9",
		"// swift-tools-version: 5.9.1\n":                       "5.9.1",
		"//swift-tools-version:4":                               "4.0",
		"// Swift-Tools-Version:5.7;(experimentalFeature)\n":    "5.7",
		"\xef\xbb\xbf// swift-tools-version:5.5\r\n":            "5.5",
		"// swift-tools-version:5.10 // comment":                "5.10",
		"import PackageDescription\n// swift-tools-version:5.9": "",
		"// swift-tools-version:five":                           "",
		"// swift-tools-version:5.9.1.2":                        "",
		"":                                                      "",
	}
	for in, want := range tests {
		got, ok := toolsVersion([]byte(in))
		if got != want || ok != (want != "") {
			t.Errorf("toolsVersion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestVersionKey(t *testing.T) {
	for in, want := range map[string]string{"5.9": "5.9", "5.9.0": "5.9", "5.09": "5.9", "5": "5", "5.0.0": "5", "0": "0", "4.2.1": "4.2.1"} {
		if got := versionKey(in); got != want {
			t.Errorf("versionKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickManifest(t *testing.T) {
	ms := []manifestRef{
		{Filename: "Package@swift-4.swift", SwiftVersion: "4", ToolsVersion: "4.0"},
		{Filename: "Package@swift-5.swift", SwiftVersion: "5", ToolsVersion: "5.3"},
		{Filename: "Package@swift-5.9.swift", SwiftVersion: "5.9", ToolsVersion: "5.9"},
		{Filename: "Package@swift-5.9.0.swift", SwiftVersion: "5.9.0", ToolsVersion: "5.9"},
	}
	for sv, want := range map[string]string{
		"5.9":   "Package@swift-5.9.swift",
		"5.9.0": "Package@swift-5.9.0.swift",
		"4.0.0": "Package@swift-4.swift",
		"5":     "Package@swift-5.swift",
		"5.3.0": "Package@swift-5.swift", // by its tools version, as SwiftPM asks
		"5.8":   "",
		"6":     "",
	} {
		if got := pickManifest(ms, sv); got != want {
			t.Errorf("pickManifest(%q) = %q, want %q", sv, got, want)
		}
	}
}

func TestCanonicalLocation(t *testing.T) {
	same := []string{
		"https://github.com/mona/LinkedList",
		"https://github.com/mona/LinkedList.git",
		"https://github.com/mona/LinkedList/",
		"http://GitHub.com/Mona/linkedlist",
		"git@github.com:mona/LinkedList.git",
		"ssh://git@github.com/mona/LinkedList.git",
		"github.com/mona/LinkedList",
	}
	for _, u := range same {
		if got := canonicalLocation(u); got != "github.com/mona/linkedlist" {
			t.Errorf("canonicalLocation(%q) = %q", u, got)
		}
	}
	for u, want := range map[string]string{
		"https://git.example.com:8443/mona/LinkedList": "git.example.com:8443/mona/linkedlist",
		"git.example.com:8443/mona/LinkedList":         "git.example.com:8443/mona/linkedlist",
		"https://github.com/mona/HashMap":              "github.com/mona/hashmap",
	} {
		if got := canonicalLocation(u); got != want {
			t.Errorf("canonicalLocation(%q) = %q, want %q", u, got, want)
		}
	}
}

func TestFormatLinks(t *testing.T) {
	got := formatLinks([]link{
		{url: "https://r.example/mona/linkedlist/1.0.0", rel: "latest-version"},
		{url: "https://r.example/a,b;c/Package.swift?swift-version=5.9", rel: "alternate", params: [][2]string{{"filename", "Package@swift-5.9.swift"}, {"swift-tools-version", "5.9"}}},
	})
	want := `<https://r.example/mona/linkedlist/1.0.0>; rel="latest-version", <https://r.example/a%2Cb%3Bc/Package.swift?swift-version=5.9>; rel="alternate"; filename="Package@swift-5.9.swift"; swift-tools-version="5.9"`
	if got != want {
		t.Errorf("formatLinks =\n%s\nwant\n%s", got, want)
	}
	for u, want := range map[string]bool{"https://github.com/mona/x": true, "https://x/a,b": false, "https://x/a;b": false, "": false, "a b": false} {
		if linkSafe(u) != want {
			t.Errorf("linkSafe(%q) = %v", u, !want)
		}
	}
}

// TestReadPublishFormEncodings: the transfer encodings a part may carry,
// and SwiftPM's metadata part, labelled quoted-printable but sent raw.
func TestReadPublishFormEncodings(t *testing.T) {
	zipBytes := []byte("PK\x03\x04 zip bytes with = and =3D in them")
	metaJSON := `{"repositoryURLs":["https://x.example/?a=b&c=3D"]}`
	part := func(name, cte, content string) string {
		h := "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n"
		if cte != "" {
			h += "Content-Transfer-Encoding: " + cte + "\r\n"
		}
		return h + "\r\n" + content + "\r\n"
	}
	tests := []struct {
		name, body  string
		archive, md string
		sig         string
		status      int
	}{
		{"swiftpm", part("source-archive", "binary", string(zipBytes)) + part("metadata", "quoted-printable", metaJSON) + "--B--\r\n", string(zipBytes), metaJSON, "", 0},
		{"base64 archive with line breaks", part("source-archive", "base64", base64.StdEncoding.EncodeToString(zipBytes)[:20]+"\r\n"+base64.StdEncoding.EncodeToString(zipBytes)[20:]) + "--B--\r\n", string(zipBytes), "", "", 0},
		{"quoted-printable metadata really encoded", part("source-archive", "", "z") + part("metadata", "quoted-printable", "{\"description\":=\r\n\"a=3Db\"}") + "--B--\r\n", "z", `{"description":"a=b"}`, "", 0},
		{"quoted-printable-looking JSON taken as sent", part("source-archive", "", "z") + part("metadata", "quoted-printable", `{"description":"a=3Db"}`) + "--B--\r\n", "z", `{"description":"a=3Db"}`, "", 0},
		{"metadata first", part("metadata", "", "{}") + part("source-archive", "8bit", "z") + "--B--\r\n", "z", "{}", "", 0},
		{"base64 signature", part("source-archive", "", "z") + part("source-archive-signature", "base64", base64.StdEncoding.EncodeToString([]byte("sig"))) + "--B--\r\n", "z", "", "sig", 0},
		{"bad base64", part("source-archive", "base64", "!!!!") + "--B--\r\n", "", "", "", 400},
		{"metadata too large", part("source-archive", "", "z") + part("metadata", "", strings.Repeat(" ", maxMetadataBytes+1)) + "--B--\r\n", "", "", "", 413},
		{"archive too large", part("source-archive", "", strings.Repeat("z", 65)) + "--B--\r\n", "", "", "", 413},
		{"empty signature", part("source-archive", "", "z") + part("metadata-signature", "", "") + part("metadata", "", "{}") + "--B--\r\n", "", "", "", 400},
		{"nameless part", "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n", "", "", "", 400},
		{"no parts", "--B--\r\n", "", "", "", 400},
		{"garbage", "not multipart at all", "", "", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var archive bytes.Buffer
			f, err := readPublishForm(multipart.NewReader(strings.NewReader(tt.body), "B"), &archive, 64)
			if tt.status != 0 {
				var fe *formError
				if !errors.As(err, &fe) || fe.status != tt.status {
					t.Fatalf("err %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if archive.String() != tt.archive || f.archiveSize != int64(len(tt.archive)) || string(f.metadata) != tt.md || string(f.archiveSignature) != tt.sig {
				t.Errorf("archive %q (%d), metadata %q, signature %q", archive.String(), f.archiveSize, f.metadata, f.archiveSignature)
			}
		})
	}
}

// TestReadPublishFormSpoolFailure: a failure to keep the archive is the
// server's error, not a malformed request.
func TestReadPublishFormSpoolFailure(t *testing.T) {
	body := "--B\r\nContent-Disposition: form-data; name=\"source-archive\"\r\n\r\nzip\r\n--B--\r\n"
	_, err := readPublishForm(multipart.NewReader(strings.NewReader(body), "B"), failingWriter{}, 64)
	var fe *formError
	var se *spoolError
	if errors.As(err, &fe) || !errors.As(err, &se) {
		t.Fatalf("err %v (%T), want a spool error", err, err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseReleaseMetadata(t *testing.T) {
	ok := []string{
		"", "  ", "{}",
		`{"description":"d","licenseURL":"https://x/LICENSE","readmeURL":"https://x/README","repositoryURLs":["git@github.com:a/b.git"],"author":{"name":"A","email":"a@x","url":"https://x","organization":{"name":"O","url":"https://o"}},"custom":[1,2]}`,
	}
	for _, in := range ok {
		if _, err := parseReleaseMetadata([]byte(in)); err != nil {
			t.Errorf("parseReleaseMetadata(%q): %v", in, err)
		}
	}
	bad := map[string]string{
		`{`:                        "not a JSON document",
		`{} {}`:                    "more than one",
		`"x"`:                      "JSON object",
		`{"readmeURL": 1}`:         "readmeURL must be a string",
		`{"repositoryURLs": "x"}`:  "array of strings",
		`{"repositoryURLs": [""]}`: "non-empty",
		`{"author": "A"}`:          "author must be an object",
		`{"author": {"name": 1}}`:  "author.name must be a string",
		`{"author": {"name": "A", "email": "nope"}}`:                                              "email address",
		`{"author": {"name": "A", "organization": {}}}`:                                           "author.organization.name is required",
		`{"author": {"name": "A", "organization": {"name": "O", "organization": {"name": "P"}}}}`: "not part of the schema",
	}
	for in, want := range bad {
		_, err := parseReleaseMetadata([]byte(in))
		var me *metadataError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), want) {
			t.Errorf("parseReleaseMetadata(%q) = %v, want %q", in, err, want)
		}
	}
	m, err := parseReleaseMetadata([]byte(`{"originalPublicationTime":"2023-02-16T04:00:00.999-02:00"}`))
	if err != nil || m.doc["originalPublicationTime"] != "2023-02-16T06:00:00Z" {
		t.Errorf("originalPublicationTime = %v, %v", m.doc["originalPublicationTime"], err)
	}
}

func TestUnsupportedScheme(t *testing.T) {
	for h, want := range map[string]bool{"": false, "Bearer x": false, "basic eA==": false, "Digest x": true, "Negotiate y": true, "token": true} {
		if got := unsupportedScheme(h); got != want {
			t.Errorf("unsupportedScheme(%q) = %v", h, got)
		}
	}
}
