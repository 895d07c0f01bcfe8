package sqlite

import (
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
)

func (t *tx) AddDownloads(counts []meta.DownloadCount) error {
	for _, c := range counts {
		if _, err := t.exec(`INSERT INTO version_downloads (version_id, count, last)
			SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM versions WHERE id = ?)
			ON CONFLICT (version_id) DO UPDATE SET count = version_downloads.count + excluded.count, last = max(version_downloads.last, excluded.last)`,
			c.VersionID, c.Count, column.Nanos(c.Last), c.VersionID); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) LastDownloads(pkgID int64) (map[int64]time.Time, error) {
	rows, err := t.query(`SELECT d.version_id, d.last FROM version_downloads d JOIN versions v ON v.id = d.version_id WHERE v.package_id = ?`, pkgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, last int64
		if err := rows.Scan(&id, &last); err != nil {
			return nil, err
		}
		out[id] = column.FromNanos(last)
	}
	return out, rows.Err()
}
