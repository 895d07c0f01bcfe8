// Package server assembles a Wharf server from its configuration: the
// stores in the data directory, the service, the control plane and the
// repository endpoints on one HTTP listener.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/controlplane"
	"github.com/wharf-dev/wharf/internal/deadline"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/postgres"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/throttle"
)

// Config is everything a server needs to start.
type Config struct {
	DataDir   string
	PublicURL string // base of repository endpoints, no trailing slash
	Region    string
	Admin     identity.Credential
	Logger    *slog.Logger
	// GCInterval is how often unreferenced blobs are collected.
	GCInterval time.Duration
	// GCGrace and BlobLease are passed to the service (zero: its
	// defaults); tests shorten them to watch the collector work.
	GCGrace   time.Duration
	BlobLease time.Duration

	// SecretsKey (32 bytes) encrypts stored secret access keys and keys
	// the token signer; nil stores secrets in clear. SecretsKeyFile is
	// where it was read from, to warn when that is in DataDir.
	SecretsKey     []byte
	SecretsKeyFile string
	// Throttle sets request rate limits; the zero value sets none.
	Throttle throttle.Config
	// ReplayProtection refuses a SigV4 signature already accepted.
	ReplayProtection bool
	// IdentityRefresh is how often identities and policies changed by
	// another process are picked up (default 1s).
	IdentityRefresh time.Duration
	// S3, when set, keeps blobs in an S3 bucket instead of DataDir/blobs.
	S3 *s3.Config
	// NpmjsURL is the public npm registry behind the public:npmjs
	// external connection (default https://registry.npmjs.org).
	NpmjsURL string
	// PostgresDSN, when set, keeps the metadata in that PostgreSQL
	// database instead of DataDir/wharf.db, so that several replicas can
	// share it.
	PostgresDSN string
}

// Connection time limits. A request's head must arrive within
// headerTimeout; then its body must keep arriving (each read within
// bodyReadIdle) and its response keep leaving (each write within
// writeIdle), which package deadline enforces per request so that
// uploads and downloads of any size go through; an idle keep-alive
// connection is closed after idleTimeout. http.Server's ReadTimeout and
// WriteTimeout stay unset: they are absolute, would cut long transfers,
// and a ReadTimeout expiring after the body was read cancels the
// request's context in the middle of its work.
const (
	headerTimeout = 10 * time.Second
	bodyReadIdle  = 30 * time.Second
	writeIdle     = 60 * time.Second
	idleTimeout   = 120 * time.Second
)

// Server is a running Wharf.
type Server struct {
	cfg     Config
	meta    meta.Store
	svc     *service.Service
	access  *access
	handler http.Handler
	log     *slog.Logger
}

// Open opens the data directory and builds the server.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	warnIfShared(cfg.DataDir, cfg.Logger)
	var m meta.AccessStore
	var err error
	if cfg.PostgresDSN != "" {
		m, err = postgres.Open(ctx, cfg.PostgresDSN)
	} else {
		m, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "wharf.db"), sqlite.Exclusive())
	}
	if err != nil {
		return nil, err
	}
	var b blob.Store
	if cfg.S3 != nil {
		b, err = s3.New(ctx, *cfg.S3)
	} else {
		b, err = fs.New(filepath.Join(cfg.DataDir, "blobs"))
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	key, err := tokenKey(ctx, m)
	if err != nil {
		m.Close()
		return nil, err
	}
	acc, err := openAccess(ctx, cfg, m, key)
	if err != nil {
		m.Close()
		return nil, err
	}
	svc := service.New(m, b, acc.authz, service.Config{Region: cfg.Region, PublicURL: cfg.PublicURL, Logger: cfg.Logger, GCGrace: cfg.GCGrace, BlobLease: cfg.BlobLease,
		ExternalURLs: map[string]string{"public:npmjs": cfg.NpmjsURL}})
	svc.SetTokenIssuer(acc.issuer)
	svc.SetKeyCheck(acc.keyCheck)
	mux := http.NewServeMux()
	controlplane.New(svc, acc.dir, controlplane.Options{Region: cfg.Region, Logger: cfg.Logger, Replay: acc.replay, Throttle: acc.throttleOperation()}).Routes(mux)
	mountFormats(mux, svc, cfg.Logger)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	h := deadline.Middleware(acc.middleware(refuseDotSegments(mux)), bodyReadIdle, writeIdle)
	return &Server{cfg: cfg, meta: m, svc: svc, access: acc, handler: h, log: cfg.Logger}, nil
}

// warnIfShared warns when other users of the host may enter the data
// directory. The server writes its own files owner-only, but the
// directory's mode is the operator's: one made 0755 by hand lets others
// see what is in it, and read whatever an older version or another tool
// left readable there.
func warnIfShared(dir string, log *slog.Logger) {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn("the data directory is open to other users of this host and holds secrets; make it owner-only (chmod 700)",
		"data_dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
}

// refuseDotSegments answers 400 to a path with "." or ".." segments
// (escaped or not) instead of letting ServeMux redirect it to the cleaned
// path: no client sends them, and following "../" to another route is
// exactly what a path-traversal probe wants.
func refuseDotSegments(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, seg := range strings.Split(r.URL.Path, "/") {
			if seg == "." || seg == ".." {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintln(w, `{"error":"The path has '.' or '..' segments.","message":"The path has '.' or '..' segments."}`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// tokenKey returns the key that signs authorization tokens, created on
// first start and kept in the metadata store so every replica shares it.
func tokenKey(ctx context.Context, m meta.Store) ([]byte, error) {
	var key []byte
	err := m.Update(ctx, func(tx meta.Tx) error {
		v, err := tx.GetSetting("token-key")
		if errors.Is(err, meta.ErrNotFound) {
			b := make([]byte, 32)
			rand.Read(b)
			v = hex.EncodeToString(b)
			err = tx.PutSetting("token-key", v)
		}
		if err != nil {
			return err
		}
		key, err = hex.DecodeString(v)
		return err
	})
	return key, err
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Service is the server's service layer.
func (s *Server) Service() *service.Service { return s.svc }

// Serve serves on ln until ctx ends, then drains in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	gcCtx, stopGC := context.WithCancel(ctx)
	defer stopGC()
	go s.svc.RunGC(gcCtx, s.cfg.GCInterval)
	go s.access.dir.Run(gcCtx, s.access.refresh)
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return err
	}
	return nil
}

// Close releases the stores.
func (s *Server) Close() error { return s.meta.Close() }
