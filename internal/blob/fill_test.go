package blob

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type stuck struct{}

func (stuck) Read([]byte) (int, error) { return 0, nil }

func TestFill(t *testing.T) {
	tests := []struct {
		name    string
		r       io.Reader
		size    int
		n       int
		eof     bool
		wantErr error
	}{
		{"full buffer", strings.NewReader("abcdef"), 4, 4, false, nil},
		{"short at EOF", iotest.OneByteReader(strings.NewReader("ab")), 4, 2, true, nil},
		{"truncated body stays an error", io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(io.ErrUnexpectedEOF)), 4, 2, false, io.ErrUnexpectedEOF},
		{"no progress", stuck{}, 4, 0, false, io.ErrNoProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, eof, err := Fill(tt.r, make([]byte, tt.size))
			if n != tt.n || eof != tt.eof || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fill = %d, %v, %v; want %d, %v, %v", n, eof, err, tt.n, tt.eof, tt.wantErr)
			}
		})
	}
}
