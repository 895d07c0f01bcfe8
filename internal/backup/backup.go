// Package backup takes online backups of an embedded data directory (the
// SQLite database and the filesystem blobs) and restores them.
//
// A backup is a consistent snapshot of the metadata, taken while the
// server keeps writing, and every blob that snapshot refers to. Blobs are
// content-addressed and never change, so copying them after the snapshot
// is exact as long as none is deleted first: the blobs referenced when
// the backup starts are leased before the snapshot, and those the
// snapshot refers to besides (published in between) right after it, so
// the garbage collector, which deletes only unleased and unreferenced
// blobs, keeps them until the copy is done.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
)

// Files of a data directory and of a backup.
const (
	dbFile       = "wharf.db"
	blobsDir     = "blobs"
	ManifestFile = "wharf-backup.json"
)

// leaseFor is how long the backup's leases last should it die before
// releasing them: long enough for any copy.
const leaseFor = 24 * time.Hour

// Manifest describes a backup; its presence marks the backup complete.
type Manifest struct {
	Started  time.Time `json:"started"`
	Snapshot time.Time `json:"snapshot"`
	Finished time.Time `json:"finished"`
	Blobs    int       `json:"blobs"`
	Bytes    int64     `json:"bytes"`
	Files    []string  `json:"files"` // other files of the data directory
}

// extraFiles are the data directory's files besides the database and the
// blobs that a restored server needs.
var extraFiles = []string{"admin-credentials.json", "tls-self-signed.crt", "tls-self-signed.key"}

// Backup copies the data directory dataDir into to, which must not exist
// or be empty, while a server may be running on it.
func Backup(ctx context.Context, dataDir, to string) (*Manifest, error) {
	m := &Manifest{Started: time.Now().UTC()}
	if _, err := os.Stat(filepath.Join(dataDir, dbFile)); err != nil {
		return nil, fmt.Errorf("no Wharf data in %s: %w", dataDir, err)
	}
	if fi, err := os.Stat(filepath.Join(dataDir, blobsDir)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("no blobs in %s (with --blob-store s3, back up the bucket with its own tools): %v", filepath.Join(dataDir, blobsDir), err)
	}
	if err := emptyDir(to); err != nil {
		return nil, err
	}
	live, err := sqlite.Open(ctx, filepath.Join(dataDir, dbFile))
	if err != nil {
		return nil, err
	}
	defer live.Close()
	src, err := fs.New(filepath.Join(dataDir, blobsDir))
	if err != nil {
		return nil, err
	}
	until := time.Now().Add(leaseFor)
	leased, err := live.LeaseReferencedBlobs(ctx, until)
	if err != nil {
		return nil, fmt.Errorf("lease blobs: %w", err)
	}
	defer func() { live.ReleaseBlobs(context.WithoutCancel(ctx), leased) }()

	partial := filepath.Join(to, dbFile+".partial")
	if err := live.SnapshotTo(ctx, partial); err != nil {
		return nil, err
	}
	m.Snapshot = time.Now().UTC()
	snap, err := sqlite.Open(ctx, partial)
	if err != nil {
		return nil, err
	}
	refs, err := snap.ReferencedBlobs(ctx)
	if err == nil {
		// The leases in the copy are the original's uploads' and ours.
		err = snap.ClearBlobLeases(ctx)
	}
	if cerr := snap.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(leased))
	for _, d := range leased {
		have[d] = true
	}
	var extra []string
	for _, d := range refs {
		if !have[d] {
			extra = append(extra, d)
		}
	}
	if err := live.LeaseBlobs(ctx, extra, until); err != nil {
		return nil, fmt.Errorf("lease blobs: %w", err)
	}
	leased = append(leased, extra...)

	dst, err := fs.New(filepath.Join(to, blobsDir))
	if err != nil {
		return nil, err
	}
	for _, d := range refs {
		if _, err := blob.Copy(ctx, dst, src, blob.Digest(d)); err != nil {
			return nil, fmt.Errorf("copy blobs: %w", err)
		}
		size, _, err := dst.Stat(ctx, blob.Digest(d))
		if err != nil {
			return nil, err
		}
		m.Blobs++
		m.Bytes += size
	}
	for _, f := range extraFiles {
		ok, err := copyFile(filepath.Join(dataDir, f), filepath.Join(to, f))
		if err != nil {
			return nil, err
		}
		if ok {
			m.Files = append(m.Files, f)
		}
	}
	if err := syncDir(to); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, filepath.Join(to, dbFile)); err != nil {
		return nil, err
	}
	m.Finished = time.Now().UTC()
	if err := writeJSON(filepath.Join(to, ManifestFile), m); err != nil {
		return nil, err
	}
	return m, syncDir(to)
}

// Restore brings the backup in from back into dataDir, which must not
// exist or be empty. Every blob is verified against its digest, and every
// blob the metadata refers to must be there.
func Restore(ctx context.Context, from, dataDir string) (*Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(from, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a complete Wharf backup: %w", from, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if err := emptyDir(dataDir); err != nil {
		return nil, err
	}
	snap, err := sqlite.Open(ctx, filepath.Join(from, dbFile))
	if err != nil {
		return nil, err
	}
	refs, err := snap.ReferencedBlobs(ctx)
	snap.Close()
	if err != nil {
		return nil, err
	}
	src, err := fs.New(filepath.Join(from, blobsDir))
	if err != nil {
		return nil, err
	}
	dst, err := fs.New(filepath.Join(dataDir, blobsDir))
	if err != nil {
		return nil, err
	}
	for _, d := range refs {
		if _, err := blob.Copy(ctx, dst, src, blob.Digest(d)); err != nil {
			return nil, fmt.Errorf("restore blobs: %w", err)
		}
	}
	for _, f := range m.Files {
		if _, err := copyFile(filepath.Join(from, f), filepath.Join(dataDir, f)); err != nil {
			return nil, err
		}
	}
	// The database last: a data directory with one is a restored one.
	partial := filepath.Join(dataDir, dbFile+".partial")
	if _, err := copyFile(filepath.Join(from, dbFile), partial); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, filepath.Join(dataDir, dbFile)); err != nil {
		return nil, err
	}
	return &m, syncDir(dataDir)
}

// emptyDir makes dir, or checks that it is empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}

// copyFile copies src to dst (mode 0600, synced); false if src does not
// exist.
func copyFile(src, dst string) (bool, error) {
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return false, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return false, err
	}
	return true, out.Close()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
