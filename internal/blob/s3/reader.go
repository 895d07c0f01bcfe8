package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharf-dev/wharf/internal/blob"
)

// Open implements blob.Store. It costs one HeadObject (existence and
// size); the content is fetched by the first Read, from the position the
// reader was sought to, so http.ServeContent's probing seeks cost nothing
// and a Range request fetches only its range.
//
// The reader's requests run under ctx, so it must outlive the reader (it
// does when both belong to one HTTP request). If the blob is deleted while
// being read, the next request fails with an error wrapping
// blob.ErrNotFound.
func (s *Store) Open(ctx context.Context, d blob.Digest) (blob.Reader, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("s3: open: %w", err)
	}
	key := s.key(d)
	size, _, err := s.head(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("s3: open %s: %w", d, err)
	}
	return &reader{s: s, ctx: ctx, d: d, key: key, size: size}, nil
}

// reader reads one object with GETs: one for a sequential read from start
// to end, a new ranged one after each Seek that moves away from where the
// current response body is.
type reader struct {
	s      *Store
	ctx    context.Context
	d      blob.Digest
	key    string
	size   int64
	pos    int64         // the position Read reads from next
	body   io.ReadCloser // nil, or a response body positioned at pos
	closed bool
}

var errClosed = errors.New("s3: read of closed blob reader")

func (r *reader) Size() int64 { return r.size }

func (r *reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.body == nil {
		if err := r.get(); err != nil {
			return 0, err
		}
	}
	// Never read past the size Open saw: content is immutable, so more
	// bytes would mean the server answered for something else.
	p = p[:min(int64(len(p)), r.size-r.pos)]
	n, err := r.body.Read(p)
	r.pos += int64(n)
	switch {
	case err == io.EOF && r.pos < r.size:
		r.dropBody()
		return n, fmt.Errorf("s3: read %s: response ended at byte %d of %d: %w", r.d, r.pos, r.size, io.ErrUnexpectedEOF)
	case err == io.EOF:
		r.dropBody()
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	case err != nil:
		// The next Read starts a fresh request from where this one
		// broke off.
		r.dropBody()
		return n, fmt.Errorf("s3: read %s: %w", r.d, err)
	}
	return n, nil
}

// get starts a GET from pos: the whole object from 0, else Range:
// bytes=pos- (to the end, so sequential reads after a Seek stay one
// request).
func (r *reader) get() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.s.bucket), Key: aws.String(r.key)}
	if r.pos > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.pos))
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		return fmt.Errorf("s3: read %s at %d: %w", r.d, r.pos, notFound(err))
	}
	r.body = out.Body
	return nil
}

func (r *reader) dropBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Seek only moves the position; the next Read issues the request, and
// only if the position moved away from the open response's.
func (r *reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errClosed
	}
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = r.pos + offset
	case io.SeekEnd:
		pos = r.size + offset
	default:
		return 0, fmt.Errorf("s3: seek %s: invalid whence %d", r.d, whence)
	}
	if pos < 0 {
		return 0, fmt.Errorf("s3: seek %s: negative position %d", r.d, pos)
	}
	if pos != r.pos {
		r.dropBody()
		r.pos = pos
	}
	return pos, nil
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.dropBody()
	return nil
}
