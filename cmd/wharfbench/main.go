// Command wharfbench measures Wharf side by side with Verdaccio and with
// this machine's own limits, and prints one markdown table.
//
//	go run ./cmd/wharfbench
//
// It builds the server from this tree, installs Verdaccio 6.8.0 from the
// npm registry into bench/results/ (once), starts every server on
// loopback, loads the same data into each, and drives them with the same
// Go load generator: fixed request counts and concurrency, one warm-up
// run, then several rounds whose medians (with min and max) are reported.
// Every comparison is a ratio taken within the same round. The table is
// printed and the full results are written to
// bench/results/<time>.json (and latest.json, latest.md).
//
// With -ops-compare, the npm and control sections measure three Wharf
// servers instead (plain, metrics on, metrics and audit on): what the
// operational features cost, side by side (ops.go).
//
// It lives in cmd/ beside the server, as zot keeps its benchmark tool:
// "go build ./..." compiles it with everything else, so it cannot rot
// while the server's packages change under it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// bench is one run's settings and state.
type bench struct {
	root         string // the module root
	outDir       string // bench/results
	runDir       string // scratch for this run
	wharfBin     string
	rounds       int
	conc         int
	bigVersions  int
	bigPackument int // versions of the large npm package
	rssSize      int64
	factor       float64 // scales request counts
	profileDir   string  // CPU profiles of Wharf under each load, when set
	proxyDelay   time.Duration
	// proxyFixtureDir holds the real packages the proxy section installs.
	proxyFixtureDir string
	// proxyBaselineBin, when set, is a second wharf binary the proxy
	// section measures in the same rounds (before and after a change).
	proxyBaselineBin string
	metrics          bool // start Wharf with --metrics-listen
	opsCompare       bool // npm and control: plain vs metrics vs metrics+audit
	cleanups         []func()
	logf             func(string, ...any)
}

func (b *bench) scale(n int) int { return max(int(float64(n)*b.factor), 20) }

func (b *bench) cleanup(f func()) { b.cleanups = append(b.cleanups, f) }

func (b *bench) runCleanups() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

func mustQuery(q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		if err := ceilingMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "wharfbench ceiling:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "npm-upstream" {
		if err := npmUpstreamMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "wharfbench npm-upstream:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wharfbench:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("wharfbench", flag.ContinueOnError)
	only := fs.String("only", "npm,control,rss", "comma-separated sections to run: npm, control, rss, proxy, preauth (proxy and preauth run only when named)")
	rounds := fs.Int("rounds", 5, "timed rounds per figure, after one warm-up")
	conc := fs.Int("c", 16, "concurrent connections for HTTP load")
	bigVersions := fs.Int("big-versions", 1_000_000, "versions in the large control-plane repository")
	bigPackument := fs.Int("packument-versions", 3000, "versions of the large npm package")
	rssSize := fs.Int64("rss-bytes", 2<<30, "size of the streamed generic asset")
	factor := fs.Float64("scale", 1, "multiplies every request count (0.1 for a quick look)")
	keep := fs.Bool("keep", false, "keep the run's data directories")
	prof := fs.Bool("pprof", false, "also record a CPU profile of Wharf under each load (bench/results/<time>-profiles/)")
	withMetrics := fs.Bool("metrics", false, "start Wharf with --metrics-listen (and check that /metrics answers), to measure what metrics cost")
	opsCompare := fs.Bool("ops-compare", false, "npm and control sections: measure three Wharf servers instead, plain (metrics and audit off), metrics on, and metrics and audit on (the default deployment), side by side")
	outDir := fs.String("out", "", "results directory (default bench/results under the module root)")
	proxyDelay := fs.Duration("proxy-delay", 50*time.Millisecond, "proxy section: delay the public-registry stand-in adds to every request")
	proxyFixture := fs.String("proxy-fixture", "", "proxy section: the real packages installed, fetched once from the npm registry (default RESULTS/proxy-fixture)")
	proxyBaseline := fs.String("proxy-baseline-bin", "", "proxy section: also measure this wharf binary in the same rounds (say, the build before a change), side by side")
	wharfBin := fs.String("wharf-bin", "", "a wharf binary to measure instead of building this tree's (say, an older version's)")
	attack := preauthAttack{}
	fs.IntVar(&attack.conns, "preauth-conns", 40, "preauth: concurrent attacking connections")
	fs.Int64Var(&attack.announce, "preauth-bytes", 8<<20, "preauth: Content-Length each attacking request announces")
	fs.Int64Var(&attack.rate, "preauth-rate", 256<<10, "preauth: body bytes per second each connection sends")
	fs.DurationVar(&attack.duration, "preauth-for", 30*time.Second, "preauth: how long the attack lasts")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	b := &bench{root: root, rounds: *rounds, conc: *conc, bigVersions: *bigVersions, bigPackument: *bigPackument, rssSize: *rssSize, factor: *factor, metrics: *withMetrics}
	b.outDir, b.opsCompare = *outDir, *opsCompare
	if b.outDir == "" {
		b.outDir = filepath.Join(root, "bench", "results")
	}
	b.proxyDelay, b.proxyFixtureDir, b.proxyBaselineBin = *proxyDelay, *proxyFixture, *proxyBaseline
	if b.proxyFixtureDir == "" {
		b.proxyFixtureDir = filepath.Join(b.outDir, "proxy-fixture")
	}
	if err := os.MkdirAll(b.outDir, 0o755); err != nil {
		return err
	}
	started := time.Now()
	stamp := started.UTC().Format("20060102T150405Z")
	b.runDir = filepath.Join(b.outDir, "run-"+stamp)
	if err := os.MkdirAll(b.runDir, 0o755); err != nil {
		return err
	}
	if *prof {
		b.profileDir = filepath.Join(b.outDir, stamp+"-profiles")
		if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
			return err
		}
	}
	logPath := filepath.Join(b.outDir, stamp+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	b.logf = func(format string, args ...any) {
		line := fmt.Sprintf("%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
		os.Stderr.WriteString(line)
		logFile.WriteString(line)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer b.runCleanups()
	if !*keep {
		defer os.RemoveAll(b.runDir)
	}

	if *wharfBin != "" {
		b.wharfBin = *wharfBin
		b.logf("measuring %s", b.wharfBin)
	} else {
		b.logf("building wharf from %s", root)
		if b.wharfBin, err = buildWharf(ctx, root, b.runDir); err != nil {
			return err
		}
	}
	rep := &Report{Started: started, Command: strings.TrimSpace("go run ./cmd/wharfbench " + strings.Join(os.Args[1:], " ")), Machine: machine(),
		Settings: map[string]any{"rounds": b.rounds, "concurrency": b.conc, "big_versions": b.bigVersions, "rss_bytes": b.rssSize, "scale": b.factor,
			"proxy_delay": b.proxyDelay.String(), "metrics": b.metrics, "ops_compare": b.opsCompare, "wharf_bin": b.wharfBin}}
	sections := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		sections[strings.TrimSpace(s)] = true
	}
	var errs []error
	section := func(name string, fn func() ([]*Figure, error)) {
		if !sections[name] || ctx.Err() != nil {
			return
		}
		b.logf("== %s", name)
		t0 := time.Now()
		figs, err := fn()
		rep.Figures = append(rep.Figures, figs...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			rep.Notes = append(rep.Notes, fmt.Sprintf("section %s failed: %v", name, err))
			b.logf("%s failed: %v", name, err)
		}
		b.runCleanups()
		b.logf("== %s done in %s", name, time.Since(t0).Round(time.Second))
	}
	npm, control := npmFigures, controlPlaneFigures
	if b.opsCompare {
		npm, control = opsNpmFigures, opsControlFigures
		rep.Notes = append(rep.Notes, opsCompareNote())
	}
	section("npm", func() ([]*Figure, error) { return npm(ctx, b) })
	section("control", func() ([]*Figure, error) { return control(ctx, b) })
	section("rss", func() ([]*Figure, error) {
		f, err := rssFigure(ctx, b)
		if f == nil {
			return nil, err
		}
		return []*Figure{f}, err
	})
	section("proxy", func() ([]*Figure, error) { return proxyFigures(ctx, b) })
	section("preauth", func() ([]*Figure, error) {
		f, err := preauthFigure(ctx, b, attack)
		if f == nil {
			return nil, err
		}
		return []*Figure{f}, err
	})
	rep.Elapsed = time.Since(started).Round(time.Second).String()
	rep.Machine["loadavg_end"] = loadavg()

	var md strings.Builder
	fmt.Fprintf(&md, "Wharf benchmark, %s, %s (%s cores; load average %s at the start, %s at the end: other work shares the machine), `%s`\n\n",
		started.UTC().Format(time.RFC3339), rep.Machine["cpu"], rep.Machine["cores"], rep.Machine["loadavg_start"], rep.Machine["loadavg_end"], rep.Command)
	rep.markdown(&md)
	for _, n := range rep.Notes {
		fmt.Fprintf(&md, "\n%s\n", n)
	}
	fmt.Print("\n" + md.String())
	jsonPath := filepath.Join(b.outDir, stamp+".json")
	if err := writeJSON(jsonPath, rep); err != nil {
		return err
	}
	writeJSON(filepath.Join(b.outDir, "latest.json"), rep)
	os.WriteFile(filepath.Join(b.outDir, "latest.md"), []byte(md.String()), 0o644)
	b.logf("results: %s (log %s), %s in all", jsonPath, logPath, rep.Elapsed)
	return errors.Join(errs...)
}

// moduleRoot finds the directory holding go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run wharfbench inside the Wharf module")
	}
	return filepath.Dir(mod), nil
}

// machine describes where the figures were taken.
func machine() map[string]string {
	m := map[string]string{"cores": fmt.Sprint(runtime.NumCPU()), "goos": runtime.GOOS, "goarch": runtime.GOARCH, "go": runtime.Version(), "loadavg_start": loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m["cpu"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		m["node"] = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("npm", "--version").Output(); err == nil {
		m["npm"] = strings.TrimSpace(string(out))
	}
	return m
}

// loadavg is the 1-minute load average: how busy the machine was besides.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
