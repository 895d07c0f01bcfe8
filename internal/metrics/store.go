package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharf-dev/wharf/internal/meta"
)

// sizesMaxAge is how long one reading of the store's sizes answers
// scrapes: counting scans tables, so a scraper polling every few seconds
// must not make the store count that often.
const sizesMaxAge = 10 * time.Second

// StoreSizes reports the metadata store's row counts and the recorded
// blobs' count and bytes, read at scrape time at most every 10 seconds.
type StoreSizes struct {
	store meta.Store
	mu    sync.Mutex
	last  meta.Sizes
	at    time.Time
	err   error
}

// NewStoreSizes reads sizes from store.
func NewStoreSizes(store meta.Store) *StoreSizes { return &StoreSizes{store: store} }

var (
	descStoreRows = prometheus.NewDesc("wharf_store_rows",
		"Rows in the metadata store, by kind (domains, repositories, packages, versions, assets).", []string{"kind"}, nil)
	descBlobs     = prometheus.NewDesc("wharf_store_blobs", "Distinct blobs recorded in the metadata store.", nil, nil)
	descBlobBytes = prometheus.NewDesc("wharf_store_blob_bytes", "Bytes of the distinct blobs recorded in the metadata store.", nil, nil)
	descSizesErr  = prometheus.NewDesc("wharf_store_sizes_errors", "1 when the last reading of the store's sizes failed.", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *StoreSizes) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStoreRows
	ch <- descBlobs
	ch <- descBlobBytes
	ch <- descSizesErr
}

// Collect implements prometheus.Collector.
func (s *StoreSizes) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	if time.Since(s.at) > sizesMaxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var sz meta.Sizes
		err := s.store.View(ctx, func(tx meta.Tx) error {
			var err error
			sz, err = tx.Sizes()
			return err
		})
		cancel()
		s.at, s.err = time.Now(), err
		if err == nil {
			s.last = sz
		}
	}
	sz, err := s.last, s.err
	s.mu.Unlock()
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descSizesErr, prometheus.GaugeValue, failed)
	for _, r := range []struct {
		kind string
		n    int64
	}{{"domains", sz.Domains}, {"repositories", sz.Repositories}, {"packages", sz.Packages}, {"versions", sz.Versions}, {"assets", sz.Assets}} {
		ch <- prometheus.MustNewConstMetric(descStoreRows, prometheus.GaugeValue, float64(r.n), r.kind)
	}
	ch <- prometheus.MustNewConstMetric(descBlobs, prometheus.GaugeValue, float64(sz.Blobs))
	ch <- prometheus.MustNewConstMetric(descBlobBytes, prometheus.GaugeValue, float64(sz.BlobBytes))
}
