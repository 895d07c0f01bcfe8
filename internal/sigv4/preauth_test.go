package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// countingBody records how much of a body was read, and can stop short of
// its Content-Length the way a slow client does.
type countingBody struct {
	r    io.Reader
	read int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return nil }

func withBody(r *http.Request, body io.Reader, contentLength int64) *countingBody {
	cb := &countingBody{r: body}
	r.Body, r.ContentLength = cb, contentLength
	return cb
}

// What is read before the signature can be checked is bounded by the
// limit the caller gives, and nothing is read of a request whose headers
// already fail.
func TestVerifyWithinBoundsThePreAuthRead(t *testing.T) {
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		body    func(r *http.Request) *countingBody // replaces the body, nil keeps it
		limit   int64
		code    string // "" when accepted
		maxRead int64  // most body bytes Verify may read
	}{
		{name: "a JSON body within the operation's limit", limit: int64(len(jsonBody)), maxRead: int64(len(jsonBody)) + 1,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{})) }},
		{name: "Content-Length over the limit: refused unread", limit: int64(len(jsonBody)) - 1, code: CodeValidation, maxRead: 0,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{})) }},
		{name: "an operation without a body refuses one unread", limit: 0, code: CodeValidation, maxRead: 0,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{})) }},
		{name: "a chunked body is read one byte past the limit at most", limit: 1000, code: CodeValidation, maxRead: 1001,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{})) },
			body: func(r *http.Request) *countingBody {
				return withBody(r, strings.NewReader(strings.Repeat("x", 1<<20)), -1)
			}},
		{name: "a signed X-Amz-Content-Sha256 is checked before the body, which then streams", limit: 0, maxRead: 0,
			req: func(t *testing.T) *http.Request { return toServer(t, postStream(t, signing{})) }},
		{name: "a zero signature is refused after the read, within the limit", limit: 1 << 20, code: CodeInvalidSignature, maxRead: int64(len(jsonBody)) + 1,
			req: func(t *testing.T) *http.Request {
				r := toServer(t, postJSON(t, signing{}))
				setAuthParam(r, "Signature", strings.Repeat("0", 64))
				return r
			}},
		{name: "unknown key: nothing read", limit: 1 << 20, code: CodeUnrecognizedClient,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{akid: "AKIDNOBODY"})) }},
		{name: "another region: nothing read", limit: 1 << 20, code: CodeInvalidSignature,
			req: func(t *testing.T) *http.Request { return toServer(t, postJSON(t, signing{region: "eu-west-1"})) }},
		{name: "a stale date: nothing read", limit: 1 << 20, code: CodeInvalidSignature,
			req: func(t *testing.T) *http.Request {
				return toServer(t, postJSON(t, signing{at: testNow.Add(-20 * time.Minute)}))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier()
			v.Region = testRegion
			r := tt.req(t)
			var cb *countingBody
			if tt.body != nil {
				cb = tt.body(r)
			} else {
				b, _ := io.ReadAll(r.Body)
				cb = withBody(r, strings.NewReader(string(b)), r.ContentLength)
			}
			_, err := v.VerifyWithin(r, tt.limit)
			var e *Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.code != "" && (!errors.As(err, &e) || e.Code != tt.code):
				t.Fatalf("Verify = %v, want %s", err, tt.code)
			}
			if cb.read > tt.maxRead {
				t.Errorf("read %d body bytes before answering, at most %d allowed", cb.read, tt.maxRead)
			}
		})
	}
}

// A Content-Length is only a claim until the signature is checked: the
// memory taken while reading follows the bytes that arrive, not the
// length announced.
func TestPreAuthMemoryFollowsTheBytesSent(t *testing.T) {
	v := newTestVerifier()
	v.MaxBodyBytes = 8 << 20
	r := toServer(t, postJSON(t, signing{}))
	// 8 MiB announced, 1 KiB sent, then the client stalls (here: fails).
	withBody(r, io.MultiReader(strings.NewReader(strings.Repeat("x", 1024)), errReader{}), 8<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := v.Verify(r)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a body that fails to arrive was accepted")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("reading 1 KiB of a body announced as 8 MiB allocated %d bytes", alloc)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client stalled") }

// A body held to be hashed reads back exactly, whatever its size and
// whether its length was announced, across the blocks it is kept in.
func TestHeldBodyRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 100, blockSize - 1, blockSize, blockSize + 1, 3*blockSize + 5} {
		for _, announced := range []bool{true, false} {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			r, _ := http.NewRequest("POST", "/", nil)
			cl := int64(-1)
			if announced {
				cl = int64(size)
			}
			// One byte at a time at first, as a slow client sends.
			withBody(r, iotestHalf(data), cl)
			hb, sum, err := readBody(r, 4*blockSize)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			got, _ := io.ReadAll(hb)
			if !bytes.Equal(got, data) {
				t.Fatalf("size %d, announced %v: read back %d bytes, different", size, announced, len(got))
			}
			if want := sha256.Sum256(data); size > 0 && !bytes.Equal(sum, want[:]) {
				t.Fatalf("size %d: wrong hash", size)
			}
			hb.Close()
			if _, err := hb.Read(make([]byte, 1)); !errors.Is(err, http.ErrBodyReadAfterClose) {
				t.Fatalf("read after Close: %v", err)
			}
		}
	}
}

// iotestHalf returns data in reads of growing size, starting at one byte.
func iotestHalf(data []byte) io.Reader { return &growingReader{data: data, n: 1} }

type growingReader struct {
	data []byte
	n    int
}

func (g *growingReader) Read(p []byte) (int, error) {
	if len(g.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), g.n)], g.data)
	g.data, g.n = g.data[n:], g.n*2
	return n, nil
}
