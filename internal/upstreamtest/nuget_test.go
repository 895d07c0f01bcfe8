package upstreamtest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNuGet(t *testing.T) {
	n := NewNuGet()
	if err := n.AddFixtures("Wharf.Pub.Lib.1.0.0.nupkg", "Wharf.Pub.App.1.0.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	lib, _ := NuGetFixture("Wharf.Pub.Lib.1.0.0.nupkg")
	if err := n.Add(lib); err == nil {
		t.Error("the same version was added twice")
	}
	if err := n.Add([]byte("not a zip")); err == nil {
		t.Error("a file that is not a nupkg was added")
	}
	srv := httptest.NewServer(n)
	defer srv.Close()
	reg := "/v3/registration5-gz-semver2/"
	for _, tc := range []struct {
		path   string
		status int
		want   string // a substring of the body
	}{
		{"/v3/index.json", 200, `{"@id":"` + srv.URL + `/v3-flatcontainer/","@type":"PackageBaseAddress/3.0.0"}`},
		{"/v3-flatcontainer/wharf.pub.lib/index.json", 200, `{"versions":["1.0.0"]}`},
		{"/v3-flatcontainer/Wharf.Pub.Lib/index.json", 404, ""},
		{"/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.1.0.0.nupkg", 200, string(lib)},
		{"/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.nuspec", 200, "<id>Wharf.Pub.Lib</id>"},
		{"/v3-flatcontainer/wharf.pub.lib/9.0.0/wharf.pub.lib.9.0.0.nupkg", 404, ""},
		{reg + "wharf.pub.app/index.json", 200, `"range":"[1.0.0, )","registration":"` + srv.URL + reg + `wharf.pub.lib/index.json"`},
		{reg + "wharf.pub.app/1.0.0.json", 200, `"catalogEntry":"` + srv.URL + `/v3/catalog0/data/`},
		{reg + "nothing/index.json", 404, ""},
		{"/v3/catalog0/data/2024.01.02.03.04.05/wharf.pub.lib.1.0.0.json", 200, `"packageHash":"` + n.PackageHash("Wharf.Pub.Lib", "1.0.0") + `"`},
	} {
		g := get(t, srv.URL+tc.path)
		if g.status != tc.status || !strings.Contains(g.body, tc.want) {
			t.Errorf("GET %s: %d %.300s\nwant %d with %.300s", tc.path, g.status, g.body, tc.status, tc.want)
		}
	}
	sum := sha512.Sum512(lib)
	if n.PackageHash("wharf.pub.lib", "1.0.0") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Error("packageHash is not the nupkg's SHA512")
	}

	// Registrations are gzipped whatever the client accepts, as
	// nuget.org's gz hives are.
	g := get(t, srv.URL+reg+"wharf.pub.lib/index.json", "Accept-Encoding", "identity")
	if g.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("registration Content-Encoding %q", g.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(g.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var idx struct {
		CommitID string `json:"commitId"`
		Items    []struct {
			ID    string            `json:"@id"`
			Items []json.RawMessage `json:"items"`
		} `json:"items"`
	}
	if err := json.Unmarshal(plain, &idx); err != nil || len(idx.Items) != 1 || len(idx.Items[0].Items) != 1 {
		t.Fatalf("registration index: %v %s", err, plain)
	}
	if g2 := get(t, srv.URL+reg+"wharf.pub.lib/index.json", "Accept-Encoding", "identity", "If-None-Match", g.header.Get("ETag")); g2.status != 304 {
		t.Errorf("If-None-Match: %d", g2.status)
	}

	// Beyond Inline versions, pages are linked; a change is a new commit.
	n.Inline = 1
	if err := n.AddFixtures("Wharf.Pub.Lib.1.1.0.nupkg"); err != nil {
		t.Fatal(err)
	}
	var linked struct {
		CommitID string `json:"commitId"`
		Items    []struct {
			ID    string            `json:"@id"`
			Items []json.RawMessage `json:"items"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+reg+"wharf.pub.lib/index.json").body), &linked); err != nil || len(linked.Items) != 1 ||
		linked.Items[0].Items != nil || linked.CommitID == idx.CommitID {
		t.Fatalf("index with a linked page: %v %+v", err, linked)
	}
	if g := get(t, linked.Items[0].ID); g.status != 200 || !strings.Contains(g.body, `"version":"1.1.0"`) {
		t.Fatalf("page %s: %d %s", linked.Items[0].ID, g.status, g.body)
	}

	n.Unlist("Wharf.Pub.Lib", "1.0.0")
	if g := get(t, srv.URL+reg+"wharf.pub.lib/1.0.0.json"); !strings.Contains(g.body, `"listed":false`) || !strings.Contains(g.body, `"published":"1900-01-01`) {
		t.Errorf("unlisted leaf: %s", g.body)
	}
	n.Corrupt("Wharf.Pub.Lib", "1.0.0")
	if g := get(t, srv.URL+"/v3-flatcontainer/wharf.pub.lib/1.0.0/wharf.pub.lib.1.0.0.nupkg"); g.status != 200 || bytes.Equal([]byte(g.body), lib) || len(g.body) != len(lib) {
		t.Error("Corrupt did not change the nupkg's bytes (keeping its length)")
	}
}

func TestCompareNuGet(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0", "1.0.1", -1},
		{"1.10.0", "1.9.0", 1},
		{"1.0.0-beta", "1.0.0", -1},
		{"1.0.0-alpha.2", "1.0.0-alpha.10", -1},
		{"1.0.0-Beta", "1.0.0-beta", 0},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-1", "1.0.0-alpha", -1},
	} {
		got := compareNuGet(tc.a, tc.b)
		if got < 0 {
			got = -1
		} else if got > 0 {
			got = 1
		}
		if got != tc.want {
			t.Errorf("compareNuGet(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
