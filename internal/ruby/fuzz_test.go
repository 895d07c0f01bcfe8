package ruby

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadGem: whatever the bytes, readGem never panics and either
// refuses the upload (a refusal: a bytes.Reader cannot fail) or returns a
// spec that passes its own checks and can be written back as Marshal.
// Seeds: the real gems in testdata, small hand-made ones, and the corpus
// in testdata/fuzz/FuzzReadGem.
func FuzzReadGem(f *testing.F) {
	for _, name := range testGems {
		f.Add(readTestdata(f, name+".gem"))
	}
	f.Add(buildGem(f, metadataYAML("ok", "1.0"), map[string]string{"lib/ok.rb": "1"}))
	f.Add(makeTar(f, gemEntry{name: "metadata.gz", body: gz([]byte(metadataYAML("x", "1")))}))
	saved, savedMeta := dataLimits, maxMetadataBytes
	dataLimits.MaxUnpacked, dataLimits.RatioMinSize, maxMetadataBytes = 4<<20, 64<<10, 256<<10
	f.Cleanup(func() { dataLimits, maxMetadataBytes = saved, savedMeta })
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := readGem(bytes.NewReader(data))
		if err != nil {
			if !isRefusal(err) {
				t.Fatalf("readGem over bytes failed without a refusal: %v", err)
			}
			return
		}
		checkAccepted(t, spec)
	})
}

// FuzzParseSpec: the metadata YAML alone, where mutations reach the
// parser far more often than through gzip and tar.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(metadataYAML("ok", "1.0")))
	f.Add([]byte(metadataYAML("ok", "1.0.pre", "email:\n- a@b\nlicenses:\n- MIT\nmetadata:\n  k: v\n")))
	for _, name := range testGems {
		f.Add(gemMetadata(f, readTestdata(f, name+".gem")))
	}
	f.Add([]byte("--- &a !ruby/object:Gem::Specification\nname: *a\n"))
	f.Add([]byte("--- !ruby/object:Gem::Specification\nname: x\nversion: !!binary |\n  AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := parseSpec(data)
		if err != nil {
			var se *specError
			if !errors.As(err, &se) {
				t.Fatalf("parseSpec failed without a specError: %v", err)
			}
			return
		}
		checkAccepted(t, spec)
	})
}

// checkAccepted: an accepted spec has a valid name, version and platform
// and encodes as Marshal and as index lines without panicking.
func checkAccepted(t *testing.T, spec *gemSpec) {
	t.Helper()
	if err := spec.check(); err != nil {
		t.Fatalf("accepted spec fails its own check: %v", err)
	}
	if spec.Date == "" {
		spec.Date = "2024-01-02"
	}
	quickSpec(spec)
	var b strings.Builder
	writeInfoLine(&b, gemRelease{File: spec.fileName(), SHA256: strings.Repeat("0", 64), Spec: spec})
	if strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("info line %q spans lines", b.String())
	}
}
