package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// npmFigures loads the same packages into Wharf and Verdaccio and
// measures packument and tarball GETs (with the trivial handler and
// http.FileServer on the same bytes as ceilings), then npm publish and
// npm install with the real npm client against each.
func npmFigures(ctx context.Context, b *bench) (figs []*Figure, err error) {
	vbin, err := b.installVerdaccio(ctx)
	if err != nil {
		return nil, err
	}
	vproc, vtoken, err := b.startVerdaccio(ctx, vbin)
	if err != nil {
		return nil, err
	}
	b.cleanup(vproc.Stop)
	wproc, err := b.startWharf("wharf-npm", filepath.Join(b.runDir, "wharf-npm"))
	if err != nil {
		return nil, err
	}
	b.cleanup(wproc.Stop)
	wtoken, wbase, err := wharfNpmSetup(ctx, wproc.URL, "")
	if err != nil {
		return nil, err
	}
	wharf := &npmRegistry{Name: "Wharf", Base: wbase, Token: wtoken, Pid: wproc.Pid(), Debug: wproc.Debug}
	verd := &npmRegistry{Name: "Verdaccio", Base: vproc.URL + "/", Token: vtoken, Pid: vproc.Pid()}
	regs := []*npmRegistry{wharf, verd}

	// The same data into both, each registry loaded by one client in
	// order (Verdaccio rewrites a package's whole document per publish,
	// so concurrent publishes to one package would conflict there).
	var load []npmPackage
	for i := 0; i < 10; i++ {
		load = append(load, npmPackage{Name: "bench-small", Version: fmt.Sprintf("1.0.%d", i), Deps: map[string]string{"bench-dep-1": "^1.0.0"}})
	}
	load = append(load, npmPackage{Name: "bench-tarball", Version: "1.0.0", Filler: 48 << 10})
	roots, tree := depTree("bench-dep")
	load = append(load, tree...)
	for i := 0; i < b.bigPackument; i++ {
		load = append(load, npmPackage{Name: "bench-big", Version: semverOf(i), Deps: map[string]string{"bench-dep-1": "^1.0.0", "bench-dep-2": "^1.0.0"}})
	}
	b.logf("loading %d package versions (a 10-version package, a %d-version one, a 48 KiB tarball, a 50-package tree) into Wharf and Verdaccio", len(load), b.bigPackument)
	var wg sync.WaitGroup
	loadErr := make([]error, len(regs))
	loadTime := make([]time.Duration, len(regs))
	for i, r := range regs {
		wg.Add(1)
		go func(i int, r *npmRegistry) {
			defer wg.Done()
			c := newClient(1)
			t0 := time.Now()
			for _, p := range load {
				if err := r.publish(ctx, c, p); err != nil {
					loadErr[i] = err
					return
				}
			}
			loadTime[i] = time.Since(t0)
		}(i, r)
	}
	wg.Wait()
	for _, err := range loadErr {
		if err != nil {
			return nil, err
		}
	}
	for i, r := range regs {
		b.logf("  %s loaded in %s", r.Name, loadTime[i].Round(time.Millisecond))
	}
	loadNote := fmt.Sprintf("loading %d versions through the npm publish protocol, one at a time: Wharf %s, Verdaccio %s",
		len(load), loadTime[0].Round(time.Second), loadTime[1].Round(time.Second))

	// Ceilings: Wharf's own answers replayed by the trivial handler, and
	// the tarball's bytes from a file through http.FileServer.
	c := newClient(b.conc)
	fixed := map[string]fixedBody{}
	for _, f := range []struct{ name, pkg, accept string }{
		{"small", "bench-small", acceptFull}, {"big", "bench-big", acceptFull}, {"abbrev", "bench-big", acceptAbbrev},
		{"tarball", "bench-tarball/-/bench-tarball-1.0.0.tgz", acceptFull},
	} {
		req, err := wharf.get(ctx, wharf.Base+f.pkg, f.accept)
		if err != nil {
			return nil, err
		}
		fb, body, err := captureFixed(c, req, b.runDir, f.name)
		if err != nil {
			return nil, err
		}
		fixed[f.name] = fb
		if f.name == "tarball" {
			if err := os.MkdirAll(filepath.Join(b.runDir, "files"), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(b.runDir, "files", "bench-tarball-1.0.0.tgz"), body, 0o644); err != nil {
				return nil, err
			}
		}
	}
	ceil, err := startCeiling(b.runDir, ceilingSpec{Fixed: fixed, Dir: filepath.Join(b.runDir, "files")})
	if err != nil {
		return nil, err
	}
	b.cleanup(ceil.Stop)
	ceilReg := &npmRegistry{Name: "ceiling", Base: ceil.URL + "/", Token: "unused"}

	get := func(r *npmRegistry, path, accept string) RequestFunc {
		return func(int) (*http.Request, error) { return r.get(ctx, r.Base+path, accept) }
	}
	type fig struct {
		name, path, accept, fixed string
		fast, slow                int
		target                    float64
	}
	for _, f := range []fig{
		{"npm packument GET, 10 versions", "bench-small", acceptFull, "small", 30000, 1500, 20},
		{fmt.Sprintf("npm packument GET, %d versions", b.bigPackument), "bench-big", acceptFull, "big", 10000, 30, 20},
		{fmt.Sprintf("npm abbreviated packument GET, %d versions", b.bigPackument), "bench-big", acceptAbbrev, "abbrev", 15000, 30, 20},
	} {
		fg, err := b.compare(ctx, f.name, []*Target{
			{Name: "Wharf", N: b.scale(f.fast), Conc: b.conc, Pid: wharf.Pid, Debug: wharf.Debug, Req: get(wharf, f.path, f.accept)},
			{Name: "Verdaccio", N: b.scale(f.slow), Conc: b.conc, Pid: verd.Pid, Req: get(verd, f.path, f.accept)},
			{Name: "trivial handler", N: b.scale(f.fast), Conc: b.conc, Pid: ceil.Pid(), Req: get(ceilReg, "fixed/"+f.fixed, f.accept)},
		})
		if err != nil {
			return figs, err
		}
		fg.ratio("Wharf", "Verdaccio", fmt.Sprintf("≥ %gx", f.target), atLeast(f.target))
		fg.ratio("Wharf", "trivial handler", "", nil)
		figs = append(figs, fg)
	}
	tgz := "bench-tarball/-/bench-tarball-1.0.0.tgz"
	fg, err := b.compare(ctx, "npm tarball GET, 48 KiB", []*Target{
		{Name: "Wharf", N: b.scale(30000), Conc: b.conc, Pid: wharf.Pid, Debug: wharf.Debug, Req: get(wharf, tgz, "*/*")},
		{Name: "Verdaccio", N: b.scale(1500), Conc: b.conc, Pid: verd.Pid, Req: get(verd, tgz, "*/*")},
		{Name: "http.FileServer", N: b.scale(30000), Conc: b.conc, Pid: ceil.Pid(), Req: get(ceilReg, "files/bench-tarball-1.0.0.tgz", "*/*")},
		{Name: "trivial handler", N: b.scale(30000), Conc: b.conc, Pid: ceil.Pid(), Req: get(ceilReg, "fixed/tarball", "*/*")},
	})
	if err != nil {
		return figs, err
	}
	fg.ratio("Wharf", "Verdaccio", "≥ 5x", atLeast(5))
	fg.ratio("Wharf", "http.FileServer", "≥ 0.7x", atLeast(0.7))
	fg.ratio("Wharf", "trivial handler", "", nil)
	fg.Notes = append(fg.Notes, loadNote)
	figs = append(figs, fg)

	// The real npm client. A static mirror of Wharf's packuments and
	// tarballs on http.FileServer shows the floor: npm's own time.
	static, err := staticMirror(ctx, b, wharf, ceil, tree)
	if err != nil {
		return figs, err
	}
	cli, err := newNpmCLI(b, append(regs, static))
	if err != nil {
		return figs, err
	}
	pub, err := cli.publishFigure(ctx)
	if pub != nil {
		figs = append(figs, pub)
	}
	if err != nil {
		return figs, err
	}
	inst, err := cli.installFigure(ctx, roots)
	if inst != nil {
		figs = append(figs, inst)
	}
	return figs, err
}

// wharfNpmSetup creates the domain and repository, with the external
// connection when one is named, and returns an npm token and the
// repository's npm endpoint.
func wharfNpmSetup(ctx context.Context, base, externalConnection string) (token, endpoint string, err error) {
	s := newSigV4()
	c := &http.Client{Timeout: time.Minute}
	ops := []struct{ path, q string }{{"/v1/domain", "domain=" + cpDomain}, {"/v1/repository", "domain=" + cpDomain + "&repository=" + cpRepo}}
	if externalConnection != "" {
		ops = append(ops, struct{ path, q string }{"/v1/repository/external-connection",
			"domain=" + cpDomain + "&repository=" + cpRepo + "&external-connection=" + url.QueryEscape(externalConnection)})
	}
	for _, op := range ops {
		req, err := s.jsonRequest(ctx, "POST", base, op.path, mustQuery(op.q), map[string]any{})
		if err != nil {
			return "", "", err
		}
		if err := do(c, req, nil); err != nil {
			return "", "", err
		}
	}
	req, err := s.request(ctx, "POST", base, "/v1/authorization-token", url.Values{"domain": {cpDomain}, "duration": {"43200"}}, nil, 0, "")
	if err != nil {
		return "", "", err
	}
	var tok struct {
		AuthorizationToken string `json:"authorizationToken"`
	}
	if err := do(c, req, &tok); err != nil {
		return "", "", err
	}
	req, err = s.request(ctx, "GET", base, "/v1/repository/endpoint", url.Values{"domain": {cpDomain}, "repository": {cpRepo}, "format": {"npm"}}, nil, 0, "")
	if err != nil {
		return "", "", err
	}
	var ep struct {
		RepositoryEndpoint string `json:"repositoryEndpoint"`
	}
	if err := do(c, req, &ep); err != nil {
		return "", "", err
	}
	return tok.AuthorizationToken, ep.RepositoryEndpoint, nil
}

// npmCLI runs the real npm against each registry with its own userconfig
// and a HOME of its own.
type npmCLI struct {
	b    *bench
	regs []*npmRegistry
	home string
	rcs  map[*npmRegistry]string
}

func newNpmCLI(b *bench, regs []*npmRegistry) (*npmCLI, error) {
	n := &npmCLI{b: b, regs: regs, home: filepath.Join(b.runDir, "npm-home"), rcs: map[*npmRegistry]string{}}
	if err := os.MkdirAll(n.home, 0o755); err != nil {
		return nil, err
	}
	for _, r := range regs {
		if err := n.configure(r); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// configure writes the userconfig npm uses against r.
func (n *npmCLI) configure(r *npmRegistry) error {
	u, err := url.Parse(r.Base)
	if err != nil {
		return err
	}
	rc := fmt.Sprintf("registry=%s\n//%s%s:_authToken=%s\naudit=false\nfund=false\nupdate-notifier=false\nloglevel=error\n", r.Base, u.Host, u.Path, r.Token)
	path := filepath.Join(n.home, strings.ReplaceAll(strings.ToLower(r.Name), " ", "-")+".npmrc")
	if err := os.WriteFile(path, []byte(rc), 0o600); err != nil {
		return err
	}
	n.rcs[r] = path
	return nil
}

// run runs npm in dir against r with the given cache and returns its
// wall time.
func (n *npmCLI) run(ctx context.Context, r *npmRegistry, dir, cache string, args ...string) (time.Duration, error) {
	el, _, err := n.runCPU(ctx, r, dir, cache, args...)
	return el, err
}

// runCPU is run that also returns the CPU time npm (and what it waited
// for) used: the client's own share of an install.
func (n *npmCLI) runCPU(ctx context.Context, r *npmRegistry, dir, cache string, args ...string) (time.Duration, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "npm", append(args, "--userconfig", n.rcs[r], "--cache", cache)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+n.home, "npm_config_cache="+cache, "NO_UPDATE_NOTIFIER=1")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	el := time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("npm %s against %s: %w\n%s", strings.Join(args, " "), r.Name, err, lastLines(string(out), 20))
	}
	return el, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// publishFigure times npm publish of 50 small packages, one after the
// other, against each registry; rounds alternate registries.
func (n *npmCLI) publishFigure(ctx context.Context) (*Figure, error) {
	b := n.b
	regs := n.regs[:2] // a static mirror takes no publishes
	rounds := min(b.rounds, 3)
	times := map[*npmRegistry][]float64{}
	for r := -1; r < rounds; r++ { // round -1 warms npm up with 3 packages
		count := 50
		if r < 0 {
			count = 3
		}
		for k := range regs {
			reg := regs[(k+r+1)%len(regs)]
			var total time.Duration
			for i := 0; i < count; i++ {
				dir := filepath.Join(b.runDir, "npm-publish", strings.ToLower(reg.Name), fmt.Sprintf("r%d-%d", r+1, i))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, err
				}
				pj, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("bench-pub-r%d-%d", r+1, i), "version": "1.0.0", "main": "index.js", "license": "MIT"})
				os.WriteFile(filepath.Join(dir, "package.json"), pj, 0o644)
				os.WriteFile(filepath.Join(dir, "index.js"), []byte("module.exports = 1;\n"), 0o644)
				el, err := n.run(ctx, reg, dir, filepath.Join(b.runDir, "npm-cache-publish-"+strings.ToLower(reg.Name)), "publish")
				if err != nil {
					return nil, err
				}
				total += el
			}
			if r >= 0 {
				times[reg] = append(times[reg], total.Seconds())
			}
			b.logf("  npm publish ×%d to %s: %s", count, reg.Name, total.Round(time.Millisecond))
		}
	}
	fig := &Figure{Name: "npm publish of 50 small packages, one at a time (wall time)", Unit: "s"}
	for _, reg := range regs {
		fig.Results = append(fig.Results, TargetResult{Name: reg.Name, Requests: 50, Concurrency: 1, RPS: statOf(times[reg])})
	}
	var rs []float64
	for i := range times[n.regs[0]] {
		rs = append(rs, times[n.regs[0]][i]/times[n.regs[1]][i])
	}
	fig.addRatio("Wharf time / Verdaccio time", statOf(rs), "", nil)
	return fig, nil
}

// installFigure times npm install of the 50-package tree into an empty
// project and an empty cache, against each registry, alternating.
func (n *npmCLI) installFigure(ctx context.Context, roots []string) (*Figure, error) {
	b := n.b
	deps := map[string]string{}
	for _, r := range roots {
		deps[r] = "^1.0.0"
	}
	pj, _ := json.Marshal(map[string]any{"name": "bench-app", "version": "1.0.0", "private": true, "dependencies": deps})
	times := map[*npmRegistry][]float64{}
	cpus := map[*npmRegistry][]float64{}
	for r := -1; r < b.rounds; r++ {
		for k := range n.regs {
			reg := n.regs[(k+r+1)%len(n.regs)]
			dir := filepath.Join(b.runDir, "npm-install", strings.ToLower(reg.Name), fmt.Sprint(r+1))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			os.WriteFile(filepath.Join(dir, "package.json"), pj, 0o644)
			cache := filepath.Join(dir, ".npm-cache")
			el, cpu, err := n.runCPU(ctx, reg, dir, cache, "install", "--ignore-scripts", "--no-package-lock")
			if err != nil {
				return nil, err
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "node_modules"))
			var got int
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "bench-dep-") {
					got++
				}
			}
			if got != 50 {
				return nil, fmt.Errorf("npm install against %s installed %d of the 50 packages", reg.Name, got)
			}
			if r >= 0 {
				times[reg] = append(times[reg], el.Seconds())
				cpus[reg] = append(cpus[reg], cpu.Seconds())
			}
			b.logf("  npm install (50 packages, empty cache) from %s: %s, npm CPU %s", reg.Name, el.Round(time.Millisecond), cpu.Round(time.Millisecond))
		}
	}
	fig := &Figure{Name: "npm install of a 50-package tree, empty cache (wall time)", Unit: "s"}
	for _, reg := range n.regs {
		fig.Results = append(fig.Results, TargetResult{Name: reg.Name, Requests: 1, Concurrency: 1, RPS: statOf(times[reg])})
	}
	var rs []float64
	for i := range times[n.regs[0]] {
		rs = append(rs, times[n.regs[0]][i]/times[n.regs[1]][i])
	}
	fig.addRatio("Wharf time / Verdaccio time", statOf(rs), "≤ 0.5x", atMost(0.5))
	if len(n.regs) > 2 {
		var fs []float64
		for i := range times[n.regs[0]] {
			fs = append(fs, times[n.regs[0]][i]/times[n.regs[2]][i])
		}
		fig.addRatio("Wharf time / static mirror time (npm's own floor)", statOf(fs), "", nil)
	}
	// npm's own CPU is the part of an install no registry can remove.
	var cpuNote []string
	for _, reg := range n.regs {
		st := statOf(cpus[reg])
		cpuNote = append(cpuNote, fmt.Sprintf("%s %.2f s [%.2f–%.2f]", reg.Name, st.Median, st.Min, st.Max))
	}
	fig.Notes = append(fig.Notes, "npm's own CPU time (user+sys) per install, median [min–max]: "+strings.Join(cpuNote, ", "))
	return fig, nil
}

// staticMirror writes Wharf's packuments and tarballs of the tree as
// files for the ceiling's http.FileServer, tarball URLs rewritten to
// point there: a registry that does no work at all.
func staticMirror(ctx context.Context, b *bench, wharf *npmRegistry, ceil *Proc, tree []npmPackage) (*npmRegistry, error) {
	base := ceil.URL + "/files/static/"
	dir := filepath.Join(b.runDir, "files", "static")
	if err := os.MkdirAll(filepath.Join(dir, "tgz"), 0o755); err != nil {
		return nil, err
	}
	c := newClient(1)
	seen := map[string]bool{}
	for _, p := range tree {
		if seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		req, err := wharf.get(ctx, wharf.Base+p.Name, acceptFull)
		if err != nil {
			return nil, err
		}
		req.Header.Del("Accept-Encoding")
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		doc, err := readAll(resp)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return nil, fmt.Errorf("mirror %s: %d %v", p.Name, resp.StatusCode, err)
		}
		// Tarballs: NAME/-/NAME-V.tgz under Wharf's base becomes tgz/.
		doc = []byte(strings.ReplaceAll(string(doc), wharf.Base+p.Name+"/-/", base+"tgz/"))
		if err := os.WriteFile(filepath.Join(dir, p.Name), doc, 0o644); err != nil {
			return nil, err
		}
	}
	for _, p := range tree {
		req, err := wharf.get(ctx, wharf.Base+p.Name+"/-/"+p.Name+"-"+p.Version+".tgz", "*/*")
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		tgz, err := readAll(resp)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return nil, fmt.Errorf("mirror %s@%s: %d %v", p.Name, p.Version, resp.StatusCode, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tgz", p.Name+"-"+p.Version+".tgz"), tgz, 0o644); err != nil {
			return nil, err
		}
	}
	return &npmRegistry{Name: "static mirror", Base: base, Token: "unused"}, nil
}
