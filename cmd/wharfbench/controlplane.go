package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// The control-plane figures run against a generic package "bench/big" in
// repository "bench/repo", seeded straight through the metadata store.
const (
	cpDomain = "bench"
	cpRepo   = "repo"
	cpNS     = "bench"
	cpPkg    = "big"
)

// sigv4 signs control-plane requests as the AWS SDKs do, afresh for each
// request (a replay cache may refuse a repeated signature).
type sigv4 struct {
	signer *v4.Signer
	creds  aws.Credentials
}

func newSigV4() *sigv4 {
	return &sigv4{signer: v4.NewSigner(), creds: aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}}
}

// request builds a signed control-plane request. body may be nil; hash is
// the body's SHA-256 (computed when empty and body is a []byte).
func (s *sigv4) request(ctx context.Context, method, base, path string, q url.Values, body io.Reader, size int64, hash string) (*http.Request, error) {
	return s.requestType(ctx, method, base, path, q, body, size, hash, "application/octet-stream")
}

func (s *sigv4) requestType(ctx context.Context, method, base, path string, q url.Values, body io.Reader, size int64, hash, ctype string) (*http.Request, error) {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	if body == nil {
		hash = emptySHA256
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if size > 0 {
		req.Header.Set("Content-Type", ctype)
	}
	return req, s.signer.SignHTTP(ctx, s.creds, req, hash, "codeartifact", benchRegion, time.Now())
}

func (s *sigv4) jsonRequest(ctx context.Context, method, base, path string, q url.Values, v any) (*http.Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return s.requestType(ctx, method, base, path, q, bytes.NewReader(b), int64(len(b)), hex.EncodeToString(sum[:]), "application/json")
}

func pkgQuery() url.Values {
	return url.Values{"domain": {cpDomain}, "repository": {cpRepo}, "format": {"generic"}, "namespace": {cpNS}, "package": {cpPkg}}
}

// do sends a request and decodes a JSON answer into out (if not nil).
func do(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, &errStatus{resp.StatusCode, string(b)})
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// seedVersion names the i-th seeded version. Zero-padded so that the
// store's order is the numeric order.
func seedVersion(i int) string { return fmt.Sprintf("1.0.%07d", i) }

// deletableVersion names the i-th version kept for the delete figure.
func deletableVersion(i int) string { return fmt.Sprintf("9.%07d", i) }

// seedControlPlane creates the domain and repository through the service
// and then writes the package's versions straight into the metadata
// store, each with one asset record of its own digest (the bytes are not
// written: no figure downloads them). It returns how long the versions
// took.
func seedControlPlane(ctx context.Context, dataDir string, versions, deletable int, logf func(string, ...any)) (time.Duration, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return 0, err
	}
	m, err := sqlite.Open(ctx, filepath.Join(dataDir, "wharf.db"))
	if err != nil {
		return 0, err
	}
	defer m.Close()
	b, err := fs.New(filepath.Join(dataDir, "blobs"))
	if err != nil {
		return 0, err
	}
	svc := service.New(m, b, nil, service.Config{Region: benchRegion})
	caller := service.Caller{Account: benchAccount, ARN: "arn:aws:iam::" + benchAccount + ":root", AccessKeyID: benchKeyID}
	if _, err := svc.CreateDomain(ctx, caller, service.CreateDomainInput{Domain: cpDomain}); err != nil {
		return 0, fmt.Errorf("seed domain: %w", err)
	}
	if _, err := svc.CreateRepository(ctx, caller, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: cpDomain, Repository: cpRepo}}); err != nil {
		return 0, fmt.Errorf("seed repository: %w", err)
	}
	start := time.Now()
	var pkgID, repoID int64
	err = m.Update(ctx, func(tx meta.Tx) error {
		d, err := tx.GetDomain(benchAccount, cpDomain)
		if err != nil {
			return err
		}
		r, err := tx.GetRepository(d.ID, cpRepo)
		if err != nil {
			return err
		}
		repoID = r.ID
		p := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: cpNS, Name: cpPkg}, Origin: model.DefaultOriginForPublish}
		if err := tx.CreatePackage(p); err != nil {
			return err
		}
		pkgID = p.ID
		return nil
	})
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, versions+deletable)
	for i := 0; i < versions; i++ {
		names = append(names, seedVersion(i))
	}
	for i := 0; i < deletable; i++ {
		names = append(names, deletableVersion(i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	const batch = 20000
	for lo := 0; lo < len(names); lo += batch {
		hi := min(lo+batch, len(names))
		err := m.Update(ctx, func(tx meta.Tx) error {
			for i, name := range names[lo:hi] {
				v := &model.Version{PackageID: pkgID, Version: name, Status: model.StatusPublished, Revision: revision(rng),
					PublishedTime: now.Add(time.Duration(lo+i) * time.Millisecond), OriginType: model.OriginInternal, OriginRepository: cpRepo}
				if err := tx.CreateVersion(v); err != nil {
					return fmt.Errorf("version %s: %w", name, err)
				}
				var d [32]byte
				for j := range 4 {
					x := rng.Uint64()
					for k := range 8 {
						d[j*8+k] = byte(x >> (8 * k))
					}
				}
				sha := hex.EncodeToString(d[:])
				a := &model.Asset{VersionID: v.ID, Name: "data.bin", Size: 1024, Created: now,
					Hashes: model.Hashes{SHA256: sha, SHA1: sha[:40], MD5: sha[:32], SHA512: sha + sha}}
				if err := tx.PutAsset(a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if hi%200000 == 0 || hi == len(names) {
			logf("  seeded %d/%d versions in %s", hi, len(names), time.Since(start).Round(time.Millisecond))
		}
	}
	_ = repoID
	return time.Since(start), nil
}

// revision is a revision of the form the service makes: base64 of 32
// random bytes.
func revision(rng *rand.Rand) string {
	var b [32]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// cpServer is a seeded Wharf for the control-plane figures.
type cpServer struct {
	label    string // "1k", "1M"
	versions int
	proc     *Proc
	seedTime time.Duration
	nextDel  int // next deletable version
}

// controlPlaneFigures measures reads and writes at two repository sizes
// side by side, with the trivial handler replaying Wharf's own answers as
// the ceiling.
func controlPlaneFigures(ctx context.Context, b *bench) (figs []*Figure, err error) {
	s := newSigV4()
	// Each delete round deletes deleteCalls×100 versions; they are seeded
	// up front so that the "1k" repository ends the run at 1k versions.
	deleteCalls := 10
	deletable := (b.rounds + 1) * deleteCalls * 100
	servers := []*cpServer{{label: "1k", versions: 1000}, {label: humanCount(b.bigVersions), versions: b.bigVersions}}
	for _, cs := range servers {
		dir := filepath.Join(b.runDir, "wharf-cp-"+cs.label)
		b.logf("seeding %d versions (+%d for deletes) into %s through the metadata store", cs.versions, deletable, dir)
		d, err := seedControlPlane(ctx, dir, cs.versions, deletable, b.logf)
		if err != nil {
			return figs, fmt.Errorf("seed %s: %w", cs.label, err)
		}
		cs.seedTime = d
		b.logf("seeded %s in %s", cs.label, d.Round(time.Millisecond))
		if cs.proc, err = b.startWharf("wharf-cp-"+cs.label, dir); err != nil {
			return figs, err
		}
		b.cleanup(cs.proc.Stop)
	}
	small, big := servers[0], servers[1]
	c := newClient(b.conc)

	// Capture Wharf's own answers for the trivial handler to replay.
	descQ := func(v string) url.Values { q := pkgQuery(); q.Set("version", v); return q }
	req, err := s.request(ctx, "GET", small.proc.URL, "/v1/package/version", descQ(seedVersion(7)), nil, 0, "")
	if err != nil {
		return figs, err
	}
	descFixed, _, err := captureFixed(c, req, b.runDir, "describe.json")
	if err != nil {
		return figs, err
	}
	req, _ = s.request(ctx, "POST", small.proc.URL, "/v1/package/versions", pkgQuery(), nil, 0, "")
	listFixed, listBody, err := captureFixed(c, req, b.runDir, "list.json")
	if err != nil {
		return figs, err
	}
	var first struct {
		NextToken string `json:"nextToken"`
	}
	if err := json.Unmarshal(listBody, &first); err != nil || first.NextToken == "" {
		return figs, fmt.Errorf("ListPackageVersions gave no nextToken: %v %.200s", err, listBody)
	}
	ceil, err := startCeiling(filepath.Join(b.runDir), ceilingSpec{Fixed: map[string]fixedBody{"describe": descFixed, "list": listFixed}, Dir: b.runDir})
	if err != nil {
		return figs, err
	}
	b.cleanup(ceil.Stop)

	// Reads. Each request is signed afresh; the trivial handler gets the
	// same signed requests and ignores them.
	tokens := map[*cpServer]string{}
	for _, cs := range servers {
		req, _ := s.request(ctx, "POST", cs.proc.URL, "/v1/package/versions", pkgQuery(), nil, 0, "")
		var out struct {
			NextToken string `json:"nextToken"`
		}
		if err := do(c, req, &out); err != nil {
			return figs, err
		}
		tokens[cs] = out.NextToken
	}
	rnd := func(i, n int) int { return int(uint64(i) * 2654435761 % uint64(n)) }
	describe := func(base, path string, n int) RequestFunc {
		return func(i int) (*http.Request, error) {
			return s.request(ctx, "GET", base, path, descQ(seedVersion(rnd(i, n))), nil, 0, "")
		}
	}
	listPage := func(base, path, token string) RequestFunc {
		return func(i int) (*http.Request, error) {
			q := pkgQuery()
			if token != "" {
				q.Set("next-token", token)
			}
			return s.request(ctx, "POST", base, path, q, nil, 0, "")
		}
	}
	n := b.scale(10000)
	fig, err := b.compare(ctx, "control plane: DescribePackageVersion", []*Target{
		{Name: "Wharf " + small.label, N: n, Conc: b.conc, Debug: small.proc.Debug, Pid: small.proc.Pid(), Req: describe(small.proc.URL, "/v1/package/version", small.versions)},
		{Name: "Wharf " + big.label, N: n, Conc: b.conc, Debug: big.proc.Debug, Pid: big.proc.Pid(), Req: describe(big.proc.URL, "/v1/package/version", big.versions)},
		{Name: "trivial handler", N: n, Conc: b.conc, Pid: ceil.Pid(), Req: describe(ceil.URL, "/fixed/describe", small.versions)},
	})
	if err != nil {
		return figs, err
	}
	fig.ratio("Wharf "+small.label, "trivial handler", "≥ 0.5x", atLeast(0.5))
	fig.ratio("Wharf "+big.label, "trivial handler", "≥ 0.5x", atLeast(0.5))
	figs = append(figs, fig)

	for _, page := range []struct{ name, which string }{{"control plane: ListPackageVersions, first page (50)", ""}, {"control plane: ListPackageVersions, next page via nextToken", "next"}} {
		tok := func(cs *cpServer) string {
			if page.which == "" {
				return ""
			}
			return tokens[cs]
		}
		fig, err := b.compare(ctx, page.name, []*Target{
			{Name: "Wharf " + small.label, N: n / 2, Conc: b.conc, Debug: small.proc.Debug, Pid: small.proc.Pid(), Req: listPage(small.proc.URL, "/v1/package/versions", tok(small))},
			{Name: "Wharf " + big.label, N: n / 2, Conc: b.conc, Debug: big.proc.Debug, Pid: big.proc.Pid(), Req: listPage(big.proc.URL, "/v1/package/versions", tok(big))},
			{Name: "trivial handler", N: n / 2, Conc: b.conc, Pid: ceil.Pid(), Req: listPage(ceil.URL, "/fixed/list", "")},
		})
		if err != nil {
			return figs, err
		}
		fig.ratio("Wharf "+small.label, "trivial handler", "≥ 0.5x", atLeast(0.5))
		fig.ratio("Wharf "+big.label, "trivial handler", "≥ 0.5x", atLeast(0.5))
		figs = append(figs, fig)
	}

	// PublishPackageVersion: small generic assets, new versions each time.
	var pubSeq int
	publish := func(cs *cpServer) RequestFunc {
		round := pubSeq
		pubSeq++
		return func(i int) (*http.Request, error) {
			content := []byte(fmt.Sprintf("asset %s %d %d\n", cs.label, round, i))
			sum := sha256.Sum256(content)
			q := pkgQuery()
			q.Set("version", fmt.Sprintf("5.%d.%d", round, i))
			q.Set("asset", "data.bin")
			return s.request(ctx, "POST", cs.proc.URL, "/v1/package/version/publish", q, bytes.NewReader(content), int64(len(content)), hex.EncodeToString(sum[:]))
		}
	}
	pubFig := &Figure{Name: "control plane: PublishPackageVersion (small generic asset)", Unit: "req/s"}
	pubRuns := map[string][]Run{}
	pn := b.scale(600)
	for r := -1; r < b.rounds; r++ { // round -1 warms up
		for _, cs := range servers {
			cpu0, _ := procCPU(cs.proc.Pid())
			run, err := Load(ctx, c, pn, 8, publish(cs))
			if err != nil {
				return figs, fmt.Errorf("publish %s: %w", cs.label, err)
			}
			cpu1, _ := procCPU(cs.proc.Pid())
			run.ServerCPU = cpu1 - cpu0
			if r >= 0 {
				pubRuns[cs.label] = append(pubRuns[cs.label], run)
			}
		}
	}
	for _, cs := range servers {
		pubFig.Results = append(pubFig.Results, summarize("Wharf "+cs.label, pn, 8, pubRuns[cs.label], true))
	}
	pubFig.ratio("Wharf "+big.label, "Wharf "+small.label, "", nil)
	figs = append(figs, pubFig)

	// DeletePackageVersions of 100 versions per call, one call at a time:
	// the cost of a cleanup job's page, at both sizes. Calls alternate
	// between the two servers so both see the same moment of the machine.
	delFig := &Figure{Name: "control plane: DeletePackageVersions, 100 versions per call, one call at a time", Unit: "ms/call"}
	delMs := map[string][]float64{}
	deleteOne := func(cs *cpServer) (time.Duration, error) {
		vs := make([]string, 100)
		for j := range vs {
			vs[j] = deletableVersion(cs.nextDel)
			cs.nextDel++
		}
		req, err := s.jsonRequest(ctx, "POST", cs.proc.URL, "/v1/package/versions/delete", pkgQuery(), map[string]any{"versions": vs})
		if err != nil {
			return 0, err
		}
		var out struct {
			Successful map[string]any `json:"successfulVersions"`
			Failed     map[string]any `json:"failedVersions"`
		}
		t0 := time.Now()
		if err := do(c, req, &out); err != nil {
			return 0, err
		}
		el := time.Since(t0)
		if len(out.Successful) != 100 || len(out.Failed) != 0 {
			return 0, fmt.Errorf("delete on %s: %d deleted, failures %v", cs.label, len(out.Successful), out.Failed)
		}
		return el, nil
	}
	for r := -1; r < b.rounds; r++ {
		total := map[*cpServer]time.Duration{}
		deletes := func() error {
			for k := 0; k < deleteCalls; k++ {
				for i := range servers {
					cs := servers[(i+k)%len(servers)]
					el, err := deleteOne(cs)
					if err != nil {
						return err
					}
					total[cs] += el
				}
			}
			return nil
		}
		var err error
		if r == 0 {
			err = b.profileWhile("DeletePackageVersions-"+big.label, big.proc.Debug, 20, deletes)
		} else {
			err = deletes()
		}
		if err != nil {
			return figs, err
		}
		if r >= 0 {
			for _, cs := range servers {
				delMs[cs.label] = append(delMs[cs.label], float64(total[cs])/float64(time.Millisecond)/float64(deleteCalls))
			}
		}
	}
	for _, cs := range servers {
		delFig.Results = append(delFig.Results, TargetResult{Name: "Wharf " + cs.label, Requests: deleteCalls, Concurrency: 1, RPS: statOf(delMs[cs.label])})
	}
	var dr []float64
	for i := range delMs[big.label] {
		dr = append(dr, delMs[big.label][i]/delMs[small.label][i])
	}
	delFig.addRatio("cost at "+big.label+" / cost at "+small.label, statOf(dr), "≤ 1.5x", atMost(1.5))
	delFig.Notes = append(delFig.Notes, fmt.Sprintf("each repository also holds the %d versions this figure deletes (%d calls per round, alternating between the servers); seeding through the metadata store: %d versions in %s, %d versions in %s",
		deletable, deleteCalls, small.versions+deletable, small.seedTime.Round(time.Millisecond), big.versions+deletable, big.seedTime.Round(time.Second)))
	figs = append(figs, delFig)
	return figs, nil
}

func humanCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}
