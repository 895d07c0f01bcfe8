package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"
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
	n      int       // hashes in use
	stream []byte    // SHA-256 the streamed body must match; nil if buffered
	held   *heldBody // the body read to hash it; nil if streamed
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

	body, sum, err := readBody(r, maxBody)
	if err != nil {
		return payload{}, err
	}
	p := payload{hashes: [2]string{emptySHA256}, n: 1, held: body}
	if body != nil && body.size > 0 {
		var buf [2 * sha256.Size]byte
		p.hashes[0] = string(hex.AppendEncode(buf[:0], sum))
	}
	if a.presigned {
		// S3-style presigners sign UNSIGNED-PAYLOAD without sending the
		// header; botocore's and the Go SDK's other presigners sign the body.
		p.hashes[1], p.n = unsignedPayload, 2
	}
	return p, nil
}

// A body read before its signature is checked is only a claim: its
// Content-Length may be a lie and its bytes may never come. So memory
// follows the bytes that arrive, in blocks taken from a pool as needed
// and given back as soon as the request is refused, rather than a buffer
// sized from the length announced or doubled as the body grows. A small
// body with its length given (every SDK call but a large policy or batch)
// takes one buffer of its exact size, as before.
const blockSize = 32 << 10

var blockPool = sync.Pool{New: func() any { return new([blockSize]byte) }}

// readBody reads and hashes the body, up to maxBody bytes. The caller
// puts the returned body in r.Body once the signature is checked, or
// releases it.
func readBody(r *http.Request, maxBody int64) (*heldBody, []byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody {
		// Nothing to hold (a GET): no allocation on the hottest path.
		return nil, nil, nil
	}
	hb := &heldBody{}
	if r.ContentLength > maxBody {
		return nil, nil, tooLarge(maxBody)
	}
	limit := maxBody + 1 // one byte over tells "at the limit" from "over it"
	if r.ContentLength >= 0 && r.ContentLength < blockSize {
		// One exact buffer, one byte over so that EOF is seen in it.
		hb.small = make([]byte, 0, r.ContentLength+1)
	}
	for hb.size < limit {
		buf := hb.space(limit)
		n, err := r.Body.Read(buf)
		hb.grow(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			hb.release()
			return nil, nil, &Error{Code: CodeValidation, Status: http.StatusBadRequest,
				Message: "Could not read the request body.", cause: fmt.Errorf("read body: %w", err)}
		}
	}
	if hb.size > maxBody {
		hb.release()
		return nil, nil, tooLarge(maxBody)
	}
	return hb, hb.sum(), nil
}

// sum is the SHA-256 of the bytes held.
func (b *heldBody) sum() []byte {
	if b.small != nil {
		s := sha256.Sum256(b.small)
		return s[:]
	}
	h := sha256.New()
	for i, blk := range b.blocks {
		h.Write(blk[:min(int64(blockSize), b.size-int64(i)*blockSize)])
	}
	return h.Sum(nil)
}

// heldBody is a body read to hash it: one small buffer or a list of
// pooled blocks. Reading it gives the bytes back; Close returns its
// blocks to the pool.
type heldBody struct {
	small  []byte
	blocks []*[blockSize]byte
	size   int64 // bytes held
	off    int64 // bytes read back
	closed bool
}

// space returns where the next read goes, at most up to limit in all.
func (b *heldBody) space(limit int64) []byte {
	if b.small != nil && int64(len(b.small)) < int64(cap(b.small)) {
		return b.small[len(b.small):min(int64(cap(b.small)), limit)]
	}
	if b.small != nil {
		// More came than Content-Length said (a chunked body can; a
		// lying length cannot get past net/http): on to blocks.
		b.toBlocks()
	}
	used := b.size % blockSize
	if used == 0 {
		b.blocks = append(b.blocks, blockPool.Get().(*[blockSize]byte))
	}
	last := b.blocks[len(b.blocks)-1]
	return last[used:min(int64(blockSize), used+limit-b.size)]
}

func (b *heldBody) grow(n int) {
	if b.small != nil && len(b.blocks) == 0 {
		b.small = b.small[:len(b.small)+n]
	}
	b.size += int64(n)
}

// toBlocks moves the small buffer's bytes into blocks.
func (b *heldBody) toBlocks() {
	small := b.small
	b.small, b.size = nil, 0
	for len(small) > 0 {
		blk := blockPool.Get().(*[blockSize]byte)
		n := copy(blk[:], small)
		b.blocks = append(b.blocks, blk)
		b.size += int64(n)
		small = small[n:]
	}
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.off >= b.size {
		return 0, io.EOF
	}
	var src []byte
	if b.small != nil {
		src = b.small[b.off:]
	} else {
		blk := b.blocks[b.off/blockSize]
		src = blk[b.off%blockSize : min(int64(blockSize), b.size-b.off/blockSize*blockSize)]
	}
	n := copy(p, src)
	b.off += int64(n)
	return n, nil
}

// Close gives the blocks back; the body cannot be read after.
func (b *heldBody) Close() error {
	b.release()
	return nil
}

func (b *heldBody) release() {
	if b.closed {
		return
	}
	b.closed = true
	for _, blk := range b.blocks {
		blockPool.Put(blk)
	}
	b.blocks, b.small = nil, nil
}

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
