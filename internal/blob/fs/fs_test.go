package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blob/fs"
)

func newStore(tb testing.TB) blob.Store {
	s, err := fs.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) { blobtest.Run(t, newStore) }

func BenchmarkStore(b *testing.B) { blobtest.RunBenchmarks(b, newStore) }

// put stores data in s or fails the test.
func put(t *testing.T, s blob.Store, data []byte) blob.Info {
	t.Helper()
	info, err := s.Put(t.Context(), bytes.NewReader(data), "", blob.Unlimited)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func walk(t *testing.T, s blob.Store) []blob.Digest {
	t.Helper()
	var got []blob.Digest
	if err := s.Walk(t.Context(), func(d blob.Digest, _ int64, _ time.Time) error {
		got = append(got, d)
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// tmpFiles lists what is left in the store's temp directory.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func sha(data []byte) blob.Digest {
	sum := sha256.Sum256(data)
	return blob.Digest(hex.EncodeToString(sum[:]))
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := put(t, s, []byte("hello, wharf"))
	path := filepath.Join(dir, "sha256", string(info.Digest[:2]), string(info.Digest))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("blob not at %s: %v", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o400 {
		t.Errorf("blob mode = %v, want owner read-only 0400", fi.Mode().Perm())
	}
	// Every directory the store made is owner-only too.
	for _, d := range []string{"sha256", "tmp", filepath.Join("sha256", string(info.Digest[:2]))} {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
			t.Errorf("directory %s has mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	if got := tmpFiles(t, dir); len(got) != 0 {
		t.Errorf("tmp/ after Put = %v, want empty", got)
	}
}

func TestNewErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"empty path": "", "path is a file": file} {
		if _, err := fs.New(dir); err == nil {
			t.Errorf("New(%s) succeeded, want an error", name)
		}
	}
}

// TestCrashLeftovers simulates a process that died mid-upload: its temp file
// is still in tmp/, unlocked. A new Store must remove it, and Walk must never
// have listed it, even when it is named like a blob.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	kept := put(t, s, []byte("survives the crash"))
	leftover := bytes.Repeat([]byte("partial upload "), 1000)
	stray := filepath.Join(dir, "tmp", "put-1234567890")
	if err := os.WriteFile(stray, leftover, 0o600); err != nil {
		t.Fatal(err)
	}
	// Not ours: New must leave files it did not name alone.
	foreign := filepath.Join(dir, "tmp", "operator-notes.txt")
	if err := os.WriteFile(foreign, []byte("hands off"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := walk(t, s); !slices.Equal(got, []blob.Digest{kept.Digest}) {
		t.Fatalf("Walk with a leftover present = %v, want only %s", got, kept.Digest)
	}

	if _, err := fs.New(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("leftover temp file still present after New (stat: %v)", err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("New removed a file it did not create: %v", err)
	}
	if got := walk(t, s); !slices.Equal(got, []blob.Digest{kept.Digest}) {
		t.Fatalf("Walk after New = %v, want only %s", got, kept.Digest)
	}
}

// TestNewSparesLiveUploads is the rolling-restart case: a second Store on
// the same directory starts while the first is mid-upload. Its cleanup must
// not remove the live temp file.
func TestNewSparesLiveUploads(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("live uploads are told apart by flock, which Windows lacks")
	}
	dir := t.TempDir()
	a, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	pr, pw := io.Pipe()
	result := make(chan error, 1)
	go func() {
		info, err := a.Put(t.Context(), pr, sha(data), blob.Unlimited)
		if err == nil && info.Size != int64(len(data)) {
			err = fmt.Errorf("Put stored %d bytes, want %d", info.Size, len(data))
		}
		result <- err
	}()
	// Once the pipe has handed over 3 MiB, the upload has created and
	// locked its temp file (it does so before its first Read) and written
	// at least two buffers to it.
	if _, err := pw.Write(data[:3<<20]); err != nil {
		t.Fatal(err)
	}
	if got := tmpFiles(t, dir); len(got) != 1 {
		t.Fatalf("tmp/ mid-upload = %v, want one temp file", got)
	}
	if _, err := fs.New(dir); err != nil {
		t.Fatal(err)
	}
	if got := tmpFiles(t, dir); len(got) != 1 {
		t.Fatalf("tmp/ after a second New = %v: the live upload's temp file was removed", got)
	}
	if _, err := pw.Write(data[3<<20:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-result; err != nil {
		t.Fatalf("Put across a concurrent New: %v", err)
	}
	if got := tmpFiles(t, dir); len(got) != 0 {
		t.Errorf("tmp/ after Put = %v, want empty", got)
	}
}

// TestFailedPutsLeaveNoTempFiles: the contract suite sees that failed Puts
// store no blob; here we also check they leave nothing in tmp/.
func TestFailedPutsLeaveNoTempFiles(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 3<<20)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		r       io.Reader
		want    blob.Digest
		maxSize int64
		wantErr error
	}{
		{"digest mismatch", t.Context(), bytes.NewReader(data), sha(nil), blob.Unlimited, blob.ErrDigestMismatch},
		{"too large", t.Context(), bytes.NewReader(data), "", 1 << 20, blob.ErrTooLarge},
		{"reader error", t.Context(), io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrClosedPipe)), "", blob.Unlimited, io.ErrClosedPipe},
		{"cancelled", cancelled, bytes.NewReader(data), "", blob.Unlimited, context.Canceled},
		{"reader makes no progress", t.Context(), zeroReader{}, "", blob.Unlimited, io.ErrNoProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := fs.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(tt.ctx, tt.r, tt.want, tt.maxSize); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: error = %v, want %v", err, tt.wantErr)
			}
			if got := tmpFiles(t, dir); len(got) != 0 {
				t.Errorf("tmp/ after failed Put = %v, want empty", got)
			}
		})
	}
	t.Run("dedupe", func(t *testing.T) {
		dir := t.TempDir()
		s, err := fs.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		put(t, s, data)
		put(t, s, data)
		if got := tmpFiles(t, dir); len(got) != 0 {
			t.Errorf("tmp/ after a deduplicated Put = %v, want empty", got)
		}
	})
}

// zeroReader returns (0, nil) forever, which io.Reader permits once in a
// while but which would spin a naive copy loop forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// TestDeleteWhileReading: a garbage collector deleting a blob must not break
// a download already streaming it.
func TestDeleteWhileReading(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows refuses to delete open files")
	}
	ctx := t.Context()
	s := newStore(t)
	data := bytes.Repeat([]byte("abcdefghijklmnop"), 1<<16) // 1 MiB
	d := put(t, s, data).Digest
	r, err := s.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, len(data)/2)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Fatalf("Delete of a blob being read: %v", err)
	}
	if _, _, err := s.Stat(ctx, d); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat after Delete: %v, want ErrNotFound", err)
	}
	tail, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading on after Delete: %v", err)
	}
	if !bytes.Equal(append(head, tail...), data) {
		t.Fatal("content read across a Delete differs from what was stored")
	}
	// Range requests seek back; that must keep working too.
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if all, err := io.ReadAll(r); err != nil || !bytes.Equal(all, data) {
		t.Fatalf("re-reading after Delete: %d bytes, %v", len(all), err)
	}
}

// TestReplacesCorruptBlob: a blob file of the wrong size (bit rot, a botched
// restore) must not be mistaken for the content being uploaded, or the store
// would keep serving garbage under a digest it no longer matches.
func TestReplacesCorruptBlob(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("the real content")
	d := sha(data)
	path := filepath.Join(dir, "sha256", string(d[:2]), string(d))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("truncated"), 0o444); err != nil {
		t.Fatal(err)
	}
	put(t, s, data)
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob after Put over a corrupt copy = %q, %v; want %q", got, err, data)
	}
}

// TestWalkSkipsStrays: files that are not blobs in their proper place are
// neither listed nor allowed to stop a garbage collection.
func TestWalkSkipsStrays(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	real := put(t, s, []byte("real")).Digest
	other := sha([]byte("other"))
	strays := []string{
		"sha256/README", // file at the fan-out level
		"sha256/" + string(real[:2]) + "/not-a-digest",     // bad name
		"sha256/" + string(real[:2]) + "/" + string(other), // right name, wrong fan-out dir
		"sha256/" + string(real[:2]) + "/" + string(real) + ".tmp",
		"sha256/" + strings.ToUpper(string(other[:2])) + "/" + string(other), // not a fan-out dir
		"sha256/zz/" + string(other),
		"sha256/" + string(other[:2]) + "/" + strings.ToUpper(string(other)),
	}
	for _, p := range strays {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("stray"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A directory where a blob should be.
	if err := os.MkdirAll(filepath.Join(dir, "sha256", string(other[:2]), string(other)), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := walk(t, s); !slices.Equal(got, []blob.Digest{real}) {
		t.Fatalf("Walk = %v, want only %s", got, real)
	}
	if _, err := s.Open(t.Context(), other); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open of a digest whose path is a directory: %v, want ErrNotFound", err)
	}
}

// TestReaderAllowsSendfile: downloads go through http.ServeContent, whose
// copy to the connection uses sendfile only if the reader exposes its file
// descriptor (syscall.Conn).
func TestReaderAllowsSendfile(t *testing.T) {
	s := newStore(t)
	d := put(t, s, []byte("zero-copy")).Digest
	r, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(syscall.Conn); !ok {
		t.Errorf("reader %T does not implement syscall.Conn; downloads would be copied through userspace", r)
	}
}
