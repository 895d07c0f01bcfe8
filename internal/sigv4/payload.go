package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
)

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// payload is what Verify knows about the body before checking the
// signature: the hashes the client may have signed, tried in order, and, for
// a body that is streamed rather than buffered, the digest it must have.
type payload struct {
	hashes [2]string
	n      int    // hashes in use
	stream []byte // SHA-256 the streamed body must match; nil if buffered
}

// payloadHashes works out the payload hash. With a signed
// X-Amz-Content-Sha256 the header is trusted for the signature and the body
// is left to stream; otherwise the body is read (up to maxBody), hashed and
// put back.
func payloadHashes(r *http.Request, a *auth, maxBody int64) (payload, *Error) {
	first, second := headerValues(r.Header, "x-amz-content-sha256")
	switch {
	case len(first)+len(second) > 1:
		return payload{}, incomplete("Only one X-Amz-Content-Sha256 header is allowed.")
	case len(first)+len(second) == 1:
		// Unsigned, the header could be added by anyone to a captured
		// request, swapping the up-front body check for one at EOF that a
		// handler might never reach.
		if !a.signs("x-amz-content-sha256") {
			return payload{}, incomplete("'X-Amz-Content-Sha256' must be a 'SignedHeader' when it is sent.")
		}
		vals := first
		if len(vals) == 0 {
			vals = second
		}
		v := vals[0]
		if v == unsignedPayload {
			if !a.presigned {
				return payload{}, invalidSignature("UNSIGNED-PAYLOAD is only accepted on presigned requests.")
			}
			return payload{hashes: [2]string{unsignedPayload}, n: 1}, nil
		}
		sum, err := hex.DecodeString(v)
		if err != nil || len(sum) != sha256.Size {
			return payload{}, incomplete("X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256, not '%s'.", clip(v))
		}
		// botocore signs the header's text as is; the Go SDK signs the hash
		// it computes (lowercase) and sends the caller's AssetSHA256, which
		// may be uppercase.
		p := payload{hashes: [2]string{v}, n: 1, stream: sum}
		if lower := strings.ToLower(v); lower != v {
			p.hashes[1], p.n = lower, 2
		}
		return p, nil
	}

	body, err := readBody(r, maxBody)
	if err != nil {
		return payload{}, err
	}
	p := payload{hashes: [2]string{emptySHA256}, n: 1}
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		var buf [2 * sha256.Size]byte
		p.hashes[0] = string(hex.AppendEncode(buf[:0], sum[:]))
	}
	if a.presigned {
		// S3-style presigners sign UNSIGNED-PAYLOAD without sending the
		// header; botocore's and the Go SDK's other presigners sign the body.
		p.hashes[1], p.n = unsignedPayload, 2
	}
	return p, nil
}

// firstBuffer is the most readBody allocates before bytes arrive: the
// body is not authenticated yet, so a large Content-Length is only a
// claim, and memory follows what was actually sent.
const firstBuffer = 64 << 10

// readBody buffers the body to hash it and leaves a fresh reader in its place.
func readBody(r *http.Request, maxBody int64) ([]byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > maxBody {
		return nil, tooLarge(maxBody)
	}
	// Sized from Content-Length, and one byte over so that EOF is seen
	// without growing: a body under firstBuffer is read in one
	// allocation; a larger one grows as it arrives.
	limit, size := maxBody+1, int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1
	}
	body := make([]byte, 0, min(size, limit, firstBuffer))
	for int64(len(body)) < limit {
		if len(body) == cap(body) {
			body = slices.Grow(body, 1)
		}
		n, err := r.Body.Read(body[len(body):min(int64(cap(body)), limit)])
		body = body[:len(body)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{Code: CodeValidation, Status: http.StatusBadRequest,
				Message: "Could not read the request body.", cause: fmt.Errorf("read body: %w", err)}
		}
	}
	bb := &bufferedBody{}
	bb.Reset(body)
	r.Body = bb
	if int64(len(body)) > maxBody {
		return nil, tooLarge(maxBody)
	}
	return body, nil
}

// bufferedBody is the body put back after reading it.
type bufferedBody struct{ bytes.Reader }

func (*bufferedBody) Close() error { return nil }

func tooLarge(maxBody int64) *Error {
	return &Error{Code: CodeValidation, Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("A request body over %d bytes must carry a signed X-Amz-Content-Sha256 header.", maxBody)}
}

// hashedBody passes the body through and, at EOF, fails the read if the
// bytes did not hash to want. The error is sticky so that a caller that reads
// again cannot mistake the mismatch for a clean EOF.
type hashedBody struct {
	body io.ReadCloser
	h    hash.Hash
	want []byte
	err  error
}

func newHashedBody(body io.ReadCloser, want []byte) *hashedBody {
	if body == nil {
		body = http.NoBody
	}
	return &hashedBody{body: body, h: sha256.New(), want: want}
}

func (b *hashedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.body.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF {
		if got := b.h.Sum(nil); !bytes.Equal(got, b.want) {
			b.err = fmt.Errorf("%w: body hashes to %x, signed %x", ErrBodyHashMismatch, got, b.want)
		} else {
			b.err = io.EOF
		}
		return n, b.err
	}
	return n, err
}

func (b *hashedBody) Close() error { return b.body.Close() }
