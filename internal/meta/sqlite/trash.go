package sqlite

import (
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
)

const trashCols = `t.id, t.package_id, p.format, p.namespace, p.name, t.version, t.former_status, t.revision, t.deleted, t.expires, t.doc`

func scanTrashed(sc interface{ Scan(...any) error }) (*meta.TrashedVersion, error) {
	var v meta.TrashedVersion
	var format, status, doc string
	var deleted, expires int64
	if err := sc.Scan(&v.ID, &v.PackageID, &format, &v.Key.Namespace, &v.Key.Name, &v.Version, &status, &v.Revision, &deleted, &expires, &doc); err != nil {
		return nil, notFound(err)
	}
	v.Key.Format, v.FormerStatus = model.Format(format), model.Status(status)
	v.Deleted, v.Expires, v.Doc = column.FromNanos(deleted), column.FromNanos(expires), []byte(doc)
	return &v, nil
}

func (t *tx) TrashVersion(v *meta.TrashedVersion) error {
	return t.row(`INSERT INTO trashed_versions (package_id, version, former_status, revision, deleted, expires, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (package_id, version) DO UPDATE SET former_status = excluded.former_status, revision = excluded.revision,
			deleted = excluded.deleted, expires = excluded.expires, doc = excluded.doc
		RETURNING id`, v.PackageID, v.Version, string(v.FormerStatus), v.Revision, column.Nanos(v.Deleted), column.Nanos(v.Expires), string(v.Doc)).Scan(&v.ID)
}

func (t *tx) GetTrashed(pkgID int64, version string, now time.Time) (*meta.TrashedVersion, error) {
	return scanTrashed(t.row(`SELECT `+trashCols+` FROM trashed_versions t JOIN packages p ON p.id = t.package_id
		WHERE t.package_id = ? AND t.version = ? AND t.expires > ?`, pkgID, version, column.Nanos(now)))
}

func (t *tx) ListTrash(repoID int64, now time.Time, afterID int64, limit int) ([]*meta.TrashedVersion, error) {
	rows, err := t.query(`SELECT `+trashCols+` FROM trashed_versions t JOIN packages p ON p.id = t.package_id
		WHERE p.repository_id = ? AND t.expires > ? AND t.id > ? ORDER BY t.id LIMIT ?`, repoID, column.Nanos(now), afterID, limitOrAll(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.TrashedVersion
	for rows.Next() {
		v, err := scanTrashed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) ForgetTrashed(pkgID int64, version string) error {
	_, err := t.exec(`DELETE FROM trashed_versions WHERE package_id = ? AND version = ?`, pkgID, version)
	return err
}

func (t *tx) PurgeTrash(now time.Time) error {
	_, err := t.exec(`DELETE FROM trashed_versions WHERE expires <= ?`, column.Nanos(now))
	return err
}
