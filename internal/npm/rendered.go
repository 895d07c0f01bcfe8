package npm

import (
	"bytes"
	"compress/gzip"
)

// Rendered packuments are kept in the format's document cache per
// package and representation (kindKey), tagged with the package
// generation they were rendered from (see doccache).

// kindKey is a representation's key in the document cache.
var kindKey = [...]string{fullDoc: "full", abbrevDoc: "abbrev"}

// rendered is one packument in both encodings.
type rendered struct {
	gen   int64
	plain []byte
	gz    []byte
}

func (r *rendered) size() int64 { return int64(len(r.plain) + len(r.gz)) }

// newRendered compresses a rendered document once, for every client that
// accepts gzip (npm always does).
func newRendered(gen int64, plain []byte) *rendered {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	zw.Write(plain)
	zw.Close()
	return &rendered{gen: gen, plain: plain, gz: b.Bytes()}
}
