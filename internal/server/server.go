// Package server assembles a Wharf server from its configuration: the
// stores in the data directory, the service, the control plane and the
// repository endpoints on one HTTP listener.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
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

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/controlplane"
	"github.com/wharf-dev/wharf/internal/deadline"
	"github.com/wharf-dev/wharf/internal/downloads"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/postgres"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/retention/job"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/throttle"
	"github.com/wharf-dev/wharf/internal/webhook"
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
	// ConnectionURLs are the base URLs of the public registries behind
	// the external connections the formats declare, by connection name
	// (public:npmjs); a connection missing here uses its default.
	ConnectionURLs map[string]string
	// PublicFresh is how long a document fetched from a public registry
	// is served before it is refreshed in the background (0: the
	// publiccache default).
	PublicFresh time.Duration
	// PostgresDSN, when set, keeps the metadata in that PostgreSQL
	// database instead of DataDir/wharf.db, so that several replicas can
	// share it.
	PostgresDSN string
	// TLS, when set, serves HTTPS with this certificate, reloaded when
	// its files change.
	TLS *TLSFiles
	// Webhooks tunes the delivery of package events (zero: defaults).
	Webhooks webhook.Config
	// RetentionInterval is how often every retention rule runs; zero
	// runs them only when asked through the API.
	RetentionInterval time.Duration
	// DownloadFlush is how often download counts go from memory to the
	// metadata store (default 30s; and at shutdown).
	DownloadFlush time.Duration
	// Now is the service's clock (nil: time.Now); test builds shift it.
	Now func() time.Time
	// Metrics, when set, counts every request for the metrics listener
	// (see internal/metrics); off, requests pay nothing for it.
	Metrics bool
	// AuditRetention is how long audit records are kept (default 90
	// days); the garbage-collection loop prunes older ones.
	AuditRetention time.Duration
	// AuditOff turns the audit trail off: nothing is recorded, and
	// requests pay nothing for it (no store wrapper, no middleware), for
	// deployments where a proxy in front already logs every call.
	AuditOff bool
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
	tls     *certReloader // nil: plain HTTP
	hooks   *webhook.Deliverer
	rules   *job.Runner
	// downloads counts downloads for retention rules' notDownloadedFor.
	downloads *downloads.Counter
	trail     *audit.Trail // nil when Config.AuditOff
}

// Open opens the data directory and builds the server.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if cfg.DownloadFlush == 0 {
		cfg.DownloadFlush = 30 * time.Second
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
	var certs *certReloader
	if cfg.TLS != nil {
		if certs, err = newCertReloader(*cfg.TLS, cfg.Logger); err != nil {
			m.Close()
			return nil, err
		}
	}
	if cfg.AuditRetention <= 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	// With the trail off, the service gets the bare store and authorizer
	// and no middleware is added: requests pay nothing for it.
	var trail *audit.Trail
	var store meta.Store = m
	var authz service.Authorizer = acc.authz
	if !cfg.AuditOff {
		trail = audit.New(m, cfg.Region, cfg.Logger)
		store, authz = trail.Store(m), trail.Authorizer(acc.authz)
	}
	svc := service.New(store, b, authz, service.Config{Region: cfg.Region, PublicURL: cfg.PublicURL, Logger: cfg.Logger, GCGrace: cfg.GCGrace, BlobLease: cfg.BlobLease, Now: cfg.Now})
	svc.SetTokenIssuer(acc.issuer)
	if cfg.Webhooks.Logger == nil {
		cfg.Webhooks.Logger = cfg.Logger
	}
	cfg.Webhooks.Sealer = acc.sealer
	hooks := webhook.New(m, cfg.Webhooks)
	acc.warnAboutWebhookSecrets(ctx, m)
	svc.OnEvents(hooks.Wake)
	svc.SetKeyCheck(acc.keyCheck)
	if trail != nil {
		svc.OnCollect(func(ctx context.Context) { pruneAudit(ctx, trail, cfg.AuditRetention, cfg.Logger) })
	}
	mux := http.NewServeMux()
	cp := controlplane.New(svc, acc.dir, controlplane.Options{Region: cfg.Region, Logger: cfg.Logger, Replay: acc.replay, Throttle: acc.throttleOperation(), Audit: trail})
	cp.Routes(mux)
	dl := downloads.New(m, cfg.Now, cfg.Logger)
	svc.OnDownload(dl.Record)
	rules := job.New(svc, m, cfg.Now, cfg.Logger)
	cp.RetentionRoutes(mux, rules)
	cp.TrashRoutes(mux)
	if err := installFormats(mux, svc, cfg.Logger, cfg); err != nil {
		m.Close()
		return nil, err
	}
	if err := mountConsole(mux, svc, acc.dir, rules, m, cfg.Logger); err != nil {
		m.Close()
		return nil, err
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	var routes http.Handler = mux
	if trail != nil {
		routes = trail.Endpoints(mux)
	}
	handler := deadline.Middleware(acc.middleware(refuseDotSegments(endpoint.JoinedSlash(routes))), bodyReadIdle, writeIdle)
	if cfg.Metrics {
		if handler, err = instrument(handler, m); err != nil {
			m.Close()
			return nil, err
		}
	}
	return &Server{cfg: cfg, meta: m, svc: svc, access: acc, handler: handler, log: cfg.Logger, tls: certs, trail: trail, hooks: hooks, rules: rules, downloads: dl}, nil
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

// Serve serves on ln (HTTPS when configured with TLS) until ctx ends,
// then drains in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	gcCtx, stopGC := context.WithCancel(ctx)
	defer stopGC()
	go s.svc.RunGC(gcCtx, s.cfg.GCInterval)
	go s.access.dir.Run(gcCtx, s.access.refresh)
	go s.hooks.Run(gcCtx)
	// Download counts are flushed last, after the listener has drained,
	// so a graceful stop loses none.
	dlCtx, stopDL := context.WithCancel(context.Background())
	dlDone := make(chan struct{})
	go func() { s.downloads.Run(dlCtx, s.cfg.DownloadFlush); close(dlDone) }()
	defer func() { stopDL(); <-dlDone }()
	if s.cfg.RetentionInterval > 0 {
		go s.rules.Schedule(gcCtx, s.cfg.RetentionInterval)
	}
	// The audit writer outlives the requests: it stops after they drain,
	// writing what they queued.
	if s.trail != nil {
		trailCtx, stopTrail := context.WithCancel(context.WithoutCancel(ctx))
		trailDone := make(chan struct{})
		go func() { s.trail.Run(trailCtx); close(trailDone) }()
		defer func() { stopTrail(); <-trailDone }()
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	if s.tls != nil {
		hs.TLSConfig = &tls.Config{GetCertificate: s.tls.GetCertificate, MinVersion: tls.VersionTLS12}
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
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
