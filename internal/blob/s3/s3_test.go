package s3

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blob/s3/s3test"
)

// One gateway and one bucket serve every test of the package; each store
// gets a prefix of its own, which is what the contract asks of a NewStore.
const testBucket = "wharf-blobs"

var (
	gwOnce sync.Once
	gw     *s3test.Gateway
	gwErr  error
	// gwInstallErr is set when the gateway could not even be installed,
	// which skips (or, under CI=true, fails) rather than fails.
	gwInstallErr error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if gw != nil {
		gw.Stop()
		os.RemoveAll(gw.Dir)
	}
	os.Exit(code)
}

// gateway starts the shared gateway on first use.
func gateway(tb testing.TB) *s3test.Gateway {
	tb.Helper()
	gwOnce.Do(func() {
		if _, gwInstallErr = s3test.Binary(); gwInstallErr != nil {
			return
		}
		dir, err := os.MkdirTemp("", "wharf-s3-test-")
		if err != nil {
			gwErr = err
			return
		}
		if gw, gwErr = s3test.Start(dir); gwErr != nil {
			return
		}
		gwErr = gw.CreateBucket(tb.Context(), testBucket)
	})
	if gwInstallErr != nil {
		s3test.Unavailable(tb, gwInstallErr)
	}
	if gwErr != nil {
		tb.Fatalf("starting the S3 gateway: %v", gwErr)
	}
	return gw
}

func testConfig(tb testing.TB) Config {
	g := gateway(tb)
	var p [8]byte
	rand.Read(p[:])
	return Config{
		Endpoint: g.Endpoint, Region: s3test.Region, Bucket: testBucket,
		Prefix:      "t/" + hex.EncodeToString(p[:]),
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, UsePathStyle: true,
	}
}

// newTestStore returns a store on a fresh prefix, whose objects are
// removed when tb ends (from the gateway's directory: benchmarks leave
// 1 GiB blobs behind, and a run makes several).
func newTestStore(tb testing.TB) *Store {
	tb.Helper()
	cfg := testConfig(tb)
	s, err := New(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(filepath.Join(gw.Dir, testBucket, filepath.FromSlash(cfg.Prefix))) })
	return s
}

func newStore(tb testing.TB) blob.Store { return newTestStore(tb) }

func TestContract(t *testing.T) { blobtest.Run(t, newStore) }

// TestContractSmallParts runs the contract again with the multipart paths
// reached by small blobs: 5 MiB parts (S3's minimum) make the suite's
// 5 MiB+3 blobs multipart, and a copy limit of 1 MiB sends every temp copy
// (every Put of a 5 MiB+3 blob without its digest) through UploadPartCopy.
func TestContractSmallParts(t *testing.T) {
	blobtest.Run(t, func(tb testing.TB) blob.Store {
		s := newTestStore(tb)
		s.partSize = 5 << 20
		s.copyLimit = 1 << 20
		s.copyPartSize = 5 << 20
		return s
	})
}

func BenchmarkStore(b *testing.B) { blobtest.RunBenchmarks(b, newStore) }

func TestNormPrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"/", ""},
		{"//", ""},
		{"a", "a/"},
		{"/a/", "a/"},
		{"a/b", "a/b/"},
		{"a/b//", "a/b/"},
	}
	for _, tt := range tests {
		if got := normPrefix(tt.in); got != tt.want {
			t.Errorf("normPrefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDigestOf(t *testing.T) {
	d := string(blob.EmptyDigest)
	tests := []struct {
		rel  string
		want blob.Digest
		ok   bool
	}{
		{d[:2] + "/" + d, blob.EmptyDigest, true},
		{"00/" + d, "", false},                // wrong fan-out
		{d, "", false},                        // no fan-out
		{d[:2] + "/" + d + ".tmp", "", false}, // not a digest
		{d[:2] + "/" + d[:63], "", false},     // short
		{d[:2] + "/x/" + d, "", false},        // nested
		{d[:2] + "/", "", false},              // a "directory" marker
		{"E3/" + "E3" + d[2:], "", false},     // uppercase
	}
	for _, tt := range tests {
		got, ok := digestOf(tt.rel)
		if got != tt.want || ok != tt.ok {
			t.Errorf("digestOf(%q) = %q, %v; want %q, %v", tt.rel, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCopySource(t *testing.T) {
	s := &Store{bucket: "b"}
	tests := []struct{ key, want string }{
		{"p/sha256/ab/abc", "b/p/sha256/ab/abc"},
		{"a b/tmp/x", "b/a%20b/tmp/x"},
		{"ü/+?#", "b/%C3%BC/+%3F%23"},
	}
	for _, tt := range tests {
		if got := s.copySource(tt.key); got != tt.want {
			t.Errorf("copySource(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
