package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads every sample of the metrics listener at u, keyed by its
// series as exposed ("name{label="value",...}", labels in name order).
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMetricsNpmPublishInstall: the metrics listener, scraped around a
// real npm publish and npm install, shows the requests, bytes and cache
// lookups that each caused, under the caller's account.
func TestMetricsNpmPublishInstall(t *testing.T) {
	maddr := freeAddr(t)
	e := npmSetupWith(t, ServerOptions{Args: []string{"--metrics-listen", maddr}})
	murl := "http://" + maddr + "/metrics"
	// The metrics are not on the public listener.
	if resp, err := http.Get(e.s.URL + "/metrics"); err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("GET /metrics on the public listener: %v %v", resp, err)
	}

	series := func(name, route, class string) string {
		if class == "" {
			return name + `{account="` + testAccount + `",route="` + route + `"}`
		}
		return name + `{account="` + testAccount + `",route="` + route + `",status_class="` + class + `"}`
	}
	reqs := func(route, class string) string { return series("wharf_http_requests_total", route, class) }
	delta := func(before, after map[string]float64, k string) float64 { return after[k] - before[k] }

	// A publish: one npm:write request carrying the tarball.
	raw := make([]byte, 16<<10)
	rand.Read(raw)
	body := hex.EncodeToString(raw) // 32 KB that gzip only halves
	dir := npmPkgDir(t, map[string]any{"name": "wharf-metered", "version": "1.0.0", "main": "index.js"},
		map[string]string{"index.js": "module.exports = 'metered';\n", "data.txt": body})
	before := scrape(t, murl)
	e.npm(t, dir, "publish")
	afterPublish := scrape(t, murl)
	if d := delta(before, afterPublish, reqs("npm:write", "2xx")); d != 1 {
		var seen []string
		for k, v := range afterPublish {
			if strings.Contains(k, "npm:") && strings.HasPrefix(k, "wharf_http_requests_total") {
				seen = append(seen, fmt.Sprintf("%s=%v", k, v-before[k]))
			}
		}
		t.Fatalf("npm publish made %v successful npm:write requests, want 1 (npm series: %v)", d, seen)
	}
	if d := delta(before, afterPublish, series("wharf_http_request_bytes_total", "npm:write", "")); d < 16<<10 {
		t.Fatalf("npm publish sent %v bytes by the metrics, want the base64 tarball in them", d)
	}

	// An install into an empty project with an empty npm cache: the
	// packument (rendered once: a cache miss) and the tarball.
	install := func() (map[string]float64, map[string]float64) {
		proj := npmProject(t)
		b := scrape(t, murl)
		e.npm(t, proj, "install", "--cache", filepath.Join(t.TempDir(), "npm-cache"), "wharf-metered")
		a := scrape(t, murl)
		if _, err := os.Stat(filepath.Join(proj, "node_modules", "wharf-metered", "data.txt")); err != nil {
			t.Fatal(err)
		}
		return b, a
	}
	b1, a1 := install()
	if d := delta(b1, a1, reqs("npm:read", "2xx")); d < 2 {
		t.Fatalf("npm install made %v successful npm:read requests, want the packument and the tarball", d)
	}
	if d := delta(b1, a1, series("wharf_http_response_bytes_total", "npm:read", "")); d < 16<<10 {
		t.Fatalf("npm install received %v bytes by the metrics", d)
	}
	if d := delta(b1, a1, `wharf_cache_lookups_total{cache="npm",result="miss"}`); d < 1 {
		t.Fatalf("first install after the publish: %v packument cache misses, want the first render", d)
	}
	var n float64
	for _, class := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"} {
		n += delta(b1, a1, reqs("npm:read", class))
	}
	if d := delta(b1, a1, `wharf_http_request_duration_seconds_count{route="npm:read"}`); d != n {
		t.Fatalf("%v latency observations for %v npm:read requests", d, n)
	}
	// A second install finds the packument rendered.
	b2, a2 := install()
	if d := delta(b2, a2, `wharf_cache_lookups_total{cache="npm",result="hit"}`); d < 1 {
		t.Fatalf("second install: %v packument cache hits", d)
	}
	if d := delta(b2, a2, `wharf_cache_lookups_total{cache="npm",result="miss"}`); d != 0 {
		t.Fatalf("second install: %v packument cache misses, want 0", d)
	}

	// A control-plane call counts under its operation; the store sizes
	// see the published version and its blob.
	p := e.pkg("", "wharf-metered")
	if _, err := p.c.DescribePackageVersion(ctx, p.version("1.0.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.c.DescribePackageVersion(ctx, p.version("9.9.9")); err == nil {
		t.Fatal("DescribePackageVersion of a missing version succeeded")
	}
	m := scrape(t, murl)
	if m[reqs("DescribePackageVersion", "2xx")] != 1 || m[reqs("DescribePackageVersion", "4xx")] != 1 {
		t.Fatalf("DescribePackageVersion: %v ok, %v 4xx", m[reqs("DescribePackageVersion", "2xx")], m[reqs("DescribePackageVersion", "4xx")])
	}
	// Sizes are read at most every 10 seconds.
	deadline := time.Now().Add(15 * time.Second)
	for m[`wharf_store_rows{kind="versions"}`] < 1 || m[`wharf_store_blobs`] < 1 || m[`wharf_store_blob_bytes`] < 16<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("store sizes: versions %v blobs %v bytes %v", m[`wharf_store_rows{kind="versions"}`], m[`wharf_store_blobs`], m[`wharf_store_blob_bytes`])
		}
		time.Sleep(500 * time.Millisecond)
		m = scrape(t, murl)
	}
}
