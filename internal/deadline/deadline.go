// Package deadline keeps a client from holding a connection without
// moving data: every read of a request body and every write of a response
// must make progress within an idle time, through per-request deadlines
// set with http.ResponseController that slide forward as bytes move. A
// body or a response of any size goes through as long as it keeps coming;
// a stalled one fails.
//
// http.Server's own ReadTimeout and WriteTimeout cannot do this: they are
// absolute from the start of the request, so they would cut a long upload
// or download, and they count the handler's work as well. Worse, a
// ReadTimeout still running after the handler has read the body expires in
// the server's background read and cancels the request's context in the
// middle of its work. So the read deadline here is armed only while the
// body is being read, and the write deadline only around writes.
package deadline

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// chunk is the most written (or sent from a file) under one arming of the
// write deadline: with a write idle time of a minute, a client must take
// at least 4 KiB/s.
const chunk = 256 << 10

// Middleware wraps h so that each request's body must keep arriving
// (every read completes within readIdle) and its response keep leaving
// (every write within writeIdle).
func Middleware(h http.Handler, readIdle, writeIdle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation for the request's deadlines and its wrappers.
		st := &state{rc: http.NewResponseController(w), read: side{idle: readIdle}, write: side{idle: writeIdle}}
		st.w = writer{ResponseWriter: w, st: st}
		if r.Body != nil && r.Body != http.NoBody {
			// A copy carries the wrapped body: the server looks at the
			// original's to decide what to do with what the handler left
			// unread (discard a little, or close the connection).
			st.body = body{ReadCloser: r.Body, st: st}
			r2 := *r
			r2.Body = &st.body
			r = &r2
		}
		h.ServeHTTP(&st.w, r)
		// What follows the handler is bounded too: the server flushes the
		// response, and discards what the handler left of the body.
		st.armWrite(false)
		if st.body.st != nil && !st.body.done {
			st.armRead(true)
		}
	})
}

// Cap makes reading r's body end by t however it progresses, as when a
// body is read before the request is authenticated, until the returned
// function lifts the cap (whatever has become of r.Body meanwhile). It
// does nothing to a request Middleware did not wrap, or that has no body.
func Cap(r *http.Request, t time.Time) (lift func()) {
	b, ok := r.Body.(*body)
	if !ok {
		return func() {}
	}
	st := b.st
	set := func(t time.Time) {
		st.read.mu.Lock()
		st.read.cap = t
		st.read.until = time.Time{} // set afresh on the next read
		st.read.mu.Unlock()
	}
	set(t)
	return func() { set(time.Time{}) }
}

// state is one request's deadlines.
type state struct {
	rc          *http.ResponseController
	read, write side
	w           writer
	body        body // st nil when the request has none
}

// side is the deadline of one direction.
type side struct {
	mu    sync.Mutex
	idle  time.Duration
	cap   time.Time // reads only: the latest the deadline may be
	until time.Time // the deadline last set; zero when none is
}

// next returns the deadline to set now, and false when the one set is
// close enough (within a quarter of idle), which spares a reset per read
// or write of a fast transfer.
func (s *side) next(force bool) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := time.Now().Add(s.idle)
	if !s.cap.IsZero() && s.cap.Before(want) {
		want = s.cap
	}
	if !force && !s.until.IsZero() && want.Sub(s.until) < s.idle/4 {
		return time.Time{}, false
	}
	s.until = want
	return want, true
}

func (st *state) armRead(force bool) {
	if t, ok := st.read.next(force); ok {
		st.rc.SetReadDeadline(t)
	}
}

// disarmRead clears the read deadline once the body is read to its end:
// the server's background read that follows must not time out.
func (st *state) disarmRead() {
	st.read.mu.Lock()
	st.read.until = time.Time{}
	st.read.mu.Unlock()
	st.rc.SetReadDeadline(time.Time{})
}

func (st *state) armWrite(force bool) {
	if t, ok := st.write.next(force); ok {
		st.rc.SetWriteDeadline(t)
	}
}

// body is a request body whose reads slide the read deadline.
type body struct {
	io.ReadCloser
	st   *state
	done bool // read to its end, or failed
}

func (b *body) Read(p []byte) (int, error) {
	b.st.armRead(false)
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		// A failed read keeps its (expired) deadline: the server then
		// gives up on the rest of the body instead of waiting for it.
		if err == io.EOF {
			b.st.disarmRead()
		}
	}
	return n, err
}

// writer is a ResponseWriter whose writes slide the write deadline. It
// keeps http.ResponseController working (Unwrap, FlushError) and the
// sendfile path of a file copied to the connection (ReadFrom).
type writer struct {
	http.ResponseWriter
	st *state
}

// Unwrap is for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		w.st.armWrite(false)
		m, err := w.ResponseWriter.Write(p[:min(len(p), chunk)])
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

func (w *writer) WriteString(s string) (int, error) {
	if len(s) > chunk {
		return w.Write([]byte(s))
	}
	w.st.armWrite(false)
	return io.WriteString(w.ResponseWriter, s)
}

// FlushError flushes under the write deadline, for
// http.ResponseController.Flush.
func (w *writer) FlushError() error {
	w.st.armWrite(false)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// ReadFrom sends src in chunks, each under a fresh write deadline. A
// chunk of an *io.LimitedReader (what http.ServeContent hands over) is
// taken from the reader beneath it, so that the connection still sees a
// file under a single LimitedReader and sends it with sendfile.
func (w *writer) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, src)
	}
	outer, limited := src.(*io.LimitedReader)
	var n int64
	for {
		want := int64(chunk)
		if limited {
			if outer.N <= 0 {
				return n, nil
			}
			want = min(want, outer.N)
			src = outer.R
		}
		w.st.armWrite(false)
		m, err := rf.ReadFrom(&io.LimitedReader{R: src, N: want})
		n += m
		if limited {
			outer.N -= m
		}
		if err != nil || m < want {
			return n, err
		}
	}
}

// writerOnly hides ReadFrom, so that io.Copy falls back to Write.
type writerOnly struct{ io.Writer }
