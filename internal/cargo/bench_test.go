package cargo

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// benchDeps are the dependencies of a benchmark crate version: a typical
// count for a library on crates.io.
var benchDeps = []any{
	map[string]any{"name": "serde", "version_req": "^1.0.190", "features": []string{"derive"}, "optional": false, "default_features": true, "target": nil, "kind": "normal", "registry": cratesIOIndex},
	map[string]any{"name": "tokio", "version_req": "^1.35", "features": []string{"rt", "macros"}, "optional": true, "default_features": false, "target": nil, "kind": "normal", "registry": cratesIOIndex},
	map[string]any{"name": "libc", "version_req": "^0.2", "features": []string{}, "optional": false, "default_features": true, "target": "cfg(unix)", "kind": "normal", "registry": cratesIOIndex},
	map[string]any{"name": "proptest", "version_req": "^1", "features": []string{}, "optional": false, "default_features": true, "target": nil, "kind": "dev", "registry": cratesIOIndex},
}

// benchPublish publishes versions of a crate through the handler.
func benchPublish(b *testing.B, e *testEnv, name string, versions int) {
	b.Helper()
	for i := range versions {
		e.publish(b, name, fmt.Sprintf("1.%d.%d", i/100, i%100), map[string]any{
			"deps": benchDeps, "features": map[string][]string{"default": {"std"}, "std": {}, "rt": {"dep:tokio"}},
		})
	}
}

// benchGet is one index request as cargo sends it; the body is read and
// discarded.
func benchGet(b *testing.B, client *http.Client, url, token string, hdr ...string) int64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", token)
	req.Header.Set("cargo-protocol", "version=1")
	req.Header.Set("Accept", "text/plain")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 304 {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return n
}

// BenchmarkIndexGet: index file GETs through the real handler (token
// check, one generation lookup, the cached file) for crates of 3 and 300
// versions: a first fetch, a gzip fetch, and cargo's usual revalidation
// ending in 304; and the render after a change invalidated the cache.
func BenchmarkIndexGet(b *testing.B) {
	e := newTestEnv(b)
	benchPublish(b, e, "small-crate", 3)
	benchPublish(b, e, "big-crate", 300)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
	for _, c := range []struct{ label, name string }{{"3versions", "small-crate"}, {"300versions", "big-crate"}} {
		url := e.base + indexPath(c.name)
		resp, _ := e.do(b, "GET", indexPath(c.name), nil)
		tag := resp.Header.Get("ETag")
		for _, v := range []struct {
			label string
			hdr   []string
		}{{"full", nil}, {"gzip", []string{"Accept-Encoding", "gzip"}}, {"not-modified", []string{"If-None-Match", tag}}} {
			b.Run(c.label+"/"+v.label, func(b *testing.B) {
				b.SetBytes(benchGet(b, client, url, e.token, v.hdr...))
				b.ReportAllocs()
				for b.Loop() {
					benchGet(b, client, url, e.token, v.hdr...)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
		b.Run(c.label+"/render", func(b *testing.B) {
			pkgID, _, _ := e.svc.PackageGeneration(ctx, admin, ref(c.name))
			for b.Loop() {
				e.h.cache.Drop(pkgID)
				benchGet(b, client, url, e.token)
			}
		})
	}
}
