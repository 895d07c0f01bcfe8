package nuget

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/model"
)

// FuzzReadNupkg feeds arbitrary bytes to the reader pushes go through
// (the seed corpus under testdata/fuzz holds real nupkg layouts). Nothing
// may panic; from an in-memory reader every failure is a refusal (a 400,
// never a 500); an accepted package has a valid id and version, an asset
// name that is one path segment, and metadata that encodes and decodes.
func FuzzReadNupkg(f *testing.F) {
	f.Add(makeNupkg(f, spec{id: "Demo.Lib", version: "1.0.0"}))
	f.Add(makeNupkg(f, spec{id: "Demo.App", version: "2.0.0-beta.1+sha", deps: `<group targetFramework=".NETStandard2.0"><dependency id="Demo.Lib" version="[1.0,2.0)"/></group>`,
		extra: `<license type="expression">MIT</license><readme>README.md</readme>`}, file{name: "README.md", body: "# Readme"}))
	f.Add(makeZip(f, file{name: "A.nuspec", body: spec{id: "A", version: "1"}.xml(), store: true}))
	f.Add(makeZip(f, file{name: "lib/x.dll", body: "x"}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	// Small limits keep each input cheap: the bounds themselves are the
	// archive package's (its own fuzz target covers them); this target
	// is about what the reader makes of what the bounds let through.
	lim := archive.DefaultLimits
	lim.MaxUnpacked, lim.RatioMinSize = 4<<20, 1<<20
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readNupkg(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if !isRefusal(err) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if err := model.CheckNuGetID(p.Spec.ID); err != nil {
			t.Fatalf("accepted id %q: %v", p.Spec.ID, err)
		}
		v := strings.ToLower(p.Spec.Version.String())
		if model.NormalizeVersion(model.FormatNuGet, p.Spec.RawVersion) != v {
			t.Fatalf("version %q normalizes to %q, not %q", p.Spec.RawVersion, model.NormalizeVersion(model.FormatNuGet, p.Spec.RawVersion), v)
		}
		if name := assetName(strings.ToLower(p.Spec.ID), v); strings.ContainsAny(name, "/\\\x00") || model.CheckAssetName(model.FormatNuGet, name) != nil {
			t.Fatalf("asset name %q", name)
		}
		if len(p.Nuspec) > maxNuspecBytes || len(p.Readme) > 4*maxReadmeBytes {
			t.Fatalf("nuspec %d bytes, readme %d", len(p.Nuspec), len(p.Readme))
		}
		md, err := metadataOf(p)
		if err != nil {
			t.Fatalf("metadataOf: %v", err)
		}
		var d versionDoc
		if err := json.Unmarshal(md.FormatMetadata, &d); err != nil || d.ID != p.Spec.ID || d.Nuspec != string(p.Nuspec) {
			t.Fatalf("stored document does not round-trip: %v", err)
		}
	})
}

// FuzzParseNuspec feeds arbitrary manifests to the parser. Nothing may
// panic, every failure is a refusal, and what is accepted holds: a valid
// id, and dependency ranges whose normalized form parses back to itself
// (that form is what registration documents give clients).
func FuzzParseNuspec(f *testing.F) {
	f.Add([]byte(spec{id: "Demo.Lib", version: "1.0.0"}.xml()))
	f.Add([]byte(spec{id: "A", version: "1.0.0.0-rc.1+b", deps: `<group targetFramework="net45"><dependency id="B" version="(,2.0]"/></group><group><dependency id="C"/></group>`}.xml()))
	f.Add([]byte(spec{id: "A", version: "1", deps: `<dependency id="B" version="[1.0]"/>`, extra: `<license type="file">LICENSE.txt</license><repository url="u"/>`}.xml()))
	f.Add([]byte(`<?xml version="1.0" encoding="utf-16"?><package/>`))
	f.Add([]byte(`<!DOCTYPE package [<!ENTITY a "b">]><package><metadata><id>&a;</id></metadata></package>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseNuspec("x.nuspec", data)
		if err != nil {
			if !isRefusal(err) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if err := model.CheckNuGetID(n.ID); err != nil {
			t.Fatalf("accepted id %q: %v", n.ID, err)
		}
		for _, g := range n.DependencyGroups {
			for _, d := range g.Dependencies {
				s := d.Range.String()
				r, err := parseRange(s)
				if err != nil || r.String() != s {
					t.Fatalf("range %q normalizes to %q, which reads back as %v %v", d.RawRange, s, r, err)
				}
			}
		}
	})
}
