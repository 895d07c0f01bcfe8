package publiccache

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/metrics"
)

// File is an artifact downloaded from a public registry into a temporary
// file, rewound, with the digests the registries publish for their files
// (hex): the format compares the one its index gives before the file is
// retained. Close removes the file.
type File struct {
	*os.File
	Size                      int64
	MD5, SHA1, SHA256, SHA512 string
}

// Close closes and removes the temporary file.
func (f *File) Close() error {
	err := f.File.Close()
	os.Remove(f.Name())
	return err
}

// NewClient returns the HTTP client a connection reaches its registry
// with: its requests counted in the upstream metrics under connection,
// with bounds on connecting and on waiting for a response's headers but
// none on the whole exchange, which would cut a large artifact on a slow
// link. A document's fetch is bounded by Options.FetchTimeout, a
// download by DownloadIdle without progress.
func NewClient(connection string) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: metrics.Upstream(connection, t)}
}

// DownloadIdle is how long a download may go without receiving a byte
// before it is abandoned as stalled.
var DownloadIdle = time.Minute

// errStalled ends a download that stopped making progress.
var errStalled = errors.New("no data received for a while: stalled")

// Download fetches rawURL into a temporary file in dir (the system's when
// empty), refusing more than maxBytes. rawURL must lie under base: an
// index must not make the server fetch arbitrary URLs. Every failure of
// the registry (outside base or redirected outside it, transport error, a status other than 200,
// a short body) wraps ErrUnavailable; a 404 or 410 wraps ErrNotFound too.
func Download(ctx context.Context, client *http.Client, base, rawURL, dir string, maxBytes int64) (*File, error) {
	prefix := strings.TrimSuffix(base, "/") + "/"
	if !strings.HasPrefix(rawURL, prefix) {
		return nil, fmt.Errorf("%w: file URL %q is outside %s", ErrUnavailable, rawURL, base)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(DownloadIdle, func() { cancel(errStalled) })
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// A redirect is held to the same base as the URL it came from.
	held := *client
	held.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), prefix) {
			return fmt.Errorf("redirected to %q, outside %s", r.URL, base)
		}
		if client.CheckRedirect != nil {
			return client.CheckRedirect(r, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	resp, err := held.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %w", ErrUnavailable, rawURL, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone:
		return nil, fmt.Errorf("%w: %w: GET %s: %s", ErrUnavailable, ErrNotFound, rawURL, resp.Status)
	default:
		return nil, fmt.Errorf("%w: GET %s: %s", ErrUnavailable, rawURL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, "wharf-public-*")
	if err != nil {
		return nil, err
	}
	f := &File{File: tmp}
	h5, h1, h256, h512 := md5.New(), sha1.New(), sha256.New(), sha512.New()
	body := &progressReader{r: resp.Body, idle: idle}
	n, err := io.Copy(io.MultiWriter(tmp, h5, h1, h256, h512), io.LimitReader(body, maxBytes+1))
	if err != nil && context.Cause(ctx) == errStalled {
		err = errStalled
	}
	if err == nil && n > maxBytes {
		err = fmt.Errorf("larger than %d bytes", maxBytes)
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("%d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: GET %s: %w", ErrUnavailable, rawURL, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	f.Size = n
	f.MD5, f.SHA1 = hex.EncodeToString(h5.Sum(nil)), hex.EncodeToString(h1.Sum(nil))
	f.SHA256, f.SHA512 = hex.EncodeToString(h256.Sum(nil)), hex.EncodeToString(h512.Sum(nil))
	return f, nil
}

// progressReader restarts the idle timer with every byte received.
type progressReader struct {
	r    io.Reader
	idle *time.Timer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.idle.Reset(DownloadIdle)
	}
	return n, err
}

// Group runs one call per key at a time; callers arriving while it runs
// share its outcome (concurrent misses for one artifact share one fetch).
// The zero value is ready to use.
type Group[T any] struct {
	mu sync.Mutex
	m  map[string]*call[T]
}

type call[T any] struct {
	done    chan struct{}
	waiters int // callers sharing it, guarded by Group.mu
	val     T
	err     error
}

// Do runs fn for key unless a call for key is running, whose outcome it
// then returns. fn should not depend on its caller's context: the
// outcome is shared by callers that may go away.
func (g *Group[T]) Do(key string, fn func() (T, error)) (T, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*call[T]{}
	}
	if c, ok := g.m[key]; ok {
		c.waiters++
		g.mu.Unlock()
		<-c.done
		return c.val, c.err
	}
	c := &call[T]{done: make(chan struct{})}
	g.m[key] = c
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.m, key)
		g.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	return c.val, c.err
}
