package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wharf-dev/wharf/internal/blob"
)

// hashChunk is the unit in which a part is read and hashed: big enough
// that the Hasher's goroutine hand-off is noise, small enough that a
// reader trickling a few KiB per Read still feeds it whole chunks, and the
// unit at which cancellation is noticed.
const hashChunk = 1 << 20

// cleanupTimeout bounds the requests that undo a failed Put (abort, delete
// temp); they run even when the Put's context is cancelled.
const cleanupTimeout = 30 * time.Second

// Put implements blob.Store; the package documentation describes its three
// paths. Content is first read into a 1 MiB chunk buffer, so that the many
// small blobs (most packages) never hold a part buffer; larger content moves
// on to part buffers, at most concurrency+1 of them whatever its size.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Digest, maxSize int64) (blob.Info, error) {
	if want != "" {
		if err := want.Validate(); err != nil {
			return blob.Info{}, fmt.Errorf("s3: put: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	src := &source{ctx: ctx, r: r, max: maxSize, h: blob.NewHasher()}
	chunk := chunkPool.Get().(*[]byte)
	n, eof, err := src.fill(*chunk)
	if err != nil {
		chunkPool.Put(chunk)
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	if eof {
		defer chunkPool.Put(chunk)
		return s.putSmall(ctx, src, want, (*chunk)[:n])
	}
	buf := s.getBuf()
	copy(*buf, (*chunk)[:n])
	chunkPool.Put(chunk)
	m, eof, err := src.fill((*buf)[n:])
	if err != nil {
		s.putBuf(buf)
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	n += m
	if eof {
		defer s.putBuf(buf)
		return s.putSmall(ctx, src, want, (*buf)[:n])
	}
	return s.putMultipart(ctx, src, want, buf, n)
}

// putSmall stores content read whole into memory with a single PutObject
// to its final key, or just stamps it if it is already stored.
func (s *Store) putSmall(ctx context.Context, src *source, want blob.Digest, data []byte) (blob.Info, error) {
	info, stored, err := s.verifyNew(ctx, src, want)
	if err != nil || stored {
		return info, err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.key(info.Digest)),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3: put %s: %w", info.Digest, err)
	}
	return info, nil
}

// putMultipart streams the rest of src as a multipart upload, first being
// the part already read (n bytes). With want the upload goes straight to
// the final key and is only completed once verified; without, it goes to a
// temp key that is copied once the digest is known.
func (s *Store) putMultipart(ctx context.Context, src *source, want blob.Digest, first *[]byte, n int) (blob.Info, error) {
	key := s.tmpKey()
	if want != "" {
		key = s.key(want)
	}
	started := s.now()
	mu, err := s.createMultipart(ctx, key)
	if err != nil {
		s.putBuf(first)
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	completed := false
	defer func() {
		// Stop the parts still in flight before aborting, or a part
		// landing after the abort would outlive it.
		mu.cancel(errAborted)
		if !completed {
			mu.wg.Wait()
			mu.abort(ctx)
		}
	}()

	if err := mu.upload(first, n); err != nil {
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	for eof := false; !eof; {
		buf := s.getBuf()
		n, eof, err = src.fill(*buf)
		if err != nil {
			s.putBuf(buf)
			return blob.Info{}, fmt.Errorf("s3: put: %w", err)
		}
		if n == 0 {
			s.putBuf(buf) // the stream ended exactly on a part boundary
			break
		}
		if err := mu.upload(buf, n); err != nil {
			return blob.Info{}, fmt.Errorf("s3: put: %w", err)
		}
	}
	if err := mu.wait(); err != nil {
		return blob.Info{}, fmt.Errorf("s3: put: %w", err)
	}
	info, stored, err := s.verifyNew(ctx, src, want)
	if err != nil || stored {
		return info, err // the deferred abort drops our parts
	}
	if err := mu.complete(ctx); err != nil {
		return blob.Info{}, fmt.Errorf("s3: put %s: %w", info.Digest, err)
	}
	completed = true
	if final := s.key(info.Digest); key != final {
		defer s.cleanup(ctx, func(ctx context.Context) error { return s.deleteKey(ctx, key) })
		started = s.now()
		if err := s.copyObject(ctx, key, final, info.Size); err != nil {
			return blob.Info{}, fmt.Errorf("s3: put %s: copying temp object into place: %w", info.Digest, err)
		}
	}
	// S3 dates a multipart object (or multipart copy) from its start; keep
	// modTime within refreshAfter of now (see the package doc).
	if s.now().Sub(started) > s.refreshAfter {
		if err := s.stamp(ctx, info.Digest); err != nil {
			return blob.Info{}, fmt.Errorf("s3: put %s: %w", info.Digest, err)
		}
	}
	return info, nil
}

// verifyNew checks what src read against want and reports whether a
// complete copy is already stored (then refreshed, and the caller's copy
// not needed).
func (s *Store) verifyNew(ctx context.Context, src *source, want blob.Digest) (blob.Info, bool, error) {
	info, err := src.verify(want)
	if err != nil {
		return blob.Info{}, false, fmt.Errorf("s3: put: %w", err)
	}
	stored, err := s.refreshIfStored(ctx, info)
	if err != nil {
		return blob.Info{}, false, fmt.Errorf("s3: put %s: %w", info.Digest, err)
	}
	return info, stored, nil
}

// errAborted cancels the parts of an upload that is being abandoned.
var errAborted = errors.New("multipart upload abandoned")

// refreshIfStored reports whether a complete copy of the blob is already
// stored, stamping it as re-stored now if so (see blob.Store.Put on why,
// and the package doc on stamps). An object of the wrong size is corrupt
// (an operator's copy gone wrong) and reported as absent, so Put replaces
// it with verified content.
//
// The blob is looked up again after stamping: if a garbage collector
// deleted it meanwhile, Put stores its own copy, rather than report
// success for content that is gone (the filesystem store's Chtimes fails
// likewise). A collector that deletes after that second look had looked
// at the blob before the stamp; that is the window the blob package
// documentation describes.
func (s *Store) refreshIfStored(ctx context.Context, info blob.Info) (bool, error) {
	key := s.key(info.Digest)
	for i := range 2 {
		n, _, err := s.head(ctx, key)
		if errors.Is(err, blob.ErrNotFound) || err == nil && n != info.Size {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if i == 0 {
			if err := s.stamp(ctx, info.Digest); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// stamp records that the blob was (re-)stored now.
func (s *Store) stamp(ctx context.Context, d blob.Digest) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.stampKey(d)),
		Body: bytes.NewReader(nil), ContentLength: aws.Int64(0),
	})
	if err != nil {
		return fmt.Errorf("stamping modification time: %w", err)
	}
	return nil
}

// copyObject copies src to dst within the bucket, server-side: with
// CopyObject up to copyLimit, part by part with UploadPartCopy above.
func (s *Store) copyObject(ctx context.Context, src, dst string, size int64) error {
	if size <= s.copyLimit {
		_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(dst), CopySource: aws.String(s.copySource(src)),
		})
		return err
	}
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(dst)})
	if err != nil {
		return err
	}
	mu := &multipart{s: s, key: dst, id: aws.ToString(out.UploadId)}
	for off, num := int64(0), int32(1); off < size; off, num = off+s.copyPartSize, num+1 {
		end := min(off+s.copyPartSize, size) - 1
		part, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(s.bucket), Key: aws.String(dst), UploadId: aws.String(mu.id), PartNumber: aws.Int32(num),
			CopySource: aws.String(s.copySource(src)), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			mu.abort(ctx)
			return err
		}
		mu.parts = append(mu.parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: part.CopyPartResult.ETag})
	}
	if err := mu.complete(ctx); err != nil {
		mu.abort(ctx)
		return err
	}
	return nil
}

// copySource is CopyObject's "bucket/key", each path segment URL-encoded
// as S3 requires (the prefix is the operator's and may hold anything).
func (s *Store) copySource(key string) string {
	segs := strings.Split(s.bucket+"/"+key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// cleanup runs fn with a context that outlives ctx's cancellation (a
// cancelled Put must still remove what it wrote), bounded in time. Its
// failure is not the Put's: what it leaves is swept later.
func (s *Store) cleanup(ctx context.Context, fn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fn(ctx)
}

// multipart is one multipart upload whose parts are sent concurrently.
type multipart struct {
	s       *Store
	key, id string

	ctx    context.Context // the parts'; cancelled on the first failure
	cancel context.CancelCauseFunc
	slots  chan struct{} // one per part in flight
	wg     sync.WaitGroup
	next   int32 // next part number

	mu    sync.Mutex
	parts []types.CompletedPart
}

func (s *Store) createMultipart(ctx context.Context, key string) (*multipart, error) {
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		return nil, err
	}
	mu := &multipart{s: s, key: key, id: aws.ToString(out.UploadId), slots: make(chan struct{}, s.concurrency), next: 1}
	mu.ctx, mu.cancel = context.WithCancelCause(ctx)
	return mu, nil
}

// upload sends buf[:n] as the next part in the background, returning buf
// to the pool once sent. It waits while concurrency parts are in flight,
// and fails once any part has.
func (mu *multipart) upload(buf *[]byte, n int) error {
	if mu.next > mu.s.maxParts {
		mu.s.putBuf(buf)
		return fmt.Errorf("content exceeds %d bytes, the most this store uploads (%d parts of %d)", int64(mu.s.maxParts)*int64(mu.s.partSize), mu.s.maxParts, mu.s.partSize)
	}
	select {
	case mu.slots <- struct{}{}:
	case <-mu.ctx.Done():
		mu.s.putBuf(buf)
		return context.Cause(mu.ctx)
	}
	num := mu.next
	mu.next++
	mu.wg.Go(func() {
		defer func() { <-mu.slots }()
		defer mu.s.putBuf(buf)
		out, err := mu.s.client.UploadPart(mu.ctx, &s3.UploadPartInput{
			Bucket: aws.String(mu.s.bucket), Key: aws.String(mu.key), UploadId: aws.String(mu.id),
			PartNumber: aws.Int32(num), Body: bytes.NewReader((*buf)[:n]), ContentLength: aws.Int64(int64(n)),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			mu.cancel(fmt.Errorf("uploading part %d: %w", num, err))
			return
		}
		mu.mu.Lock()
		mu.parts = append(mu.parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		mu.mu.Unlock()
	})
	return nil
}

// wait waits for the parts in flight, returning the first failure.
func (mu *multipart) wait() error {
	mu.wg.Wait()
	if err := mu.ctx.Err(); err != nil {
		return context.Cause(mu.ctx)
	}
	return nil
}

func (mu *multipart) complete(ctx context.Context) error {
	slices.SortFunc(mu.parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
	_, err := mu.s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(mu.s.bucket), Key: aws.String(mu.key), UploadId: aws.String(mu.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: mu.parts},
	})
	return err
}

// abortAttempts bounds the aborts of one upload (see abort).
const abortAttempts = 5

// abort discards the upload's parts. A part whose request was cut off
// client-side may still be landing on the server when the abort arrives
// and outlive it; as S3's documentation advises, the abort is repeated
// until ListParts no longer finds the upload. A failure leaves the parts
// for SweepLeftovers (or the bucket's lifecycle rule).
func (mu *multipart) abort(ctx context.Context) {
	mu.s.cleanup(ctx, func(ctx context.Context) error {
		for attempt := 1; ; attempt++ {
			_, err := mu.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(mu.s.bucket), Key: aws.String(mu.key), UploadId: aws.String(mu.id)})
			if err != nil && !isNotFound(err) {
				return err
			}
			_, err = mu.s.client.ListParts(ctx, &s3.ListPartsInput{
				Bucket: aws.String(mu.s.bucket), Key: aws.String(mu.key), UploadId: aws.String(mu.id), MaxParts: aws.Int32(1)})
			if isNotFound(err) {
				return nil
			}
			if err != nil || attempt == abortAttempts {
				return err
			}
			select {
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
}

// chunkPool recycles the buffers Put reads small content into (see Put).
var chunkPool = sync.Pool{New: func() any { b := make([]byte, hashChunk); return &b }}

// getBuf returns a part buffer from the Store's pool, so back-to-back and
// concurrent Puts recycle rather than each allocate part-sized buffers.
func (s *Store) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok && len(*b) == s.partSize {
		return b
	}
	b := make([]byte, s.partSize)
	return &b
}

func (s *Store) putBuf(b *[]byte) { s.bufs.Put(b) }

// source reads a Put's content, bounded by max (negative: unlimited),
// hashing every byte it reads.
type source struct {
	ctx context.Context
	r   io.Reader
	max int64
	n   int64
	h   *blob.Hasher
}

// fill reads into p until it is full or the content ends (eof), hashing
// in hashChunk steps and checking for cancellation between them. It reads
// at most one byte past max: enough to tell "exactly max" from "too
// large" without consuming more of a possibly endless stream.
func (src *source) fill(p []byte) (n int, eof bool, err error) {
	for n < len(p) {
		if err := src.ctx.Err(); err != nil {
			return n, false, err
		}
		chunk := p[n:min(len(p), n+hashChunk)]
		if src.max >= 0 {
			if rest := src.max - src.n; rest < int64(len(chunk)) {
				chunk = chunk[:rest+1]
			}
		}
		m, end, err := blob.Fill(src.r, chunk)
		src.n += int64(m)
		if err != nil {
			return n, false, fmt.Errorf("reading content: %w", err)
		}
		if src.max >= 0 && src.n > src.max {
			return n, false, fmt.Errorf("content exceeds %d bytes: %w", src.max, blob.ErrTooLarge)
		}
		src.h.Write(chunk[:m])
		n += m
		if end {
			return n, true, nil
		}
	}
	return n, false, nil
}

// verify checks the content read against want, and the context one last
// time: past this point the content is committed, and a caller that
// cancelled should not find it stored.
func (src *source) verify(want blob.Digest) (blob.Info, error) {
	info := src.h.Info()
	if want != "" && info.Digest != want {
		return blob.Info{}, fmt.Errorf("content has sha256 %s, want %s: %w", info.Digest, want, blob.ErrDigestMismatch)
	}
	if err := src.ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	return info, nil
}
