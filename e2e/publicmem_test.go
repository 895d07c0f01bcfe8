package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// publicMemPackages is how many distinct public packages the memory test
// reads through one connection; publicMemVersions and the description
// make each packument about 12 KB, 120 MB in all: more than the
// connection's in-memory bound (publiccache.DefaultMemoryBytes, 64 MiB).
const (
	publicMemPackages = 10000
	publicMemVersions = 20
	// publicMemRSS is the bound on the server's peak resident set: the
	// 64 MiB of hot packuments, decoded, plus the runtime and the stores.
	publicMemRSS = 320 << 20
)

// TestPublicConnectionMemoryBounded reads the packuments of 10,000
// distinct packages through public:npmjs (a registry generating them)
// and checks that the server's peak RSS (VmHWM) stays under
// publicMemRSS: public documents are bounded in memory and kept on disk,
// not held without limit.
func TestPublicConnectionMemoryBounded(t *testing.T) {
	desc := strings.Repeat("a public package of the memory test ", 10)
	var fetched atomic.Int64
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if !strings.HasPrefix(name, "mem-") {
			http.NotFound(w, r)
			return
		}
		fetched.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, `{"name":%q,"dist-tags":{"latest":"1.0.%d"},"versions":{`, name, publicMemVersions-1)
		for i := range publicMemVersions {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"1.0.%d":{"name":%q,"version":"1.0.%d","description":%q,"dist":{"tarball":"%s/%s/-/%s-1.0.%d.tgz","shasum":"%040d"}}`,
				i, name, i, desc, "http://"+r.Host, name, name, i, i)
		}
		b.WriteString(`},"time":{}}`)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(b.String()))
	}))
	defer reg.Close()

	s := StartServerWith(t, ServerOptions{Args: []string{"--npmjs-url", reg.URL}})
	c := s.Client()
	Setup(t, c, "memdom", "store")
	if _, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: aws.String("memdom"),
		Repository: aws.String("store"), ExternalConnection: aws.String("public:npmjs")}); err != nil {
		t.Fatal(err)
	}
	base := s.Endpoint(t, "memdom", "store", types.PackageFormatNpm)
	tok := s.Token(t, "memdom")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

	names := make(chan string)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 8 {
		wg.Go(func() {
			for n := range names {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+n, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				ok := resp.StatusCode == http.StatusOK
				resp.Body.Close()
				if !ok {
					if failed.Add(1) == 1 {
						t.Errorf("GET %s: %s", n, resp.Status)
					}
				}
			}
		})
	}
	for i := range publicMemPackages {
		names <- "mem-" + strconv.Itoa(i)
	}
	close(names)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d packument reads failed", n, publicMemPackages)
	}
	if n := fetched.Load(); n != publicMemPackages {
		t.Errorf("the registry served %d packuments, want %d (one per package)", n, publicMemPackages)
	}
	hwm := peakRSS(t, s.cmd.Process.Pid)
	t.Logf("peak RSS after %d public packuments: %d MiB (bound %d MiB)", publicMemPackages, hwm>>20, publicMemRSS>>20)
	if hwm > publicMemRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", hwm>>20, publicMemRSS>>20)
	}
}

// peakRSS reads a process's peak resident set (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
