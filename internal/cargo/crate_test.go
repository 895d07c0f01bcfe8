package cargo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/model"
)

func TestCheckCrate(t *testing.T) {
	good := makeCrate(t, "demo", "1.0.0", tarFile{"README.md", "# demo"}, tarFile{"docs/GUIDE.md", "guide"})
	tests := []struct {
		name       string
		crate      []byte
		readmeFile string
		wantReadme bool
		readme     string
		err        string // "" for success
		limit      bool   // a bound, not a malformed crate
	}{
		{"sound", good, "", false, "", "", false},
		{"default readme", good, "", true, "# demo", "", false},
		{"named readme", good, "docs/GUIDE.md", true, "guide", "", false},
		{"readme from outside the package", good, "../README.md", true, "# demo", "", false},
		{"missing readme is no error", makeCrate(t, "demo", "1.0.0"), "", true, "", "", false},
		{"another crate's manifest", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("other", "1.0.0")}), "", false, "", `names the crate "other"`, false},
		{"another version's manifest", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("demo", "1.0.1")}), "", false, "", `gives version "1.0.1"`, false},
		{"manifest spelled in another case", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("Demo", "1.0.0")}), "", false, "", `names the crate "Demo"`, false},
		{"no manifest", makeTgz(t, tarFile{"demo-1.0.0/src/lib.rs", ""}), "", false, "", "has no demo-1.0.0/Cargo.toml", false},
		{"manifest without package", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", "[workspace]\n"}), "", false, "", "no [package] table", false},
		{"manifest not TOML", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", "[package\nname="}), "", false, "", "not valid TOML", false},
		{"version not a string", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", "[package]\nname = \"demo\"\nversion.workspace = true\n"}), "", false, "", "not valid TOML", false},
		// A parser reading line by line would take the first table.
		{"decoy table in a string", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", "x = \"\"\"\n[package]\nname = \"demo\"\nversion = \"1.0.0\"\n\"\"\"\n[package]\nname = \"evil\"\nversion = \"1.0.0\"\n"}), "", false, "", `names the crate "evil"`, false},
		{"file outside the directory", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("demo", "1.0.0")}, tarFile{"other/x", ""}), "", false, "", "outside the directory", false},
		{"path climbing out", makeTgz(t, tarFile{"demo-1.0.0/../../etc/passwd", ""}), "", false, "", "climbs out", false},
		{"duplicate entry", makeTgz(t, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("demo", "1.0.0")}, tarFile{"demo-1.0.0/Cargo.toml", manifestTOML("evil", "1.0.0")}), "", false, "", "more than once", false},
		{"not gzip", []byte("PK\x03\x04 a zip file"), "", false, "", "not gzip", false},
		{"gzip but not tar", func() []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(strings.Repeat("not a tar header ", 64)))
			zw.Close()
			return b.Bytes()
		}(), "", false, "", "invalid tar header", false},
		{"truncated gzip", good[:len(good)/2], "", false, "", "unexpected EOF", false},
		{"bomb", archivetest.TarGzBomb([]archivetest.File{{Name: "demo-1.0.0/Cargo.toml", Body: manifestTOML("demo", "1.0.0")}}, "demo-1.0.0/zeros", crateLimits.MaxUnpacked+1), "", false, "", "expands to more than", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, err := checkCrate(bytes.NewReader(tt.crate), "demo", "1.0.0", tt.readmeFile, tt.wantReadme)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(tt.crate)
				if facts.cksum != hex.EncodeToString(sum[:]) || facts.readme != tt.readme {
					t.Fatalf("facts = %+v, want readme %q", facts, tt.readme)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			r := refusal(err)
			want := model.ErrValidation
			if tt.limit {
				want = model.ErrQuotaExceeded
			}
			if !errors.Is(r, want) {
				t.Fatalf("refusal(%v) = %v, want %v", err, r, want)
			}
		})
	}
}
