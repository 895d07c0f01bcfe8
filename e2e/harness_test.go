// Package e2e drives a real wharf binary over HTTP with real clients: the
// aws-sdk-go-v2 codeartifact client, the aws CLI, boto3 and the package
// managers. Each test starts its own server on a free loopback port with
// its own data directory.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// wharfBin is the binary under test, built once by TestMain.
var wharfBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wharf-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wharfBin = filepath.Join(dir, "wharf")
	// wharftest honours WHARF_TEST_CLOCK_FILE (cmd/wharf/testclock_wharftest.go).
	build := exec.Command("go", "build", "-tags", "wharftest", "-o", wharfBin, "../cmd/wharf")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build wharf:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Fixed administrator credentials for every test server.
const (
	testAccount = "111122223333"
	testKeyID   = "AKIAWHARFTESTKEY0001"
	testSecret  = "wharf/test/secret/key/0123456789abcdefgh"
	testRegion  = "us-east-1"
)

// Server is a running wharf process.
type Server struct {
	URL     string
	DataDir string
	addr    string
	opt     ServerOptions
	cmd     *exec.Cmd
	log     *logBuffer
	t       *testing.T
}

// ServerOptions change how StartServerWith runs wharf.
type ServerOptions struct {
	Env     []string // extra environment, KEY=VALUE
	Args    []string // extra `wharf serve` flags
	DataDir string   // an existing data directory instead of a fresh one
	// HTTPS says Args make the server serve TLS: URL is https:// and the
	// harness's own clients (health check, Go SDK) trust any certificate.
	HTTPS bool
}

// logBuffer collects the server's output; the process writes it while
// tests read it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartServer starts wharf on a fresh data directory.
func StartServer(t *testing.T) *Server {
	t.Helper()
	return StartServerWith(t, ServerOptions{})
}

// StartServerWith starts wharf with extra flags and environment.
func StartServerWith(t *testing.T, opt ServerOptions) *Server {
	t.Helper()
	s := &Server{DataDir: opt.DataDir, addr: freeAddr(t), t: t, opt: opt}
	if s.DataDir == "" {
		s.DataDir = t.TempDir()
	}
	s.URL = "http://" + s.addr
	if opt.HTTPS {
		s.URL = "https://" + s.addr
	}
	s.start()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("wharf log:\n%s", s.log.String())
		}
	})
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.log = &logBuffer{}
	// The region the clients sign with (testRegion); a test's own
	// --region comes later and wins.
	args := append([]string{"serve", "--listen", s.addr, "--data-dir", s.DataDir, "--log-level", "debug", "--region", testRegion}, s.opt.Args...)
	cmd := exec.Command(wharfBin, args...)
	cmd.Env = append(append(os.Environ(),
		"WHARF_ACCOUNT_ID="+testAccount, "WHARF_ACCESS_KEY_ID="+testKeyID, "WHARF_SECRET_ACCESS_KEY="+testSecret), s.opt.Env...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	// A short timeout: a port taken meanwhile by a process that does not
	// answer must fail the start, not hang it.
	hc := s.httpClient()
	hc.Timeout = 2 * time.Second
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("wharf did not become healthy:\n%s", s.log.String())
}

// httpClient is a client for the server: for HTTPS, one that trusts
// whatever certificate it serves (tests that check certificates do so
// themselves).
func (s *Server) httpClient() *http.Client {
	if !s.opt.HTTPS {
		return &http.Client{}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// Stop ends the server gracefully.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Restart stops the server and starts it again on the same address and
// data directory.
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// Client is a Go SDK client for the server with the administrator's keys.
func (s *Server) Client() *ca.Client {
	return s.ClientWith(testKeyID, testSecret)
}

// ClientWith is a Go SDK client signing with the given keys.
func (s *Server) ClientWith(keyID, secret string) *ca.Client {
	opts := ca.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	}
	if s.opt.HTTPS {
		opts.HTTPClient = s.httpClient()
	}
	return ca.New(opts)
}

// Env is the environment for the aws CLI and boto3 against the server,
// with HOME in a temporary folder so nothing leaks between tests.
func (s *Server) Env(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "AWS_ACCESS_KEY_ID="+testKeyID, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_DEFAULT_REGION="+testRegion, "AWS_ENDPOINT_URL="+s.URL, "AWS_EC2_METADATA_DISABLED=true",
		"npm_config_cache="+filepath.Join(home, ".npm"), "PIP_CACHE_DIR="+filepath.Join(home, ".pip-cache"))
}

var ctx = context.Background()

// Setup creates a domain and a repository and returns their names.
func Setup(t *testing.T, c *ca.Client, domain string, repos ...string) {
	t.Helper()
	if _, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatalf("CreateDomain %s: %v", domain, err)
	}
	for _, r := range repos {
		if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(r)}); err != nil {
			t.Fatalf("CreateRepository %s: %v", r, err)
		}
	}
}

// PublishGeneric publishes one generic asset and returns the result.
func PublishGeneric(t *testing.T, c *ca.Client, domain, repo, ns, pkg, version, asset string, content []byte, unfinished bool) *ca.PublishPackageVersionOutput {
	t.Helper()
	sum := sha256.Sum256(content)
	out, err := c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String(domain), Repository: aws.String(repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(ns), Package: aws.String(pkg), PackageVersion: aws.String(version),
		AssetName: aws.String(asset), AssetSHA256: aws.String(hex.EncodeToString(sum[:])),
		AssetContent: bytes.NewReader(content), Unfinished: aws.Bool(unfinished),
	})
	if err != nil {
		t.Fatalf("PublishPackageVersion %s/%s@%s: %v", ns, pkg, version, err)
	}
	return out
}

// Token returns an authorization token for the domain.
func (s *Server) Token(t *testing.T, domain string) string {
	t.Helper()
	out, err := s.Client().GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.AuthorizationToken
}

// Endpoint returns a repository endpoint URL for a format.
func (s *Server) Endpoint(t *testing.T, domain, repo string, f types.PackageFormat) string {
	t.Helper()
	out, err := s.Client().GetRepositoryEndpoint(ctx, &ca.GetRepositoryEndpointInput{Domain: aws.String(domain), Repository: aws.String(repo), Format: f})
	if err != nil {
		t.Fatal(err)
	}
	return *out.RepositoryEndpoint
}

// Run runs a command with env in dir and returns its combined output,
// failing the test if it fails.
func Run(t *testing.T, env []string, dir string, name string, args ...string) string {
	t.Helper()
	out, err := RunErr(env, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// RunErr runs a command and returns its combined output and error.
func RunErr(env []string, dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
