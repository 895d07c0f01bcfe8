package blobtest

import (
	"io"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob"
)

// RunBenchmarks measures Put and Open throughput across asset sizes, up to a
// 1 GiB stream from a generator, which is what shows whether a store's
// memory stays flat for multi-GB assets: B/op should stay at a small,
// size-independent figure, and peak-RSS-MiB (reported where the platform can
// measure it) should not grow with the asset. Peak RSS is a process-wide high
// water mark, so read it from a run of the 1 GiB benchmarks alone:
//
//	go test -run '^$' -bench '1GiB' ./internal/blob/fs
//
// The 1 GiB cases are skipped under -short.
func RunBenchmarks(b *testing.B, newStore NewStore) {
	sizes := []struct {
		name string
		size int64
	}{
		{"4KiB", 4 << 10},
		{"1MiB", 1 << 20},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
	}
	for _, sz := range sizes {
		b.Run("Put/"+sz.name, func(b *testing.B) { benchPut(b, newStore, sz.size, false) })
	}
	b.Run("PutExisting/64MiB", func(b *testing.B) { benchPut(b, newStore, 64<<20, true) })
	for _, sz := range sizes {
		b.Run("Open/"+sz.name, func(b *testing.B) { benchOpen(b, newStore, sz.size) })
	}
}

func skipHuge(b *testing.B, size int64) {
	if size >= 1<<30 && testing.Short() {
		b.Skip("skipping 1 GiB benchmark in -short mode")
	}
}

// benchPut stores size-byte streams: fresh content each iteration (deleted
// again off the clock, so disk use stays at one blob), or, with existing,
// the same content every time, which measures the dedupe path.
func benchPut(b *testing.B, newStore NewStore, size int64, existing bool) {
	skipHuge(b, size)
	s := newStore(b)
	ctx := b.Context()
	b.SetBytes(size)
	b.ReportAllocs()
	if existing {
		if _, err := s.Put(ctx, newGenerator(0, size), "", blob.Unlimited); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		seed := uint64(i + 1)
		if existing {
			seed = 0
		}
		info, err := s.Put(ctx, newGenerator(seed, size), "", blob.Unlimited)
		if err != nil {
			b.Fatal(err)
		}
		if info.Size != size {
			b.Fatalf("Put stored %d bytes, want %d", info.Size, size)
		}
		if !existing {
			b.StopTimer()
			if err := s.Delete(ctx, info.Digest); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// benchOpen reads a stored blob start to end through a 1 MiB buffer. The
// content was just written, so on a filesystem this measures reads from the
// page cache, i.e. the store's own overhead rather than the disk's.
func benchOpen(b *testing.B, newStore NewStore, size int64) {
	skipHuge(b, size)
	s := newStore(b)
	ctx := b.Context()
	info, err := s.Put(ctx, newGenerator(0, size), "", blob.Unlimited)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := s.Open(ctx, info.Digest)
		if err != nil {
			b.Fatal(err)
		}
		// A plain Read loop rather than io.Copy: io.Copy would hand a
		// file-backed reader's WriteTo an io.Discard and measure that.
		var n int64
		for {
			m, err := r.Read(buf)
			n += int64(m)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if n != size {
			b.Fatalf("read %d bytes, want %d", n, size)
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// genBlock is the repeating body of generated streams, made once.
var genBlock = sync.OnceValue(func() []byte { return content(0xb10b, 1<<20) })

// generator is an io.Reader of size bytes: an 8-byte seed followed by a
// fixed 1 MiB pseudo-random block, repeated. Different seeds give different
// digests, and it produces bytes at memory speed without holding the stream
// in memory, so benchmarks measure the store rather than the source.
type generator struct {
	seed      [8]byte
	off, size int64
}

func newGenerator(seed uint64, size int64) *generator {
	g := &generator{size: size}
	for i := range g.seed {
		g.seed[i] = byte(seed >> (8 * i))
	}
	return g
}

func (g *generator) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	block := genBlock()
	n := 0
	for n < len(p) {
		var c int
		if g.off < int64(len(g.seed)) {
			c = copy(p[n:], g.seed[g.off:])
		} else {
			c = copy(p[n:], block[(g.off-int64(len(g.seed)))%int64(len(block)):])
		}
		n += c
		g.off += int64(c)
	}
	return n, nil
}
