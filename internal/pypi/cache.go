package pypi

import (
	"crypto/sha256"
	"encoding/hex"
)

// page is a project page rendered in both forms for one package
// generation, as the format's document cache keeps it.
type page struct {
	gen      int64
	html     []byte
	json     []byte
	htmlETag string
	jsonETag string
}

func (p *page) size() int64 { return int64(len(p.html) + len(p.json) + 128) }

// etag is a strong validator from the content itself, so every replica
// answers the same ETag for the same page.
func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

func newPage(gen int64, p *project) *page {
	pg := &page{gen: gen, html: renderProjectHTML(p), json: renderProjectJSON(p)}
	pg.htmlETag, pg.jsonETag = etag(pg.html), etag(pg.json)
	return pg
}
