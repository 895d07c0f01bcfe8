package archive

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Inspector judges an archive from its bytes as they stream past, so an
// upload can be checked on its way into storage instead of being read
// twice: the store reads through the inspector, and a refusal fails that
// read before anything commits.
type Inspector interface {
	// Write takes the next bytes. An error is final: a refusal (an
	// *Error, or whatever the check returned) or a failure to keep the
	// bytes for inspection.
	Write(p []byte) (int, error)
	// Finish is called after the last byte and returns the verdict.
	Finish() error
	// Close releases what the inspector holds (a temporary file, a
	// goroutine); it may be called at any time, more than once.
	Close() error
}

// NewZipInspector spools the bytes to a temporary file in dir (a zip is
// read from its end, so it cannot be judged as it streams) and at Finish
// hands the file to check, typically InspectZip. The spool is as large as
// the upload, which the store already bounds; memory stays small.
func NewZipInspector(dir string, check func(r io.ReaderAt, size int64) error) Inspector {
	return &zipInspector{dir: dir, check: check}
}

type zipInspector struct {
	dir   string
	check func(io.ReaderAt, int64) error
	f     *os.File
	w     *bufio.Writer
	n     int64
	err   error
}

func (z *zipInspector) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.f == nil {
		f, err := os.CreateTemp(z.dir, "wharf-archive-*")
		if err != nil {
			z.err = fmt.Errorf("spool archive for inspection: %w", err)
			return 0, z.err
		}
		z.f, z.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	n, err := z.w.Write(p)
	z.n += int64(n)
	if err != nil {
		z.err = fmt.Errorf("spool archive for inspection: %w", err)
	}
	return n, z.err
}

func (z *zipInspector) Finish() error {
	if z.err != nil {
		return z.err
	}
	if z.f == nil {
		return z.check(emptyReaderAt{}, 0)
	}
	if err := z.w.Flush(); err != nil {
		return fmt.Errorf("spool archive for inspection: %w", err)
	}
	return z.check(z.f, z.n)
}

func (z *zipInspector) Close() error {
	if z.f == nil {
		return nil
	}
	name := z.f.Name()
	err := z.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	z.f = nil
	if z.err == nil {
		z.err = errClosed
	}
	return err
}

type emptyReaderAt struct{}

func (emptyReaderAt) ReadAt([]byte, int64) (int, error) { return 0, io.EOF }

var (
	errClosed  = errors.New("archive: inspector closed")
	errAborted = errors.New("archive: inspection abandoned")
)

// NewStreamInspector runs check, typically WalkTarGz, on its own
// goroutine over the bytes as they arrive: a gzip bomb is refused as soon
// as it has expanded too far, not after the whole upload, and nothing is
// spooled. check must read its reader to the end to accept.
func NewStreamInspector(check func(r io.Reader) error) Inspector {
	return &streamInspector{check: check}
}

type streamInspector struct {
	check func(io.Reader) error
	pw    *io.PipeWriter
	done  chan struct{}
	err   error // check's verdict, once done is closed
	once  sync.Once
	ended bool
}

func (s *streamInspector) start() {
	s.once.Do(func() {
		pr, pw := io.Pipe()
		s.pw, s.done = pw, make(chan struct{})
		go func() {
			defer close(s.done)
			err := s.check(pr)
			if err == nil {
				// Accepted early: take (and ignore) whatever else comes.
				_, err = io.Copy(io.Discard, pr)
			}
			s.err = err
			if err == nil {
				err = io.EOF
			}
			pr.CloseWithError(err)
		}()
	})
}

func (s *streamInspector) Write(p []byte) (int, error) {
	s.start()
	n, err := s.pw.Write(p)
	if err != nil {
		<-s.done
		if s.err != nil {
			return n, s.err
		}
		return n, err
	}
	return n, nil
}

func (s *streamInspector) Finish() error {
	s.start()
	s.pw.Close()
	<-s.done
	s.ended = true
	return s.err
}

func (s *streamInspector) Close() error {
	if s.pw == nil || s.ended {
		return nil
	}
	s.pw.CloseWithError(errAborted)
	<-s.done
	s.ended = true
	return nil
}

// CheckedReader passes its source's bytes through an Inspector and, at
// the source's end, returns the inspector's verdict in place of io.EOF.
// Errors of the source itself pass through unchanged.
type CheckedReader struct {
	r        io.Reader
	insp     Inspector
	err      error
	finished bool
}

// NewCheckedReader reads r through insp. Close it when done.
func NewCheckedReader(r io.Reader, insp Inspector) *CheckedReader {
	return &CheckedReader{r: r, insp: insp}
}

func (c *CheckedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.finished {
		return 0, io.EOF
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if _, werr := c.insp.Write(p[:n]); werr != nil {
			c.err = werr
			return 0, werr
		}
	}
	if errors.Is(err, io.EOF) {
		if ferr := c.insp.Finish(); ferr != nil {
			c.err = ferr
			return 0, ferr
		}
		c.finished = true
	}
	return n, err
}

// Err returns the inspector's failure, if there was one: a refusal (see
// IsRefusal) or a failure to inspect at all.
func (c *CheckedReader) Err() error { return c.err }

// Close releases the inspector.
func (c *CheckedReader) Close() error { return c.insp.Close() }

// IsRefusal reports whether err is an archive refusal.
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
