// Package blobtest is the contract every blob.Store implementation must
// pass, in the spirit of distribution's storage driver suite and Athens'
// per-backend compliance tests: an implementation's own test calls Run (and
// its benchmark calls RunBenchmarks) with a constructor, and gets exactly the
// checks every other backend gets.
//
// The suite observes stores only through the blob.Store interface, so "stores
// nothing" is checked as "Walk lists nothing and Stat finds nothing";
// implementations test their private leftovers (temp files, multipart
// uploads) themselves.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

// NewStore returns a new, empty store for one test or benchmark, cleaned up
// through tb.Cleanup if it needs cleaning up. Run calls it from parallel
// subtests, so it must be safe for concurrent use, and the stores it returns
// must not see each other's blobs (a fresh directory, a fresh bucket
// prefix).
type NewStore func(tb testing.TB) blob.Store

// Run runs the contract suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"EmptyContent", testEmptyContent},
		{"Dedupe", testDedupe},
		{"PutRefreshesModTime", testPutRefreshesModTime},
		{"DigestMismatch", testDigestMismatch},
		{"MaxSize", testMaxSize},
		{"MaxSizeBoundsBytesRead", testMaxSizeBoundsBytesRead},
		{"NotFound", testNotFound},
		{"InvalidDigest", testInvalidDigest},
		{"ConcurrentPutSameContent", testConcurrentPutSameContent},
		{"ConcurrentPutDistinctContent", testConcurrentPutDistinctContent},
		{"FailedReadStoresNothing", testFailedReadStoresNothing},
		{"SeekAndRange", testSeekAndRange},
		{"Walk", testWalk},
		{"WalkStops", testWalkStops},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore)
		})
	}
}

// Sizes chosen to straddle the buffer sizes implementations are likely to
// use (4 KiB pages, 64 KiB and 1 MiB copy buffers, 5 MiB S3 parts).
var sizes = []int{0, 1, 4095, 4096, 64 << 10, 1<<20 - 1, 1 << 20, 1<<20 + 1, 5<<20 + 3}

func testRoundTrip(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	for i, size := range sizes {
		data := content(uint64(i), size)
		want := expect(data)
		// Alternate between trusting the store to hash and asserting the
		// digest up front; both must produce the same Info.
		var wantDigest blob.Digest
		if i%2 == 1 {
			wantDigest = want.Digest
		}
		before := time.Now()
		got, err := s.Put(ctx, bytes.NewReader(data), wantDigest, blob.Unlimited)
		if err != nil {
			t.Fatalf("Put(%d bytes, want %q): %v", size, wantDigest, err)
		}
		if got != want {
			t.Fatalf("Put(%d bytes) = %+v\nwant %+v", size, got, want)
		}
		checkContent(t, s, want.Digest, data)
		n, mod, err := s.Stat(ctx, want.Digest)
		if err != nil || n != int64(size) {
			t.Fatalf("Stat = %d, %v; want %d, nil", n, err, size)
		}
		// Allow for second-granular timestamps (S3) and clock skew
		// between client and storage.
		if mod.Before(before.Add(-time.Minute)) || mod.After(time.Now().Add(time.Minute)) {
			t.Errorf("Stat modTime = %v, want about %v", mod, before)
		}

		if err := s.Delete(ctx, want.Digest); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Open(ctx, want.Digest); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open after Delete: error = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Stat(ctx, want.Digest); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Stat after Delete: error = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, want.Digest); err != nil {
			t.Fatalf("second Delete: %v, want nil (absent is not an error)", err)
		}
	}
	checkWalk(t, s)
}

func testEmptyContent(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	if got := expect(nil).Digest; got != blob.EmptyDigest {
		t.Fatalf("EmptyDigest = %s, sha256 of nothing is %s", blob.EmptyDigest, got)
	}
	// An empty reader, a reader that only ever reports EOF with no data,
	// and maxSize 0 (the tightest bound that admits empty content).
	info, err := s.Put(ctx, iotest.DataErrReader(strings.NewReader("")), blob.EmptyDigest, 0)
	if err != nil {
		t.Fatalf("Put(empty): %v", err)
	}
	if info != expect(nil) {
		t.Fatalf("Put(empty) = %+v, want %+v", info, expect(nil))
	}
	r, err := s.Open(ctx, blob.EmptyDigest)
	if err != nil {
		t.Fatalf("Open(empty): %v", err)
	}
	defer r.Close()
	if r.Size() != 0 {
		t.Errorf("Size() = %d, want 0", r.Size())
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read = %d, %v; want 0, io.EOF", n, err)
	}
	checkWalk(t, s, blob.EmptyDigest)
}

func testDedupe(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	data := content(1, 3<<20+5)
	want := expect(data)
	readers := map[string]io.Reader{
		"whole":          bytes.NewReader(data),
		"again":          bytes.NewReader(data),
		"with digest":    bytes.NewReader(data),
		"half at a time": iotest.HalfReader(bytes.NewReader(data)),
		"data with EOF":  iotest.DataErrReader(bytes.NewReader(data)),
	}
	for _, name := range slices.Sorted(maps.Keys(readers)) {
		var wantDigest blob.Digest
		if name == "with digest" {
			wantDigest = want.Digest
		}
		got, err := s.Put(ctx, readers[name], wantDigest, int64(len(data)))
		if err != nil {
			t.Fatalf("Put(%s): %v", name, err)
		}
		if got != want {
			t.Fatalf("Put(%s) = %+v, want %+v", name, got, want)
		}
	}
	checkWalk(t, s, want.Digest)
	checkContent(t, s, want.Digest, data)
}

func testPutRefreshesModTime(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	data := content(2, 1000)
	d := put(t, s, data).Digest
	_, first, err := s.Stat(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// Object stores keep modification times to the second; wait long
	// enough that a refresh is visible on them too.
	time.Sleep(1100 * time.Millisecond)
	put(t, s, data)
	_, second, err := s.Stat(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if !second.After(first) {
		t.Fatalf("modTime after re-Put = %v, want after %v: a garbage collector would treat re-uploaded content as old", second, first)
	}
}

func testDigestMismatch(t *testing.T, newStore NewStore) {
	ctx := t.Context()
	data, other := content(3, 2<<20), content(4, 10)
	tests := []struct {
		name        string
		storeOther  bool // whether the content the wrong digest names is already stored
		wantSurvive []blob.Digest
	}{
		{"wanted digest absent", false, nil},
		{"wanted digest already stored", true, []blob.Digest{expect(other).Digest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if tt.storeOther {
				put(t, s, other)
			}
			_, err := s.Put(ctx, bytes.NewReader(data), expect(other).Digest, blob.Unlimited)
			if !errors.Is(err, blob.ErrDigestMismatch) {
				t.Fatalf("Put with wrong digest: error = %v, want ErrDigestMismatch", err)
			}
			if _, _, err := s.Stat(ctx, expect(data).Digest); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(actual digest) error = %v, want ErrNotFound: mismatched content was stored", err)
			}
			checkWalk(t, s, tt.wantSurvive...)
			if tt.storeOther {
				checkContent(t, s, expect(other).Digest, other)
			}
		})
	}
}

func testMaxSize(t *testing.T, newStore NewStore) {
	tests := []struct {
		size    int
		maxSize int64
		ok      bool
	}{
		{0, 0, true},
		{1, 0, false},
		{100, 100, true},
		{101, 100, false},
		{1 << 20, 1 << 20, true},
		{1<<20 + 1, 1 << 20, false},
		{5 << 20, 1<<20 - 1, false},
		{5000, blob.Unlimited, true},
		{5000, math.MaxInt64, true},
		{5000, -12345, true}, // any negative is unlimited
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d bytes max %d", tt.size, tt.maxSize), func(t *testing.T) {
			s := newStore(t)
			data := content(5, tt.size)
			info, err := s.Put(t.Context(), bytes.NewReader(data), "", tt.maxSize)
			if tt.ok {
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if info != expect(data) {
					t.Fatalf("Put = %+v, want %+v", info, expect(data))
				}
				checkWalk(t, s, info.Digest)
				return
			}
			if !errors.Is(err, blob.ErrTooLarge) {
				t.Fatalf("Put: error = %v, want ErrTooLarge", err)
			}
			checkWalk(t, s)
		})
	}
}

// testMaxSizeBoundsBytesRead feeds an endless stream: Put must give up after
// maxSize+1 bytes rather than read (and buffer, or spool) an attacker's
// upload to the end.
func testMaxSizeBoundsBytesRead(t *testing.T, newStore NewStore) {
	s := newStore(t)
	for _, maxSize := range []int64{0, 10, 3<<20 + 5} {
		r := &countingReader{r: newGenerator(6, math.MaxInt64)}
		_, err := s.Put(t.Context(), r, "", maxSize)
		if !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("Put(endless, max %d): error = %v, want ErrTooLarge", maxSize, err)
		}
		if r.n > maxSize+1 {
			t.Errorf("Put(endless, max %d) read %d bytes, want at most %d", maxSize, r.n, maxSize+1)
		}
	}
	checkWalk(t, s)
}

func testNotFound(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	put(t, s, content(7, 10))
	absent := expect(content(8, 10)).Digest
	if r, err := s.Open(ctx, absent); !errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrInvalidDigest) {
		if err == nil {
			r.Close()
		}
		t.Errorf("Open(absent) error = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Stat(ctx, absent); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(absent) error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, absent); err != nil {
		t.Errorf("Delete(absent) = %v, want nil", err)
	}
}

func testInvalidDigest(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	valid := string(expect(content(9, 10)).Digest)
	invalid := []struct{ name, d string }{
		{"empty", ""},
		{"short", valid[:63]},
		{"long", valid + "0"},
		{"uppercase", strings.ToUpper(valid)},
		{"non-hex", valid[:63] + "g"},
		{"traversal", "../../../../../../etc/passwd" + valid[28:]},
		{"separator", valid[:2] + "/" + valid[3:]},
		{"backslash", valid[:2] + `\` + valid[3:]},
		{"NUL", valid[:63] + "\x00"},
		{"prefixed", "sha256:" + valid},
	}
	for _, tt := range invalid {
		d := blob.Digest(tt.d)
		if r, err := s.Open(ctx, d); !errors.Is(err, blob.ErrInvalidDigest) {
			if err == nil {
				r.Close()
			}
			t.Errorf("Open(%s) error = %v, want ErrInvalidDigest", tt.name, err)
		}
		if _, _, err := s.Stat(ctx, d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Stat(%s) error = %v, want ErrInvalidDigest", tt.name, err)
		}
		if err := s.Delete(ctx, d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Delete(%s) error = %v, want ErrInvalidDigest", tt.name, err)
		}
		if d == "" {
			continue // Put's "no expectation"
		}
		if _, err := s.Put(ctx, strings.NewReader("x"), d, blob.Unlimited); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Put(want %s) error = %v, want ErrInvalidDigest", tt.name, err)
		}
	}
	checkWalk(t, s)
}

// testConcurrentPutSameContent is the popular-package case: many clients
// publish or proxy-cache the same artifact at once. Every Put must succeed
// with one blob as the result, and a reader racing them must only ever see
// no blob or the complete blob, never a partial one.
func testConcurrentPutSameContent(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	data := content(10, 3<<20+7)
	want := expect(data)

	const writers = 16
	start := make(chan struct{})
	done := make(chan struct{})
	errs := make(chan error, writers+1)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			<-start
			info, err := s.Put(ctx, iotest.HalfReader(bytes.NewReader(data)), "", blob.Unlimited)
			if err == nil && info != want {
				err = fmt.Errorf("s.Put = %+v, want %+v", info, want)
			}
			errs <- err
		})
	}
	wg.Go(func() {
		<-start
		for {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			r, err := s.Open(ctx, want.Digest)
			if errors.Is(err, blob.ErrNotFound) {
				time.Sleep(time.Millisecond) // leave the CPU to the writers
				continue
			}
			if err != nil {
				errs <- fmt.Errorf("s.Open during Puts: %w", err)
				return
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				errs <- fmt.Errorf("s.Open during Puts read %d bytes, err %v: want the complete blob or ErrNotFound", len(got), err)
				return
			}
		}
	})
	close(start)
	for range writers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
	if err := <-errs; err != nil {
		t.Error(err)
	}
	checkWalk(t, s, want.Digest)
	checkContent(t, s, want.Digest, data)
}

func testConcurrentPutDistinctContent(t *testing.T, newStore NewStore) {
	s := newStore(t)
	const n = 16
	var want []blob.Digest
	var wg sync.WaitGroup
	for i := range n {
		data := content(uint64(100+i), 64<<10*i+i)
		want = append(want, expect(data).Digest)
		wg.Go(func() {
			if _, err := s.Put(t.Context(), bytes.NewReader(data), "", blob.Unlimited); err != nil {
				t.Errorf("Put #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	checkWalk(t, s, want...)
}

// testFailedReadStoresNothing covers uploads that die midway: the client
// disconnects, the body is shorter than its Content-Length, the request is
// cancelled. None may leave a blob behind, under the full content's digest
// or the prefix's.
func testFailedReadStoresNothing(t *testing.T, newStore NewStore) {
	data := content(11, 3<<20)
	errBoom := errors.New("connection reset")
	tests := []struct {
		name    string
		after   int   // bytes delivered before failing
		fail    error // the reader's error, or nil to cancel the context instead
		wantErr error
	}{
		{"error on first read", 0, errBoom, errBoom},
		{"error midway", 3 << 19, errBoom, errBoom},
		{"error with the last byte", len(data), errBoom, errBoom},
		{"truncated body", 100, io.ErrUnexpectedEOF, io.ErrUnexpectedEOF},
		{"context cancelled midway", 3 << 19, nil, context.Canceled},
		{"context cancelled with the last byte", len(data), nil, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			r := &FailingReader{Data: data[:tt.after], Err: tt.fail, Cancel: cancel}
			if tt.fail == nil {
				// Keep delivering the rest: the store must notice the
				// cancellation itself, not just an error from the reader.
				r.Rest = data[tt.after:]
			}
			_, err := s.Put(ctx, r, "", blob.Unlimited)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: error = %v, want %v", err, tt.wantErr)
			}
			for _, d := range []blob.Digest{expect(data).Digest, expect(data[:tt.after]).Digest} {
				if _, _, err := s.Stat(t.Context(), d); !errors.Is(err, blob.ErrNotFound) {
					t.Errorf("Stat(%s) error = %v, want ErrNotFound", d, err)
				}
			}
			checkWalk(t, s)
		})
	}

	t.Run("context cancelled before Put", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Put(ctx, bytes.NewReader(data), "", blob.Unlimited); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put: error = %v, want context.Canceled", err)
		}
		checkWalk(t, s)
	})
}

func testSeekAndRange(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	data := content(12, 1<<20+333)
	size := int64(len(data))
	d := put(t, s, data).Digest

	r, err := s.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != size {
		t.Fatalf("Size() = %d, want %d", r.Size(), size)
	}
	seeks := []struct {
		offset int64
		whence int
		pos    int64
	}{
		{0, io.SeekStart, 0},
		{1000, io.SeekStart, 1000},
		{500, io.SeekCurrent, 1500 + 10}, // +10: each step reads 10 bytes
		{-10, io.SeekEnd, size - 10},
		{-size, io.SeekEnd, 0},
		{size - 1, io.SeekStart, size - 1},
		{size, io.SeekStart, size},
	}
	for _, sk := range seeks {
		pos, err := r.Seek(sk.offset, sk.whence)
		if err != nil || pos != sk.pos {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d, nil", sk.offset, sk.whence, pos, err, sk.pos)
		}
		buf := make([]byte, 10)
		n, err := io.ReadFull(r, buf)
		wantN := int(min(10, size-pos))
		if n != wantN || !bytes.Equal(buf[:n], data[pos:pos+int64(n)]) {
			t.Fatalf("after Seek to %d: read %d bytes (%v), want %d matching", pos, n, err, wantN)
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1, SeekStart) succeeded, want an error")
	}

	// What the download handler does: http.ServeContent over the Reader.
	ranges := []struct {
		header string
		from   int64
		to     int64 // exclusive
	}{
		{"bytes=0-0", 0, 1},
		{"bytes=100-199", 100, 200},
		{"bytes=-500", size - 500, size},
		{fmt.Sprintf("bytes=%d-", size-7), size - 7, size},
		{"bytes=500000-", 500000, size},
		{fmt.Sprintf("bytes=1000-%d", size+1000), 1000, size}, // clamped to the end
	}
	for _, rg := range ranges {
		r, err := s.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Range", rg.header)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", time.Time{}, r)
		r.Close()
		if rec.Code != http.StatusPartialContent {
			t.Fatalf("Range %s: status %d, want 206", rg.header, rec.Code)
		}
		if want := fmt.Sprintf("bytes %d-%d/%d", rg.from, rg.to-1, size); rec.Header().Get("Content-Range") != want {
			t.Errorf("Range %s: Content-Range %q, want %q", rg.header, rec.Header().Get("Content-Range"), want)
		}
		if !bytes.Equal(rec.Body.Bytes(), data[rg.from:rg.to]) {
			t.Errorf("Range %s: body of %d bytes does not match content[%d:%d]", rg.header, rec.Body.Len(), rg.from, rg.to)
		}
	}

	// Two readers of one blob have independent positions.
	r1, err := s.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := s.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r1.Seek(size/2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b1, b2 := make([]byte, 4), make([]byte, 4)
	io.ReadFull(r1, b1)
	io.ReadFull(r2, b2)
	if !bytes.Equal(b1, data[size/2:size/2+4]) || !bytes.Equal(b2, data[:4]) {
		t.Errorf("readers share a position: got %x and %x", b1, b2)
	}
}

func testWalk(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	checkWalk(t, s)
	var stored []blob.Digest
	for i := range 40 {
		stored = append(stored, put(t, s, content(uint64(200+i), i*97)).Digest)
	}
	// Size and modTime must agree with Stat; checkWalk covers the set,
	// the order and the sizes.
	checkWalk(t, s, stored...)
	err := s.Walk(ctx, func(d blob.Digest, size int64, mod time.Time) error {
		n, m, err := s.Stat(ctx, d)
		if err != nil || n != size || !m.Equal(mod) {
			return fmt.Errorf("s.Walk reported %s as %d bytes at %v, Stat says %d bytes at %v (%v)", d, size, mod, n, m, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range stored[:20] {
		if err := s.Delete(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	checkWalk(t, s, stored[20:]...)
}

func testWalkStops(t *testing.T, newStore NewStore) {
	s := newStore(t)
	for i := range 10 {
		put(t, s, content(uint64(300+i), 10))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(t.Context(), func(blob.Digest, int64, time.Time) error {
		if calls++; calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Walk with fn failing on call 3: %d calls, error %v; want 3 calls, %v", calls, err, stop)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls = 0
	err = s.Walk(ctx, func(blob.Digest, int64, time.Time) error { calls++; return nil })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Walk with cancelled context: %d calls, error %v; want 0 calls, context.Canceled", calls, err)
	}
}

// content returns size deterministic pseudo-random bytes; different seeds
// give different content.
func content(seed uint64, size int) []byte {
	b := make([]byte, size)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(key).Read(b)
	return b
}

// expect computes what Put must return for data, with crypto/* directly
// rather than blob.Hasher, so the suite checks the Hasher too.
func expect(data []byte) blob.Info {
	m, s1, s256, s512 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data), sha512.Sum512(data)
	return blob.Info{
		Digest: blob.Digest(hex.EncodeToString(s256[:])),
		Size:   int64(len(data)),
		Hashes: model.Hashes{
			MD5:    hex.EncodeToString(m[:]),
			SHA1:   hex.EncodeToString(s1[:]),
			SHA256: hex.EncodeToString(s256[:]),
			SHA512: hex.EncodeToString(s512[:]),
		},
	}
}

func put(t *testing.T, s blob.Store, data []byte) blob.Info {
	t.Helper()
	info, err := s.Put(t.Context(), bytes.NewReader(data), "", blob.Unlimited)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	return info
}

// checkContent reads the blob back in full and compares.
func checkContent(t *testing.T, s blob.Store, d blob.Digest, data []byte) {
	t.Helper()
	r, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatalf("Open(%s): %v", d, err)
	}
	defer r.Close()
	if r.Size() != int64(len(data)) {
		t.Fatalf("Open(%s).Size() = %d, want %d", d, r.Size(), len(data))
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s: %v", d, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("content of %s differs from what was stored (%d bytes read, %d stored)", d, len(got), len(data))
	}
}

// checkWalk asserts that Walk lists exactly the given digests (duplicates
// allowed in want), in ascending order, with the right sizes.
func checkWalk(t *testing.T, s blob.Store, want ...blob.Digest) {
	t.Helper()
	ctx := t.Context()
	var got []blob.Digest
	err := s.Walk(ctx, func(d blob.Digest, size int64, _ time.Time) error {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("s.Walk listed %w", err)
		}
		n, _, err := s.Stat(ctx, d)
		if err != nil || n != size {
			return fmt.Errorf("s.Walk listed %s with size %d, Stat says %d, %v", d, size, n, err)
		}
		got = append(got, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if !slices.IsSorted(got) {
		t.Errorf("Walk order %v is not ascending", got)
	}
	want = slices.Compact(slices.Sorted(slices.Values(want)))
	if !slices.Equal(got, want) {
		t.Fatalf("Walk listed %d blobs %v\nwant %d %v", len(got), got, len(want), want)
	}
}

// FailingReader delivers Data, then either fails with Err or, if Err is
// nil, calls Cancel (the Put's context) and goes on delivering Rest as if
// nothing happened. Stores' own tests use it for upload paths the
// contract cannot reach.
type FailingReader struct {
	Data, Rest []byte
	Err        error
	Cancel     context.CancelFunc
}

func (r *FailingReader) Read(p []byte) (int, error) {
	if len(r.Data) > 0 {
		n := copy(p, r.Data)
		r.Data = r.Data[n:]
		return n, nil
	}
	if r.Err != nil {
		return 0, r.Err
	}
	r.Cancel()
	if len(r.Rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.Rest)
	r.Rest = r.Rest[n:]
	return n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
