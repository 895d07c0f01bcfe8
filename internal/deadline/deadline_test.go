package deadline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// idle is the read and write idle time of the test servers: long enough
// that a loaded machine does not trip it between steady chunks, short
// enough that the tests run in seconds.
const idle = time.Second

// serve runs h behind Middleware on a real listener (deadlines need a
// real connection).
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	return serveIdle(t, h, idle, idle)
}

func serveIdle(t *testing.T, h http.HandlerFunc, readIdle, writeIdle time.Duration) string {
	t.Helper()
	s := httptest.NewServer(Middleware(h, readIdle, writeIdle))
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// dial opens a connection and writes a request head announcing n body
// bytes.
func dial(t *testing.T, addr, method, path string, n int64) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", method, path, n)
	return c
}

// status reads the status line of the answer on c.
func status(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "no answer: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// readAll answers 200 with the number of body bytes read, or 400 with the
// read's error.
func readAll(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, n)
}

// A body that keeps coming is read to its end however long it takes in
// all; one that stalls for longer than the idle time fails.
func TestBodyDeadlineSlidesWithProgress(t *testing.T) {
	addr := serve(t, readAll)
	t.Run("steady", func(t *testing.T) {
		const chunks = 16 // 4 idle times in all
		c := dial(t, addr, "PUT", "/", chunks)
		for range chunks {
			time.Sleep(idle / 4)
			if _, err := c.Write([]byte{'x'}); err != nil {
				t.Fatal(err)
			}
		}
		if got := status(t, c); got != "HTTP/1.1 200 OK" {
			t.Fatalf("a body sent steadily over %s: %s", chunks*idle/4, got)
		}
	})
	t.Run("stalled", func(t *testing.T) {
		c := dial(t, addr, "PUT", "/", 1000)
		c.Write([]byte("some"))
		start := time.Now()
		got := status(t, c)
		if got != "HTTP/1.1 400 Bad Request" {
			t.Fatalf("a stalled body: %s", got)
		}
		if d := time.Since(start); d < idle {
			t.Errorf("a stalled body failed after %s, before the idle time %s", d, idle)
		}
	})
}

// Cap ends the read at a fixed time whatever the progress, and lifting it
// restores the sliding deadline.
func TestCap(t *testing.T) {
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
		lift := func() {}
		if r.URL.Query().Get("cap") != "" {
			lift = Cap(r, time.Now().Add(idle))
		}
		if r.URL.Query().Get("lift") != "" {
			// Lifted after the body has been wrapped again, as the
			// control plane's verifier does.
			r.Body = io.NopCloser(r.Body)
			lift()
		}
		readAll(w, r)
	})
	for _, tt := range []struct {
		query string
		want  string
	}{
		{"?cap=1", "HTTP/1.1 400 Bad Request"},
		{"?cap=1&lift=1", "HTTP/1.1 200 OK"},
	} {
		const chunks = 12 // 3 idle times, steadily
		c := dial(t, addr, "PUT", "/"+tt.query, chunks)
		for range chunks {
			time.Sleep(idle / 4)
			if _, err := c.Write([]byte{'x'}); err != nil {
				break // the server gave up: what it answered tells
			}
		}
		if got := status(t, c); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.query, got, tt.want)
		}
	}
}

// Once the body is read, the handler may work for longer than the idle
// time: the request's context is not cancelled by an expired deadline in
// the server's background read.
func TestWorkAfterTheBodyKeepsTheContext(t *testing.T) {
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusInternalServerError)
		case <-time.After(3 * idle):
			fmt.Fprint(w, "done")
		}
	})
	c := dial(t, addr, "POST", "/", 2)
	c.Write([]byte("ok"))
	if got := status(t, c); got != "HTTP/1.1 200 OK" {
		t.Fatalf("work after the body: %s", got)
	}
}

// A response goes out in full to a client that reads it slowly but
// steadily, through every way a handler writes (one large Write, and a
// file through http.ServeContent, whose ReadFrom path must keep its
// bytes); it fails against a client that stops reading.
func TestWriteDeadlineSlidesWithProgress(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<21) // 32 MiB: far over loopback socket buffers
	file := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	// Over loopback's large buffers TCP moves a slow reader's data in
	// bursts (the window reopens once much of the buffer is drained), so
	// the write idle time is longer here.
	const writeIdle = 2 * idle
	addr := serveIdle(t, func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.URL.Path {
		case "/write":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			_, err = w.Write(data)
		case "/file":
			f, ferr := os.Open(file)
			if ferr != nil {
				t.Error(ferr)
				return
			}
			defer f.Close()
			// ServeContent reports no error; the short count tells.
			cw := &countWriter{ResponseWriter: w}
			http.ServeContent(cw, r, "", time.Time{}, f)
			if cw.n != int64(len(data)) {
				err = fmt.Errorf("sent %d of %d bytes", cw.n, len(data))
			}
		}
		select {
		case failed <- err:
		default:
		}
	}, idle, writeIdle)
	for _, path := range []string{"/write", "/file"} {
		t.Run("steady reader "+path, func(t *testing.T) {
			c := dial(t, addr, "GET", path, 0)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			buf := make([]byte, 64<<10)
			start := time.Now()
			for got := 0; ; {
				if got >= 1<<20 { // a pause per MiB: over 3 s for 32 MiB
					time.Sleep(writeIdle / 20)
					got = 0
				}
				n, err := resp.Body.Read(buf)
				got += n
				h.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatal("the response arrived altered")
			}
			if d := time.Since(start); d < writeIdle {
				t.Errorf("the response took only %s, under the idle time %s: nothing had to slide", d, writeIdle)
			}
			if err := <-failed; err != nil {
				t.Fatalf("server: %v", err)
			}
		})
		t.Run("stalled reader "+path, func(t *testing.T) {
			c := dial(t, addr, "GET", path, 0)
			// Read nothing: the server's writes stop once the socket
			// buffers are full, and must fail rather than wait forever.
			select {
			case err := <-failed:
				if err == nil {
					t.Fatal("the whole response was written to a client that reads nothing")
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the server still waits on a client that reads nothing")
			}
			c.Close()
		})
	}
}

// countWriter counts what the handler managed to write, keeping ReadFrom.
type countWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *countWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := w.ResponseWriter.(io.ReaderFrom).ReadFrom(r)
	w.n += n
	return n, err
}

// http.ResponseController reaches through the wrapper.
func TestResponseControllerStillWorks(t *testing.T) {
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "first")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
	})
	c := dial(t, addr, "GET", "/", 0)
	if got := status(t, c); got != "HTTP/1.1 200 OK" {
		t.Fatal(got)
	}
}
