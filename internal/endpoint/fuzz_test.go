package endpoint

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary request paths to the repository-endpoint
// router. It must never panic, and whatever it accepts must name a
// domain, a 12-character owner and a repository without a slash, with
// Rest still escaped and free of the parts already consumed.
func FuzzParse(f *testing.F) {
	for _, p := range []string{
		"/npm/acme-111122223333/main/lodash",
		"/npm/my-dom-ain-111122223333/repo/@types%2fnode",
		"/pypi/acme-111122223333/main/simple/requests/",
		"/maven/acme-111122223333/main/com/acme/lib/1.0/lib-1.0.jar",
		"/npm/acme-111122223333/main",
		"/npm/acme-111122223333/",
		"/npm/-111122223333/main/x",
		"/npm/acme-11112222333/main/x",
		"/npm/acme-111122223333/%2e%2e/x",
		"/npm/acme-111122223333/main/..%2F..%2Fwharf.db",
		"/npm/acme\x00-111122223333/main/x",
		"/npm/\xff-111122223333/main/x",
		"/npm/",
		"/pypi/acme-111122223333/main/x",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := url.Parse("http://h" + p)
		if err != nil || !strings.HasPrefix(u.EscapedPath(), "/") {
			return
		}
		req, ok := parse(&http.Request{Method: "GET", URL: u}, "/npm/")
		if !ok {
			return
		}
		r := req.Repo
		if r.Domain == "" || len(r.DomainOwner) != 12 || r.Repository == "" || strings.Contains(r.Repository, "/") {
			t.Fatalf("parse(%q) accepted %+v", p, r)
		}
		want := "/npm/" + r.Domain + "-" + r.DomainOwner + "/" + r.Repository
		if esc := u.EscapedPath(); esc != want && !strings.HasPrefix(esc, want+"/") {
			t.Fatalf("parse(%q) = %+v, which is not a prefix of the path", p, r)
		}
		if strings.HasPrefix(req.Rest, "/") {
			t.Fatalf("parse(%q): Rest %q starts with a slash", p, req.Rest)
		}
	})
}

// FuzzCredential feeds arbitrary Authorization headers. It must never
// panic, and a token it extracts must be what the header carries.
func FuzzCredential(f *testing.F) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, h := range []string{
		"Bearer wharf1.abc.def", "bearer  tok ", basic("aws:wharf1.abc.def"), basic("aws:"), basic("nocolon"),
		"Basic !!!", "Basic", "Digest x", "", " ", "Bearer", basic("aws:a:b"),
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		tok := Credential(r.Header.Get("Authorization"))
		if tok != "" && !strings.Contains(h, tok) && !strings.HasPrefix(strings.ToLower(h), "basic ") {
			t.Fatalf("Credential(%q) = %q, which the header does not carry", h, tok)
		}
	})
}
