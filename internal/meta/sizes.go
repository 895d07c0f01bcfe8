package meta

// Sizes counts what the store holds, for the metrics listener.
type Sizes struct {
	Domains, Repositories, Packages, Versions, Assets int64
	// Blobs and BlobBytes count distinct recorded blobs and their bytes.
	Blobs, BlobBytes int64
}

// SizesReader reads the store's Sizes. The counts scan their tables, so
// callers (a metrics scrape) cache the answer rather than ask per request.
type SizesReader interface {
	Sizes() (Sizes, error)
}
