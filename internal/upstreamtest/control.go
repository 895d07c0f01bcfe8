// Package upstreamtest holds local stand-ins for the public registries
// behind Wharf's external connections, speaking the real protocols with
// real artifacts, for end-to-end tests and cmd/wharfbench:
//
//   - PyPI: a PEP 503 (HTML) and PEP 691 (JSON) simple index over wheels
//     and sdists, such as Debian's /usr/share/python-wheels and wheels
//     rebuilt from Debian's installed Python distributions;
//   - Maven: a Maven 2 repository over a directory tree such as Debian's
//     /usr/share/maven-repo, with the checksum files and
//     maven-metadata.xml a real remote repository has;
//   - Npm: an npm registry over packuments and tarballs fetched once from
//     the real registry;
//   - Cargo: a sparse registry (config.json, index files, downloads) over
//     .crate files packaged from crate sources such as Debian's
//     /usr/share/cargo/registry;
//   - RubyGems: a compact-index registry over .gem files, such as those
//     rebuilt with RubyGems from the gems Debian's ruby bundles;
//   - NuGet: a V3 feed laid out as nuget.org's (service index, flat
//     container, gzipped registrations, catalog leaves with packageHash)
//     over nupkgs made by nuget pack.
//
// Each embeds a Control: the switches tests need (a delay per request, an
// outage answering 503 or closing connections, request counts), and each
// can add a version or corrupt a file while it runs. They are
// http.Handlers: run them with httptest.NewServer or any http.Server.
// URLs they publish point back at the host the request came to.
package upstreamtest

import (
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Outage is how a stand-in fails while stopped.
type Outage int32

// The outages a stand-in can simulate.
const (
	Up          Outage = iota // serving
	Unavailable               // every request answered 503, as a registry in trouble
	Unreachable               // every connection closed without an answer
)

// Control holds the switches every stand-in has. The zero value serves
// at once and counts requests.
type Control struct {
	delay  atomic.Int64
	outage atomic.Int32
	total  atomic.Int64

	mu     sync.Mutex
	counts map[string]int
}

// SetDelay makes every request wait d before it is answered (the
// internet's latency, or a slow registry).
func (c *Control) SetDelay(d time.Duration) { c.delay.Store(int64(d)) }

// SetOutage stops (Unavailable, Unreachable) or restarts (Up) the
// stand-in.
func (c *Control) SetOutage(o Outage) { c.outage.Store(int32(o)) }

// Requests counts the requests for one path (as sent, before any
// unescaping), whether answered or not.
func (c *Control) Requests(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[path]
}

// Total counts every request.
func (c *Control) Total() int { return int(c.total.Load()) }

// Paths lists the paths requested so far, sorted.
func (c *Control) Paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.counts))
	for p := range c.counts {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ResetCounts forgets the requests counted so far.
func (c *Control) ResetCounts() {
	c.mu.Lock()
	c.counts = nil
	c.mu.Unlock()
	c.total.Store(0)
}

// serve counts a request, waits out the delay and answers it with h,
// unless the stand-in is stopped.
func (c *Control) serve(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request)) {
	c.total.Add(1)
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[r.URL.EscapedPath()]++
	c.mu.Unlock()
	if d := time.Duration(c.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch Outage(c.outage.Load()) {
	case Unavailable:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "503 Service Unavailable: the registry is stopped", http.StatusServiceUnavailable)
		return
	case Unreachable:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2: reset the stream
	}
	h(w, r)
}

// corruptCopy returns b with one byte changed in the middle: same length,
// different digest.
func corruptCopy(b []byte) []byte {
	out := append([]byte(nil), b...)
	if len(out) > 0 {
		out[len(out)/2] ^= 0x5a
	}
	return out
}

// baseURL is the scheme and host a request came to, for absolute URLs
// that point back at the stand-in.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
