package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// TLSFiles are the PEM files of the server's certificate (with its
// chain) and private key.
type TLSFiles struct {
	CertFile, KeyFile string
}

// certReloader serves a certificate pair and reloads it when either
// file changes, so a renewed certificate reaches new connections without
// a restart. Each handshake costs two stats; a pair that does not load
// (the key replaced before the certificate, say) keeps the previous one
// in service and is tried again on the next handshake.
type certReloader struct {
	files TLSFiles
	log   *slog.Logger

	mu          sync.Mutex
	cert        *tls.Certificate
	certS, keyS stamp
}

// stamp is what tells a file changed: its modification time and size.
type stamp struct {
	mod  time.Time
	size int64
}

func stampOf(name string) (stamp, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return stamp{}, err
	}
	return stamp{fi.ModTime(), fi.Size()}, nil
}

// newCertReloader loads the pair once, failing when it does not load.
func newCertReloader(files TLSFiles, log *slog.Logger) (*certReloader, error) {
	c := &certReloader{files: files, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// load reads the pair if either file changed since the last load.
func (c *certReloader) load() error {
	cs, err := stampOf(c.files.CertFile)
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	ks, err := stampOf(c.files.KeyFile)
	if err != nil {
		return fmt.Errorf("tls key: %w", err)
	}
	if c.cert != nil && cs == c.certS && ks == c.keyS {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(c.files.CertFile, c.files.KeyFile)
	if err != nil {
		return fmt.Errorf("tls certificate %s and key %s: %w", c.files.CertFile, c.files.KeyFile, err)
	}
	c.cert, c.certS, c.keyS = &cert, cs, ks
	return nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.cert
	if err := c.load(); err != nil {
		c.log.Warn("keeping the previous TLS certificate", "err", err)
	} else if c.cert != old {
		c.log.Info("TLS certificate loaded", "cert", c.files.CertFile)
	}
	return c.cert, nil
}

// Self-signed certificate files in the data directory.
const (
	selfSignedCert = "tls-self-signed.crt"
	selfSignedKey  = "tls-self-signed.key"
)

// SelfSignedTLS returns a self-signed certificate for host (an IP
// address or a DNS name; localhost and the loopback addresses are always
// covered) kept in dataDir, creating it on first use or when the one
// there does not cover host or is about to expire. The key file is mode
// 0600. It is for trying TLS out: clients must be told to trust the
// certificate file.
func SelfSignedTLS(dataDir, host string) (TLSFiles, error) {
	files := TLSFiles{CertFile: filepath.Join(dataDir, selfSignedCert), KeyFile: filepath.Join(dataDir, selfSignedKey)}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	if cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile); err == nil {
		if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && leaf.VerifyHostname(host) == nil && time.Until(leaf.NotAfter) > 24*time.Hour {
			return files, nil
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return files, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return files, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return files, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"Wharf self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so the file itself can be trusted as a CA bundle
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil {
		if !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	} else if host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return files, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return files, err
	}
	// The key first, then the certificate: a reloader watching both sees
	// a matching pair once the second lands.
	if err := writeFileAtomic(files.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return files, err
	}
	if err := writeFileAtomic(files.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return files, err
	}
	return files, nil
}

// writeFileAtomic replaces name with data through a rename, so readers
// never see half a file.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
