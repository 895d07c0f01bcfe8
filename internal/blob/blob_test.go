package blob_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

func TestParseDigest(t *testing.T) {
	valid := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", valid, true},
		{"empty content digest", string(blob.EmptyDigest), true},
		{"empty string", "", false},
		{"too short", valid[:63], false},
		{"too long", valid + "0", false},
		{"uppercase hex", strings.ToUpper(valid), false},
		{"non-hex letter", "g" + valid[1:], false},
		{"prefixed algorithm", "sha256:" + valid[:57], false},
		{"path traversal", "../../../../etc/passwd" + valid[:43], false},
		{"slash", valid[:32] + "/" + valid[33:], false},
		{"NUL byte", valid[:63] + "\x00", false},
		{"multibyte rune", valid[:62] + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := blob.ParseDigest(tt.in)
			if tt.ok {
				if err != nil || string(d) != tt.in {
					t.Fatalf("ParseDigest(%q) = %q, %v; want it back, nil", tt.in, d, err)
				}
				return
			}
			if !errors.Is(err, blob.ErrInvalidDigest) {
				t.Fatalf("ParseDigest(%q) error = %v, want ErrInvalidDigest", tt.in, err)
			}
			if d != "" {
				t.Fatalf("ParseDigest(%q) = %q alongside an error, want empty", tt.in, d)
			}
		})
	}
}

func TestInvalidDigestErrorIsBounded(t *testing.T) {
	// Digests come from URLs; an error echoing a megabyte of attacker input
	// into logs is its own problem.
	err := blob.Digest(strings.Repeat("x", 1<<20)).Validate()
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error length = %d, want a short error", len(err.Error()))
	}
}

func TestHasherMatchesCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Sizes straddle the parallel threshold so both code paths, and mixes of
	// them within one stream, are compared against crypto/*.
	for _, size := range []int{0, 1, 63, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 17} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		m, s1, s256, s512 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data), sha512.Sum512(data)
		want := model.Hashes{
			MD5:    hex.EncodeToString(m[:]),
			SHA1:   hex.EncodeToString(s1[:]),
			SHA256: hex.EncodeToString(s256[:]),
			SHA512: hex.EncodeToString(s512[:]),
		}
		chunkings := map[string]func() int{
			"whole":  func() int { return len(data) + 1 },
			"small":  func() int { return 1 + rng.IntN(4096) },
			"random": func() int { return 1 + rng.IntN(256<<10) },
		}
		for name, next := range chunkings {
			h := blob.NewHasher()
			for rest := data; len(rest) > 0; {
				n := min(next(), len(rest))
				if w, err := h.Write(rest[:n]); w != n || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil", w, err, n)
				}
				rest = rest[n:]
			}
			got := h.Info()
			if got.Hashes != want || got.Size != int64(size) || string(got.Digest) != want.SHA256 || h.Digest() != got.Digest {
				t.Errorf("size %d, %s writes: got %+v, want %+v", size, name, got, want)
			}
		}
	}
}
