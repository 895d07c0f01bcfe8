package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSelfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	files, err := SelfSignedTLS(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(files.KeyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, mode %v; want 0600", err, fi.Mode())
	}
	leaf := loadLeaf(t, files)
	for _, h := range []string{"127.0.0.1", "localhost", "::1"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	// The certificate file is a trust anchor on its own (clients point
	// AWS_CA_BUNDLE or --cacert at it).
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(files.CertFile)
	pool.AppendCertsFromPEM(pem)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("certificate does not verify against itself: %v", err)
	}

	again, err := SelfSignedTLS(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if pem2, _ := os.ReadFile(again.CertFile); !bytes.Equal(pem, pem2) {
		t.Error("a certificate that covers the host was replaced")
	}
	other, err := SelfSignedTLS(dir, "wharf.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadLeaf(t, other).VerifyHostname("wharf.example"); err != nil {
		t.Errorf("new host not covered: %v", err)
	}
}

func loadLeaf(t *testing.T, files TLSFiles) *x509.Certificate {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// TestCertReloader: a replaced pair is served from the next handshake
// on; a pair that does not load leaves the previous one in service.
func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	a, err := SelfSignedTLS(filepath.Join(dir, "a"), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	b, err := SelfSignedTLS(filepath.Join(dir, "b"), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	live := TLSFiles{CertFile: filepath.Join(dir, "live.crt"), KeyFile: filepath.Join(dir, "live.key")}
	install := func(from TLSFiles, at time.Time) {
		t.Helper()
		for src, dst := range map[string]string{from.CertFile: live.CertFile, from.KeyFile: live.KeyFile} {
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeFileAtomic(dst, data, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(dst, at, at)
		}
	}
	serial := func(c *tls.Certificate) string {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.String()
	}
	now := time.Now()
	install(a, now)
	r, err := newCertReloader(live, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		c, err := r.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return serial(c)
	}
	first := get()
	if first != serial(mustPair(t, a)) {
		t.Fatal("not serving the installed certificate")
	}
	install(b, now.Add(time.Second))
	if got := get(); got != serial(mustPair(t, b)) {
		t.Fatalf("after replacement serving %s, want the new certificate", got)
	}
	if err := writeFileAtomic(live.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(live.CertFile, now.Add(2*time.Second), now.Add(2*time.Second))
	if got := get(); got != serial(mustPair(t, b)) {
		t.Fatalf("a broken replacement took the place of the working certificate")
	}
	if _, err := newCertReloader(live, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a pair that does not load was accepted at start")
	}
}

func mustPair(t *testing.T, f TLSFiles) *tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}
