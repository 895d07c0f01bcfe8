// Package s3test runs a real S3 server for tests: Versity's S3 gateway
// (versitygw) with its posix backend, on a free loopback port over a
// temporary directory. The gateway is installed on first use into the
// repository's .tools directory (gitignored) with go install, so a fresh
// machine, CI included, needs nothing but the Go module proxy.
package s3test

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The gateway release the tests run against, pinned so that a new release
// cannot change their outcome unnoticed.
const (
	Module  = "github.com/versity/versitygw/cmd/versitygw"
	Version = "v1.8.0"
)

// Credentials the gateway is started with (single-account mode).
const (
	AccessKey = "WHARFTESTS3KEY000001"
	SecretKey = "wharf/test/s3/secret/0123456789abcdefghij"
	Region    = "us-east-1"
)

// Binary returns the path of the gateway binary, installing it into
// <repo>/.tools if it is missing or another version. The install goes to a
// temporary directory first and is renamed into place, so test processes
// installing at the same time (go test runs packages in parallel) never
// see a half-written binary.
func Binary() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	tools := filepath.Join(root, ".tools")
	bin := filepath.Join(tools, "versitygw")
	if info, err := buildinfo.ReadFile(bin); err == nil && info.Main.Version == Version {
		return bin, nil
	}
	if err := os.MkdirAll(tools, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(tools, ".versitygw-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", Module+"@"+Version)
	cmd.Dir = tmp // outside any module, so go.mod plays no part
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", Module, Version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "versitygw"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// repoRoot is the nearest directory at or above the working directory
// holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Gateway is a running versitygw.
type Gateway struct {
	Endpoint string // http://127.0.0.1:PORT
	Dir      string // the posix backend's root: one directory per bucket

	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// Start installs the gateway if needed and starts it over dir. Stop it
// with Stop.
func Start(dir string) (*Gateway, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	// The port is free when picked but may be taken before the gateway
	// binds it; another port then does.
	for range 3 {
		g, err := start(bin, dir)
		if err == nil {
			return g, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func start(bin, dir string) (*Gateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	g := &Gateway{Endpoint: "http://" + addr, Dir: dir, log: &syncBuffer{}, done: make(chan struct{})}
	// --keep-alive: like S3 itself, and unlike the gateway's default, keep
	// connections open, so that benchmarks measure requests, not dials.
	g.cmd = exec.Command(bin, "--port", addr, "--access", AccessKey, "--secret", SecretKey, "--keep-alive", "posix", dir)
	g.cmd.Stdout, g.cmd.Stderr = g.log, g.log
	g.cmd.SysProcAttr = sysProcAttr()
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { g.cmd.Wait(); close(g.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-g.done:
			return nil, fmt.Errorf("versitygw on %s exited: %s\n%s", addr, g.cmd.ProcessState, g.log)
		default:
		}
		// Any HTTP answer (403 for an anonymous request) means it serves.
		if resp, err := http.Get(g.Endpoint); err == nil {
			resp.Body.Close()
			return g, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.Stop()
	return nil, fmt.Errorf("versitygw on %s did not answer within 30s:\n%s", addr, g.log)
}

// Stop ends the gateway: SIGTERM, then SIGKILL after five seconds.
func (g *Gateway) Stop() {
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(5 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
}

// Log is what the gateway printed so far.
func (g *Gateway) Log() string { return g.log.String() }

// Client is an S3 client for the gateway (path-style, as a self-hosted
// server needs).
func (g *Gateway) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(g.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// CreateBucket creates a bucket through the S3 API.
func (g *Gateway) CreateBucket(ctx context.Context, name string) error {
	_, err := g.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// StartT starts a gateway for one test, stopped by tb.Cleanup. If the
// gateway cannot be installed (no network, no Go toolchain) the test is
// skipped, except under CI=true, where it fails: CI must never pass by
// skipping.
func StartT(tb testing.TB) *Gateway {
	tb.Helper()
	if _, err := Binary(); err != nil {
		Unavailable(tb, err)
	}
	g, err := Start(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		g.Stop()
		if tb.Failed() {
			tb.Logf("versitygw log:\n%s", g.Log())
		}
	})
	return g
}

// Unavailable reports that the gateway could not be installed: a failure
// under CI=true, a skip elsewhere.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("S3 gateway unavailable (CI=true, so this fails rather than skips): %v", err)
	}
	tb.Skipf("S3 gateway unavailable: %v", err)
}

// syncBuffer is a bytes.Buffer the gateway's stdout and stderr copiers
// and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
