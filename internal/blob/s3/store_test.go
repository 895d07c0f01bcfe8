package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
)

// These tests look behind the interface: which keys and multipart uploads
// a Put leaves in the bucket, and which S3 operations it sends. The
// contract suite (TestContract) covers what callers see.

// recorder notes every S3 operation a Store sends (name and input), and
// can fail chosen ones before they are sent.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fail  func(op string, in any) error
	// fake, when it reports true, answers the operation with out without
	// sending it.
	fake func(op string, in any) (out any, ok bool)
}

type call struct {
	op string
	in any
}

// record makes s send its operations through a new recorder.
func record(s *Store) *recorder {
	rec := &recorder{}
	mw := middleware.InitializeMiddlewareFunc("wharf-test-recorder", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		op := awsmiddleware.GetOperationName(ctx)
		rec.mu.Lock()
		rec.calls = append(rec.calls, call{op, in.Parameters})
		fail, fake := rec.fail, rec.fake
		rec.mu.Unlock()
		if fail != nil {
			if err := fail(op, in.Parameters); err != nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}
		}
		if fake != nil {
			if out, ok := fake(op, in.Parameters); ok {
				return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, nil
			}
		}
		return next.HandleInitialize(ctx, in)
	})
	s.client = s3.New(s.client.Options(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error { return st.Initialize.Add(mw, middleware.After) })
	})
	return rec
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c.op == op {
			n++
		}
	}
	return n
}

func (r *recorder) inputs(op string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ins []any
	for _, c := range r.calls {
		if c.op == op {
			ins = append(ins, c.in)
		}
	}
	return ins
}

func (r *recorder) ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ops []string
	for _, c := range r.calls {
		ops = append(ops, c.op)
	}
	return ops
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

// keys lists every object under the store's prefix, relative to it,
// through a client of its own.
func keys(t *testing.T, s *Store) []string {
	t.Helper()
	var got []string
	p := s3.NewListObjectsV2Paginator(gateway(t).Client(), &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			got = append(got, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	return got
}

// uploads lists the keys of the incomplete multipart uploads under the
// store's prefix.
func uploads(t *testing.T, s *Store) []string {
	t.Helper()
	out, err := gateway(t).Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range out.Uploads {
		got = append(got, strings.TrimPrefix(aws.ToString(u.Key), s.prefix))
	}
	return got
}

func putRaw(t *testing.T, s *Store, rel string, data []byte) {
	t.Helper()
	_, err := gateway(t).Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + rel), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
}

func content(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i>>8 + size)
	}
	return b
}

func digest(data []byte) blob.Digest {
	sum := sha256.Sum256(data)
	return blob.Digest(hex.EncodeToString(sum[:]))
}

func blobKey(d blob.Digest) string  { return "sha256/" + string(d[:2]) + "/" + string(d) }
func stampKey(d blob.Digest) string { return "refreshed/" + string(d[:2]) + "/" + string(d) }

func readAll(t *testing.T, s *Store, d blob.Digest) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// smallParts makes 11 MiB blobs take three 5 MiB parts.
func smallParts(s *Store) *Store {
	s.partSize = 5 << 20
	s.copyPartSize = 5 << 20
	return s
}

// TestPaths checks which path each kind of Put takes and what it leaves:
// exactly the blob, then (after a re-Put) its stamp, then (after Delete)
// nothing.
func TestPaths(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		want      bool
		copyLimit int64
		ops       map[string]int // operations of the first Put
	}{
		{"small", 1000, false, defaultCopyLimit, map[string]int{"HeadObject": 1, "PutObject": 1}},
		{"small with digest", 1000, true, defaultCopyLimit, map[string]int{"HeadObject": 1, "PutObject": 1}},
		{"empty", 0, false, defaultCopyLimit, map[string]int{"HeadObject": 1, "PutObject": 1}},
		{"one byte short of a part", 5<<20 - 1, false, defaultCopyLimit, map[string]int{"HeadObject": 1, "PutObject": 1}},
		// A full part buffer cannot tell whether more is coming.
		{"exactly one part", 5 << 20, true, defaultCopyLimit,
			map[string]int{"CreateMultipartUpload": 1, "UploadPart": 1, "CompleteMultipartUpload": 1, "PutObject": 0}},
		{"multipart with digest: straight to the final key", 11 << 20, true, defaultCopyLimit,
			map[string]int{"CreateMultipartUpload": 1, "UploadPart": 3, "HeadObject": 1, "CompleteMultipartUpload": 1, "CopyObject": 0, "PutObject": 0}},
		{"multipart: temp, copy, delete", 11 << 20, false, defaultCopyLimit,
			map[string]int{"CreateMultipartUpload": 1, "UploadPart": 3, "HeadObject": 1, "CompleteMultipartUpload": 1, "CopyObject": 1, "DeleteObject": 1}},
		{"multipart: temp, multipart copy, delete", 11 << 20, false, 1 << 20,
			map[string]int{"CreateMultipartUpload": 2, "UploadPart": 3, "UploadPartCopy": 3, "CompleteMultipartUpload": 2, "CopyObject": 0, "DeleteObject": 1}},
		{"exactly two parts", 10 << 20, false, defaultCopyLimit,
			map[string]int{"CreateMultipartUpload": 1, "UploadPart": 2, "CompleteMultipartUpload": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := smallParts(newTestStore(t))
			s.copyLimit = tt.copyLimit
			rec := record(s)
			data := content(tt.size)
			d := digest(data)
			var want blob.Digest
			if tt.want {
				want = d
			}
			if _, err := s.Put(t.Context(), bytes.NewReader(data), want, blob.Unlimited); err != nil {
				t.Fatal(err)
			}
			for op, n := range tt.ops {
				if got := rec.count(op); got != n {
					t.Errorf("first Put sent %s %d times, want %d (all: %v)", op, got, n, rec.ops())
				}
			}
			if ins := rec.inputs("CreateMultipartUpload"); len(ins) > 0 {
				key := aws.ToString(ins[0].(*s3.CreateMultipartUploadInput).Key)
				if wantTmp := !tt.want; strings.HasPrefix(key, s.prefix+"tmp/") != wantTmp {
					t.Errorf("multipart upload to %s, want a temp key: %v", key, wantTmp)
				}
			}
			if got := keys(t, s); !slices.Equal(got, []string{blobKey(d)}) {
				t.Fatalf("after Put the bucket holds %v, want just %s", got, blobKey(d))
			}
			if got := uploads(t, s); len(got) != 0 {
				t.Fatalf("after Put, multipart uploads %v remain", got)
			}
			if !bytes.Equal(readAll(t, s, d), data) {
				t.Fatal("content read back differs")
			}

			// Again: already stored, so stamped rather than written.
			rec.reset()
			if _, err := s.Put(t.Context(), bytes.NewReader(data), want, blob.Unlimited); err != nil {
				t.Fatal(err)
			}
			for _, op := range []string{"CompleteMultipartUpload", "CopyObject", "UploadPartCopy"} {
				if n := rec.count(op); n != 0 {
					t.Errorf("re-Put sent %s %d times, want none: %v", op, n, rec.ops())
				}
			}
			if n := rec.count("CreateMultipartUpload"); rec.count("AbortMultipartUpload") < n {
				t.Errorf("re-Put created %d multipart uploads and aborted %d", n, rec.count("AbortMultipartUpload"))
			}
			puts := rec.inputs("PutObject")
			if len(puts) != 1 || aws.ToString(puts[0].(*s3.PutObjectInput).Key) != s.prefix+stampKey(d) {
				t.Errorf("re-Put's PutObjects = %v, want one, of the stamp", puts)
			}
			if got, want := keys(t, s), []string{stampKey(d), blobKey(d)}; !slices.Equal(got, want) {
				t.Fatalf("after re-Put the bucket holds %v, want %v", got, want)
			}
			if got := uploads(t, s); len(got) != 0 {
				t.Fatalf("after re-Put, multipart uploads %v remain", got)
			}

			if err := s.Delete(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s); len(got) != 0 {
				t.Fatalf("after Delete the bucket holds %v", got)
			}
		})
	}
}

// TestFailedPutLeavesNothing: whatever makes a Put fail, and wherever, no
// object, stamp, temp or multipart upload survives it.
func TestFailedPutLeavesNothing(t *testing.T) {
	large := content(11 << 20)
	small := content(1000)
	errBoom := errors.New("connection reset")
	tests := []struct {
		name      string
		data      []byte
		want      blob.Digest
		maxSize   int64
		failAfter int  // deliver this much, then fail with errBoom (or cancel)
		cancel    bool // cancel instead of failing the read
		wantErr   error
	}{
		{"small digest mismatch", small, digest(large), blob.Unlimited, -1, false, blob.ErrDigestMismatch},
		{"multipart digest mismatch", large, digest(small), blob.Unlimited, -1, false, blob.ErrDigestMismatch},
		{"small too large", small, "", 999, -1, false, blob.ErrTooLarge},
		{"multipart too large", large, "", 7 << 20, -1, false, blob.ErrTooLarge},
		{"multipart read error", large, "", blob.Unlimited, 6 << 20, false, errBoom},
		{"multipart read error, with digest", large, digest(large), blob.Unlimited, 6 << 20, false, errBoom},
		{"multipart cancelled", large, "", blob.Unlimited, 6 << 20, true, context.Canceled},
		{"multipart cancelled with the last byte", large, digest(large), blob.Unlimited, len(large), true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := smallParts(newTestStore(t))
			rec := record(s)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var r io.Reader = bytes.NewReader(tt.data)
			if tt.failAfter >= 0 {
				fr := &blobtest.FailingReader{Data: tt.data[:tt.failAfter], Err: errBoom}
				if tt.cancel {
					fr.Err, fr.Cancel, fr.Rest = nil, cancel, tt.data[tt.failAfter:]
				}
				r = fr
			}
			_, err := s.Put(ctx, r, tt.want, tt.maxSize)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put: error = %v, want %v", err, tt.wantErr)
			}
			if len(tt.data) > s.partSize {
				if rec.count("CreateMultipartUpload") != 1 || rec.count("AbortMultipartUpload") < 1 || rec.count("CompleteMultipartUpload") != 0 {
					t.Errorf("want one multipart upload, aborted and never completed; sent %v", rec.ops())
				}
			}
			if got := keys(t, s); len(got) != 0 {
				t.Errorf("after the failed Put the bucket holds %v", got)
			}
			if got := uploads(t, s); len(got) != 0 {
				t.Errorf("after the failed Put, multipart uploads %v remain", got)
			}
		})
	}
}

// TestAbortRepeated: when a part lands after the abort and the upload
// outlives it (a part request cut off client-side, still being written by
// the server), the abort is repeated until ListParts no longer finds the
// upload. The first abort is dropped here to stand for that race.
func TestAbortRepeated(t *testing.T) {
	s := smallParts(newTestStore(t))
	rec := record(s)
	var dropped atomic.Bool
	rec.fake = func(op string, in any) (any, bool) {
		if op == "AbortMultipartUpload" && dropped.CompareAndSwap(false, true) {
			return &s3.AbortMultipartUploadOutput{}, true
		}
		return nil, false
	}
	data := content(11 << 20)
	if _, err := s.Put(t.Context(), bytes.NewReader(data), digest(content(10)), blob.Unlimited); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("Put: %v, want a digest mismatch", err)
	}
	if rec.count("AbortMultipartUpload") != 2 || rec.count("ListParts") != 2 {
		t.Errorf("sent %v, want abort, list, abort, list", rec.ops())
	}
	if got := uploads(t, s); len(got) != 0 {
		t.Errorf("multipart uploads %v remain", got)
	}
}

// TestPartFailure: a part the server refuses fails the Put, which aborts
// the upload (including the parts in flight) and stores nothing.
func TestPartFailure(t *testing.T) {
	for _, want := range []bool{false, true} {
		t.Run(fmt.Sprintf("with digest %v", want), func(t *testing.T) {
			t.Parallel()
			s := smallParts(newTestStore(t))
			rec := record(s)
			errRefused := errors.New("part refused")
			rec.fail = func(op string, in any) error {
				if op == "UploadPart" && aws.ToInt32(in.(*s3.UploadPartInput).PartNumber) == 2 {
					return errRefused
				}
				return nil
			}
			data := content(21 << 20)
			var d blob.Digest
			if want {
				d = digest(data)
			}
			_, err := s.Put(t.Context(), bytes.NewReader(data), d, blob.Unlimited)
			if !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "part 2") {
				t.Fatalf("Put: error = %v, want part 2's %v", err, errRefused)
			}
			if rec.count("AbortMultipartUpload") < 1 || rec.count("CompleteMultipartUpload") != 0 {
				t.Errorf("sent %v, want the upload aborted", rec.ops())
			}
			if got := keys(t, s); len(got) != 0 {
				t.Errorf("the bucket holds %v", got)
			}
			if got := uploads(t, s); len(got) != 0 {
				t.Errorf("multipart uploads %v remain", got)
			}
		})
	}
}

func TestMaxParts(t *testing.T) {
	s := smallParts(newTestStore(t))
	s.maxParts = 2
	if _, err := s.Put(t.Context(), bytes.NewReader(content(10<<20)), "", blob.Unlimited); err != nil {
		t.Fatalf("Put of exactly maxParts parts: %v", err)
	}
	_, err := s.Put(t.Context(), bytes.NewReader(content(10<<20+1)), "", blob.Unlimited)
	if err == nil || !strings.Contains(err.Error(), "2 parts") {
		t.Fatalf("Put of one byte more: error = %v, want the part limit", err)
	}
	if got := keys(t, s); len(got) != 1 {
		t.Errorf("the bucket holds %v, want the first blob only", got)
	}
	if got := uploads(t, s); len(got) != 0 {
		t.Errorf("multipart uploads %v remain", got)
	}
}

// TestSlowPutStamped: a multipart blob is dated from its upload's start
// on S3, so a Put that took longer than refreshAfter stamps it.
func TestSlowPutStamped(t *testing.T) {
	for _, want := range []bool{false, true} {
		t.Run(fmt.Sprintf("with digest %v", want), func(t *testing.T) {
			t.Parallel()
			s := smallParts(newTestStore(t))
			s.refreshAfter = -1 // every Put is slow
			data := content(11 << 20)
			d := digest(data)
			var w blob.Digest
			if want {
				w = d
			}
			if _, err := s.Put(t.Context(), bytes.NewReader(data), w, blob.Unlimited); err != nil {
				t.Fatal(err)
			}
			if got, want := keys(t, s), []string{stampKey(d), blobKey(d)}; !slices.Equal(got, want) {
				t.Fatalf("the bucket holds %v, want %v", got, want)
			}
		})
	}
}

// TestReaderRequests: Open costs a HeadObject; reading costs one GET per
// contiguous stretch, ranged from wherever the reader was sought to.
func TestReaderRequests(t *testing.T) {
	s := newTestStore(t)
	data := content(100000)
	d := mustPut(t, s, data, "").Digest
	empty := mustPut(t, s, nil, "").Digest
	rec := record(s)
	ranges := func() []string {
		var got []string
		for _, in := range rec.inputs("GetObject") {
			got = append(got, aws.ToString(in.(*s3.GetObjectInput).Range))
		}
		rec.reset()
		return got
	}

	r, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := rec.count("HeadObject"); n != 1 || r.Size() != int64(len(data)) {
		t.Fatalf("Open: %d HeadObjects, Size %d; want 1, %d", n, r.Size(), len(data))
	}
	rec.reset()
	// What http.ServeContent does first: find the size, rewind.
	r.Seek(0, io.SeekEnd)
	r.Seek(0, io.SeekStart)
	if got := ranges(); len(got) != 0 {
		t.Fatalf("seeking sent GETs %q", got)
	}

	steps := []struct {
		name   string
		seek   int64
		whence int
		read   int
		ranges []string // of the GETs this step sends
	}{
		{"read from the start", 0, io.SeekCurrent, 10, []string{""}},
		{"read on", 0, io.SeekCurrent, 5000, nil},
		{"seek to where we are", 5010, io.SeekStart, 10, nil},
		{"seek forward", 50000, io.SeekStart, 10, []string{"bytes=50000-"}},
		{"read on after a seek", 0, io.SeekCurrent, 30000, nil},
		{"seek back", -10, io.SeekCurrent, 10, []string{"bytes=80000-"}},
		{"seek from the end", -7, io.SeekEnd, 7, []string{"bytes=99993-"}},
		{"read at the end", 0, io.SeekCurrent, 0, nil},
		{"seek past the end", 200000, io.SeekStart, 0, nil},
		{"back to the start", 0, io.SeekStart, len(data), []string{""}},
	}
	for _, st := range steps {
		pos, err := r.Seek(st.seek, st.whence)
		if err != nil {
			t.Fatalf("%s: Seek: %v", st.name, err)
		}
		buf := make([]byte, st.read)
		n, err := io.ReadFull(r, buf)
		if err != nil || !bytes.Equal(buf[:n], data[min(pos, int64(len(data))):][:n]) {
			t.Fatalf("%s: read %d bytes at %d: %v, or wrong bytes", st.name, n, pos, err)
		}
		if st.read == 0 {
			if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("%s: Read = %d, %v; want 0, EOF", st.name, n, err)
			}
		}
		if got := ranges(); !slices.Equal(got, st.ranges) {
			t.Errorf("%s: GETs with ranges %q, want %q", st.name, got, st.ranges)
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to -1 succeeded")
	}
	r.Close()
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close succeeded")
	}

	// An empty blob is read without any GET.
	re, err := s.Open(t.Context(), empty)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if n, err := re.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("empty blob: Read = %d, %v; want 0, EOF", n, err)
	}
	if got := ranges(); len(got) != 0 {
		t.Errorf("empty blob: GETs %q", got)
	}
}

func TestReadAfterDelete(t *testing.T) {
	s := newTestStore(t)
	d := mustPut(t, s, content(1000), "").Digest
	r, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := s.Delete(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Read after Delete: error = %v, want ErrNotFound", err)
	}
}

// TestStamps: a re-Put dates the blob anew for Stat and Walk alike, and
// neither stamps nor stray objects are listed as blobs.
func TestStamps(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	var ds []blob.Digest
	for i := range 3 {
		ds = append(ds, mustPut(t, s, content(100+i), "").Digest)
	}
	slices.Sort(ds)
	_, before, err := s.Stat(ctx, ds[1])
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // S3 dates to the second
	for i := range 3 {
		if d := mustPut(t, s, content(100+i), "").Digest; d == ds[1] {
			break
		}
	}
	mustPut(t, s, content(101), "")
	mustPut(t, s, content(102), "")
	// A stamp without a blob, and objects that are not blobs.
	orphan := digest([]byte("never stored"))
	putRaw(t, s, stampKey(orphan), nil)
	putRaw(t, s, "sha256/zz/junk", []byte("x"))
	putRaw(t, s, blobKey(orphan)+".part", []byte("x"))
	putRaw(t, s, "sha256/00/"+string(orphan), []byte("x")) // wrong fan-out

	got := map[blob.Digest]time.Time{}
	var order []blob.Digest
	err = s.Walk(ctx, func(d blob.Digest, size int64, mod time.Time) error {
		got[d] = mod
		order = append(order, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, ds) {
		t.Fatalf("Walk listed %v, want %v", order, ds)
	}
	for _, d := range ds {
		_, mod, err := s.Stat(ctx, d)
		if err != nil || !mod.Equal(got[d]) {
			t.Errorf("Stat(%s) = %v, %v; Walk said %v", d, mod, err, got[d])
		}
	}
	if !got[ds[1]].After(before) {
		t.Errorf("after re-Put, Walk dates %s %v, not after %v", ds[1], got[ds[1]], before)
	}
}

func TestCorruptBlobReplaced(t *testing.T) {
	s := newTestStore(t)
	data := content(3000)
	d := digest(data)
	putRaw(t, s, blobKey(d), data[:10]) // an operator's botched copy
	mustPut(t, s, data, d)
	if n, _, err := s.Stat(t.Context(), d); err != nil || n != int64(len(data)) {
		t.Fatalf("Stat = %d, %v; want %d", n, err, len(data))
	}
	if !bytes.Equal(readAll(t, s, d), data) {
		t.Fatal("content differs")
	}
}

// TestSweepLeftovers: temps and multipart uploads older than the age go,
// younger ones and keys that are not ours stay.
func TestSweepLeftovers(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	raw := gateway(t).Client()
	putRaw(t, s, "tmp/crashed", []byte("x"))
	putRaw(t, s, "other/object", []byte("x"))
	d := digest([]byte("y"))
	for _, rel := range []string{"tmp/crashed-upload", blobKey(d), "other/upload"} {
		if _, err := raw.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + rel)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SweepLeftovers(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"other/object", "tmp/crashed"}) {
		t.Fatalf("sweeping young leftovers left %v", got)
	}
	if got := uploads(t, s); len(got) != 3 {
		t.Fatalf("sweeping young leftovers left uploads %v", got)
	}

	s.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if err := s.SweepLeftovers(ctx, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"other/object"}) {
		t.Errorf("after sweeping, the bucket holds %v, want other/object", got)
	}
	if got := uploads(t, s); !slices.Equal(got, []string{"other/upload"}) {
		t.Errorf("after sweeping, uploads %v remain, want other/upload", got)
	}
}

// TestNewSweepsOldTemps ages a temp object on the gateway's disk (its
// posix backend dates objects by their file's mtime) and checks that New
// removes it and keeps a fresh one.
func TestNewSweepsOldTemps(t *testing.T) {
	cfg := testConfig(t)
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	putRaw(t, s, "tmp/old", []byte("x"))
	putRaw(t, s, "tmp/new", []byte("x"))
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(gateway(t).Dir, testBucket, s.prefix+"tmp/old"), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := New(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"tmp/new"}) {
		t.Errorf("after New the bucket holds %v, want tmp/new", got)
	}
}

func TestNewErrors(t *testing.T) {
	good := testConfig(t)
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no bucket", func(c *Config) { c.Bucket = "" }, "no bucket"},
		{"absent bucket", func(c *Config) { c.Bucket = "no-such-bucket" }, "no-such-bucket"},
		{"key id without secret", func(c *Config) { c.SecretAccessKey = "" }, "both"},
		{"wrong secret", func(c *Config) { c.SecretAccessKey = "wrong" }, "403"},
		{"nothing listening", func(c *Config) { c.Endpoint = "http://127.0.0.1:1" }, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func mustPut(t *testing.T, s *Store, data []byte, want blob.Digest) blob.Info {
	t.Helper()
	info, err := s.Put(t.Context(), bytes.NewReader(data), want, blob.Unlimited)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	return info
}

// BenchmarkPutKnownDigest measures the path publishes take: the caller
// announces the digest (CodeArtifact requires it), so multipart content is
// uploaded straight to its final key, with no temp object to copy.
// RunBenchmarks' Put passes no digest and so measures the temp-and-copy
// path. The 1 GiB case is skipped under -short.
func BenchmarkPutKnownDigest(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			if size >= 1<<30 && testing.Short() {
				b.Skip("skipping 1 GiB benchmark in -short mode")
			}
			s := newTestStore(b)
			d := readDigest(b, &pattern{size: size})
			b.SetBytes(size)
			b.ReportAllocs()
			for range b.N {
				if _, err := s.Put(b.Context(), &pattern{size: size}, d, blob.Unlimited); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(b.Context(), d); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

func readDigest(b *testing.B, r io.Reader) blob.Digest {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		b.Fatal(err)
	}
	return blob.Digest(hex.EncodeToString(h.Sum(nil)))
}

// pattern is size bytes of a cheap, non-repeating-per-part pattern,
// produced without holding them in memory.
type pattern struct{ n, size int64 }

func (p *pattern) Read(buf []byte) (int, error) {
	if p.n >= p.size {
		return 0, io.EOF
	}
	buf = buf[:min(int64(len(buf)), p.size-p.n)]
	for i := range buf {
		o := p.n + int64(i)
		buf[i] = byte(o) ^ byte(o>>13)
	}
	p.n += int64(len(buf))
	return len(buf), nil
}
