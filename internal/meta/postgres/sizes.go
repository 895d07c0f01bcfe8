package postgres

import (
	"fmt"

	"github.com/wharf-dev/wharf/internal/meta"
)

// Sizes implements meta.SizesReader in one statement.
func (t *tx) Sizes() (meta.Sizes, error) {
	var s meta.Sizes
	err := t.row(`SELECT
		(SELECT COUNT(*) FROM domains),
		(SELECT COUNT(*) FROM repositories),
		(SELECT COUNT(*) FROM packages),
		(SELECT COUNT(*) FROM versions),
		(SELECT COUNT(*) FROM assets),
		(SELECT COUNT(*) FROM blobs),
		(SELECT COALESCE(SUM(size), 0)::BIGINT FROM blobs)`).Scan(&s.Domains, &s.Repositories, &s.Packages, &s.Versions, &s.Assets, &s.Blobs, &s.BlobBytes)
	if err != nil {
		return s, fmt.Errorf("sizes: %w", err)
	}
	return s, nil
}
