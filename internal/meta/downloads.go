package meta

import "time"

// DownloadCount is downloads of one version counted since the last
// flush.
type DownloadCount struct {
	VersionID int64
	Count     int64
	Last      time.Time
}

// Downloads keeps per-version download counts, written in batches (never
// one write per download).
type Downloads interface {
	// AddDownloads adds counts and advances last-download times; counts
	// of versions deleted meanwhile are dropped.
	AddDownloads(counts []DownloadCount) error
	// LastDownloads returns the last download time of each version of a
	// package that was ever downloaded, by version ID.
	LastDownloads(pkgID int64) (map[int64]time.Time, error)
}
