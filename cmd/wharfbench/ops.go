package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// -ops-compare measures what the operational features cost: three Wharf
// servers from the same build, with the same data set up the same way,
// differing only in metrics and the audit trail, measured in the same
// rounds (rotating order) with ratios taken within each round.

// opsVariant is one of the three servers.
type opsVariant struct {
	name    string
	metrics bool // --metrics-listen
	audit   bool // --audit (off: --audit=false)
}

// opsVariants are plain (both off), metrics on, and metrics with the
// audit trail (the default deployment); ratios are taken against plain.
var opsVariants = []opsVariant{
	{name: "plain"},
	{name: "metrics", metrics: true},
	{name: "metrics+audit", metrics: true, audit: true},
}

// slug names the variant's data directory and log.
func (v opsVariant) slug() string { return strings.ReplaceAll(v.name, "+", "-") }

// start starts the variant's server on dataDir.
func (v opsVariant) start(b *bench, prefix, dataDir string) (*Proc, error) {
	var extra []string
	if !v.audit {
		extra = append(extra, "--audit=false")
	}
	return b.startWharfWith(prefix+"-"+v.slug(), dataDir, v.metrics, extra...)
}

// opsRatios adds each variant's per-round throughput over plain's.
func opsRatios(f *Figure) {
	for _, v := range opsVariants[1:] {
		f.ratio(v.name, opsVariants[0].name, "", nil)
	}
}

// checkAudit makes sure each server recorded what its variant says (the
// writes the figures made leave records when the trail is on, none when
// off), so that no figure is measured against a server configured other
// than it claims. wharf admin audit reads beside the running server.
func checkAudit(ctx context.Context, b *bench, v opsVariant, dataDir string) error {
	out, err := exec.CommandContext(ctx, b.wharfBin, "admin", "audit", "--data-dir", dataDir, "--limit", "1").CombinedOutput()
	if err != nil {
		return fmt.Errorf("wharf admin audit on %s: %w\n%s", v.name, err, out)
	}
	if got := len(bytes.TrimSpace(out)) > 0; got != v.audit {
		return fmt.Errorf("server %q: audit records present %v, want %v", v.name, got, v.audit)
	}
	return nil
}

// opsNpmFigures loads the same npm packages into the three servers and
// measures packument and tarball GETs and protocol publishes (the PUT
// npm publish sends) on each.
func opsNpmFigures(ctx context.Context, b *bench) (figs []*Figure, err error) {
	regs := make([]*npmRegistry, len(opsVariants))
	dirs := make([]string, len(opsVariants))
	for i, v := range opsVariants {
		dirs[i] = filepath.Join(b.runDir, "wharf-npm-"+v.slug())
		p, err := v.start(b, "wharf-npm", dirs[i])
		if err != nil {
			return nil, err
		}
		b.cleanup(p.Stop)
		token, base, err := wharfNpmSetup(ctx, p.URL, "")
		if err != nil {
			return nil, err
		}
		regs[i] = &npmRegistry{Name: v.name, Base: base, Token: token, Pid: p.Pid(), Debug: p.Debug}
	}
	var load []npmPackage
	for i := 0; i < 10; i++ {
		load = append(load, npmPackage{Name: "bench-small", Version: fmt.Sprintf("1.0.%d", i), Deps: map[string]string{"bench-dep-1": "^1.0.0"}})
	}
	load = append(load, npmPackage{Name: "bench-tarball", Version: "1.0.0", Filler: 48 << 10})
	for i := 0; i < b.bigPackument; i++ {
		load = append(load, npmPackage{Name: "bench-big", Version: semverOf(i), Deps: map[string]string{"bench-dep-1": "^1.0.0", "bench-dep-2": "^1.0.0"}})
	}
	b.logf("loading %d package versions (a 10-version package, a %d-version one, a 48 KiB tarball) into each of %d servers", len(load), b.bigPackument, len(regs))
	var wg sync.WaitGroup
	loadErr := make([]error, len(regs))
	for i, r := range regs {
		wg.Add(1)
		go func(i int, r *npmRegistry) {
			defer wg.Done()
			c := newClient(1)
			for _, p := range load {
				if loadErr[i] = r.publish(ctx, c, p); loadErr[i] != nil {
					return
				}
			}
		}(i, r)
	}
	wg.Wait()
	for _, err := range loadErr {
		if err != nil {
			return nil, err
		}
	}

	get := func(r *npmRegistry, path, accept string) RequestFunc {
		return func(int) (*http.Request, error) { return r.get(ctx, r.Base+path, accept) }
	}
	type fig struct {
		name, path, accept string
		n                  int
	}
	for _, f := range []fig{
		{"npm packument GET, 10 versions", "bench-small", acceptFull, 30000},
		{fmt.Sprintf("npm packument GET, %d versions", b.bigPackument), "bench-big", acceptFull, 2000},
		{fmt.Sprintf("npm abbreviated packument GET, %d versions", b.bigPackument), "bench-big", acceptAbbrev, 3000},
		{"npm tarball GET, 48 KiB", "bench-tarball/-/bench-tarball-1.0.0.tgz", "*/*", 30000},
	} {
		var targets []*Target
		for _, r := range regs {
			targets = append(targets, &Target{Name: r.Name, N: b.scale(f.n), Conc: b.conc, Pid: r.Pid, Debug: r.Debug, Req: get(r, f.path, f.accept)})
		}
		fg, err := b.compare(ctx, f.name, targets)
		if err != nil {
			return figs, err
		}
		opsRatios(fg)
		figs = append(figs, fg)
	}

	// Writes: each request publishes a new package, so concurrent
	// publishes never contend for one package's document.
	var targets []*Target
	for _, r := range regs {
		var seq atomic.Int64
		targets = append(targets, &Target{Name: r.Name, N: b.scale(600), Conc: 8, Pid: r.Pid, Debug: r.Debug, Req: func(int) (*http.Request, error) {
			return r.publishRequest(ctx, npmPackage{Name: fmt.Sprintf("bench-ops-pub-%d", seq.Add(1)), Version: "1.0.0"})
		}})
	}
	fg, err := b.compare(ctx, "npm publish (the PUT npm sends), a new small package each", targets)
	if err != nil {
		return figs, err
	}
	opsRatios(fg)
	figs = append(figs, fg)
	for i, v := range opsVariants {
		if err := checkAudit(ctx, b, v, dirs[i]); err != nil {
			return figs, err
		}
	}
	fg.Notes = append(fg.Notes, "each server checked after the run: audit records present only on metrics+audit")
	return figs, nil
}

// opsControlFigures seeds the same 1k-version repository into the three
// servers and measures control-plane reads and writes on each.
func opsControlFigures(ctx context.Context, b *bench) (figs []*Figure, err error) {
	s := newSigV4()
	const versions = 1000
	// DeletePackageVersions: deleteCalls calls per round, 100 versions
	// each; compare's warm-up makes max(deleteCalls/4, min(deleteCalls, 20))
	// calls more.
	const deleteCalls = 20
	deletable := (max(deleteCalls/4, min(deleteCalls, 20)) + b.rounds*deleteCalls) * 100
	procs := make([]*Proc, len(opsVariants))
	dirs := make([]string, len(opsVariants))
	for i, v := range opsVariants {
		dirs[i] = filepath.Join(b.runDir, "wharf-cp-"+v.slug())
		if _, err := seedControlPlane(ctx, dirs[i], versions, deletable, b.logf); err != nil {
			return figs, fmt.Errorf("seed %s: %w", v.name, err)
		}
		if procs[i], err = v.start(b, "wharf-cp", dirs[i]); err != nil {
			return figs, err
		}
		b.cleanup(procs[i].Stop)
	}
	rnd := func(i, n int) int { return int(uint64(i) * 2654435761 % uint64(n)) }
	describe := func(base string) RequestFunc {
		return func(i int) (*http.Request, error) {
			q := pkgQuery()
			q.Set("version", seedVersion(rnd(i, versions)))
			return s.request(ctx, "GET", base, "/v1/package/version", q, nil, 0, "")
		}
	}
	list := func(base string) RequestFunc {
		return func(int) (*http.Request, error) {
			return s.request(ctx, "POST", base, "/v1/package/versions", pkgQuery(), nil, 0, "")
		}
	}
	publish := func(base string) RequestFunc {
		var seq atomic.Int64
		return func(int) (*http.Request, error) {
			k := seq.Add(1)
			content := []byte(fmt.Sprintf("asset %d\n", k))
			sum := sha256.Sum256(content)
			q := pkgQuery()
			q.Set("version", fmt.Sprintf("5.0.%d", k))
			q.Set("asset", "data.bin")
			return s.request(ctx, "POST", base, "/v1/package/version/publish", q, bytes.NewReader(content), int64(len(content)), hex.EncodeToString(sum[:]))
		}
	}
	// Each call deletes the next 100 of the versions seeded for it; the
	// answer's status is checked by Load.
	deleteVersions := func(base string) RequestFunc {
		var seq atomic.Int64
		return func(int) (*http.Request, error) {
			k := int(seq.Add(1) - 1)
			vs := make([]string, 100)
			for j := range vs {
				vs[j] = deletableVersion(k*100 + j)
			}
			return s.jsonRequest(ctx, "POST", base, "/v1/package/versions/delete", pkgQuery(), map[string]any{"versions": vs})
		}
	}
	n := b.scale(10000)
	for _, f := range []struct {
		name string
		n    int
		conc int
		req  func(string) RequestFunc
		// noProfile: a profile would repeat the load and run out of
		// versions to delete.
		noProfile bool
	}{
		{"control plane: DescribePackageVersion", n, b.conc, describe, false},
		{"control plane: ListPackageVersions, first page (50)", n / 2, b.conc, list, false},
		{"control plane: PublishPackageVersion (small generic asset)", b.scale(600), 8, publish, false},
		{"control plane: DeletePackageVersions, 100 versions per call, one call at a time", deleteCalls, 1, deleteVersions, true},
	} {
		var targets []*Target
		for i, v := range opsVariants {
			t := &Target{Name: v.name, N: f.n, Conc: f.conc, Pid: procs[i].Pid(), Debug: procs[i].Debug, Req: f.req(procs[i].URL)}
			if f.noProfile {
				t.Debug = ""
			}
			targets = append(targets, t)
		}
		fg, err := b.compare(ctx, f.name, targets)
		if err != nil {
			return figs, err
		}
		opsRatios(fg)
		figs = append(figs, fg)
	}
	for i, v := range opsVariants {
		if err := checkAudit(ctx, b, v, dirs[i]); err != nil {
			return figs, err
		}
	}
	figs[len(figs)-1].Notes = append(figs[len(figs)-1].Notes, fmt.Sprintf("each server holds the same repository (%d versions, plus %d seeded for the deletes); audit records checked present only on metrics+audit",
		versions, deletable))
	return figs, nil
}

// opsCompareNote says what -ops-compare's three servers are.
func opsCompareNote() string {
	var parts []string
	for _, v := range opsVariants {
		parts = append(parts, fmt.Sprintf("%s (metrics %s, audit %s)", v.name, onOff(v.metrics), onOff(v.audit)))
	}
	return "-ops-compare: three Wharf servers from the same build and data: " + strings.Join(parts, ", ") +
		"; ratios are throughput over plain's, taken within each round: below 1 is what the feature costs"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
