package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

// Online backup of the embedded store (wharf backup): a consistent copy of
// the database taken while a server writes, and the set of blobs a copy
// refers to, leased so the garbage collector leaves them while they are
// copied.

// SnapshotTo writes a consistent copy of the database to path, which must
// not exist. VACUUM INTO reads one snapshot in a read transaction, so the
// server's writers go on meanwhile.
func (s *Store) SnapshotTo(ctx context.Context, path string) error {
	if _, err := s.read.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// referencedBlobs is the query for the digests that non-disposed assets
// refer to: the bytes a copy of the metadata needs.
const referencedBlobs = `SELECT DISTINCT a.sha256 FROM assets a JOIN versions v ON v.id = a.version_id WHERE v.status != 'Disposed' ORDER BY a.sha256`

// ReferencedBlobs lists the digests non-disposed assets refer to.
func (s *Store) ReferencedBlobs(ctx context.Context) ([]string, error) {
	var out []string
	err := s.View(ctx, func(mt meta.Tx) error {
		var err error
		out, err = mt.(*tx).strings(referencedBlobs)
		return err
	})
	return out, err
}

// LeaseReferencedBlobs leases, in one transaction, every blob that
// non-disposed assets refer to, until until, and returns their digests.
// Leases count: ReleaseBlobs drops exactly these.
func (s *Store) LeaseReferencedBlobs(ctx context.Context, until time.Time) ([]string, error) {
	var out []string
	err := s.Update(ctx, func(mt meta.Tx) error {
		t := mt.(*tx)
		var err error
		if out, err = t.strings(referencedBlobs); err != nil {
			return err
		}
		for _, d := range out {
			if err := t.LeaseBlob(d, until); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// LeaseBlobs leases the digests until until, in one transaction.
func (s *Store) LeaseBlobs(ctx context.Context, digests []string, until time.Time) error {
	return s.Update(ctx, func(t meta.Tx) error {
		for _, d := range digests {
			if err := t.LeaseBlob(d, until); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReleaseBlobs drops one lease of each digest.
func (s *Store) ReleaseBlobs(ctx context.Context, digests []string) error {
	return s.Update(ctx, func(t meta.Tx) error {
		for _, d := range digests {
			if err := t.ReleaseBlob(d); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearBlobLeases drops every lease: in a copy of a database, those of
// the uploads and backups of the process it was copied from.
func (s *Store) ClearBlobLeases(ctx context.Context) error {
	return s.Update(ctx, func(mt meta.Tx) error {
		_, err := mt.(*tx).exec(`DELETE FROM blob_leases`)
		return err
	})
}

// strings runs a query of one text column.
func (t *tx) strings(q string, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
