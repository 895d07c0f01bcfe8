package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// genReader yields n pseudo-random bytes from a fixed seed, so the same
// multi-GB content can be produced twice (once to hash it, once to send
// it) without ever being held in memory.
type genReader struct {
	rng  *rand.ChaCha8
	left int64
}

func newGen(seed uint64, n int64) *genReader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &genReader{rng: rand.NewChaCha8(s), left: n}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, _ := g.rng.Read(p)
	g.left -= int64(n)
	return n, nil
}

// peakSampler polls a process's resident set while a transfer runs, as a
// cross-check of the kernel's own high-water mark (VmHWM).
type peakSampler struct {
	pid  int
	peak atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
}

func samplePeak(pid int) *peakSampler {
	p := &peakSampler{pid: pid, stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, err := memStatus(pid, "VmRSS"); err == nil && rss > p.peak.Load() {
				p.peak.Store(rss)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakSampler) done() int64 {
	close(p.stop)
	p.wg.Wait()
	return p.peak.Load()
}

// rssFigure publishes and downloads one streamed generic asset of size
// bytes through the control plane and reports the server's peak RSS in
// each phase.
func rssFigure(ctx context.Context, b *bench) (*Figure, error) {
	dir := filepath.Join(b.runDir, "wharf-rss")
	proc, err := b.startWharf("wharf-rss", dir)
	if err != nil {
		return nil, err
	}
	defer proc.Stop()
	s := newSigV4()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Minute}
	for _, op := range []struct{ path, q string }{{"/v1/domain", "domain=" + cpDomain}, {"/v1/repository", "domain=" + cpDomain + "&repository=" + cpRepo}} {
		req, err := s.jsonRequest(ctx, "POST", proc.URL, op.path, mustQuery(op.q), map[string]any{})
		if err != nil {
			return nil, err
		}
		if err := do(c, req, nil); err != nil {
			return nil, err
		}
	}
	size := b.rssSize
	t0 := time.Now()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, newGen(42, size), make([]byte, 1<<20)); err != nil {
		return nil, err
	}
	sha := hex.EncodeToString(h.Sum(nil))
	b.logf("  generated and hashed %s in %s (sha256 %s…)", humanBytes(float64(size)), time.Since(t0).Round(time.Millisecond), sha[:12])
	idle, _ := memStatus(proc.Pid(), "VmRSS")

	fig := &Figure{Name: fmt.Sprintf("generic asset of %s, streamed", humanBytes(float64(size))), Unit: "MiB"}
	phase := func(name string, run func() error) error {
		if err := resetPeakRSS(proc.Pid()); err != nil {
			return fmt.Errorf("reset VmHWM: %w", err)
		}
		ps := samplePeak(proc.Pid())
		start := time.Now()
		err := run()
		el := time.Since(start)
		sampled := ps.done()
		hwm, herr := memStatus(proc.Pid(), "VmHWM")
		if err != nil {
			return err
		}
		if herr != nil {
			return herr
		}
		peak := max(hwm, sampled)
		fig.addCheck("peak RSS while "+name, "MiB", statOf([]float64{float64(peak) / (1 << 20)}), "< 100 MiB", below(100))
		fig.Notes = append(fig.Notes, fmt.Sprintf("%s: %s at %.0f MiB/s, VmHWM %s, sampled peak %s", name, el.Round(time.Millisecond),
			float64(size)/(1<<20)/el.Seconds(), humanBytes(float64(hwm)), humanBytes(float64(sampled))))
		b.logf("  %s %s: %s, peak RSS %s", fig.Name, name, el.Round(time.Millisecond), humanBytes(float64(peak)))
		return nil
	}
	q := pkgQuery()
	q.Set("version", "1.0")
	q.Set("asset", "big.bin")
	err = phase("uploading", func() error {
		req, err := s.request(ctx, "POST", proc.URL, "/v1/package/version/publish", q, newGen(42, size), size, sha)
		if err != nil {
			return err
		}
		return do(c, req, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	err = phase("downloading", func() error {
		q := pkgQuery()
		q.Set("version", "1.0")
		q.Set("asset", "big.bin")
		req, err := s.request(ctx, "GET", proc.URL, "/v1/package/version/asset", q, nil, 0, "")
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return &errStatus{status: resp.StatusCode}
		}
		h := sha256.New()
		n, err := io.CopyBuffer(h, resp.Body, make([]byte, 1<<20))
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sha {
			return fmt.Errorf("downloaded %d bytes with sha256 %s, want %d bytes %s", n, got, size, sha)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	fig.Notes = append(fig.Notes, fmt.Sprintf("RSS of the idle server before: %s", humanBytes(float64(idle))))
	return fig, nil
}
