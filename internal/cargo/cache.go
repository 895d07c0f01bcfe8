package cargo

import (
	"bytes"
	"compress/gzip"
)

// Rendered index files are kept in the format's document cache
// (format.NewDocCache), by package and the generation they were rendered
// from: a request serves an entry only while that generation is the
// package's current one, so every replica stays correct.

// indexDoc is one crate's index file in both encodings.
type indexDoc struct {
	gen   int64
	plain []byte // empty: no version to show
	gz    []byte
}

func (d *indexDoc) size() int64 { return int64(len(d.plain)+len(d.gz)) + 64 }

// newIndexDoc compresses a rendered file once, for every client that
// accepts gzip.
func newIndexDoc(gen int64, plain []byte) *indexDoc {
	d := &indexDoc{gen: gen, plain: plain}
	if len(plain) > 0 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		zw.Write(plain)
		zw.Close()
		d.gz = b.Bytes()
	}
	return d
}
