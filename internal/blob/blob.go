// Package blob is Wharf's content-addressed asset storage.
//
// Every package asset (npm tarball, wheel, jar, generic file) is stored once
// per distinct content, under the lowercase hex SHA-256 of that content.
// Metadata (which repository, package and version refer to which asset) lives
// elsewhere; this package only knows bytes and digests, which is what keeps
// the Store interface narrow enough for both a local filesystem and an object
// store such as S3 to implement it with the same guarantees. The guarantees
// are pinned down by the contract suite in package blobtest, which every
// implementation must pass.
//
// # Garbage collection
//
// Blobs are never deleted implicitly. A garbage collector lists blobs with
// Store.Walk and deletes those no metadata refers to. Because an upload writes
// the blob first and commits the metadata that refers to it afterwards, a
// collector must only delete unreferenced blobs whose modification time is
// older than a grace period comfortably longer than the slowest
// "Put then commit metadata" sequence. Put refreshes the modification time of
// content that is already stored (rather than skipping it), so a re-upload of
// old, currently unreferenced content is protected by the same grace period.
//
// Delete is unconditional, so a collector should Stat a blob again right
// before deleting it; what remains is the window between that Stat and the
// Delete, which a collector that cannot tolerate it closes by excluding
// uploads while it sweeps.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Digest is the lowercase hex SHA-256 of a blob's content: exactly 64
// characters from [0-9a-f]. Implementations build storage keys and file
// paths from digests, so every Store method validates a digest before using
// it; that is what makes a digest taken from a URL safe to pass through.
type Digest string

// EmptyDigest is the SHA-256 of zero bytes. Empty assets are legal (a generic
// package may contain an empty file) and are stored like any other.
const EmptyDigest Digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Unlimited as Put's maxSize disables the size bound. It is an explicit
// negative value rather than zero so that a forgotten limit (the zero value)
// fails closed: maxSize 0 admits only empty content.
const Unlimited int64 = -1

// Errors returned (wrapped) by Store implementations; test with errors.Is.
var (
	// ErrNotFound: no blob with the digest is stored.
	ErrNotFound = errors.New("blob not found")
	// ErrInvalidDigest: the digest is not 64 lowercase hex characters.
	ErrInvalidDigest = errors.New("invalid blob digest")
	// ErrDigestMismatch: Put was given an expected digest and the content
	// hashed to something else. Nothing was stored.
	ErrDigestMismatch = errors.New("blob digest mismatch")
	// ErrTooLarge: Put's content exceeded maxSize. Nothing was stored.
	ErrTooLarge = errors.New("blob too large")
)

// ParseDigest validates s and returns it as a Digest. It does not lowercase:
// hex digests have one canonical spelling, and accepting two would let the
// same content hide under two names in caches and URLs.
func ParseDigest(s string) (Digest, error) {
	d := Digest(s)
	if err := d.Validate(); err != nil {
		return "", err
	}
	return d, nil
}

// Validate reports whether d is a well-formed digest, wrapping
// ErrInvalidDigest if not. It says nothing about whether the blob exists.
func (d Digest) Validate() error {
	if len(d) != 64 {
		return fmt.Errorf("%w: %q has %d characters, want 64", ErrInvalidDigest, truncate(string(d)), len(d))
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: %q has %q at offset %d, want lowercase hex", ErrInvalidDigest, truncate(string(d)), c, i)
		}
	}
	return nil
}

func (d Digest) String() string { return string(d) }

// truncate keeps error messages bounded when a caller passes something
// enormous (a digest usually arrives from a URL).
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// Info describes content that Put stored (or found already stored).
type Info struct {
	Digest Digest // equal to Hashes.SHA256
	Size   int64
	// Hashes are the digests CodeArtifact reports for the asset, computed
	// in a single pass over the content while it is written (see Hasher),
	// never by re-reading a multi-GB blob.
	Hashes model.Hashes
}

// Reader reads one blob. Seek is required so that http.ServeContent can
// serve Range requests; Size spares it the seek-to-end it would otherwise do.
type Reader interface {
	io.ReadSeekCloser
	// Size is the blob's length in bytes.
	Size() int64
}

// Store is content-addressed blob storage. Implementations must be safe for
// concurrent use by multiple goroutines and, where the backend allows it
// (a shared directory, a shared bucket), by multiple processes. Every method
// that takes a Digest returns an error wrapping ErrInvalidDigest for a
// malformed one before touching storage.
type Store interface {
	// Put reads r to EOF and stores the content under its SHA-256,
	// returning its size and all four Hashes.
	//
	// If want is not empty and the content's SHA-256 differs, nothing is
	// stored and the error wraps ErrDigestMismatch. The content is read and
	// verified even when want is already stored: skipping that would let a
	// caller who merely knows a digest claim to have uploaded its content.
	//
	// maxSize bounds the bytes read from r: Put reads at most maxSize+1
	// bytes and, if there are more than maxSize, stores nothing and returns
	// an error wrapping ErrTooLarge. Unlimited disables the bound.
	//
	// If r fails or ctx is cancelled, nothing is stored and the error wraps
	// the cause (ctx.Err() for cancellation). Cancellation is noticed
	// between reads; a Read that blocks is the reader's to interrupt (an
	// http.Request body is, when the client goes away).
	//
	// When Put returns nil the content is durable: it survives a crash or
	// power loss of the host. Put is idempotent: storing content that is
	// already present succeeds without rewriting it, but refreshes its
	// modification time, so that a garbage collector honouring a grace
	// period (see the package documentation) keeps it.
	Put(ctx context.Context, r io.Reader, want Digest, maxSize int64) (Info, error)

	// Open returns a reader for the blob, or an error wrapping ErrNotFound.
	// The caller must Close it. Content never changes under a reader (it is
	// addressed by its hash); whether a reader keeps working after a
	// concurrent Delete is up to the implementation (the filesystem store
	// guarantees it on Unix, an object store may fail the next Seek).
	Open(ctx context.Context, d Digest) (Reader, error)

	// Stat returns the blob's size and modification time (the time it was
	// last stored or re-stored by Put), or an error wrapping ErrNotFound.
	Stat(ctx context.Context, d Digest) (size int64, modTime time.Time, err error)

	// Delete removes the blob. Deleting an absent blob is not an error, so a
	// garbage collector can be re-run after a failure.
	Delete(ctx context.Context, d Digest) error

	// Walk calls fn for every stored blob in ascending digest order (so a
	// collector can merge-join it against a sorted list of referenced
	// digests). Blobs being written, or left over from a crashed Put, are
	// never listed. Blobs stored or deleted while Walk runs may or may not
	// be listed. If fn returns an error, Walk stops and returns it (so that
	// errors.Is matches it); Walk also stops when ctx is cancelled.
	Walk(ctx context.Context, fn func(d Digest, size int64, modTime time.Time) error) error
}
