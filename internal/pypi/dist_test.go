package pypi

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// coreMeta is a METADATA / PKG-INFO document.
func coreMeta(name, version string) string {
	return fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: s\n\nName: body-is-not-a-header\n", name, version)
}

// wheelFiles is a minimal valid wheel of name (as spelled in METADATA)
// and version, its dist-info directory escaped as PEP 427 says.
func wheelFiles(name, version, tag string) []archivetest.File {
	mod := strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	di := mod + "-" + version + ".dist-info/"
	return []archivetest.File{
		{Name: mod + "/__init__.py", Body: "TAG = " + fmt.Sprintf("%q", tag) + "\n"},
		{Name: di + "METADATA", Body: coreMeta(name, version)},
		{Name: di + "WHEEL", Body: "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{Name: di + "RECORD", Body: ""},
	}
}

func sdistFiles(root, name, version, tag string) []archivetest.File {
	return []archivetest.File{
		{Name: root + "/PKG-INFO", Body: coreMeta(name, version)},
		{Name: root + "/setup.py", Body: "# " + tag + "\n"},
	}
}

// wheelContent and sdistContent are real distributions of wharf-demo.
func wheelContent(version, tag string) []byte {
	return archivetest.Zip(wheelFiles("Wharf_Demo", version, tag)...)
}

func sdistContent(version, tag string) []byte {
	return archivetest.TarGz(sdistFiles("wharf_demo-"+version, "Wharf_Demo", version, tag)...)
}

func without(files []archivetest.File, name string) []archivetest.File {
	var out []archivetest.File
	for _, f := range files {
		if !strings.HasSuffix(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

func with(files []archivetest.File, extra ...archivetest.File) []archivetest.File {
	return append(append([]archivetest.File{}, files...), extra...)
}

// TestCheckDistributions runs each kind of distribution through its
// check, for the project Wharf-Demo 1.0.
func TestCheckDistributions(t *testing.T) {
	const name, version = "Wharf-Demo", "1.0"
	wheel := wheelFiles("Wharf_Demo", "1.0", "a")
	sdist := sdistFiles("Wharf_Demo-1.0", "Wharf_Demo", "1.0", "a")
	wheelBomb := archivetest.ZipBomb(wheel, "wharf_demo/zeros.bin", 1<<30)
	var liarBuf bytes.Buffer
	zw := zip.NewWriter(&liarBuf)
	for _, f := range wheel {
		w, _ := zw.Create(f.Name)
		io.WriteString(w, f.Body)
	}
	archivetest.AddZeros(zw, "wharf_demo/zeros.bin", 1<<30, 4096)
	zw.Close()
	tests := []struct {
		name string
		kind string // "wheel", "tar", "zip"
		data []byte
		err  string // "" accepts
	}{
		{"wheel", "wheel", archivetest.Zip(wheel...), ""},
		{"wheel, name spelled otherwise", "wheel", archivetest.Zip(wheelFiles("wharf.demo", "1.0.0", "a")...), ""},
		{"wheel, METADATA body mentions another name", "wheel", archivetest.Zip(wheel...), ""},
		{"not a zip", "wheel", []byte("PK\x03\x04 but nothing more"), "not a zip archive"},
		{"zip bomb", "wheel", wheelBomb, "expands more than 100:1"},
		{"zip bomb with lying sizes", "wheel", liarBuf.Bytes(), "expands past its declared 4096 bytes"},
		{"no dist-info", "wheel", archivetest.Zip(archivetest.File{Name: "wharf_demo/__init__.py"}), "no .dist-info directory"},
		{"two dist-info", "wheel", archivetest.Zip(with(wheel, archivetest.File{Name: "other-1.0.dist-info/METADATA", Body: coreMeta("other", "1.0")})...), "2 .dist-info directories"},
		{"dist-info of another project", "wheel", archivetest.Zip(wheelFiles("other", "1.0", "a")...), "other-1.0.dist-info directory is not for Wharf-Demo 1.0"},
		{"dist-info of another version", "wheel", archivetest.Zip(wheelFiles("Wharf_Demo", "2.0", "a")...), "is not for Wharf-Demo 1.0"},
		{"no METADATA", "wheel", archivetest.Zip(without(wheel, "/METADATA")...), "no wharf_demo-1.0.dist-info/METADATA"},
		{"no WHEEL", "wheel", archivetest.Zip(without(wheel, "/WHEEL")...), "no wharf_demo-1.0.dist-info/WHEEL"},
		{"METADATA names another project", "wheel", archivetest.Zip(with(without(wheel, "/METADATA"),
			archivetest.File{Name: "wharf_demo-1.0.dist-info/METADATA", Body: coreMeta("evil-pkg", "1.0")})...), `names project "evil-pkg", not Wharf-Demo`},
		{"METADATA of another version", "wheel", archivetest.Zip(with(without(wheel, "/METADATA"),
			archivetest.File{Name: "wharf_demo-1.0.dist-info/METADATA", Body: coreMeta("Wharf_Demo", "1.1")})...), `is for version "1.1", not 1.0`},
		{"METADATA without Name", "wheel", archivetest.Zip(with(without(wheel, "/METADATA"),
			archivetest.File{Name: "wharf_demo-1.0.dist-info/METADATA", Body: "Metadata-Version: 2.1\nVersion: 1.0\n"})...), "has no Name"},
		{"traversal in a wheel", "wheel", archivetest.Zip(with(wheel, archivetest.File{Name: "../../evil.pth", Body: "import os"})...), "climbs out"},
		{"duplicate entry in a wheel", "wheel", archivetest.Zip(with(wheel, archivetest.File{Name: "wharf_demo/__init__.py", Body: "evil"})...), "appears more than once"},

		{"sdist", "tar", archivetest.TarGz(sdist...), ""},
		{"sdist named with dashes", "tar", archivetest.TarGz(sdistFiles("wharf-demo-1.0.0", "wharf-demo", "1.0.0", "a")...), ""},
		{"not gzip", "tar", []byte("\x1f\x8b but not gzip"), "not gzip-compressed"},
		{"gzip bomb", "tar", archivetest.TarGzBomb(sdist, "Wharf_Demo-1.0/zeros.bin", 1<<30), "expands more than 100:1"},
		{"no PKG-INFO", "tar", archivetest.TarGz(without(sdist, "PKG-INFO")...), "no Wharf_Demo-1.0/PKG-INFO"},
		{"PKG-INFO only deeper", "tar", archivetest.TarGz(with(without(sdist, "PKG-INFO"), archivetest.File{Name: "Wharf_Demo-1.0/src/PKG-INFO", Body: coreMeta(name, version)})...), "no Wharf_Demo-1.0/PKG-INFO"},
		{"two top-level directories", "tar", archivetest.TarGz(with(sdist, archivetest.File{Name: "other/x"})...), "more than one top-level directory"},
		{"file at the top", "tar", archivetest.TarGz(with(sdist, archivetest.File{Name: "setup.py"})...), "outside its {name}-{version}/ directory"},
		{"top directory of another project", "tar", archivetest.TarGz(sdistFiles("other-1.0", name, version, "a")...), "top-level directory other-1.0 is not wharf_demo-1.0"},
		{"PKG-INFO names another project", "tar", archivetest.TarGz(sdistFiles("Wharf_Demo-1.0", "evil", "1.0", "a")...), `names project "evil"`},
		{"traversal in an sdist", "tar", archivetest.TarGz(with(sdist, archivetest.File{Name: "Wharf_Demo-1.0/../../etc/x"})...), "climbs out"},
		{"empty tar", "tar", archivetest.TarGz(), "the sdist is empty"},

		{"zip sdist", "zip", archivetest.Zip(sdist...), ""},
		{"zip sdist without PKG-INFO", "zip", archivetest.Zip(without(sdist, "PKG-INFO")...), "no Wharf_Demo-1.0/PKG-INFO"},
		{"zip sdist bomb", "zip", archivetest.ZipBomb(sdist, "Wharf_Demo-1.0/zeros", 1<<30), "expands more than 100:1"},
		{"zip sdist, two roots", "zip", archivetest.Zip(with(sdist, archivetest.File{Name: "x/y"})...), "more than one top-level directory"},
		{"empty zip sdist", "zip", archivetest.Zip(), "the sdist is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			switch tt.kind {
			case "wheel":
				err = checkWheel(bytes.NewReader(tt.data), int64(len(tt.data)), name, version)
			case "tar":
				err = checkSdistTar(bytes.NewReader(tt.data), name, version)
			case "zip":
				err = checkSdistZip(bytes.NewReader(tt.data), int64(len(tt.data)), name, version)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !isRefusal(err) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v (refusal %v), want a refusal containing %q", err, isRefusal(err), tt.err)
			}
		})
	}
}

func TestReadCoreMetadata(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	tests := []struct {
		in, name, version string
	}{
		{"Name: a\nVersion: 1\n", "a", "1"},
		{"name:a\r\nVERSION:  1.0 \r\n", "a", "1.0"},
		{"Description: " + long + "\n  more " + long + "\nName: a\nVersion: 2\n", "a", "2"},
		{"Summary: x\n  Name: continuation, not a header\nName: b\nVersion: 3\n", "b", "3"},
		{"Name: a\nName: b\nVersion: 1\nVersion: 2\n", "a", "1"},
		{"Metadata-Version: 2.1\n\nName: body\nVersion: 9\n", "", ""},
	}
	for _, tt := range tests {
		m, err := readCoreMetadata(strings.NewReader(tt.in))
		if err != nil || m.name != tt.name || m.version != tt.version {
			t.Errorf("readCoreMetadata(%.40q) = %+v, %v; want %q %q", tt.in, m, err, tt.name, tt.version)
		}
	}
}

// TestUploadRefusalsStoreNothing sends each bad distribution through the
// handler as twine would: 400 with a clear message, and no package,
// version or blob afterwards; then a good upload works.
func TestUploadRefusalsStoreNothing(t *testing.T) {
	e := newTestEndpoint(t)
	wheel := wheelFiles("Wharf_Demo", "1.0", "a")
	tests := []struct {
		name, filename string
		content        []byte
		want           string
	}{
		{"zip bomb wheel", "wharf_demo-1.0-py3-none-any.whl", archivetest.ZipBomb(wheel, "wharf_demo/zeros", 1<<30), "The file is not a valid distribution: entry \"wharf_demo/zeros\" expands more than 100:1"},
		{"wheel for another project", "wharf_demo-1.0-py3-none-any.whl", archivetest.Zip(with(without(wheel, "/METADATA"),
			archivetest.File{Name: "wharf_demo-1.0.dist-info/METADATA", Body: coreMeta("other", "1.0")})...), `METADATA names project "other"`},
		{"corrupt wheel", "wharf_demo-1.0-py3-none-any.whl", []byte("PK\x03\x04 the rest is not a zip"), "not a zip archive"},
		{"gzip bomb sdist", "wharf_demo-1.0.tar.gz", archivetest.TarGzBomb(sdistFiles("wharf_demo-1.0", "Wharf_Demo", "1.0", "a"), "wharf_demo-1.0/zeros", 1<<30), "expands more than 100:1"},
		{"sdist without PKG-INFO", "wharf_demo-1.0.tar.gz", archivetest.TarGz(archivetest.File{Name: "wharf_demo-1.0/setup.py"}), "no wharf_demo-1.0/PKG-INFO"},
		{"zip sdist bomb", "wharf_demo-1.0.zip", archivetest.ZipBomb(sdistFiles("wharf_demo-1.0", "Wharf_Demo", "1.0", "a"), "wharf_demo-1.0/zeros", 1<<30), "expands more than 100:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.upload(t, "Wharf_Demo", "1.0", tt.filename, tt.content, "s")
			var body struct{ Error string }
			json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != http.StatusBadRequest || !strings.Contains(body.Error, tt.want) {
				t.Fatalf("upload = %d %s, want 400 containing %q", w.Code, w.Body, tt.want)
			}
			if w := e.do("GET", "simple/wharf-demo/", nil); w.Code != http.StatusNotFound {
				t.Fatalf("project page after a refusal = %d, want 404", w.Code)
			}
		})
	}
	if n := e.blobCount(t); n != 0 {
		t.Fatalf("%d blobs stored by refused uploads", n)
	}
	if w := e.upload(t, "Wharf_Demo", "1.0", "wharf_demo-1.0-py3-none-any.whl", archivetest.Zip(wheel...), "s"); w.Code != http.StatusOK {
		t.Fatalf("good upload after refusals = %d %s", w.Code, w.Body)
	}
	if v := e.version(t, "1.0"); v == nil {
		t.Fatal("no version after a good upload")
	}
}

// Inspection failures that are not the upload's fault are not 400s.
func TestInspectionFailureIsNotARefusal(t *testing.T) {
	insp := archive.NewZipInspector(t.TempDir()+"/missing", func(io.ReaderAt, int64) error { return nil })
	defer insp.Close()
	_, err := insp.Write([]byte("PK\x03\x04"))
	if err == nil || isRefusal(err) {
		t.Fatalf("spool failure = %v, refusal %v", err, isRefusal(err))
	}
}
