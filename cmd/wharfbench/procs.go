package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Fixed administrator credentials for the Wharf servers the bench starts.
const (
	benchAccount = "111122223333"
	benchKeyID   = "AKIAWHARFBENCHKEY001"
	benchSecret  = "wharf/bench/secret/key/0123456789abcdefg"
	benchRegion  = "us-east-1"
)

// Proc is a server process the bench started.
type Proc struct {
	Name  string
	URL   string
	Debug string // pprof base URL, when started with one
	cmd   *exec.Cmd
	log   *os.File
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProc starts a server and waits until health answers 200.
func startProc(name, logPath, health string, cmd *exec.Cmd, url string) (*Proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	// Its own process group, so stopping it takes its children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, URL: url, cmd: cmd, log: lf}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	tail, _ := os.ReadFile(logPath)
	return nil, fmt.Errorf("%s did not come up on %s; log:\n%s", name, url, lastLines(string(tail), 30))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Pid is the server's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop ends the server (SIGTERM, then SIGKILL after 15s) and its group.
func (p *Proc) Stop() {
	if p == nil || p.cmd == nil {
		return
	}
	pgid := -p.cmd.Process.Pid
	syscall.Kill(pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		syscall.Kill(pgid, syscall.SIGKILL)
		<-done
	}
	p.log.Close()
	p.cmd = nil
}

// buildWharf builds the server from this tree.
func buildWharf(ctx context.Context, root, out string) (string, error) {
	bin := filepath.Join(out, "wharf")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wharf")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf: %w\n%s", err, b)
	}
	return bin, nil
}

// startWharf starts the built server on dataDir with the bench's keys,
// any extra flags, and a pprof listener when the bench profiles.
func (b *bench) startWharf(name, dataDir string, extra ...string) (*Proc, error) {
	return b.startWharfWith(name, dataDir, b.metrics, extra...)
}

// startWharfWith is startWharf with metrics on or off whatever -metrics
// says, for -ops-compare's servers.
func (b *bench) startWharfWith(name, dataDir string, metrics bool, extra ...string) (*Proc, error) {
	return b.startWharfBin(b.wharfBin, name, dataDir, metrics, extra...)
}

// startWharfBin is startWharfWith for another wharf binary (the proxy
// section's -proxy-baseline-bin).
func (b *bench) startWharfBin(bin, name, dataDir string, metrics bool, extra ...string) (*Proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}, extra...)
	var debug string
	if b.profileDir != "" {
		if debug, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--debug-listen", debug)
	}
	var metricsAddr string
	if metrics {
		if metricsAddr, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--metrics-listen", metricsAddr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "WHARF_ACCOUNT_ID="+benchAccount, "WHARF_ACCESS_KEY_ID="+benchKeyID, "WHARF_SECRET_ACCESS_KEY="+benchSecret)
	p, err := startProc(name, filepath.Join(b.runDir, name+".log"), "/healthz", cmd, "http://"+addr)
	if err == nil && debug != "" {
		p.Debug = "http://" + debug
	}
	if err == nil && metricsAddr != "" {
		if err = checkMetrics("http://" + metricsAddr + "/metrics"); err != nil {
			p.Stop()
		}
	}
	return p, err
}

// memStatus reads a field (VmRSS, VmHWM) of /proc/PID/status in bytes.
func memStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New(field + " not in /proc status")
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+).
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times; 100 on
// every Linux platform Go supports.
const clockTicks = 100

// procCPU returns the user plus system CPU time the process has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from after
	// its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// checkMetrics makes sure a server started with --metrics-listen really
// serves its metrics, so that a "metrics on" figure is not measured
// against a server that counts nothing.
func checkMetrics(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "wharf_http_request_duration_seconds") {
		return fmt.Errorf("metrics: GET %s: %s %v", u, resp.Status, err)
	}
	return nil
}
