package ruby

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/service"
)

// benchPush stores versions of a gem straight through the service, as a
// push would (readGem, then Publish with the merge), which is much faster
// than HTTP pushes of hundreds of gems.
func benchPush(b *testing.B, e *testEnv, name string, versions int) {
	b.Helper()
	dep := `dependencies:
- !ruby/object:Gem::Dependency
  name: rack
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '2.0'
    - - "<"
      - !ruby/object:Gem::Version
        version: '4'
  type: :runtime
  prerelease: false`
	for i := range versions {
		version := fmt.Sprintf("1.%d.%d", i/100, i%100)
		doc := metadataYAML(name, version, "required_ruby_version: !ruby/object:Gem::Requirement\n  requirements:\n  - - \">=\"\n    - !ruby/object:Gem::Version\n      version: '2.7'")
		gem := buildGem(b, strings.Replace(doc, "dependencies: []", dep, 1), map[string]string{"lib/" + name + ".rb": version})
		spec, err := readGem(bytes.NewReader(gem))
		if err != nil {
			b.Fatal(err)
		}
		rel := gemRelease{File: spec.fileName(), SHA256: sha256hex(gem), Spec: spec}
		if _, err := e.svc.Publish(ctx, admin, service.PublishRequest{Ref: e.ref(name), Version: version, AddToPublished: true, Metadata: versionMetadata(spec),
			Assets:              []service.Upload{{Name: rel.File, Body: bytes.NewReader(gem), SHA256: rel.SHA256}},
			MergeFormatMetadata: func(cur []byte) ([]byte, error) { return mergeRelease(cur, rel) }}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGet(b *testing.B, client *http.Client, url, token string, hdr ...string) int64 {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("aws", token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified && resp.StatusCode != http.StatusPartialContent {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return n
}

// runGets measures GETs through the handler, serially and from parallel
// clients, reporting requests per second.
func runGets(b *testing.B, url, token string, hdr ...string) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
	size := benchGet(b, client, url, token, hdr...) // warm the cache
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			benchGet(b, client, url, token, hdr...)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(size)
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchGet(b, client, url, token, hdr...)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkInfo: info/NAME, the hot path of gem install, for a gem with
// 500 versions and one with 3: a cached GET, a revalidation ending in
// 304, Bundler's ranged update, and the build after a change dropped the
// cached index. BenchmarkInfo/*/dependencies is the dependency API for
// the same gem (Bundler's path).
func BenchmarkInfo(b *testing.B) {
	e := newTestEnv(b)
	benchPush(b, e, "big", 500)
	benchPush(b, e, "small", 3)
	for _, name := range []string{"big", "small"} {
		url := e.base + "info/" + name
		b.Run(name+"/get", func(b *testing.B) { runGets(b, url, e.token) })
		resp, body := e.do(b, http.MethodGet, "info/"+name, nil)
		b.Run(name+"/not-modified", func(b *testing.B) { runGets(b, url, e.token, "If-None-Match", resp.Header.Get("ETag")) })
		b.Run(name+"/range", func(b *testing.B) {
			runGets(b, url, e.token, "If-None-Match", `"stale"`, "Range", fmt.Sprintf("bytes=%d-", len(body)-1))
		})
		b.Run(name+"/build", func(b *testing.B) {
			client := &http.Client{}
			pkgID, _, err := e.svc.PackageGeneration(ctx, admin, e.ref(name))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				e.h.cache.Drop(pkgID)
				benchGet(b, client, url, e.token)
			}
		})
		b.Run(name+"/dependencies", func(b *testing.B) { runGets(b, e.base+"api/v1/dependencies?gems="+name, e.token) })
	}
}
