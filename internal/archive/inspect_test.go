package archive

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

func zipCheck(r io.ReaderAt, size int64) error {
	_, err := InspectZip(r, size, DefaultLimits, nil)
	return err
}

func tarCheck(r io.Reader) error { return WalkTarGz(r, DefaultLimits, nil) }

// TestCheckedReader reads archives through each inspector as a store
// would: the bytes pass unchanged, and the verdict replaces io.EOF.
func TestCheckedReader(t *testing.T) {
	bomb := archivetest.TarGzBomb([]archivetest.File{{Name: "a", Body: "x"}}, "zeros", 1<<30)
	tests := []struct {
		name string
		data []byte
		insp func(dir string) Inspector
		kind Kind
		ok   bool
	}{
		{"valid zip", goZip(t, map[string]string{"a": "hello"}, ""), func(d string) Inspector { return NewZipInspector(d, zipCheck) }, 0, true},
		{"zip bomb", archivetest.ZipBomb(nil, "zeros", 1<<30), func(d string) Inspector { return NewZipInspector(d, zipCheck) }, KindLimit, false},
		{"not a zip", []byte("text"), func(d string) Inspector { return NewZipInspector(d, zipCheck) }, KindFormat, false},
		{"empty zip upload", nil, func(d string) Inspector { return NewZipInspector(d, zipCheck) }, KindFormat, false},
		{"valid tgz", archivetest.TarGz(archivetest.File{Name: "a", Body: "hello"}), func(string) Inspector { return NewStreamInspector(tarCheck) }, 0, true},
		{"tgz bomb", bomb, func(string) Inspector { return NewStreamInspector(tarCheck) }, KindLimit, false},
		{"not gzip", []byte("text"), func(string) Inspector { return NewStreamInspector(tarCheck) }, KindFormat, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cr := NewCheckedReader(iotest.HalfReader(bytes.NewReader(tt.data)), tt.insp(dir))
			got, err := io.ReadAll(cr)
			if tt.ok {
				if err != nil || !bytes.Equal(got, tt.data) || cr.Err() != nil {
					t.Fatalf("read %d bytes, %v (Err %v)", len(got), err, cr.Err())
				}
				if n, err := cr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
					t.Fatalf("read after the end = %d, %v", n, err)
				}
			} else {
				wantRefusal(t, tt.name, err, tt.kind, "")
				if cr.Err() != err {
					t.Fatalf("Err() = %v, want %v", cr.Err(), err)
				}
			}
			cr.Close()
			cr.Close()
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Fatalf("left %v behind", ents)
			}
		})
	}
}

// The stream inspector refuses a gzip bomb early, before the upload has
// even been read to its end.
func TestStreamInspectorRefusesEarly(t *testing.T) {
	bomb := archivetest.TarGzBomb(nil, "zeros", 1<<30)
	insp := NewStreamInspector(tarCheck)
	defer insp.Close()
	var written int
	var err error
	for off := 0; off < len(bomb) && err == nil; off += 4096 {
		_, err = insp.Write(bomb[off:min(off+4096, len(bomb))])
		written = off
	}
	wantRefusal(t, "bomb", err, KindLimit, "100:1")
	if written > len(bomb)/4 {
		t.Fatalf("refused after %d of %d bytes", written, len(bomb))
	}
}

// Closing without finishing (the client went away) ends the goroutine
// and removes the spool.
func TestInspectorsAbandoned(t *testing.T) {
	valid := archivetest.TarGz(archivetest.File{Name: "a", Body: strings.Repeat("x", 1<<20)})
	s := NewStreamInspector(tarCheck)
	s.Write(valid[:len(valid)/2])
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close of an abandoned stream inspector hangs")
	}
	if _, err := s.Write([]byte("more")); err == nil {
		t.Fatal("Write after Close succeeded")
	}

	dir := t.TempDir()
	z := NewZipInspector(dir, zipCheck)
	z.Write([]byte("PK\x03\x04 partial"))
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("spool: %v", ents)
	}
	z.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v behind", ents)
	}
	if _, err := z.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

// A spool that cannot be created is a failure of the server, not a
// refusal of the upload.
func TestZipInspectorSpoolFailure(t *testing.T) {
	z := NewZipInspector(filepath.Join(t.TempDir(), "missing"), zipCheck)
	defer z.Close()
	_, err := z.Write([]byte("PK"))
	if err == nil || IsRefusal(err) {
		t.Fatalf("Write with no spool directory = %v", err)
	}
}

// Source errors pass through CheckedReader as they are; no verdict is
// asked for.
func TestCheckedReaderSourceError(t *testing.T) {
	boom := errors.New("client went away")
	called := false
	cr := NewCheckedReader(io.MultiReader(strings.NewReader("PK"), failingReader{boom}),
		NewZipInspector(t.TempDir(), func(io.ReaderAt, int64) error { called = true; return nil }))
	defer cr.Close()
	if _, err := io.ReadAll(cr); !errors.Is(err, boom) || called || cr.Err() != nil {
		t.Fatalf("err %v, check called %v, Err %v", err, called, cr.Err())
	}
}
