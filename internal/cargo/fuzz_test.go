package cargo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
)

// wantClientError fails unless err maps to a 4xx: whatever a client
// sends, a refusal is its fault, never a 500.
func wantClientError(t *testing.T, what string, err error) {
	t.Helper()
	if st := endpoint.Status(err); st < 400 || st > 499 {
		t.Fatalf("%s: %v maps to %d, want a 4xx", what, err, st)
	}
}

// parseBody runs a publish body through everything the handler does
// before the store: the framing and metadata, the .crate check, and the
// index line. It returns the line, or the refusal.
func parseBody(body []byte) (*publishMeta, []byte, []byte, error) {
	meta, cr, err := readPublish(bytes.NewReader(body), 1<<20)
	if err != nil {
		return nil, nil, nil, err
	}
	var crate bytes.Buffer
	facts, err := checkCrate(io.TeeReader(cr, &crate), meta.Name, meta.Vers, deref(meta.ReadmeFile), deref(meta.Readme) == "")
	if cr.Err() != nil {
		return meta, nil, nil, cr.Err()
	}
	if err != nil {
		return meta, nil, nil, refusal(err)
	}
	entry, err := marshalEntry(meta.entry(facts.cksum, "sparse+http://wharf.test/cargo/dom-111122223333/repo/"))
	if err != nil {
		return meta, nil, nil, err
	}
	line, err := appendLine(nil, entry, false)
	return meta, crate.Bytes(), line, err
}

// FuzzPublishBody feeds arbitrary bodies to PUT api/v1/crates/new's
// parsing. Nothing may panic or hang, every refusal is a 4xx, and an
// accepted body yields a crate whose checksum is what the index line
// says, and an index line that is one JSON object naming the crate and
// version with deps as an array and features as an object.
func FuzzPublishBody(f *testing.F) {
	// testdata/fuzz/FuzzPublishBody holds more seeds, among them a body
	// cargo 1.95 sent.
	f.Add(frame(publishJSON("demo", "1.0.0", nil), makeCrate(f, "demo", "1.0.0")))
	f.Add(frame(publishJSON("demo", "1.0.0", map[string]any{"features2": map[string][]string{"x": {"dep:y"}}}), makeCrate(f, "demo", "1.0.0", tarFile{"README.md", "r"})))
	f.Add(frame(publishJSON("demo", "1.0.0", nil), makeCrate(f, "other", "1.0.0")))
	f.Add(frame(publishJSON("demo", "1.0.0", nil), []byte("not gzip")))
	f.Add([]byte{4, 0, 0, 0, '{', '}'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		type result struct {
			meta        *publishMeta
			crate, line []byte
			err         error
		}
		done := make(chan result, 1)
		go func() {
			m, c, l, err := parseBody(body)
			done <- result{m, c, l, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("parsing has not returned after 5s on a %d-byte body", len(body))
		}
		if r.err != nil {
			wantClientError(t, "publish body", r.err)
			return
		}
		if model.CheckCrateName(r.meta.Name) != nil {
			t.Fatalf("accepted crate name %q", r.meta.Name)
		}
		if _, ok := semver.Parse(r.meta.Vers); !ok {
			t.Fatalf("accepted version %q", r.meta.Vers)
		}
		if bytes.Count(r.line, []byte("\n")) != 1 {
			t.Fatalf("index line is not one line: %q", r.line)
		}
		var line struct {
			Name     string              `json:"name"`
			Vers     string              `json:"vers"`
			Cksum    string              `json:"cksum"`
			Deps     []json.RawMessage   `json:"deps"`
			Features map[string][]string `json:"features"`
			Yanked   *bool               `json:"yanked"`
		}
		if err := json.Unmarshal(r.line, &line); err != nil {
			t.Fatalf("index line %q: %v", r.line, err)
		}
		sum := sha256.Sum256(r.crate)
		if line.Name != r.meta.Name || line.Vers != r.meta.Vers || line.Cksum != hex.EncodeToString(sum[:]) ||
			line.Deps == nil || len(line.Deps) != len(r.meta.Deps) || line.Features == nil || line.Yanked == nil {
			t.Fatalf("index line %s does not describe %s %s (crate %d bytes)", r.line, r.meta.Name, r.meta.Vers, len(r.crate))
		}
	})
}

// A body as cargo 1.95 sends it (captured from cargo publish against a
// stand-in registry): a renamed optional dependency, a target-specific
// one, a build dependency, namespaced and weak features, links,
// rust-version and a readme.
func TestRealPublishBody(t *testing.T) {
	body, err := os.ReadFile("testdata/publish-cargo-1.95.bin")
	if err != nil {
		t.Fatal(err)
	}
	meta, crate, line, err := parseBody(body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(crate)
	want := `{"name":"Seed_Crate","vers":"1.2.3-rc.1","deps":[` +
		`{"name":"a_lib","req":">=0.1, <0.3","features":["x"],"optional":true,"default_features":false,"target":null,"kind":"normal","package":"wharf-a"},` +
		`{"name":"c","req":"=2.0.0","features":[],"optional":false,"default_features":true,"target":null,"kind":"build"},` +
		`{"name":"b","req":"^1","features":[],"optional":true,"default_features":true,"target":"cfg(unix)","kind":"normal"}],` +
		`"cksum":"` + hex.EncodeToString(sum[:]) + `","features":{"default":["std"],"extra":["dep:a_lib","b?/std"],"std":[]},"links":"seed","v":1,"rust_version":"1.74","yanked":false}` + "\n"
	if string(line) != want {
		t.Fatalf("index line\n got %s\nwant %s", line, want)
	}
	if md := meta.metadata(); md.Readme != "# Seed\n" || md.Summary != "A seed for the fuzzer" || md.Licenses[0].Name != "MIT OR Apache-2.0" {
		t.Fatalf("metadata %+v", md)
	}
}
