// Package fs is a blob.Store on a local (or locally mounted) filesystem.
//
// Layout under the root directory:
//
//	sha256/ab/abcdef…   one read-only file per blob, fanned out by the first
//	                    two hex digits so no directory grows past 1/256 of
//	                    the store
//	tmp/put-*           uploads in progress; renamed into sha256/ when
//	                    complete and verified
//
// Both live under one root so the final rename never crosses filesystems and
// is therefore atomic: a blob path either does not exist or holds complete,
// verified, fsynced content.
//
// Several Store values, in one process or several, may share a root. Each
// in-progress upload holds an advisory lock (flock) on its temp file, which
// is how New tells a crashed upload's leftover, which it removes, from a live
// one, which it must not (think of a rolling restart where the old process is
// still draining uploads). On platforms without flock, New only removes temp
// files that have not been written to for a day.
//
// Reading a blob while it is deleted or replaced relies on Unix semantics
// (the inode outlives its name while open). On Windows, where Go opens files
// without FILE_SHARE_DELETE, deleting a blob that is being read fails and
// the garbage collector has to retry it later.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
)

const (
	blobDir = "sha256"
	tmpDir  = "tmp"
	// tmpPattern names temp files; New only ever removes files matching
	// it, so an operator's stray file in tmp/ is left alone.
	tmpPattern = "put-*"

	// bufSize is the unit in which Put reads, hashes and writes. 1 MiB
	// amortises syscalls and the Hasher's goroutine hand-off (both become
	// noise next to hashing at this size) while keeping a Put's memory at
	// one buffer regardless of the blob's size; larger buffers measured no
	// faster.
	bufSize = 1 << 20

	// Blobs are immutable, so read-only guards against accidents; and
	// owner-only, as is every directory, since private packages are no
	// business of other users of the host.
	blobPerm = 0o400
	dirPerm  = 0o700
)

// bufPool recycles Put buffers so concurrent and back-to-back uploads do not
// each allocate (and make the GC reclaim) a fresh megabyte.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Store is a blob.Store rooted at a directory. Its zero value is not usable;
// call New. It holds no open resources, so there is nothing to close.
type Store struct {
	blobs string // <root>/sha256
	tmp   string // <root>/tmp
}

var _ blob.Store = (*Store)(nil)

// New opens the store rooted at dir, creating dir and its layout if needed,
// and removes temp files left behind by uploads that crashed (see the
// package documentation for how live uploads are told apart).
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("fs: new store: empty directory")
	}
	s := &Store{blobs: filepath.Join(dir, blobDir), tmp: filepath.Join(dir, tmpDir)}
	for _, d := range []string{s.blobs, s.tmp} {
		if err := os.MkdirAll(d, dirPerm); err != nil {
			return nil, fmt.Errorf("fs: new store: %w", err)
		}
	}
	// Make the layout itself durable, so a blob renamed into it later
	// cannot be lost with a directory that never reached the disk.
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("fs: new store: %w", err)
	}
	if err := s.removeLeftovers(); err != nil {
		return nil, fmt.Errorf("fs: new store: %w", err)
	}
	return s, nil
}

// removeLeftovers deletes temp files no live upload holds.
func (s *Store) removeLeftovers() error {
	matches, err := filepath.Glob(filepath.Join(s.tmp, tmpPattern))
	if err != nil {
		return err
	}
	var errs []error
	for _, path := range matches {
		if err := removeIfStale(path); err != nil {
			errs = append(errs, fmt.Errorf("removing leftover upload: %w", err))
		}
	}
	return errors.Join(errs...)
}

// path returns where the blob with digest d lives. d must be valid.
func (s *Store) path(d blob.Digest) string {
	return filepath.Join(s.blobs, string(d[:2]), string(d))
}

// Put implements blob.Store. Content is streamed through a 1 MiB buffer into
// a locked temp file while being hashed; only once it is complete, within
// maxSize and matching want is it fsynced and renamed into place, and the
// directory fsynced. Content that turns out to be stored already is not
// fsynced or renamed at all: the existing blob's mtime is refreshed and the
// temp file dropped.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Digest, maxSize int64) (blob.Info, error) {
	if want != "" {
		if err := want.Validate(); err != nil {
			return blob.Info{}, fmt.Errorf("fs: put: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put: %w", err)
	}

	f, err := s.createTemp()
	if err != nil {
		return blob.Info{}, fmt.Errorf("fs: put: %w", err)
	}
	// The temp file stays open, and so locked against another Store's
	// cleanup, until Put returns: closing it before the rename would let
	// a concurrent New remove it from under us.
	tmpName := f.Name()
	closeTemp := sync.OnceValue(f.Close)
	renamed := false
	defer func() {
		closeTemp()
		if !renamed {
			os.Remove(tmpName)
		}
	}()

	h := blob.NewHasher()
	if err := copyHashed(ctx, f, h, r, maxSize); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put: %w", err)
	}
	info := h.Info()
	if want != "" && info.Digest != want {
		return blob.Info{}, fmt.Errorf("fs: put: content has sha256 %s, want %s: %w", info.Digest, want, blob.ErrDigestMismatch)
	}
	// Last chance to honour cancellation: past this point the content is
	// committed, and a caller that cancelled should not find it stored.
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put: %w", err)
	}

	final := s.path(info.Digest)
	dir := filepath.Dir(final)
	if refreshed, err := refresh(final, info.Size); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	} else if refreshed {
		// A concurrent Put may have renamed this blob into place without
		// having fsynced the directory yet; syncing it here means our nil
		// error is as durable as theirs.
		if err := syncDir(dir); err != nil {
			return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
		}
		return info, nil
	}

	if err := f.Chmod(blobPerm); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	}
	if err := f.Sync(); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	}
	if err := s.mkPrefixDir(dir); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	}
	if !holdTempAcrossRename {
		if err := closeTemp(); err != nil {
			return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
		}
	}
	// Rename replaces atomically: if a concurrent Put of the same content
	// got here first, its file is swapped for identical bytes and readers
	// holding it open are unaffected.
	if err := os.Rename(tmpName, final); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return blob.Info{}, fmt.Errorf("fs: put %s: %w", info.Digest, err)
	}
	return info, nil
}

// refresh reports whether a complete blob already exists at path, bumping
// its modification time to now if so (see blob.Store.Put on why). A file of
// the wrong size is corrupt (bit rot, or an operator's copy gone wrong) and
// is reported as absent, so Put replaces it with the verified new copy; so is
// one whose mtime cannot be changed (say, restored from a backup as another
// user), as replacing it also refreshes its mtime.
func refresh(path string, size int64) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return false, nil
	}
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		// Includes ErrNotExist: deleted since the Stat, e.g. by a
		// garbage collector; store our copy instead.
		return false, nil
	}
	return true, nil
}

// mkPrefixDir creates a fan-out directory on first use, fsyncing its parent
// so the new directory entry is as durable as the blob about to go in it.
func (s *Store) mkPrefixDir(dir string) error {
	err := os.Mkdir(dir, dirPerm)
	if errors.Is(err, iofs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(s.blobs)
}

// createTemp creates and locks a temp file for one upload. Between creating
// and locking it, a concurrent New in another Store may have judged it stale
// and removed it; lockTemp detects that and we try again with a new name.
func (s *Store) createTemp() (*os.File, error) {
	for range 10 {
		f, err := os.CreateTemp(s.tmp, tmpPattern)
		if err != nil {
			return nil, err
		}
		ok, err := lockTemp(f)
		if err == nil && ok {
			return f, nil
		}
		f.Close()
		os.Remove(f.Name())
		if err != nil {
			return nil, err
		}
	}
	return nil, errors.New("temp files keep being removed while created; is another process wiping " + s.tmp + "?")
}

// copyHashed copies r into both f and h, bounded by maxSize, checking ctx
// between chunks. Chunks are filled completely before they are written so
// that a reader returning small pieces (a network body typically yields a few
// KiB per Read) still costs one write syscall and one hash hand-off per MiB.
func copyHashed(ctx context.Context, f *os.File, h *blob.Hasher, r io.Reader, maxSize int64) error {
	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	buf := *bufp

	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := buf
		if maxSize >= 0 {
			// Read at most one byte past the limit: enough to tell
			// "exactly maxSize" from "too large" without consuming more
			// of a possibly endless stream.
			if rest := maxSize - total; rest < int64(len(buf)) {
				chunk = buf[:rest+1]
			}
		}
		n, eof, err := blob.Fill(r, chunk)
		if err != nil {
			return fmt.Errorf("reading content: %w", err)
		}
		total += int64(n)
		if maxSize >= 0 && total > maxSize {
			return fmt.Errorf("content exceeds %d bytes: %w", maxSize, blob.ErrTooLarge)
		}
		h.Write(chunk[:n])
		if _, err := f.Write(chunk[:n]); err != nil {
			return err
		}
		if eof {
			return nil
		}
	}
}

// Open implements blob.Store. The returned reader embeds the *os.File, so
// that when it is copied to a network connection (http.ServeContent does)
// the kernel's sendfile path is used rather than a userspace copy.
func (s *Store) Open(ctx context.Context, d blob.Digest) (blob.Reader, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("fs: open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fs: open %s: %w", d, err)
	}
	f, err := os.Open(s.path(d))
	if err != nil {
		return nil, fmt.Errorf("fs: open %s: %w", d, notFound(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fs: open %s: %w", d, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("fs: open %s: not a regular file: %w", d, blob.ErrNotFound)
	}
	return &reader{File: f, size: fi.Size()}, nil
}

type reader struct {
	*os.File
	size int64
}

func (r *reader) Size() int64 { return r.size }

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, d blob.Digest) (int64, time.Time, error) {
	if err := d.Validate(); err != nil {
		return 0, time.Time{}, fmt.Errorf("fs: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, fmt.Errorf("fs: stat %s: %w", d, err)
	}
	fi, err := os.Stat(s.path(d))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("fs: stat %s: %w", d, notFound(err))
	}
	if !fi.Mode().IsRegular() {
		return 0, time.Time{}, fmt.Errorf("fs: stat %s: not a regular file: %w", d, blob.ErrNotFound)
	}
	return fi.Size(), fi.ModTime(), nil
}

// Delete implements blob.Store. Readers that have the blob open keep reading
// it (on Unix the inode lives until the last descriptor closes). The removal
// is not fsynced: a crash may bring the blob back, which is harmless, since
// the garbage collector that deleted it will delete it again.
func (s *Store) Delete(ctx context.Context, d blob.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("fs: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs: delete %s: %w", d, err)
	}
	if err := os.Remove(s.path(d)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("fs: delete %s: %w", d, err)
	}
	return nil
}

// Walk implements blob.Store. os.ReadDir returns names sorted, and fan-out
// directories are named by digest prefix, so visiting both levels in order
// yields ascending digests. Anything that is not a blob in its proper place
// (temp files live outside sha256/ altogether) is skipped rather than
// reported, so a stray file never stops garbage collection.
func (s *Store) Walk(ctx context.Context, fn func(d blob.Digest, size int64, modTime time.Time) error) error {
	prefixes, err := os.ReadDir(s.blobs)
	if err != nil {
		return fmt.Errorf("fs: walk: %w", err)
	}
	for _, p := range prefixes {
		if !p.IsDir() || !isPrefix(p.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(s.blobs, p.Name()))
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("fs: walk: %w", err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("fs: walk: %w", err)
			}
			d := blob.Digest(e.Name())
			if !e.Type().IsRegular() || d.Validate() != nil || string(d[:2]) != p.Name() {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, iofs.ErrNotExist) {
				continue // deleted since ReadDir
			}
			if err != nil {
				return fmt.Errorf("fs: walk: %w", err)
			}
			// fn's error is returned as is: it is the caller's own.
			if err := fn(d, fi.Size(), fi.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

// isPrefix reports whether name could be a fan-out directory: two lowercase
// hex digits.
func isPrefix(name string) bool {
	if len(name) != 2 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// notFound makes a missing file match blob.ErrNotFound, keeping the path
// error for the log and for callers testing iofs.ErrNotExist.
func notFound(err error) error {
	if errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}
