package ruby

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testGems are real gems built here by `gem build` (RubyGems 3.3.15,
// SOURCE_DATE_EPOCH=1700000000); each NAME.marshal beside them is what
// Ruby wrote for Marshal.dump(Gem::Package.new("NAME.gem").spec).
var testGems = []string{"demo_gem-1.0.0", "demo_gem-1.0.0-x86_64-linux", "tiny-0.1.0.pre"}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestQuickSpecMatchesRuby: a real gem read by readGem and written back
// as the quick/Marshal.4.8 spec is byte for byte what Ruby dumps for the
// spec RubyGems loads from the same gem.
func TestQuickSpecMatchesRuby(t *testing.T) {
	for _, name := range testGems {
		spec, err := readGem(bytes.NewReader(readTestdata(t, name+".gem")))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := spec.fullName(); got != name {
			t.Errorf("fullName = %q, want %q", got, name)
		}
		zr, err := zlib.NewReader(bytes.NewReader(quickSpec(spec)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if want := readTestdata(t, name+".marshal"); !bytes.Equal(got, want) {
			t.Errorf("%s: Marshal of the spec differs from Ruby's\n got %q\nwant %q", name, got, want)
		}
	}
}

func TestReadGemFields(t *testing.T) {
	spec, err := readGem(bytes.NewReader(readTestdata(t, "demo_gem-1.0.0.gem")))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %s %s %v %s %s %s %v %v %s %s", spec.Name, spec.Version, spec.Platform, spec.Authors, spec.Date,
		text(spec.Summary), text(spec.Homepage), spec.Licenses, spec.Email, spec.RequiredRuby, spec.metadataValue("source_code_uri"))
	want := "demo_gem 1.0.0 ruby [Ann Bob] 2023-11-14 A demo https://example.com/demo [MIT] ann@example.com >= 2.7 https://github.com/x/demo"
	if got != want {
		t.Errorf("spec = %s\nwant   %s", got, want)
	}
	var deps []string
	for _, d := range spec.Dependencies {
		deps = append(deps, fmt.Sprintf("%s:%s:%s", d.Name, d.Type, d.Requirement))
	}
	if got, want := strings.Join(deps, " "), "dep_gem:runtime:>= 1.0, < 3 rake:development:~> 13.0"; got != want {
		t.Errorf("dependencies = %s, want %s", got, want)
	}
}

// gemEntry is one entry of a hand-made gem.
type gemEntry struct {
	name string
	body []byte
	typ  byte
}

func makeTar(t testing.TB, entries ...gemEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o444, Size: int64(len(e.body)), Typeflag: typ}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Close()
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func tgz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

// metadataYAML is a minimal gem specification as RubyGems writes it.
func metadataYAML(name, version string, extra ...string) string {
	return fmt.Sprintf(`--- !ruby/object:Gem::Specification
name: %s
version: !ruby/object:Gem::Version
  version: %s
platform: ruby
authors:
- Wharf
date: 2024-01-02 00:00:00.000000000 Z
dependencies: []
summary: Test gem
%s`, name, version, strings.Join(extra, "\n"))
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// buildGem makes a gem from a metadata document and files, with correct
// checksums.
func buildGem(t testing.TB, metadata string, files map[string]string) []byte {
	t.Helper()
	meta, data := gz([]byte(metadata)), tgz(t, files)
	sums := fmt.Sprintf("---\nSHA256:\n  metadata.gz: %s\n  data.tar.gz: %s\n", sha256hex(meta), sha256hex(data))
	return makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: data}, gemEntry{name: "checksums.yaml.gz", body: gz([]byte(sums))})
}

// TestReadGemRefuses: every malformed gem is refused with a gemError or
// specError that says what is wrong.
func TestReadGemRefuses(t *testing.T) {
	good := buildGem(t, metadataYAML("ok", "1.0"), map[string]string{"lib/ok.rb": "1"})
	if _, err := readGem(bytes.NewReader(good)); err != nil {
		t.Fatalf("the well-formed gem: %v", err)
	}
	meta := gz([]byte(metadataYAML("ok", "1.0")))
	data := tgz(t, map[string]string{"lib/ok.rb": "1"})
	// A bomb past the ratio bound, which this test lowers so the bomb
	// stays small (the bound itself is archive's, tested there).
	saved, savedMeta := dataLimits, maxMetadataBytes
	dataLimits.RatioMinSize, maxMetadataBytes = 1<<20, 64<<10
	t.Cleanup(func() { dataLimits, maxMetadataBytes = saved, savedMeta })
	bomb := func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		tw := tar.NewWriter(zw)
		const size = 4 << 20
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		io.Copy(tw, io.LimitReader(zeroReader{}, size))
		tw.Close()
		zw.Close()
		return b.Bytes()
	}()
	tests := []struct {
		name string
		gem  []byte
		want string
	}{
		{"empty", nil, "not a tar archive"},
		{"not a tar", []byte(strings.Repeat("this is not a gem at all ", 40)), "not a gem"},
		{"truncated", good[:len(good)/2+100], "truncated"},
		{"no metadata", makeTar(t, gemEntry{name: "data.tar.gz", body: data}), "no metadata.gz"},
		{"no data", makeTar(t, gemEntry{name: "metadata.gz", body: meta}), "no data.tar.gz"},
		{"foreign entry", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "evil.sh", body: []byte("x")}), `"evil.sh"`},
		{"symlink", makeTar(t, gemEntry{name: "data.tar.gz", typ: tar.TypeSymlink}), "not a regular file"},
		{"twice", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "metadata.gz", body: meta}), "twice"},
		{"metadata not gzip", makeTar(t, gemEntry{name: "metadata.gz", body: []byte("name: x")}, gemEntry{name: "data.tar.gz", body: data}), "not gzip"},
		{"metadata not yaml", makeTar(t, gemEntry{name: "metadata.gz", body: gz([]byte("{{{: ["))}, gemEntry{name: "data.tar.gz", body: data}), "not valid YAML"},
		{"metadata not a spec", makeTar(t, gemEntry{name: "metadata.gz", body: gz([]byte("name: x\n"))}, gemEntry{name: "data.tar.gz", body: data}), "Gem::Specification"},
		{"metadata bomb", makeTar(t, gemEntry{name: "metadata.gz", body: gz(bytes.Repeat([]byte("#"), int(maxMetadataBytes)+1))}, gemEntry{name: "data.tar.gz", body: data}), "expands past"},
		{"data not a tgz", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: []byte("plain")}), "data.tar.gz is refused"},
		{"data bomb", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: bomb}), "expands more than"},
		{"data escapes", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: tgz(t, map[string]string{"../../etc/x": "1"})}), "climbs out"},
		{"checksum mismatch", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: data},
			gemEntry{name: "checksums.yaml.gz", body: gz([]byte("---\nSHA256:\n  data.tar.gz: " + strings.Repeat("0", 64) + "\n"))}), "not 0000"},
		{"checksum of a missing file", makeTar(t, gemEntry{name: "metadata.gz", body: meta}, gemEntry{name: "data.tar.gz", body: data},
			gemEntry{name: "checksums.yaml.gz", body: gz([]byte("---\nSHA512:\n  metadata: abc\n"))}), "does not hold"},
		{"bad name", buildGem(t, metadataYAML("-x", "1.0"), nil), "can not begin with"},
		{"bad version", buildGem(t, metadataYAML("ok", "1.0 beta"), nil), "not a valid gem version"},
		{"bad platform", buildGem(t, strings.Replace(metadataYAML("ok", "1.0"), "platform: ruby", "platform: x86/linux", 1), nil), "not a valid gem platform"},
		{"bad dependency", buildGem(t, metadataYAML("ok", "1.0", `dependencies:
- !ruby/object:Gem::Dependency
  name: other
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "=>"
      - !ruby/object:Gem::Version
        version: '1'
  type: :runtime`), nil), "twice"},
		{"bad operator", buildGem(t, strings.Replace(metadataYAML("ok", "1.0"), "dependencies: []", `dependencies:
- !ruby/object:Gem::Dependency
  name: other
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "=>"
      - !ruby/object:Gem::Version
        version: '1'
  type: :runtime`, 1), nil), `unknown operator "=>"`},
		{"bad dependency type", buildGem(t, strings.Replace(metadataYAML("ok", "1.0"), "dependencies: []", `dependencies:
- !ruby/object:Gem::Dependency
  name: other
  type: :optional`, 1), nil), `type "optional"`},
		{"bad date", buildGem(t, strings.Replace(metadataYAML("ok", "1.0"), "2024-01-02", "2024-13-45", 1), nil), "not a valid date"},
	}
	for _, tt := range tests {
		_, err := readGem(bytes.NewReader(tt.gem))
		if err == nil || !isRefusal(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: readGem = %v (refusal %v), want a refusal saying %q", tt.name, err, isRefusal(err), tt.want)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A failing source is the server's error, not a refusal.
func TestReadGemSourceError(t *testing.T) {
	good := buildGem(t, metadataYAML("ok", "1.0"), map[string]string{"lib/ok.rb": "1"})
	_, err := readGem(io.MultiReader(bytes.NewReader(good[:700]), errReader{}))
	if err == nil || isRefusal(err) {
		t.Fatalf("readGem over a failing source = %v, want a non-refusal error", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }

// gemMetadata returns the uncompressed metadata.gz of a gem.
func gemMetadata(t testing.TB, gem []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(gem))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no metadata.gz: %v", err)
		}
		if h.Name == "metadata.gz" {
			zr, err := gzip.NewReader(tr)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
