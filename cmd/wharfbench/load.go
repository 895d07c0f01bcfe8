package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator: a fixed number of requests spread over a fixed
// number of concurrent keep-alive connections, each response read to the
// end and checked. It is a Go client rather than wrk so that it can sign
// every control-plane request afresh (SigV4) and check every answer; the
// same generator drives every target, so the ratios compare servers, not
// clients.

// RequestFunc builds request i of a run.
type RequestFunc func(i int) (*http.Request, error)

// Run is one timed batch of requests against one target.
type Run struct {
	Requests int           `json:"requests"`
	Conc     int           `json:"concurrency"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Bytes    int64         `json:"bytes"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	// ServerCPU is the CPU time the server process used during the run.
	ServerCPU time.Duration `json:"server_cpu_ns,omitempty"`
}

// RPS is the run's throughput in requests per second.
func (r Run) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// newClient returns a client whose transport keeps conc connections to
// one host alive and never decompresses, so bytes are counted as sent.
func newClient(conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conc * 2,
			MaxIdleConnsPerHost: conc * 2,
			MaxConnsPerHost:     conc * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 10 * time.Minute,
	}
}

// errStatus is a response whose status was not the expected one.
type errStatus struct {
	status int
	body   string
}

func (e *errStatus) Error() string { return fmt.Sprintf("status %d: %.300s", e.status, e.body) }

// Load sends n requests from conc workers and times them. Any failed or
// non-2xx response fails the run: a benchmark of errors measures nothing.
func Load(ctx context.Context, c *http.Client, n, conc int, mk RequestFunc) (Run, error) {
	if conc > n {
		conc = n
	}
	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	bytes := make([]int64, conc)
	errs := make(chan error, conc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				req, err := mk(i)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				t0 := time.Now()
				resp, err := c.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("request %d %s %s: %w", i, req.Method, req.URL.Path, err)
					}
					cancel()
					return
				}
				nb, err := io.CopyBuffer(io.Discard, resp.Body, buf)
				resp.Body.Close()
				if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
					err = &errStatus{status: resp.StatusCode}
				}
				if err != nil {
					errs <- fmt.Errorf("request %d %s %s: %w", i, req.Method, req.URL.Path, err)
					cancel()
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
				bytes[w] += nb
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := errors.Join(drain(errs)...); err != nil {
		return Run{}, err
	}
	var all []time.Duration
	var total int64
	for w := range lat {
		all = append(all, lat[w]...)
		total += bytes[w]
	}
	slices.Sort(all)
	return Run{Requests: len(all), Conc: conc, Elapsed: elapsed, Bytes: total, P50: quantile(all, 0.5), P99: quantile(all, 0.99)}, nil
}

func drain(errs <-chan error) []error {
	var out []error
	for e := range errs {
		out = append(out, e)
		if len(out) == 3 {
			break
		}
	}
	return out
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Stat is a median with its range over rounds.
type Stat struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	All    []float64 `json:"all"`
}

// statOf summarizes values (at least one).
func statOf(values []float64) Stat {
	s := slices.Clone(values)
	slices.Sort(s)
	var med float64
	switch n := len(s); {
	case n == 0:
		return Stat{}
	case n%2 == 1:
		med = s[n/2]
	default:
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[len(s)-1], All: values}
}
