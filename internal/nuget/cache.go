package nuget

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"

	"github.com/wharf-dev/wharf/internal/doccache"
)

// Documents (flat-container indexes, registration indexes and pages,
// search candidates) and each package's parsed versions are kept in the
// format's one document cache (format.NewDocCache), by package, document
// and the package generation they were built from: a request uses an
// entry only when that generation is still the package's current one, so
// every replica stays correct.

// sized is a cached value that knows its memory cost.
type sized interface{ size() int64 }

func sizeOf(v sized) int64 { return v.size() }

// cachedGet is doccache's Get for one kind of value: documents of a
// package hold their kind by name ("entries" the parsed versions, the
// others rendered documents).
func cachedGet[V sized](ctx context.Context, c *doccache.Cache[sized], pkgID int64, name string, gen int64, build func(context.Context) (V, int64, error)) (V, error) {
	got, err := c.Get(ctx, pkgID, name, gen, func(ctx context.Context) (sized, int64, error) {
		return build(ctx)
	})
	v, ok := got.(V)
	if err == nil && !ok {
		err = fmt.Errorf("nuget: document %s of package %d is a %T", name, pkgID, got)
	}
	return v, err
}

// rendered is a JSON document in both encodings, with its validator.
type rendered struct {
	plain, gz []byte
	etag      string
}

func (r *rendered) size() int64 { return int64(len(r.plain)+len(r.gz)) + 64 }

// newRendered compresses a document once for every client that accepts
// gzip (NuGet's clients do).
func newRendered(plain []byte, etag string) *rendered {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	zw.Write(plain)
	zw.Close()
	return &rendered{plain: plain, gz: b.Bytes(), etag: etag}
}
