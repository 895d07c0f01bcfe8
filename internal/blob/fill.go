package blob

import "io"

// Fill reads into p until it is full or r reports io.EOF, for stores that
// upload in chunks. Unlike io.ReadFull it keeps io.EOF distinct from a
// reader's own io.ErrUnexpectedEOF, which is how a truncated HTTP body
// (shorter than its Content-Length) reports itself, and which must fail the
// Put rather than store the truncated content.
func Fill(r io.Reader, p []byte) (n int, eof bool, err error) {
	for empty := 0; n < len(p); {
		m, err := r.Read(p[n:])
		n += m
		switch {
		case err == io.EOF:
			return n, true, nil
		case err != nil:
			return n, false, err
		case m == 0:
			// io.Reader permits (0, nil) but a reader that keeps
			// returning it would spin Put forever.
			if empty++; empty >= 100 {
				return n, false, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return n, false, nil
}
