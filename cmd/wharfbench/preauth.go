package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// preauthAttack is the unauthenticated-body attack of issue 9: clients
// that know an access key id but not its secret send control-plane
// requests with an all-zero signature and large bodies, slowly, over many
// connections, reconnecting as soon as the server drops one. Until the
// signature is checked the server must hold what it reads, so what it
// reads before authenticating, and for how long, is what this measures.
type preauthAttack struct {
	conns    int           // concurrent connections
	announce int64         // Content-Length each request announces
	rate     int64         // body bytes per second per connection
	duration time.Duration // how long the attack lasts
}

// preauthPath is the operation attacked: CopyPackageVersions, whose
// body the service model leaves the least bounded.
const preauthPath = "/v1/package/versions/copy"

// zeroSignatureRequest is the head of a request signed with the bench's
// access key id and a signature of zeros.
func zeroSignatureRequest(host string, contentLength int64) string {
	now := time.Now().UTC()
	q := url.Values{"domain": {cpDomain}, "source-repository": {cpRepo}, "destination-repository": {"other"}, "format": {"generic"}, "namespace": {cpNS}, "package": {cpPkg}}
	return fmt.Sprintf("POST %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/codeartifact/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n\r\n",
		preauthPath, q.Encode(), host, contentLength, now.Format("20060102T150405Z"), benchKeyID, now.Format("20060102"), benchRegion, strings.Repeat("0", 64))
}

// preauthOutcome counts how the server ended the attack's requests.
type preauthOutcome struct {
	mu       sync.Mutex
	statuses map[string]int // status line, or "closed" / "still open"
	sent     atomic.Int64   // body bytes the server took
	requests atomic.Int64
}

func (o *preauthOutcome) add(what string) {
	o.mu.Lock()
	o.statuses[what]++
	o.mu.Unlock()
}

func (o *preauthOutcome) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for k, v := range o.statuses {
		parts = append(parts, fmt.Sprintf("%d × %s", v, k))
	}
	return strings.Join(parts, ", ")
}

// attackOnce sends one request's head and then its body at the attack's
// rate until the server answers or closes, or the attack ends.
func (a preauthAttack) attackOnce(ctx context.Context, addr string, out *preauthOutcome) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		out.add("dial error")
		time.Sleep(100 * time.Millisecond)
		return
	}
	defer conn.Close()
	out.requests.Add(1)
	if _, err := io.WriteString(conn, zeroSignatureRequest(addr, a.announce)); err != nil {
		out.add("closed")
		return
	}
	// The server's answer, read as it comes; it ends the request.
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			answered <- "closed"
			return
		}
		answered <- strings.TrimSpace(line)
	}()
	const tick = 50 * time.Millisecond
	chunk := make([]byte, max(a.rate*int64(tick)/int64(time.Second), 1))
	for i := range chunk {
		chunk[i] = 'a'
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for left := a.announce; left > 0; {
		select {
		case what := <-answered:
			out.add(what)
			return
		case <-ctx.Done():
			out.add("still open at the end")
			return
		case <-t.C:
		}
		n := min(int64(len(chunk)), left)
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write(chunk[:n]); err != nil {
			// A full socket buffer means the server stopped reading.
			continue
		}
		out.sent.Add(n)
		left -= n
	}
	select {
	case what := <-answered:
		out.add(what)
	case <-ctx.Done():
		out.add("still open at the end")
	}
}

// silentFor reports how long the server keeps a connection that sends
// head (possibly nothing) and then stays silent, up to limit.
func silentFor(addr, head string, limit time.Duration) (time.Duration, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	if head != "" {
		if _, err := io.WriteString(conn, head); err != nil {
			return 0, err
		}
	}
	conn.SetReadDeadline(start.Add(limit))
	// Whatever the server says (a timeout answer) is read through to the
	// close.
	io.Copy(io.Discard, conn)
	return time.Since(start), nil
}

// preauthFigure runs the attack against a fresh server and reports its
// resident memory before, at the peak of and after the attack, and how
// long it keeps silent connections.
func preauthFigure(ctx context.Context, b *bench, a preauthAttack) (*Figure, error) {
	proc, err := b.startWharf("wharf-preauth", b.runDir+"/wharf-preauth")
	if err != nil {
		return nil, err
	}
	defer proc.Stop()
	addr := strings.TrimPrefix(proc.URL, "http://")
	time.Sleep(time.Second)
	idle, err := memStatus(proc.Pid(), "VmRSS")
	if err != nil {
		return nil, err
	}
	fig := &Figure{Name: fmt.Sprintf("pre-auth bodies: %d connections, known key id, zero signature, %s announced, sent at %s/s each for %s",
		a.conns, humanBytes(float64(a.announce)), humanBytes(float64(a.rate)), a.duration), Unit: "MiB"}

	// Silent connections are timed alongside the attack.
	const silentLimit = 90 * time.Second
	type silent struct {
		name string
		d    time.Duration
		err  error
	}
	silents := make(chan silent, 2)
	for _, s := range []struct{ name, head string }{
		{"a connection that sends nothing", ""},
		{"a connection silent after its request head", zeroSignatureRequest(addr, a.announce)},
	} {
		go func() {
			d, err := silentFor(addr, s.head, silentLimit)
			silents <- silent{s.name, d, err}
		}()
	}

	if err := resetPeakRSS(proc.Pid()); err != nil {
		return nil, fmt.Errorf("reset VmHWM: %w", err)
	}
	ps := samplePeak(proc.Pid())
	actx, cancel := context.WithTimeout(ctx, a.duration)
	out := &preauthOutcome{statuses: map[string]int{}}
	var wg sync.WaitGroup
	for range a.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for actx.Err() == nil {
				a.attackOnce(actx, addr, out)
			}
		}()
	}
	wg.Wait()
	cancel()
	sampled := ps.done()
	hwm, err := memStatus(proc.Pid(), "VmHWM")
	if err != nil {
		return nil, err
	}
	peak := max(hwm, sampled)
	time.Sleep(2 * time.Second)
	after, _ := memStatus(proc.Pid(), "VmRSS")

	mib := func(v int64) Stat { return statOf([]float64{float64(v) / (1 << 20)}) }
	fig.addCheck("server RSS before the attack", "MiB", mib(idle), "", nil)
	fig.addCheck("peak server RSS during the attack", "MiB", mib(peak), "< 100 MiB", below(100))
	fig.addCheck("server RSS 2 s after the attack", "MiB", mib(after), "", nil)
	fig.Notes = append(fig.Notes,
		fmt.Sprintf("%d requests; the server took %s of body in all; outcomes: %s", out.requests.Load(), humanBytes(float64(out.sent.Load())), out.String()),
		fmt.Sprintf("VmHWM %s, sampled peak %s", humanBytes(float64(hwm)), humanBytes(float64(sampled))))
	b.logf("  pre-auth attack: RSS %s before, peak %s, %s after; %s", humanBytes(float64(idle)), humanBytes(float64(peak)), humanBytes(float64(after)), out.String())
	for range 2 {
		s := <-silents
		if s.err != nil {
			return fig, fmt.Errorf("%s: %w", s.name, s.err)
		}
		fig.addCheck(s.name+" is closed after", "s", statOf([]float64{s.d.Seconds()}), "≤ 60 s", atMost(60))
		b.logf("  %s: closed after %s (limit %s)", s.name, s.d.Round(100*time.Millisecond), silentLimit)
	}
	return fig, nil
}
