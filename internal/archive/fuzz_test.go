package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// fuzzLimits keep each input cheap while still letting mutations cross
// every bound.
var fuzzLimits = Limits{MaxUnpacked: 1 << 20, MaxEntries: 16, MaxEntrySize: 256 << 10, MaxRatio: 100, RatioMinSize: 64 << 10}

// FuzzInspectZip: whatever the bytes, InspectZip never panics, refuses
// only with an *Error (a bytes.Reader cannot fail), and what it accepts
// stays within the limits, with safe names, each entry yielding exactly
// its declared size.
func FuzzInspectZip(f *testing.F) {
	f.Add(goZip(f, map[string]string{"a/b.txt": "hello", "c": strings.Repeat("xy", 500)}, "comment"))
	f.Add(buildZip(stored("dir/", ""), stored("dir/s", "stored"), deflated("dir/d", "deflated")))
	f.Add(buildZip(stored("../evil", "x")))
	f.Add(buildZip(stored("a", "1"), stored("a", "2")))
	f.Add(archivetest.ZipBomb([]archivetest.File{{Name: "m", Body: "x"}}, "zeros", 8<<20))
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	archivetest.AddZeros(zw, "liar", 1<<20, 100)
	zw.Close()
	f.Add(b.Bytes())
	inner := deflated("inner", strings.Repeat("z", 100))
	over := inner
	over.centralOf = 1
	f.Add(buildZip(stored("outer", string(localRecord(inner))), over))
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		z, err := InspectZip(bytes.NewReader(data), int64(len(data)), fuzzLimits, func(e *Entry, r io.Reader) error {
			n, err := io.Copy(io.Discard, r)
			if err == nil && n != e.Size {
				t.Fatalf("entry %q yielded %d bytes, declared %d", e.Name, n, e.Size)
			}
			total += n
			return err
		})
		if err != nil {
			mustBeRefusal(t, err)
			return
		}
		if len(z.Entries) > fuzzLimits.MaxEntries || total > fuzzLimits.MaxUnpacked {
			t.Fatalf("accepted %d entries, %d bytes", len(z.Entries), total)
		}
		for _, e := range z.Entries {
			if _, err := checkName(e.Name); err != nil {
				t.Fatalf("accepted name %q", e.Name)
			}
		}
	})
}

// FuzzWalkTarGz: the same for the tar walker.
func FuzzWalkTarGz(f *testing.F) {
	f.Add(tgz(f, reg("pkg-1.0/PKG-INFO", "Name: pkg"), &tar.Header{Name: "pkg-1.0/d/", Typeflag: tar.TypeDir},
		&tar.Header{Name: "pkg-1.0/l", Typeflag: tar.TypeSymlink, Linkname: "d"}))
	f.Add(tgz(f, reg("../evil", "x")))
	f.Add(tgz(f, reg("a", "1"), reg("a", "2")))
	f.Add(archivetest.TarGzBomb(nil, "zeros", 8<<20))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		entries := 0
		err := WalkTarGz(bytes.NewReader(data), fuzzLimits, func(name string, h *tar.Header, r io.Reader) error {
			if _, err := checkName(name); err != nil {
				t.Fatalf("walked into name %q", name)
			}
			entries++
			n, err := io.Copy(io.Discard, r)
			total += n
			return err
		})
		if err != nil {
			mustBeRefusal(t, err)
			return
		}
		if entries > fuzzLimits.MaxEntries || total > fuzzLimits.MaxUnpacked {
			t.Fatalf("accepted %d entries, %d bytes", entries, total)
		}
	})
}

// mustBeRefusal fails a fuzz run whose error is not the package's own.
func mustBeRefusal(t *testing.T, err error) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("refusal %T %v is not an *archive.Error", err, err)
	}
}
