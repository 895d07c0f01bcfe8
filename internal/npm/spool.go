package npm

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// spool holds a tarball between reading it from a publish body and
// handing it to the service: in memory while small, in a temporary file
// beyond memMax, so a 2 GB publish costs disk, not memory.
type spool struct {
	dir    string
	memMax int
	buf    bytes.Buffer
	f      *os.File
	w      *bufio.Writer // over f
	n      int64
}

func newSpool(dir string, memMax int) *spool { return &spool{dir: dir, memMax: memMax} }

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && s.buf.Len()+len(p) > s.memMax {
		f, err := os.CreateTemp(s.dir, "wharf-npm-publish-*")
		if err != nil {
			return 0, fmt.Errorf("spool tarball: %w", err)
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := s.w.Write(s.buf.Bytes()); err != nil {
			return 0, fmt.Errorf("spool tarball: %w", err)
		}
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.w.Write(p)
		if err != nil {
			err = fmt.Errorf("spool tarball: %w", err)
		}
	} else {
		n, err = s.buf.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// Flush writes buffered bytes to the file.
func (s *spool) Flush() error {
	if s.w == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool tarball: %w", err)
	}
	return nil
}

// Size is the number of bytes spooled.
func (s *spool) Size() int64 { return s.n }

// Reader returns the spooled bytes from the start.
func (s *spool) Reader() (io.Reader, error) {
	if s.f == nil {
		return bytes.NewReader(s.buf.Bytes()), nil
	}
	if err := s.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool tarball: %w", err)
	}
	return s.f, nil
}

// Close discards the spool.
func (s *spool) Close() error {
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.f = nil
	return err
}
