package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/upstreamtest"
)

// The proxy section (issue 11): npm install of a tree of a few hundred
// real packages through a registry that proxies a public one. The public
// registry is a local stand-in (upstreamtest.Npm, in its own process)
// serving the tree's real packuments and tarballs, fetched once from the
// npm registry into bench/results/proxy-fixture/, after an added delay
// per request standing for the internet. Side by side, each round:
//
//   - npm straight from the delayed stand-in (what a proxy's cold install
//     is held to);
//   - a static mirror: http.FileServer over the same documents, no delay;
//   - Verdaccio 6.8.0 with the stand-in as its uplink, cold (empty
//     storage) then warm (a second install);
//   - Wharf through public:npmjs (--npmjs-url at the stand-in), cold
//     (fresh data directory) then warm.
//
// Every install starts from an empty npm cache and no node_modules.

// proxyRoots are the projects whose dependency trees make the fixture:
// about 300 real packages.
var proxyRoots = map[string]string{"express": "4.21.2", "webpack": "5.97.1", "eslint": "8.57.1", "mocha": "10.8.2", "@babel/core": "7.26.0"}

// proxyFixture describes the fixture directory (fixture.json, written
// last: a fixture without it is incomplete and built again).
type proxyFixture struct {
	Dir      string            `json:"-"`
	Roots    map[string]string `json:"roots"`
	Packages int               `json:"packages"`
	Tarballs int               `json:"tarballs"`
	Bytes    int64             `json:"bytes"`
	Fetched  time.Time         `json:"fetched"`
}

// npm's Accept for npm install, and what a proxy asks for.
const corgiAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

// loadProxyFixture returns the fixture, fetching it from the npm registry
// the first time.
func (b *bench) loadProxyFixture(ctx context.Context, dir string) (*proxyFixture, error) {
	var fx proxyFixture
	if raw, err := os.ReadFile(filepath.Join(dir, "fixture.json")); err == nil && json.Unmarshal(raw, &fx) == nil && fx.Tarballs > 0 {
		fx.Dir = dir
		return &fx, nil
	}
	b.logf("building the proxy fixture in %s from %s (once)", dir, upstreamtest.NpmOrigin)
	os.RemoveAll(dir)
	fx = proxyFixture{Dir: dir, Roots: proxyRoots}
	lock, err := b.resolveTree(ctx, filepath.Join(dir, "resolve"), upstreamtest.NpmOrigin+"/")
	if err != nil {
		return nil, err
	}
	if err := fx.fetch(ctx, b, lock); err != nil {
		return nil, err
	}
	// Packuments fetched a little after the lock was made may name newer
	// versions; resolve again against the fixture itself and fetch what
	// that install would need.
	srv := &http.Server{Handler: upstreamtest.NewNpm(dir)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	self := "http://" + ln.Addr().String()
	again, err := b.resolveTree(ctx, filepath.Join(dir, "resolve-again"), self+"/")
	if err != nil {
		return nil, err
	}
	for i := range again {
		again[i].resolved = strings.Replace(again[i].resolved, self, upstreamtest.NpmOrigin, 1)
	}
	if err := fx.fetch(ctx, b, again); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	fx.Tarballs, fx.Bytes = 0, 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			fx.Bytes += fi.Size()
			if strings.HasSuffix(p, ".tgz") {
				fx.Tarballs++
			}
		}
		return nil
	})
	for _, e := range lock {
		names[e.name] = true
	}
	fx.Packages, fx.Fetched = len(names), time.Now().UTC()
	if err := writeJSON(filepath.Join(dir, "fixture.json"), fx); err != nil {
		return nil, err
	}
	b.logf("proxy fixture: %d packages, %d tarballs, %s", fx.Packages, fx.Tarballs, humanBytes(float64(fx.Bytes)))
	return &fx, nil
}

// lockEntry is a package version of a resolved tree.
type lockEntry struct {
	name, version, resolved, integrity string
}

// resolveTree has npm resolve the fixture's roots against registry
// (npm install --package-lock-only) and returns the tree's versions.
func (b *bench) resolveTree(ctx context.Context, dir, registry string) ([]lockEntry, error) {
	if err := writeProject(dir); err != nil {
		return nil, err
	}
	rc := filepath.Join(dir, ".npmrc-bench")
	os.WriteFile(rc, []byte("registry="+registry+"\naudit=false\nfund=false\nupdate-notifier=false\n"), 0o600)
	cmd := exec.CommandContext(ctx, "npm", "install", "--package-lock-only", "--ignore-scripts", "--userconfig", rc, "--cache", filepath.Join(dir, ".npm-cache"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "NO_UPDATE_NOTIFIER=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("npm install --package-lock-only against %s: %w\n%s", registry, err, lastLines(string(out), 20))
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	var lock struct {
		Packages map[string]struct {
			Version, Resolved, Integrity string
			Link                         bool
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	var out []lockEntry
	for key, p := range lock.Packages {
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || p.Link || p.Resolved == "" {
			continue
		}
		out = append(out, lockEntry{name: key[i+len("node_modules/"):], version: p.Version, resolved: p.Resolved, integrity: p.Integrity})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].resolved < out[j].resolved })
	return out, nil
}

// writeProject writes the package.json of the installed project.
func writeProject(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pj, _ := json.Marshal(map[string]any{"name": "bench-proxy-app", "version": "1.0.0", "private": true, "dependencies": proxyRoots})
	return os.WriteFile(filepath.Join(dir, "package.json"), pj, 0o644)
}

// fetch downloads what the fixture lacks of a tree: each package's full
// and install documents and each version's tarball, checked against the
// lock's integrity.
func (fx *proxyFixture) fetch(ctx context.Context, b *bench, tree []lockEntry) error {
	c := &http.Client{Timeout: 5 * time.Minute}
	get := func(u, accept string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", accept)
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return body, err
	}
	type job struct {
		path string
		run  func() ([]byte, error)
	}
	var jobs []job
	seen := map[string]bool{}
	for _, e := range tree {
		e := e
		if !seen[e.name] {
			seen[e.name] = true
			u := upstreamtest.NpmOrigin + "/" + strings.Replace(e.name, "/", "%2f", 1)
			jobs = append(jobs,
				job{upstreamtest.PackumentFile(fx.Dir, e.name, false), func() ([]byte, error) { return get(u, "application/json") }},
				job{upstreamtest.PackumentFile(fx.Dir, e.name, true), func() ([]byte, error) { return get(u, corgiAccept) }})
		}
		if !strings.HasPrefix(e.resolved, upstreamtest.NpmOrigin+"/") {
			return fmt.Errorf("%s@%s resolves to %s, outside %s", e.name, e.version, e.resolved, upstreamtest.NpmOrigin)
		}
		jobs = append(jobs, job{upstreamtest.TarballFile(fx.Dir, e.name, path.Base(e.resolved)), func() ([]byte, error) {
			tgz, err := get(e.resolved, "*/*")
			if err == nil {
				err = checkIntegrity(e.integrity, tgz)
			}
			return tgz, err
		}})
	}
	var todo []job
	for _, j := range jobs {
		if _, err := os.Stat(j.path); err != nil {
			todo = append(todo, j)
		}
	}
	b.logf("  fetching %d files", len(todo))
	var wg sync.WaitGroup
	errs := make([]error, len(todo))
	sem := make(chan struct{}, 8)
	for i, j := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := j.run()
			if err == nil {
				err = os.MkdirAll(filepath.Dir(j.path), 0o755)
			}
			if err == nil {
				err = os.WriteFile(j.path, body, 0o644)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkIntegrity checks a tarball against an SRI string (sha512 or sha1).
func checkIntegrity(sri string, b []byte) error {
	for part := range strings.FieldsSeq(sri) {
		algo, want, _ := strings.Cut(part, "-")
		var got []byte
		switch algo {
		case "sha512":
			s := sha512.Sum512(b)
			got = s[:]
		case "sha1":
			s := sha1.Sum(b)
			got = s[:]
		default:
			continue
		}
		if base64.StdEncoding.EncodeToString(got) != want {
			return fmt.Errorf("tarball does not match %s", part)
		}
		return nil
	}
	return fmt.Errorf("no usable integrity in %q", sri)
}

// npmUpstreamMain is the "npm-upstream" command: the stand-in for the
// public registry, in its own process so its CPU is its own. /_standin/
// reports how many requests reached it (no npm name starts with "_").
func npmUpstreamMain(args []string) error {
	fs := flag.NewFlagSet("npm-upstream", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	dir := fs.String("dir", "", "fixture directory")
	delay := fs.Duration("delay", 50*time.Millisecond, "added delay per request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := upstreamtest.NewNpm(*dir)
	n.SetDelay(*delay)
	mux := http.NewServeMux()
	mux.Handle("/", n)
	mux.HandleFunc("/_standin/requests", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, n.Total()) })
	mux.HandleFunc("/_standin/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.Serve(ln)
}

// upstreamRequests asks the stand-in how many requests it has had.
func upstreamRequests(base string) int {
	resp, err := http.Get(base + "/_standin/requests")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var n int
	fmt.Fscan(resp.Body, &n)
	return n
}

// staticProxyMirror writes the fixture as plain files for http.FileServer:
// install documents at the paths npm asks for (NAME, @SCOPE/NAME) and
// tarballs under _tgz/, their URLs rewritten to point there.
func staticProxyMirror(fx *proxyFixture, dir, base string) error {
	ents, err := os.ReadDir(filepath.Join(fx.Dir, "abbreviated"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		name, err := url.PathUnescape(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil {
			return err
		}
		doc, err := os.ReadFile(filepath.Join(fx.Dir, "abbreviated", e.Name()))
		if err != nil {
			return err
		}
		doc = []byte(strings.ReplaceAll(string(doc), upstreamtest.NpmOrigin+"/", base+"_tgz/"))
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			return err
		}
	}
	tgzs, err := os.ReadDir(filepath.Join(fx.Dir, "tarballs"))
	if err != nil {
		return err
	}
	for _, e := range tgzs {
		name, err := url.PathUnescape(e.Name())
		if err != nil {
			return err
		}
		from := filepath.Join(fx.Dir, "tarballs", e.Name(), "-")
		to := filepath.Join(dir, "_tgz", filepath.FromSlash(name), "-")
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		// The same files, not copies.
		if err := os.Symlink(from, to); err != nil {
			return err
		}
	}
	return nil
}

// countInstalled counts the packages in a project's node_modules,
// nested ones included.
func countInstalled(project string) int {
	n := 0
	var walk func(dir string, scope bool)
	walk = func(dir string, scope bool) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if !scope && strings.HasPrefix(e.Name(), "@") {
				walk(p, true)
				continue
			}
			if _, err := os.Stat(filepath.Join(p, "package.json")); err == nil {
				n++
			}
			walk(filepath.Join(p, "node_modules"), false)
		}
	}
	walk(filepath.Join(project, "node_modules"), false)
	return n
}

// Names of the measured installs.
const (
	pxDirect    = "npm from the delayed registry directly"
	pxStatic    = "static mirror (http.FileServer, no delay)"
	pxVerdCold  = "Verdaccio cold"
	pxVerdWarm  = "Verdaccio warm"
	pxWharfCold = "Wharf cold"
	pxWharfWarm = "Wharf warm"
	pxBaseCold  = "Wharf baseline cold"
	pxBaseWarm  = "Wharf baseline warm"
)

// proxyFigures runs the proxy section.
func proxyFigures(ctx context.Context, b *bench) ([]*Figure, error) {
	fx, err := b.loadProxyFixture(ctx, b.proxyFixtureDir)
	if err != nil {
		return nil, err
	}
	vbin, err := b.installVerdaccio(ctx)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	up, err := startProc("npm-upstream", filepath.Join(b.runDir, "npm-upstream.log"), "/_standin/healthz",
		exec.Command(self, "npm-upstream", "-listen", addr, "-dir", fx.Dir, "-delay", b.proxyDelay.String()), "http://"+addr)
	if err != nil {
		return nil, err
	}
	b.cleanup(up.Stop)

	staticDir := filepath.Join(b.runDir, "proxy-static")
	ceil, err := startCeiling(b.runDir, ceilingSpec{Dir: staticDir})
	if err != nil {
		return nil, err
	}
	b.cleanup(ceil.Stop)
	if err := staticProxyMirror(fx, staticDir, ceil.URL+"/files/"); err != nil {
		return nil, err
	}
	direct := &npmRegistry{Name: "direct", Base: up.URL + "/", Token: "unused", Pid: up.Pid()}
	static := &npmRegistry{Name: "static", Base: ceil.URL + "/files/", Token: "unused", Pid: ceil.Pid()}
	cli, err := newNpmCLI(b, []*npmRegistry{direct, static})
	if err != nil {
		return nil, err
	}

	times := map[string][]float64{}
	cpus := map[string][]float64{}
	upReqs := map[string][]float64{}
	want := 0
	install := func(label string, reg *npmRegistry, round int) error {
		dir := filepath.Join(b.runDir, "proxy-install", fmt.Sprintf("r%d-%s", round, profileName(strings.ToLower(label))))
		if err := writeProject(dir); err != nil {
			return err
		}
		up0 := upstreamRequests(up.URL)
		cpu0, _ := procCPU(reg.Pid)
		el, npmCPU, err := cli.runCPU(ctx, reg, dir, filepath.Join(dir, ".npm-cache"), "install", "--ignore-scripts", "--no-package-lock")
		if err != nil {
			return err
		}
		cpu1, _ := procCPU(reg.Pid)
		got := countInstalled(dir)
		if want == 0 {
			want = got
		}
		if got != want || got == 0 {
			return fmt.Errorf("npm install through %s installed %d packages, the first install %d", label, got, want)
		}
		reached := upstreamRequests(up.URL) - up0
		b.logf("  %-44s %7.2f s  server CPU %6.2f s  npm CPU %6.2f s  %4d requests reached the registry  (%d packages)",
			label, el.Seconds(), (cpu1 - cpu0).Seconds(), npmCPU.Seconds(), reached, got)
		os.RemoveAll(dir)
		if round >= 0 {
			times[label] = append(times[label], el.Seconds())
			cpus[label] = append(cpus[label], (cpu1 - cpu0).Seconds())
			upReqs[label] = append(upReqs[label], float64(reached))
		}
		return nil
	}
	verdaccio := func(round int) error {
		name := fmt.Sprintf("verdaccio-proxy-%d", round+1)
		p, token, err := b.startVerdaccioAt(ctx, vbin, name, up.URL+"/")
		if err != nil {
			return err
		}
		defer func() {
			p.Stop()
			os.RemoveAll(filepath.Join(b.runDir, name))
		}()
		reg := &npmRegistry{Name: name, Base: p.URL + "/", Token: token, Pid: p.Pid()}
		if err := cli.configure(reg); err != nil {
			return err
		}
		if err := install(pxVerdCold, reg, round); err != nil {
			return err
		}
		return install(pxVerdWarm, reg, round)
	}
	wharfBin := func(bin, prefix, cold, warm string, profile bool) func(int) error {
		return func(round int) error {
			name := fmt.Sprintf("%s-%d", prefix, round+1)
			data := filepath.Join(b.runDir, name)
			p, err := b.startWharfBin(bin, name, data, b.metrics, "--npmjs-url", up.URL)
			if err != nil {
				return err
			}
			defer func() {
				p.Stop()
				os.RemoveAll(data)
			}()
			token, endpoint, err := wharfNpmSetup(ctx, p.URL, "public:npmjs")
			if err != nil {
				return err
			}
			reg := &npmRegistry{Name: name, Base: endpoint, Token: token, Pid: p.Pid(), Debug: p.Debug}
			if err := cli.configure(reg); err != nil {
				return err
			}
			if err := install(cold, reg, round); err != nil {
				return err
			}
			if !profile {
				return install(warm, reg, round)
			}
			return b.profileWhile("npm install warm through public:npmjs", p.Debug, 120, func() error { return install(warm, reg, round) })
		}
	}
	wharf := wharfBin(b.wharfBin, "wharf-proxy", pxWharfCold, pxWharfWarm, true)
	b.logf("npm install of %s (%d packages in the fixture) with %s added per registry request", strings.Join(sortedRoots(), ", "), fx.Packages, b.proxyDelay)
	// One untimed install warms npm itself and the page cache.
	if err := install(pxStatic, static, -1); err != nil {
		return nil, err
	}
	steps := []func(int) error{
		func(r int) error { return install(pxDirect, direct, r) },
		func(r int) error { return install(pxStatic, static, r) },
		verdaccio,
		wharf,
	}
	labels := []string{pxDirect, pxStatic, pxVerdCold, pxVerdWarm, pxWharfCold, pxWharfWarm}
	if b.proxyBaselineBin != "" {
		steps = append(steps, wharfBin(b.proxyBaselineBin, "wharf-baseline-proxy", pxBaseCold, pxBaseWarm, false))
		labels = append(labels, pxBaseCold, pxBaseWarm)
	}
	for r := 0; r < b.rounds; r++ {
		for k := range steps {
			if err := steps[(k+r)%len(steps)](r); err != nil {
				return nil, err
			}
		}
	}

	wall := &Figure{Name: fmt.Sprintf("npm install of %d real packages through a proxy of a registry %s away (wall time)", want, b.proxyDelay), Unit: "s"}
	cpu := &Figure{Name: "server CPU per proxied npm install (user+sys of the registry's process)", Unit: "s"}
	for _, l := range labels {
		wall.Results = append(wall.Results, TargetResult{Name: l, Requests: 1, Concurrency: 1, RPS: statOf(times[l])})
		cpu.Results = append(cpu.Results, TargetResult{Name: l, Requests: 1, Concurrency: 1, RPS: statOf(cpus[l])})
	}
	ratio := func(f *Figure, from map[string][]float64, a, bb, target string, ok func(float64) bool) {
		var rs []float64
		for i := range from[a] {
			rs = append(rs, from[a][i]/from[bb][i])
		}
		f.addRatio(a+" / "+bb, statOf(rs), target, ok)
	}
	ratio(wall, times, pxWharfWarm, pxStatic, "≤ 1.15x", atMost(1.15))
	ratio(wall, times, pxWharfWarm, pxVerdWarm, "< 1x", below(1))
	ratio(wall, times, pxWharfCold, pxDirect, "≤ 1.2x", atMost(1.2))
	ratio(wall, times, pxVerdWarm, pxStatic, "", nil)
	ratio(wall, times, pxVerdCold, pxDirect, "", nil)
	ratio(cpu, cpus, pxWharfWarm, pxVerdWarm, "≤ 0.2x", atMost(0.2))
	ratio(cpu, cpus, pxWharfCold, pxVerdCold, "", nil)
	if b.proxyBaselineBin != "" {
		ratio(wall, times, pxBaseWarm, pxStatic, "", nil)
		ratio(cpu, cpus, pxBaseWarm, pxVerdWarm, "", nil)
		ratio(cpu, cpus, pxWharfWarm, pxBaseWarm, "", nil)
		cpu.Notes = append(cpu.Notes, "baseline: "+b.proxyBaselineBin)
	}
	var reached []string
	for _, l := range labels {
		st := statOf(upReqs[l])
		reached = append(reached, fmt.Sprintf("%s %.0f", l, st.Median))
	}
	wall.Notes = append(wall.Notes,
		"requests that reached the delayed registry per install (median): "+strings.Join(reached, ", "),
		fmt.Sprintf("fixture: the trees of %s fetched from the npm registry on %s (%d packages, %d tarballs, %s); cold = empty storage, warm = a second install right after; every install with an empty npm cache",
			strings.Join(sortedRoots(), ", "), fx.Fetched.Format("2006-01-02"), fx.Packages, fx.Tarballs, humanBytes(float64(fx.Bytes))))
	return []*Figure{wall, cpu}, nil
}

func sortedRoots() []string {
	var out []string
	for n, v := range proxyRoots {
		out = append(out, n+"@"+v)
	}
	sort.Strings(out)
	return out
}
