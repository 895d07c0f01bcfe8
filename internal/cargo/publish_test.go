package cargo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestReadPublish(t *testing.T) {
	meta := publishJSON("demo", "1.0.0", nil)
	crate := []byte("crate-bytes")
	good := frame(meta, crate)
	u32 := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		body []byte
		want error  // from readPublish; nil: it must yield the crate
		read string // the crate reader's failure, if any
	}{
		{"whole", good, nil, ""},
		{"empty body", nil, model.ErrValidation, ""},
		{"half a length", []byte{1, 0}, model.ErrValidation, ""},
		{"JSON cut short", good[:20], model.ErrValidation, ""},
		{"no crate length", cat(u32(uint32(len(meta))), meta), model.ErrValidation, ""},
		{"zero JSON", cat(u32(0), u32(1), []byte("x")), model.ErrValidation, ""},
		{"JSON length beyond the bound", cat(u32(maxMetadataBytes+1), meta), model.ErrQuotaExceeded, ""},
		{"zero crate", cat(u32(uint32(len(meta))), meta, u32(0)), model.ErrValidation, ""},
		{"crate length beyond the bound", cat(u32(uint32(len(meta))), meta, u32(1<<20+1), crate), model.ErrQuotaExceeded, ""},
		{"JSON not an object", frame([]byte(`[1]`), crate), model.ErrValidation, ""},
		{"JSON with trailing bytes", frame(append(append([]byte{}, meta...), '}'), crate), model.ErrValidation, ""},
		{"JSON length lying short", cat(u32(uint32(len(meta)-1)), meta, u32(uint32(len(crate))), crate), model.ErrValidation, ""},
		{"crate cut short", good[:len(good)-3], nil, "truncated"},
		{"crate followed by more", append(append([]byte{}, good...), 'x'), nil, "goes on after"},
		{"bad name", frame(publishJSON("1bad", "1.0.0", nil), crate), model.ErrValidation, ""},
		{"bad version", frame(publishJSON("demo", "1.0", nil), crate), model.ErrValidation, ""},
		{"bad dependency kind", frame(publishJSON("demo", "1.0.0", map[string]any{"deps": []any{map[string]any{"name": "a", "version_req": "^1", "kind": "peer"}}}), crate), model.ErrValidation, ""},
		{"dependency without requirement", frame(publishJSON("demo", "1.0.0", map[string]any{"deps": []any{map[string]any{"name": "a", "version_req": ""}}}), crate), model.ErrValidation, ""},
		{"bad dependency name", frame(publishJSON("demo", "1.0.0", map[string]any{"deps": []any{map[string]any{"name": "a/b", "version_req": "1"}}}), crate), model.ErrValidation, ""},
		{"bad rename", frame(publishJSON("demo", "1.0.0", map[string]any{"deps": []any{map[string]any{"name": "a", "version_req": "1", "explicit_name_in_toml": ""}}}), crate), model.ErrValidation, ""},
		{"empty feature name", frame(publishJSON("demo", "1.0.0", map[string]any{"features": map[string]any{"": []string{}}}), crate), model.ErrValidation, ""},
		{"feature of the wrong type", frame(publishJSON("demo", "1.0.0", map[string]any{"features": map[string]any{"f": "x"}}), crate), model.ErrValidation, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, cr, err := readPublish(iotest.HalfReader(bytes.NewReader(tt.body)), 1<<20)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("readPublish = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != "demo" || m.Vers != "1.0.0" {
				t.Fatalf("metadata %+v", m)
			}
			got, err := io.ReadAll(cr)
			if tt.read == "" {
				if err != nil || !bytes.Equal(got, crate) {
					t.Fatalf("crate = %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.read) || !errors.Is(cr.Err(), model.ErrValidation) {
				t.Fatalf("crate read = %v (Err %v), want %q", err, cr.Err(), tt.read)
			}
		})
	}
}

func TestEntry(t *testing.T) {
	str := func(s string) *string { return &s }
	no := false
	self := "sparse+http://wharf.test/cargo/dom-111122223333/repo/"
	m := &publishMeta{Name: "Demo_Crate", Vers: "1.2.3-rc.1+build.5",
		Deps: []publishDep{
			{Name: "serde", VersionReq: "^1.0.100", Features: []string{"derive"}, DefaultFeatures: &no, Kind: str("normal"), Registry: str(cratesIOIndex)},
			{Name: "wharf-a", VersionReq: ">=0.1, <0.3", Optional: true, Kind: str("dev"), ExplicitNameInToml: str("a_lib"), Target: str(`cfg(target_os = "linux")`)},
			{Name: "local", VersionReq: "=2.0.0", Kind: str("build"), Registry: str(self)},
			{Name: "other", VersionReq: "1", Registry: str("sparse+https://other.test/index/")},
		},
		Features:    map[string][]string{"default": {"std"}, "std": nil, "extra": {"dep:a_lib", "serde?/std"}},
		Links:       str("z"),
		RustVersion: str("1.74"),
	}
	line, err := marshalEntry(m.entry("abc123", self))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Demo_Crate","vers":"1.2.3-rc.1+build.5","deps":[` +
		`{"name":"serde","req":"^1.0.100","features":["derive"],"optional":false,"default_features":false,"target":null,"kind":"normal","registry":"https://github.com/rust-lang/crates.io-index"},` +
		`{"name":"a_lib","req":">=0.1, <0.3","features":[],"optional":true,"default_features":true,"target":"cfg(target_os = \"linux\")","kind":"dev","package":"wharf-a"},` +
		`{"name":"local","req":"=2.0.0","features":[],"optional":false,"default_features":true,"target":null,"kind":"build"},` +
		`{"name":"other","req":"1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","registry":"sparse+https://other.test/index/"}],` +
		`"cksum":"abc123","features":{"default":["std"],"extra":["dep:a_lib","serde?/std"],"std":[]},"links":"z","v":1,"rust_version":"1.74"}`
	if string(line) != want {
		t.Fatalf("entry\n got %s\nwant %s", line, want)
	}

	// Empty deps and features are [] and {}, never null; features2
	// (from clients that split them) makes the entry v2.
	empty := &publishMeta{Name: "e", Vers: "0.0.1"}
	line, _ = marshalEntry(empty.entry("00", self))
	if want := `{"name":"e","vers":"0.0.1","deps":[],"cksum":"00","features":{},"links":null,"v":1}`; string(line) != want {
		t.Fatalf("empty entry\n got %s\nwant %s", line, want)
	}
	empty.Features2 = map[string][]string{"x": {"dep:y"}}
	line, _ = marshalEntry(empty.entry("00", self))
	if want := `{"name":"e","vers":"0.0.1","deps":[],"cksum":"00","features":{},"features2":{"x":["dep:y"]},"links":null,"v":2}`; string(line) != want {
		t.Fatalf("features2 entry\n got %s\nwant %s", line, want)
	}
}

func TestAppendLine(t *testing.T) {
	got, err := appendLine(nil, []byte(`{"name":"a","v":1}`), true)
	if err != nil || string(got) != `{"name":"a","v":1,"yanked":true}`+"\n" {
		t.Fatalf("appendLine = %q, %v", got, err)
	}
	got, _ = appendLine(got, []byte(`{}`), false)
	if string(got) != `{"name":"a","v":1,"yanked":true}`+"\n"+`{"yanked":false}`+"\n" {
		t.Fatalf("appendLine = %q", got)
	}
	for _, bad := range []string{"", "null", "[1]", "{"} {
		if _, err := appendLine(nil, []byte(bad), false); err == nil {
			t.Errorf("appendLine(%q) accepted it", bad)
		}
	}
}

func TestMetadata(t *testing.T) {
	str := func(s string) *string { return &s }
	m := &publishMeta{Name: "Demo", Vers: "1.0.0", Description: str("A demo."), Homepage: str("https://h.test"), Repository: str("https://r.test"),
		License: str("MIT OR Apache-2.0"), Readme: str("# Demo"),
		Deps: []publishDep{{Name: "wharf-a", VersionReq: "^0.1", ExplicitNameInToml: str("a")}, {Name: "cc", VersionReq: "1", Kind: str("build")}}}
	md := m.metadata()
	if md.DisplayName != "Demo" || md.Summary != "A demo." || md.HomePage != "https://h.test" || md.SourceCodeRepo != "https://r.test" || md.Readme != "# Demo" {
		t.Fatalf("metadata %+v", md)
	}
	if len(md.Licenses) != 1 || md.Licenses[0].Name != "MIT OR Apache-2.0" {
		t.Fatalf("licenses %+v", md.Licenses)
	}
	want := []model.Dependency{{Package: "wharf-a", DependencyType: "normal", VersionRequirement: "^0.1"}, {Package: "cc", DependencyType: "build", VersionRequirement: "1"}}
	if len(md.Dependencies) != 2 || md.Dependencies[0] != want[0] || md.Dependencies[1] != want[1] {
		t.Fatalf("dependencies %+v", md.Dependencies)
	}
}
