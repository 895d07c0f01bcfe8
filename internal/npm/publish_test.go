package npm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func parsePublish(t *testing.T, name string, body []byte) (*putRequest, *publication, error) {
	t.Helper()
	n, err := parseName(name)
	if err != nil {
		t.Fatal(err)
	}
	sp := newSpool(t.TempDir(), 64)
	t.Cleanup(func() { sp.Close() })
	p, err := readPut(bytes.NewReader(body), sp)
	if err != nil {
		return nil, nil, err
	}
	pub, err := p.publication(n)
	return p, pub, err
}

func TestPublication(t *testing.T) {
	tgz := pkgTgz(t, "@acme/demo", "v1.2.3", tgzFile{"package/README.md", "# from tarball"}) // npm cleans "v1.2.3"
	body := publishBody("@acme/demo", "1.2.3", map[string]any{
		"description": "A demo", "license": "MIT", "homepage": "https://example.com",
		"repository":      map[string]string{"type": "git", "url": "git+https://github.com/acme/demo.git"},
		"dependencies":    map[string]string{"left-pad": "^1.0.0", "@types/node": "*"},
		"devDependencies": map[string]string{"x": "1"}, "peerDependencies": map[string]string{"react": ">=18"},
		"optionalDependencies": map[string]string{"fsevents": "2"},
		"scripts":              map[string]string{"postinstall": "node x.js"},
		"readme":               "# from body", "readmeFilename": "README.md",
	}, tgz)
	p, pub, err := parsePublish(t, "@acme/demo", body)
	if err != nil {
		t.Fatal(err)
	}
	sha := sha1.Sum(tgz)
	sum := sha512.Sum512(tgz)
	if p.size != int64(len(tgz)) || p.dist.Shasum != hex.EncodeToString(sha[:]) || p.dist.Integrity != "sha512-"+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("size %d dist %+v", p.size, p.dist)
	}
	md := pub.Metadata
	if md.Summary != "A demo" || md.HomePage != "https://example.com" || md.SourceCodeRepo != "git+https://github.com/acme/demo.git" ||
		md.Readme != "# from body" || md.DisplayName != "@acme/demo" || !reflect.DeepEqual(md.Licenses, []model.License{{Name: "MIT"}}) {
		t.Errorf("metadata = %+v", md)
	}
	wantDeps := []model.Dependency{
		{Package: "left-pad", DependencyType: "regular", VersionRequirement: "^1.0.0"},
		{Namespace: "types", Package: "node", DependencyType: "regular", VersionRequirement: "*"},
		{Package: "x", DependencyType: "dev", VersionRequirement: "1"},
		{Package: "react", DependencyType: "peer", VersionRequirement: ">=18"},
		{Package: "fsevents", DependencyType: "optional", VersionRequirement: "2"},
	}
	// Sorted by name within each type: "@types/node" sorts before "left-pad".
	wantDeps[0], wantDeps[1] = wantDeps[1], wantDeps[0]
	if !reflect.DeepEqual(md.Dependencies, wantDeps) {
		t.Errorf("deps = %+v\nwant %+v", md.Dependencies, wantDeps)
	}
	if !reflect.DeepEqual(pub.DistTags, map[string]string{"latest": "1.2.3"}) || pub.Version != "1.2.3" {
		t.Errorf("tags %v version %s", pub.DistTags, pub.Version)
	}
	var m map[string]any
	if err := json.Unmarshal(pub.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	dist := m["dist"].(map[string]any)
	if m["readme"] != nil || m["_id"] != "@acme/demo@1.2.3" || m["_hasShrinkwrap"] != false || dist["tarball"] != nil ||
		dist["shasum"] != p.dist.Shasum || dist["integrity"] != p.dist.Integrity || dist["fileCount"] != 3.0 {
		t.Errorf("stored manifest = %s", pub.Manifest)
	}
	if !bytes.Equal(md.FormatMetadata, pub.Manifest) {
		t.Error("FormatMetadata is not the stored manifest")
	}
}

func TestPublicationReadmeAndLicenseForms(t *testing.T) {
	tgz := pkgTgz(t, "a", "1.0.0", tgzFile{"package/README.md", "# from tarball"})
	_, pub, err := parsePublish(t, "a", publishBody("a", "1.0.0", map[string]any{
		"licenses":   []any{map[string]string{"type": "MIT", "url": "https://mit"}, "Apache-2.0"},
		"repository": "github:acme/a",
	}, tgz))
	if err != nil {
		t.Fatal(err)
	}
	md := pub.Metadata
	if md.Readme != "# from tarball" || md.SourceCodeRepo != "github:acme/a" || md.DisplayName != "" ||
		!reflect.DeepEqual(md.Licenses, []model.License{{Name: "MIT", URL: "https://mit"}, {Name: "Apache-2.0"}}) {
		t.Errorf("metadata = %+v", md)
	}
	if !strings.Contains(string(pub.Manifest), `"readmeFilename":"README.md"`) {
		t.Errorf("manifest lacks readmeFilename: %s", pub.Manifest)
	}
}

func TestPublicationRejects(t *testing.T) {
	good := pkgTgz(t, "a", "1.0.0")
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(publishBody("a", "1.0.0", nil, good), &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	att := func(m map[string]any) map[string]any {
		for _, a := range m["_attachments"].(map[string]any) {
			return a.(map[string]any)
		}
		return nil
	}
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"name differs from URL", publishBody("b", "1.0.0", nil, pkgTgz(t, "b", "1.0.0")), "must be \"a\""},
		{"_id differs", mutate(func(m map[string]any) { m["_id"] = "b" }), "_id"},
		{"two versions", mutate(func(m map[string]any) {
			vs := m["versions"].(map[string]any)
			vs["2.0.0"] = vs["1.0.0"]
		}), "exactly one version"},
		{"no versions", mutate(func(m map[string]any) { delete(m, "versions") }), "versions"},
		{"not semver", publishBody("a", "1.0", nil, pkgTgz(t, "a", "1.0")), "SemVer"},
		{"manifest version differs", mutate(func(m map[string]any) {
			m["versions"].(map[string]any)["1.0.0"].(map[string]any)["version"] = "1.0.1"
		}), "must match its key"},
		{"manifest name differs", mutate(func(m map[string]any) {
			m["versions"].(map[string]any)["1.0.0"].(map[string]any)["name"] = "b"
		}), "versions[\"1.0.0\"].name"},
		{"tarball names another package", publishBody("a", "1.0.0", nil, pkgTgz(t, "b", "1.0.0")), "names b"},
		{"tarball has another version", publishBody("a", "1.0.0", nil, pkgTgz(t, "a", "1.0.1")), "version 1.0.1"},
		{"tarball without package.json", publishBody("a", "1.0.0", nil, makeTgz(t, tgzFile{"package/x", "y"})), "no package/package.json"},
		{"tarball not gzip", publishBody("a", "1.0.0", nil, []byte("hello")), "not gzip"},
		{"package.json not JSON", publishBody("a", "1.0.0", nil, makeTgz(t, tgzFile{"package/package.json", "{"})), "not valid JSON"},
		{"no attachment", mutate(func(m map[string]any) { delete(m, "_attachments") }), "attachment"},
		{"attachment without data", mutate(func(m map[string]any) { delete(att(m), "data") }), "attachment"},
		{"two attachments", mutate(func(m map[string]any) {
			m["_attachments"].(map[string]any)["a-2.tgz"] = att(m)
		}), "exactly one attachment"},
		{"provenance attachment", mutate(func(m map[string]any) {
			m["_attachments"].(map[string]any)["a-1.0.0.sigstore"] = map[string]any{"data": "{}"}
		}), "provenance"},
		{"bad base64", mutate(func(m map[string]any) { att(m)["data"] = "!!!!" }), "base64"},
		{"length mismatch", mutate(func(m map[string]any) { att(m)["length"] = 3 }), "declares length 3"},
		{"tag to other version", mutate(func(m map[string]any) { m["dist-tags"] = map[string]string{"latest": "0.9.0"} }), "may only tag"},
		{"tag is a version", mutate(func(m map[string]any) { m["dist-tags"] = map[string]string{"1.0.0": "1.0.0"} }), "must not be a version"},
		{"tag with slash", mutate(func(m map[string]any) { m["dist-tags"] = map[string]string{"a/b": "1.0.0"} }), "Invalid dist-tag"},
		{"dist-tags not a map", mutate(func(m map[string]any) { m["dist-tags"] = []int{1} }), "dist-tags"},
	}
	for _, tt := range tests {
		_, _, err := parsePublish(t, "a", tt.body)
		if !errors.Is(err, model.ErrValidation) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want validation error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestSpoolSpills(t *testing.T) {
	tgz := pkgTgz(t, "a", "1.0.0", tgzFile{"package/big.bin", strings.Repeat("z", 4096)})
	n, _ := parseName("a")
	dir := t.TempDir()
	sp := newSpool(dir, 16)
	p, err := readPut(bytes.NewReader(publishBody("a", "1.0.0", nil, tgz)), sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.publication(n); err != nil {
		t.Fatal(err)
	}
	if sp.f == nil {
		t.Fatal("spool did not spill to a file")
	}
	r, _ := sp.Reader()
	var got bytes.Buffer
	got.ReadFrom(r)
	if !bytes.Equal(got.Bytes(), tgz) {
		t.Fatal("spooled bytes differ from the tarball")
	}
	name := sp.f.Name()
	sp.Close()
	if _, err := readFileIfExists(name); err == nil {
		t.Fatal("spool file left behind")
	}
}

func TestDeprecations(t *testing.T) {
	n, _ := parseName("a")
	body := `{"name":"a","versions":{"1.0.0":{"deprecated":"old"},"1.1.0":{"deprecated":""},"1.2.0":{}}}`
	p, err := readPut(strings.NewReader(body), newSpool(t.TempDir(), 64))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.deprecations(n)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"1.0.0": "old", "1.1.0": "", "1.2.0": ""}) {
		t.Fatalf("deprecations = %v, %v", got, err)
	}
	p, _ = readPut(strings.NewReader(`{"name":"a","versions":{"1.0.0":{"deprecated":true}}}`), newSpool(t.TempDir(), 64))
	if _, err := p.deprecations(n); !errors.Is(err, model.ErrValidation) {
		t.Fatalf("non-string deprecated: %v", err)
	}
}

func TestSetDeprecated(t *testing.T) {
	tests := []struct {
		doc, msg, want string
		changed        bool
	}{
		{`{"a":1}`, "old", `{"a":1,"deprecated":"old"}`, true},
		{`{"a":1,"deprecated":"old"}`, "old", `{"a":1,"deprecated":"old"}`, false},
		{`{"a":1,"deprecated":"old"}`, "new", `{"a":1,"deprecated":"new"}`, true},
		{`{"a":1,"deprecated":"old"}`, "", `{"a":1}`, true},
		{`{"a":1}`, "", `{"a":1}`, false},
	}
	for _, tt := range tests {
		got, changed, err := setDeprecated([]byte(tt.doc), tt.msg)
		if err != nil || string(got) != tt.want || changed != tt.changed {
			t.Errorf("setDeprecated(%s, %q) = %s, %v, %v; want %s, %v", tt.doc, tt.msg, got, changed, err, tt.want, tt.changed)
		}
	}
}
