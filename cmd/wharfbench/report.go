package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Target is one server under one load.
type Target struct {
	Name   string
	N      int // requests per timed run
	Conc   int
	Req    RequestFunc
	Debug  string // the server's pprof URL, to profile it under this load
	Pid    int    // the server's process, whose CPU time per request is reported
	client *http.Client
}

// TargetResult is a target's runs over the rounds.
type TargetResult struct {
	Name        string  `json:"name"`
	Requests    int     `json:"requests_per_run"`
	Concurrency int     `json:"concurrency"`
	RPS         Stat    `json:"rps"`
	P50ms       Stat    `json:"p50_ms"`
	P99ms       Stat    `json:"p99_ms"`
	BytesPerReq float64 `json:"bytes_per_request"`
	// CPUus is the server process's CPU time per request, in µs.
	CPUus Stat  `json:"server_cpu_us_per_request"`
	Runs  []Run `json:"runs"`
}

// Ratio is a per-round ratio between two measurements, with the target
// it is held to.
type Ratio struct {
	Name   string `json:"name"`
	Unit   string `json:"unit"` // "x" unless the figure is an absolute one
	Value  Stat   `json:"value"`
	Target string `json:"target,omitempty"`
	Holds  *bool  `json:"holds,omitempty"`
}

// Figure is one row group of the report.
type Figure struct {
	Name    string         `json:"name"`
	Unit    string         `json:"unit"` // "req/s", "s", "MiB", ...
	Results []TargetResult `json:"results"`
	Ratios  []Ratio        `json:"ratios"`
	Notes   []string       `json:"notes,omitempty"`
}

func (f *Figure) result(name string) *TargetResult {
	for i := range f.Results {
		if f.Results[i].Name == name {
			return &f.Results[i]
		}
	}
	return nil
}

// compare runs every target once to warm up (a quarter of its requests,
// not timed), then rounds times, rotating the order each round so no
// target always runs first or last. Ratios between targets are taken per
// round, side by side.
func (b *bench) compare(ctx context.Context, name string, targets []*Target) (*Figure, error) {
	rounds, logf := b.rounds, b.logf
	fig := &Figure{Name: name, Unit: "req/s"}
	for _, t := range targets {
		if t.client == nil {
			t.client = newClient(t.Conc)
		}
		if _, err := Load(ctx, t.client, max(t.N/4, min(t.N, 20)), t.Conc, t.Req); err != nil {
			return nil, fmt.Errorf("%s: warm-up %s: %w", name, t.Name, err)
		}
		if t.Debug != "" {
			if err := b.profile(ctx, name, t); err != nil {
				return nil, err
			}
		}
	}
	runs := make([][]Run, len(targets))
	for r := 0; r < rounds; r++ {
		for k := range targets {
			i := (k + r) % len(targets)
			t := targets[i]
			var cpu0 time.Duration
			if t.Pid != 0 {
				cpu0, _ = procCPU(t.Pid)
			}
			run, err := Load(ctx, t.client, t.N, t.Conc, t.Req)
			if err != nil {
				return nil, fmt.Errorf("%s: %s round %d: %w", name, t.Name, r+1, err)
			}
			if t.Pid != 0 {
				cpu1, _ := procCPU(t.Pid)
				run.ServerCPU = cpu1 - cpu0
			}
			runs[i] = append(runs[i], run)
		}
	}
	for i, t := range targets {
		res := summarize(t.Name, t.N, t.Conc, runs[i], t.Pid != 0)
		fig.Results = append(fig.Results, res)
		logf("  %-28s %-18s %10.0f req/s  [%.0f–%.0f]  p50 %.2f ms  %s/req  server CPU %.0f µs/req", name, t.Name, res.RPS.Median, res.RPS.Min, res.RPS.Max,
			res.P50ms.Median, humanBytes(res.BytesPerReq), res.CPUus.Median)
	}
	return fig, nil
}

// summarize reduces a target's timed runs to medians with ranges.
func summarize(name string, n, conc int, runs []Run, withCPU bool) TargetResult {
	var rps, p50, p99, cpu []float64
	var bytes int64
	var reqs int
	for _, run := range runs {
		rps = append(rps, run.RPS())
		p50 = append(p50, float64(run.P50)/float64(time.Millisecond))
		p99 = append(p99, float64(run.P99)/float64(time.Millisecond))
		bytes += run.Bytes
		reqs += run.Requests
		if withCPU {
			cpu = append(cpu, float64(run.ServerCPU)/float64(time.Microsecond)/float64(run.Requests))
		}
	}
	return TargetResult{Name: name, Requests: n, Concurrency: conc, RPS: statOf(rps), P50ms: statOf(p50), P99ms: statOf(p99),
		BytesPerReq: float64(bytes) / float64(max(reqs, 1)), CPUus: statOf(cpu), Runs: runs}
}

// ratio adds the per-round ratio a/b of the two results' throughputs.
func (f *Figure) ratio(a, b, target string, ok func(float64) bool) {
	ra, rb := f.result(a), f.result(b)
	if ra == nil || rb == nil {
		return
	}
	var vs []float64
	for i := range ra.RPS.All {
		vs = append(vs, ra.RPS.All[i]/rb.RPS.All[i])
	}
	f.addRatio(a+" / "+b, statOf(vs), target, ok)
}

func (f *Figure) addRatio(name string, s Stat, target string, ok func(float64) bool) {
	f.addCheck(name, "x", s, target, ok)
}

// addCheck adds a measurement held to a target, in unit.
func (f *Figure) addCheck(name, unit string, s Stat, target string, ok func(float64) bool) {
	r := Ratio{Name: name, Unit: unit, Value: s, Target: target}
	if ok != nil {
		h := ok(s.Median)
		r.Holds = &h
	}
	f.Ratios = append(f.Ratios, r)
}

func atLeast(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
func atMost(x float64) func(float64) bool  { return func(v float64) bool { return v <= x } }
func below(x float64) func(float64) bool   { return func(v float64) bool { return v < x } }

func humanBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// num formats a measurement with a sensible number of digits.
func num(v float64) string {
	switch {
	case v >= 1000:
		return withCommas(fmt.Sprintf("%.0f", v))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func withCommas(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func statText(s Stat, unit string) string {
	if len(s.All) <= 1 {
		return num(s.Median) + " " + unit
	}
	return fmt.Sprintf("%s %s [%s–%s]", num(s.Median), unit, num(s.Min), num(s.Max))
}

// Report is everything one run measured, as written to JSON.
type Report struct {
	Started  time.Time         `json:"started"`
	Elapsed  string            `json:"elapsed"`
	Command  string            `json:"command"`
	Machine  map[string]string `json:"machine"`
	Settings map[string]any    `json:"settings"`
	Figures  []*Figure         `json:"figures"`
	Notes    []string          `json:"notes,omitempty"`
}

// markdown renders the report's table: one row per target measurement and
// one per ratio, with its target and verdict.
func (r *Report) markdown(w io.Writer) {
	fmt.Fprintf(w, "| figure | measured | median [min–max] over rounds | target | holds |\n|---|---|---|---|---|\n")
	for _, f := range r.Figures {
		for _, res := range f.Results {
			extra := ""
			if f.Unit == "req/s" {
				extra = fmt.Sprintf(" (%d req × c=%d, %s/req, p50 %s ms", res.Requests, res.Concurrency, humanBytes(res.BytesPerReq), num(res.P50ms.Median))
				if len(res.CPUus.All) > 0 {
					extra += fmt.Sprintf(", server CPU %s µs/req", num(res.CPUus.Median))
				}
				extra += ")"
			}
			fmt.Fprintf(w, "| %s | %s%s | %s | | |\n", f.Name, res.Name, extra, statText(res.RPS, f.Unit))
		}
		for _, ra := range f.Ratios {
			holds := ""
			if ra.Holds != nil {
				holds = map[bool]string{true: "**yes**", false: "**no**"}[*ra.Holds]
			}
			label := "ratio " + ra.Name
			if ra.Unit != "x" {
				label = ra.Name
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", f.Name, label, statText(ra.Value, ra.Unit), ra.Target, holds)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "| %s | note | %s | | |\n", f.Name, n)
		}
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }

// profile records a CPU profile of the target's server while the target's
// load runs (untimed, repeated until the profile is complete), saves it
// under the profile directory and logs its top functions.
func (b *bench) profile(ctx context.Context, figure string, t *Target) error {
	const seconds = 5
	name := profileName(figure + "-" + t.Name)
	path := filepath.Join(b.profileDir, name+".pprof")
	done := fetchProfile(t.Debug, seconds, path)
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("profile %s: %w", name, err)
			}
			out, _ := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", b.wharfBin, path).Output()
			b.logf("  profile %s (%s):\n%s", name, path, out)
			return nil
		default:
		}
		if _, err := Load(ctx, t.client, t.N, t.Conc, t.Req); err != nil {
			return fmt.Errorf("profile %s: %w", name, err)
		}
	}
}

// profileWhile records a CPU profile of a server over the given seconds,
// starting as fn starts, when the bench profiles. Idle time after fn
// adds no samples, so a generous duration only costs waiting.
func (b *bench) profileWhile(name, debug string, seconds int, fn func() error) error {
	if b.profileDir == "" || debug == "" {
		return fn()
	}
	path := filepath.Join(b.profileDir, profileName(name)+".pprof")
	done := fetchProfile(debug, seconds, path)
	time.Sleep(100 * time.Millisecond)
	err := fn()
	if perr := <-done; perr != nil {
		b.logf("  profile %s: %v", name, perr)
		return err
	}
	out, _ := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=40", b.wharfBin, path).Output()
	b.logf("  profile %s (%s):\n%s", name, path, out)
	return err
}

// profileName makes a figure's name a file name.
func profileName(s string) string {
	return strings.NewReplacer(" ", "_", "/", "_", ",", "", "(", "", ")", "").Replace(s)
}

// fetchProfile saves a CPU profile of the server behind debug, taken over
// seconds, to path; the channel gets the outcome.
func fetchProfile(debug string, seconds int, path string) <-chan error {
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debug, seconds))
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- errors.Join(err, f.Close())
	}()
	return done
}
