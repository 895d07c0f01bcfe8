package upstreamtest

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRubyGems: the compact index lists each release with its
// dependencies, checksum and requirements as rubygems.org writes them,
// /versions names each info file's MD5, files download until corrupted,
// and a release made while running shows at once.
func TestRubyGems(t *testing.T) {
	a := &RubyGem{Name: "a", Version: "1.0", Platform: "ruby", Data: []byte("gem a 1.0"), QuickSpec: []byte("spec a")}
	aJava := &RubyGem{Name: "a", Version: "1.0", Platform: "java", Data: []byte("gem a 1.0 java")}
	b := &RubyGem{Name: "b", Version: "2.0.pre", Deps: [][2]string{{"a", "< 2, >= 1.0"}, {"c", ">= 0"}}, Ruby: ">= 2.7", Rubygems: "> 1.3.1", Data: []byte("gem b")}
	s := NewRubyGems()
	s.Add(a, aJava, b)
	srv := httptest.NewServer(s)
	defer srv.Close()

	infoA := "---\n1.0 |checksum:" + sha(a.Data) + "\n1.0-java |checksum:" + sha(aJava.Data) + "\n"
	infoB := "---\n2.0.pre a:< 2&>= 1.0,c:>= 0|checksum:" + sha(b.Data) + ",ruby:>= 2.7,rubygems:> 1.3.1\n"
	md := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/info/a", 200, infoA},
		{"/info/b", 200, infoB},
		{"/info/nope", 404, ""},
		{"/gems/a-1.0.gem", 200, "gem a 1.0"},
		{"/gems/a-1.0-java.gem", 200, "gem a 1.0 java"},
		{"/gems/a-2.0.gem", 404, ""},
		{"/quick/Marshal.4.8/a-1.0.gemspec.rz", 200, "spec a"},
		{"/quick/Marshal.4.8/b-2.0.pre.gemspec.rz", 404, ""},
		{"/api/v1/dependencies", 404, ""},
	} {
		g := get(t, srv.URL+tc.path)
		if g.status != tc.status || tc.status == 200 && g.body != tc.body {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, g.status, g.body, tc.status, tc.body)
		}
		if tc.status == 200 && strings.HasPrefix(tc.path, "/info/") && g.header.Get("ETag") != `"`+md(tc.body)+`"` {
			t.Errorf("GET %s: ETag %s, want the body's MD5", tc.path, g.header.Get("ETag"))
		}
	}
	if g := get(t, srv.URL+"/versions"); !strings.HasSuffix(g.body, "---\na 1.0,1.0-java "+md(infoA)+"\nb 2.0.pre "+md(infoB)+"\n") {
		t.Errorf("/versions = %q", g.body)
	}

	a2 := &RubyGem{Name: "a", Version: "1.1", Data: []byte("gem a 1.1")}
	s.Add(a2)
	if g := get(t, srv.URL+"/info/a"); !strings.HasSuffix(g.body, "\n1.1 |checksum:"+sha(a2.Data)+"\n") {
		t.Errorf("info after a release = %q", g.body)
	}
	s.Corrupt("a-1.1")
	if g := get(t, srv.URL+"/gems/a-1.1.gem"); g.status != 200 || sha([]byte(g.body)) == sha(a2.Data) || len(g.body) != len(a2.Data) {
		t.Errorf("corrupted gem = %d %q", g.status, g.body)
	}
	if g := get(t, srv.URL+"/info/a"); !strings.Contains(g.body, sha(a2.Data)) {
		t.Errorf("info of a corrupted gem lost its true checksum: %q", g.body)
	}
	s.SetOutage(Unavailable)
	if g := get(t, srv.URL+"/info/a"); g.status != http.StatusServiceUnavailable {
		t.Errorf("stopped: %d", g.status)
	}
}
