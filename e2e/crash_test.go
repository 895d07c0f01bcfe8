package e2e

// The crash suite: kill -9 the server while a hundred clients publish and
// delete, restart it, and check that what was acknowledged is exactly what
// survived, that nothing unacknowledged is half there, and that the blob
// collector then removes every orphan and nothing still referenced.
//
// The short version runs in ./test.sh; WHARF_LONG=1 runs more kill cycles
// with more clients' work per cycle.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/smithy-go"
)

// relLong reports whether the long reliability runs were asked for.
func relLong() bool { return os.Getenv("WHARF_LONG") != "" }

// relClient is an SDK client that never retries, so every call is exactly
// one attempt and its outcome is the server's answer to that attempt.
func relClient(s *Server) *ca.Client {
	return ca.New(ca.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}},
	})
}

// relAnswered reports whether err is an answer from the server (an API
// error with a status), as opposed to a request that never got one.
func relAnswered(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae)
}

func relCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func relSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// relRef names a generic package version.
type relRef struct{ Repo, NS, Pkg, Version string }

func (r relRef) String() string { return r.Repo + "/" + r.NS + "/" + r.Pkg + "@" + r.Version }

// relPublish publishes one generic asset with a no-retry client.
func relPublish(c *ca.Client, domain string, r relRef, asset string, content []byte) (*ca.PublishPackageVersionOutput, error) {
	return c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String(domain), Repository: aws.String(r.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(r.NS), Package: aws.String(r.Pkg), PackageVersion: aws.String(r.Version),
		AssetName: aws.String(asset), AssetSHA256: aws.String(relSHA(content)), AssetContent: bytes.NewReader(content),
	})
}

// relFetch downloads an asset and returns its bytes.
func relFetch(c *ca.Client, domain string, r relRef, asset string) ([]byte, error) {
	out, err := c.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{
		Domain: aws.String(domain), Repository: aws.String(r.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(r.NS), Package: aws.String(r.Pkg), PackageVersion: aws.String(r.Version), Asset: aws.String(asset),
	})
	if err != nil {
		return nil, err
	}
	defer out.Asset.Close()
	return io.ReadAll(out.Asset)
}

// relVersion is what the API shows of one version: its status, revision
// and each asset's SHA-256.
type relVersion struct {
	Status   types.PackageVersionStatus
	Revision string
	Assets   map[string]string // name -> sha256
}

func (v relVersion) String() string {
	names := make([]string, 0, len(v.Assets))
	for n := range v.Assets {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s rev=%s", v.Status, v.Revision)
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%s", n, v.Assets[n])
	}
	return b.String()
}

// relSnapshot lists every package, version (every status) and asset of
// the repositories through the control plane, keyed by
// "repo format/namespace/name@version". It is how the suites see "what
// changed": only through the API.
func relSnapshot(t *testing.T, c *ca.Client, domain string, repos ...string) map[string]relVersion {
	t.Helper()
	snap := map[string]relVersion{}
	for _, repo := range repos {
		var pkgs []types.PackageSummary
		var next *string
		for {
			out, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String(domain), Repository: aws.String(repo), NextToken: next})
			if err != nil {
				t.Fatalf("ListPackages %s: %v", repo, err)
			}
			pkgs = append(pkgs, out.Packages...)
			if next = out.NextToken; next == nil {
				break
			}
		}
		for _, p := range pkgs {
			// Archived versions are hidden unless asked for by status.
			for _, st := range []types.PackageVersionStatus{"", types.PackageVersionStatusArchived} {
				var next *string
				for {
					out, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
						Format: p.Format, Namespace: p.Namespace, Package: p.Package, Status: st, NextToken: next, MaxResults: aws.Int32(1000)})
					if err != nil {
						t.Fatalf("ListPackageVersions %s/%s: %v", repo, aws.ToString(p.Package), err)
					}
					for _, v := range out.Versions {
						vs := relVersion{Status: v.Status, Revision: aws.ToString(v.Revision), Assets: map[string]string{}}
						as, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String(repo),
							Format: p.Format, Namespace: p.Namespace, Package: p.Package, PackageVersion: v.Version})
						if err != nil {
							t.Fatalf("ListPackageVersionAssets %s/%s@%s: %v", repo, aws.ToString(p.Package), aws.ToString(v.Version), err)
						}
						for _, a := range as.Assets {
							vs.Assets[aws.ToString(a.Name)] = a.Hashes["SHA-256"]
						}
						snap[fmt.Sprintf("%s %s/%s/%s@%s", repo, p.Format, aws.ToString(p.Namespace), aws.ToString(p.Package), aws.ToString(v.Version))] = vs
					}
					if next = out.NextToken; next == nil {
						break
					}
				}
			}
		}
	}
	return snap
}

// relBlobFiles lists the digests stored under the data directory's blob
// store, and any upload temp files left behind.
func relBlobFiles(t *testing.T, dataDir string) (blobs map[string]bool, temps []string) {
	t.Helper()
	blobs = map[string]bool{}
	root := filepath.Join(dataDir, "blobs")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "sha256"+string(filepath.Separator)) {
			blobs[d.Name()] = true
		} else {
			temps = append(temps, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk blob store: %v", err)
	}
	return blobs, temps
}

// ---- the crash test

const crashDomain = "crash"

// crashRecord is the ledger's view of one version.
type crashRecord struct {
	ref     relRef
	content []byte
	sha     string
	// pub: "acked" (a 200 came back), "unknown" (no answer: the server
	// died), "present"/"absent" once a restart showed which.
	pub string
	// del: "" (never deleted), "acked", "unknown"; batch groups the
	// versions deleted by one DeletePackageVersions call.
	del   string
	batch int
}

type crashLedger struct {
	mu      sync.Mutex
	recs    map[relRef]*crashRecord
	live    []relRef // acknowledged and not claimed by a delete
	batches int
	errs    []string // answers the server should not have given
}

func (l *crashLedger) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 20 {
		l.errs = append(l.errs, fmt.Sprintf(format, args...))
	}
}

// claim takes up to n live versions for a delete.
func (l *crashLedger) claim(rng *rand.Rand, n int) []relRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []relRef
	for len(out) < n && len(l.live) > 0 {
		i := rng.IntN(len(l.live))
		out = append(out, l.live[i])
		l.live[i] = l.live[len(l.live)-1]
		l.live = l.live[:len(l.live)-1]
	}
	return out
}

// crashContent returns a version's bytes: usually unique, sometimes one of
// a few shared contents, so that deleting one version must not take bytes
// another version still references.
func crashContent(rng *rand.Rand) []byte {
	if rng.IntN(4) == 0 {
		return []byte(fmt.Sprintf("shared content %d\n", rng.IntN(6)))
	}
	b := make([]byte, 1+rng.IntN(48<<10))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// crashCycle runs workers publishing and deleting until the server is
// killed, and returns how many publishes and deletes were acknowledged.
func crashCycle(t *testing.T, s *Server, l *crashLedger, cycle, workers, killAfter int) (pubs, dels int64) {
	c := relClient(s)
	var acked, ackedDel atomic.Int64
	var killed atomic.Bool
	killNow := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cycle), uint64(w)))
			for i := 0; !killed.Load(); i++ {
				if rng.IntN(10) < 3 {
					refs := l.claim(rng, 1+rng.IntN(4))
					if len(refs) > 0 {
						crashDelete(c, l, refs, &killed, &ackedDel)
						continue
					}
				}
				r := relRef{Repo: "repo", NS: "crash", Pkg: fmt.Sprintf("p%d", rng.IntN(5)), Version: fmt.Sprintf("c%d.w%d.%d", cycle, w, i)}
				content := crashContent(rng)
				rec := &crashRecord{ref: r, content: content, sha: relSHA(content), pub: "unknown"}
				l.mu.Lock()
				l.recs[r] = rec
				l.mu.Unlock()
				_, err := relPublish(c, crashDomain, r, "data.bin", content)
				switch {
				case err == nil:
					l.mu.Lock()
					rec.pub = "acked"
					l.live = append(l.live, r)
					l.mu.Unlock()
					if acked.Add(1) == int64(killAfter) {
						once.Do(func() { close(killNow) })
					}
				case relAnswered(err):
					l.fail("publish %s answered %v", r, err)
					l.mu.Lock()
					rec.pub = "refused"
					l.mu.Unlock()
				}
			}
		}(w)
	}
	select {
	case <-killNow:
	case <-time.After(90 * time.Second):
		t.Errorf("cycle %d: only %d publishes acknowledged in 90s", cycle, acked.Load())
	}
	// Let the last acknowledgements race the kill a little.
	time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
	s.Kill()
	killed.Store(true)
	wg.Wait()
	return acked.Load(), ackedDel.Load()
}

func crashDelete(c *ca.Client, l *crashLedger, refs []relRef, killed *atomic.Bool, ackedDel *atomic.Int64) {
	// One call per package: group the claimed versions.
	byPkg := map[string][]relRef{}
	for _, r := range refs {
		byPkg[r.Pkg] = append(byPkg[r.Pkg], r)
	}
	for pkg, rs := range byPkg {
		l.mu.Lock()
		l.batches++
		batch := l.batches
		versions := make([]string, len(rs))
		for i, r := range rs {
			versions[i] = r.Version
			l.recs[r].del, l.recs[r].batch = "unknown", batch
		}
		l.mu.Unlock()
		out, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String(crashDomain), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("crash"), Package: aws.String(pkg), Versions: versions})
		switch {
		case err == nil && len(out.FailedVersions) == 0 && len(out.SuccessfulVersions) == len(versions):
			l.mu.Lock()
			for _, r := range rs {
				l.recs[r].del = "acked"
			}
			l.mu.Unlock()
			ackedDel.Add(int64(len(rs)))
		case err == nil:
			l.fail("delete %s %v: successful %v failed %v", pkg, versions, out.SuccessfulVersions, out.FailedVersions)
		case relAnswered(err):
			l.fail("delete %s %v answered %v", pkg, versions, err)
		}
		if killed.Load() {
			return
		}
	}
}

// crashVerify checks the restarted server against the ledger and settles
// every unknown outcome to what the server shows. It returns how the
// operations the kill cut short came out, for the log.
func crashVerify(t *testing.T, s *Server, l *crashLedger) (inflight string) {
	t.Helper()
	c := relClient(s)
	snap := relSnapshot(t, c, crashDomain, "repo")
	present := map[relRef]relVersion{}
	for k, vs := range snap {
		// "repo generic/crash/pN@version"
		rest := strings.TrimPrefix(k, "repo generic/crash/")
		pkg, version, _ := strings.Cut(rest, "@")
		present[relRef{Repo: "repo", NS: "crash", Pkg: pkg, Version: version}] = vs
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for r, vs := range present {
		rec := l.recs[r]
		if rec == nil {
			t.Errorf("%s is visible but was never published", r)
			continue
		}
		// Present means whole: Published, one asset, the right bytes.
		if vs.Status != types.PackageVersionStatusPublished || len(vs.Assets) != 1 || vs.Assets["data.bin"] != rec.sha {
			t.Errorf("%s (publish %s, delete %q) is half-visible: %s, want Published data.bin=%s", r, rec.pub, rec.del, vs, rec.sha)
			continue
		}
		got, err := relFetch(c, crashDomain, r, "data.bin")
		if err != nil || relSHA(got) != rec.sha || !bytes.Equal(got, rec.content) {
			t.Errorf("%s: download after restart: %d bytes sha %s, err %v; want %d bytes sha %s", r, len(got), relSHA(got), err, len(rec.content), rec.sha)
		}
	}
	batchSeen := map[int]map[bool]int{}
	for r, rec := range l.recs {
		_, here := present[r]
		switch {
		case rec.del == "acked" && here:
			t.Errorf("%s: acknowledged delete undone by the crash", r)
		case rec.del == "" && (rec.pub == "acked" || rec.pub == "present") && !here:
			t.Errorf("%s: acknowledged publish lost in the crash", r)
		case rec.pub == "refused" && here:
			t.Errorf("%s: refused publish is visible", r)
		}
		if rec.del == "unknown" {
			if batchSeen[rec.batch] == nil {
				batchSeen[rec.batch] = map[bool]int{}
			}
			batchSeen[rec.batch][here]++
		}
	}
	for b, seen := range batchSeen {
		if seen[true] > 0 && seen[false] > 0 {
			t.Errorf("delete batch %d was cut in half by the crash: %d versions still there, %d gone", b, seen[true], seen[false])
		}
	}
	var pubIn, pubHere, delIn, delGone int
	for r, rec := range l.recs {
		_, here := present[r]
		if rec.pub == "unknown" {
			pubIn++
			if here {
				pubHere++
			}
		}
		if rec.del == "unknown" {
			delIn++
			if !here {
				delGone++
			}
		}
	}
	inflight = fmt.Sprintf("in flight at the kill: %d publishes (%d committed) and %d version deletes (%d committed)", pubIn, pubHere, delIn, delGone)
	// Settle: from now on every record's state is known.
	l.live = l.live[:0]
	for r, rec := range l.recs {
		if _, here := present[r]; here {
			rec.pub, rec.del, rec.batch = "present", "", 0
			l.live = append(l.live, r)
		} else {
			delete(l.recs, r)
		}
	}
	return inflight
}

// crashGC waits until the collector has made the blob store hold exactly
// the bytes the surviving versions reference, then checks every survivor
// still downloads.
func crashGC(t *testing.T, s *Server, l *crashLedger) {
	t.Helper()
	c := relClient(s)
	want := map[string]bool{}
	for _, vs := range relSnapshot(t, c, crashDomain, "repo") {
		for _, sha := range vs.Assets {
			want[sha] = true
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	var orphans, missing, temps []string
	for first := true; ; first = false {
		have, tmp := relBlobFiles(t, s.DataDir)
		orphans, missing, temps = nil, nil, tmp
		for d := range have {
			if !want[d] {
				orphans = append(orphans, d)
			}
		}
		for d := range want {
			if !have[d] {
				missing = append(missing, d)
			}
		}
		if len(missing) > 0 {
			t.Fatalf("blob collector removed %d referenced blobs, e.g. %s", len(missing), missing[0])
		}
		if first {
			t.Logf("before collection: %d referenced blobs, %d orphans, %d temp files", len(want), len(orphans), len(temps))
		}
		if len(orphans) == 0 && len(temps) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s the blob store still holds %d orphan blobs (%v) and %d temp files (%v)", len(orphans), orphans[:min(3, len(orphans))], len(temps), temps[:min(3, len(temps))])
		}
		time.Sleep(250 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for r, rec := range l.recs {
		got, err := relFetch(c, crashDomain, r, "data.bin")
		if err != nil || !bytes.Equal(got, rec.content) {
			t.Errorf("%s after garbage collection: %d bytes, err %v; want %d bytes sha %s", r, len(got), err, len(rec.content), rec.sha)
		}
	}
	t.Logf("after GC: %d versions, %d distinct blobs on disk, no orphans", len(l.recs), len(want))
}

func TestCrashDuringPublishAndDelete(t *testing.T) {
	// A lease outlives any publish here; once it expires after the crash,
	// the collector may take what the killed publishes left.
	t.Setenv("WHARF_GC_INTERVAL", "200ms")
	t.Setenv("WHARF_GC_GRACE", "1s")
	t.Setenv("WHARF_BLOB_LEASE", "5s")
	cycles, killAfter := 2, 150
	if relLong() {
		cycles, killAfter = 10, 600
	}
	const workers = 100
	start := time.Now()
	s := StartServer(t)
	Setup(t, s.Client(), crashDomain, "repo")
	l := &crashLedger{recs: map[relRef]*crashRecord{}}
	var totalPub, totalDel int64
	for cycle := 0; cycle < cycles; cycle++ {
		pubs, dels := crashCycle(t, s, l, cycle, workers, killAfter)
		totalPub += pubs
		totalDel += dels
		for _, e := range l.errs {
			t.Errorf("cycle %d: %s", cycle, e)
		}
		l.errs = nil
		s.Restart()
		inflight := crashVerify(t, s, l)
		t.Logf("cycle %d: killed after %d acknowledged publishes and %d acknowledged version deletes; %s; %d versions survive", cycle, pubs, dels, inflight, len(l.recs))
		if t.Failed() {
			return
		}
	}
	// The blob leases of publishes the kills cut short expire after 5s.
	crashGC(t, s, l)
	t.Logf("%d kill cycles, %d workers: %d acknowledged publishes, %d acknowledged version deletes, all intact, in %s",
		cycles, workers, totalPub, totalDel, time.Since(start).Round(time.Second))
}
