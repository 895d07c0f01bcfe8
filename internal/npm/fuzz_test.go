package npm

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/semver"
)

// wantClientError fails unless err maps to a 4xx: whatever a client sends,
// a refusal is its fault, never a 500.
func wantClientError(t *testing.T, what string, err error) {
	t.Helper()
	if st := endpoint.Status(err); st < 400 || st > 499 {
		t.Fatalf("%s: %v maps to %d, want a 4xx", what, err, st)
	}
}

// FuzzReadPut feeds arbitrary publish bodies through the streaming reader
// and the publication checks. Neither may panic, every refusal is a 4xx,
// and an accepted publish names the URL's package, one valid version
// and a tarball whose size and digest were measured.
func FuzzReadPut(f *testing.F) {
	tgz := pkgTgz(f, "lodash", "1.0.0")
	f.Add(publishBody("lodash", "1.0.0", nil, tgz), "lodash")
	f.Add(publishBody("@acme/x", "2.0.0-beta.1", map[string]any{"description": "d", "license": "MIT"}, pkgTgz(f, "@acme/x", "2.0.0-beta.1")), "@acme/x")
	f.Add(publishBody("lodash", "1.0.0", nil, []byte("not a tarball")), "lodash")
	f.Add(publishBody("lodash", "1.0.0", nil, tgz), "other")
	f.Add([]byte(`{"name":"lodash","versions":{},"_attachments":{"x.tgz":{"data":"!!!"}}}`), "lodash")
	f.Add([]byte(`{"name":"lodash","_attachments":{"a.tgz":{"data":"`+strings.Repeat("A", 64)+`"},"b.tgz":{"data":"AA=="}}}`), "lodash")
	f.Add([]byte(`{"name":"lodash","versions":{"1.0.0":{"name":"lodash"}},"dist-tags":{"latest":"9.9.9"}}`), "lodash")
	f.Add([]byte(`{"name":"\ud800","versions":`+strings.Repeat("[", 1000)), "lodash")
	f.Add([]byte(`{"_attachments":{"a.tgz":{"data":"\u0041\u0041=="}}}`), "lodash")
	f.Add([]byte(`{`), "lodash")
	f.Fuzz(func(t *testing.T, body []byte, pkg string) {
		name, err := parseName(pkg)
		if err != nil {
			return
		}
		// A body that keeps the reader busy forever would hold a request
		// (and its connection) for good: that is a failure too.
		type result struct {
			p   *putRequest
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := readPut(bytes.NewReader(body), newSpool(t.TempDir(), 64<<20))
			done <- result{p, err}
		}()
		var p *putRequest
		select {
		case r := <-done:
			p, err = r.p, r.err
		case <-time.After(5 * time.Second):
			t.Fatalf("readPut has not returned after 5s on a %d-byte body", len(body))
		}
		if err != nil {
			wantClientError(t, "readPut", err)
			return
		}
		pub, err := p.publication(name)
		if err != nil {
			wantClientError(t, "publication", err)
			return
		}
		if !semver.Valid(pub.Version) {
			t.Fatalf("accepted version %q", pub.Version)
		}
		if !json.Valid(pub.Manifest) {
			t.Fatalf("stored manifest is not JSON: %.200s", pub.Manifest)
		}
		if p.tarball == nil || len(p.sha256) != 64 || p.size <= 0 {
			t.Fatalf("accepted without a measured tarball: %+v", p)
		}
	})
}

// FuzzInspectTarball: any bytes as a tarball; refusals are 4xx and an
// accepted one has its package.json.
func FuzzInspectTarball(f *testing.F) {
	f.Add(pkgTgz(f, "a", "1.0.0"))
	f.Add(pkgTgz(f, "a", "1.0.0", tgzFile{"package/README.md", "# a"}, tgzFile{"package/npm-shrinkwrap.json", "{}"}))
	f.Add(makeTgz(f, tgzFile{"package/package.json", "{}"}, tgzFile{"package/package.json", "{}"}))
	f.Add(makeTgz(f, tgzFile{"../../etc/passwd", "x"}, tgzFile{"package/package.json", "{}"}))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := inspectTarball(bytes.NewReader(data))
		if err != nil {
			wantClientError(t, "inspectTarball", err)
			return
		}
		if info.PackageJSON == nil {
			t.Fatal("accepted a tarball without package/package.json")
		}
	})
}

// FuzzSplitPackagePath: the package part of a request path parses into a
// name that prints back to something that parses to itself.
func FuzzSplitPackagePath(f *testing.F) {
	for _, p := range []string{"lodash", "@types%2fnode", "@types%2Fnode/-/node-1.0.0.tgz", "lodash/-rev/3-abc", "@scope/pkg",
		"..", "%2e%2e", "a%00b", "@%2f", "lodash/1.0.0", "@a%2fb%2fc", "%ff", "@\xff%2fa", "@\xc3\x28\xff%2Fab/x"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		// The router hands over URL.EscapedPath(), printable ASCII, but
		// any bytes at all must be refused cleanly rather than panic.
		name, _, err := splitPackagePath(p)
		if err != nil {
			wantClientError(t, "splitPackagePath", err)
			return
		}
		again, err := parseName(name.String())
		if err != nil || again != name {
			t.Fatalf("splitPackagePath(%q) = %+v, which does not parse back (%+v, %v)", p, name, again, err)
		}
		if s := name.String(); s == "." || s == ".." || strings.ContainsAny(s, "\\\x00") {
			t.Fatalf("splitPackagePath(%q) accepted %q", p, s)
		}
	})
}
