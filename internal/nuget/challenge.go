package nuget

import (
	"io"
	"net/http"
)

// drainOnChallenge reads a request's body (up to max bytes) before
// answering it 401. NuGet pushes first without credentials and sends
// them only after the challenge; Mono's client streams the whole package
// meanwhile and, if the server answers and closes the connection before
// reading it (what net/http does past 256 KB unread), fails with "the
// socket has been shut down" instead of retrying with credentials. Read
// to its end, the body leaves the connection reusable and the client
// sees the challenge. The cost is the bytes an unauthenticated client
// sends, which it could send anyway.
func drainOnChallenge(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&drainWriter{ResponseWriter: w, body: r.Body, max: max}, r)
	})
}

type drainWriter struct {
	http.ResponseWriter
	body io.Reader
	max  int64
	done bool
}

func (d *drainWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized && !d.done && d.body != nil {
		io.Copy(io.Discard, io.LimitReader(d.body, d.max))
	}
	d.done = true
	d.ResponseWriter.WriteHeader(code)
}

func (d *drainWriter) Write(p []byte) (int, error) {
	if !d.done {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (d *drainWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// ReadFrom keeps the connection's sendfile path for downloads.
func (d *drainWriter) ReadFrom(r io.Reader) (int64, error) {
	if !d.done {
		d.WriteHeader(http.StatusOK)
	}
	return io.Copy(d.ResponseWriter, r)
}
