package server

import (
	"fmt"
	"net/http"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/model"
)

// instrument counts every request h serves, outermost so that refusals
// (throttled, malformed paths) count too, and reports the store's sizes
// at scrape time.
func instrument(h http.Handler, m meta.Store) (http.Handler, error) {
	var ops []string
	for _, op := range apimodel.Operations() {
		ops = append(ops, op.Name)
	}
	var formats []string
	for _, f := range model.Formats {
		formats = append(formats, string(f))
	}
	q := metrics.NewRequests(ops, formats)
	if err := metrics.Register(q); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := metrics.Register(metrics.NewStoreSizes(m)); err != nil {
		metrics.Unregister(q)
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return q.Middleware(h), nil
}
