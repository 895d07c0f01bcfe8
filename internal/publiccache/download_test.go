package publiccache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDownload(t *testing.T) {
	body := "the artifact's bytes"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/files/ok":
			io.WriteString(w, body)
		case "/files/short":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, body)
		case "/files/moved":
			http.Redirect(w, r, "/files/ok", http.StatusFound)
		case "/files/away":
			http.Redirect(w, r, "http://elsewhere.invalid/files/ok", http.StatusFound)
		case "/files/gone":
			http.Error(w, "gone", http.StatusGone)
		default:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	tests := []struct {
		name, url string
		max       int64
		notFound  bool
		ok        bool
	}{
		{name: "served", url: srv.URL + "/files/ok", max: 1 << 20, ok: true},
		{name: "redirected within the registry", url: srv.URL + "/files/moved", max: 1 << 20, ok: true},
		{name: "redirected outside the registry", url: srv.URL + "/files/away", max: 1 << 20},
		{name: "exactly the bound", url: srv.URL + "/files/ok", max: int64(len(body)), ok: true},
		{name: "over the bound", url: srv.URL + "/files/ok", max: int64(len(body)) - 1},
		{name: "cut short", url: srv.URL + "/files/short", max: 1 << 20},
		{name: "gone", url: srv.URL + "/files/gone", max: 1 << 20, notFound: true},
		{name: "registry error", url: srv.URL + "/files/broken", max: 1 << 20},
		{name: "outside the registry", url: "http://elsewhere.invalid/files/ok", max: 1 << 20},
		{name: "a prefix of the base is not inside it", url: srv.URL + "x/files/ok", max: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Download(context.Background(), srv.Client(), srv.URL+"/", tt.url, dir, tt.max)
			if !tt.ok {
				if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) != tt.notFound {
					t.Fatalf("err %v, want ErrUnavailable (not found %v)", err, tt.notFound)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(f)
			sum := sha256.Sum256([]byte(body))
			if string(got) != body || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(body)) || len(f.SHA1) != 40 || len(f.MD5) != 32 || len(f.SHA512) != 128 {
				t.Errorf("got %q %+v", got, f)
			}
			name := f.Name()
			f.Close()
			if _, err := os.Stat(name); !os.IsNotExist(err) {
				t.Errorf("Close left %s: %v", name, err)
			}
		})
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed downloads left %d files", len(left))
	}
}

func TestGroupSharesOneCall(t *testing.T) {
	var g Group[string]
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = g.Do("k", func() (string, error) {
				if calls.Add(1) == 1 {
					close(started)
				}
				<-release
				return "v", nil
			})
		}()
		if i == 0 {
			<-started
		}
	}
	// Every other caller joins the running call before it ends.
	for g.waiting("k") < len(results)-1 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 || strings.Join(results, "") != strings.Repeat("v", len(results)) {
		t.Errorf("%d calls, results %v", calls.Load(), results)
	}
	// A later call runs again.
	v, _ := g.Do("k", func() (string, error) { return "again", nil })
	if v != "again" {
		t.Errorf("a call after the first ended got %q", v)
	}
}

func (g *Group[T]) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.m[key]; c != nil {
		return c.waiters
	}
	return 0
}

// A download is bounded by its progress, not its length: one that keeps
// receiving bytes outlasts DownloadIdle, one that stops is abandoned.
func TestDownloadIdle(t *testing.T) {
	defer func(d time.Duration) { DownloadIdle = d }(DownloadIdle)
	DownloadIdle = 200 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		for i := 0; i < 10; i++ {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			if r.URL.Path == "/files/stalls" && i == 4 {
				<-r.Context().Done()
				return
			}
			time.Sleep(DownloadIdle / 2) // 10 bytes over 2.5 idle periods
		}
	}))
	defer srv.Close()
	f, err := Download(context.Background(), NewClient("public:test"), srv.URL, srv.URL+"/files/slow", t.TempDir(), 1<<20)
	if err != nil {
		t.Fatalf("a slow download that keeps coming: %v", err)
	}
	f.Close()
	_, err = Download(context.Background(), NewClient("public:test"), srv.URL, srv.URL+"/files/stalls", t.TempDir(), 1<<20)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errStalled) {
		t.Fatalf("a stalled download: %v, want ErrUnavailable and stalled", err)
	}
}
