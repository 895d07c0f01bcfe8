// Command wharf runs the Wharf package repository server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/server"
	"github.com/wharf-dev/wharf/internal/throttle"
	"github.com/wharf-dev/wharf/internal/webhook"
)

const usage = `Usage: wharf <command> [flags]

Commands:
  serve    run the server
  admin    manage accounts, users, access keys and user policies
  backup   --data-dir D --to DIR: online backup of an embedded data directory
  restore  --from DIR --data-dir EMPTY: bring a backup back
  migrate  copy a data directory into PostgreSQL and S3, or back ('wharf migrate -h')

Run 'wharf serve -h' for the flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "admin":
		err = admin(os.Args[2:])
	case "backup":
		err = backupCmd(os.Args[2:])
	case "restore":
		err = restoreCmd(os.Args[2:])
	case "migrate":
		err = migrateCmd(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "wharf: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wharf:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// durationFlag defines a non-negative duration flag whose default comes
// from the environment variable; a malformed variable lands in *errs so
// it is refused like a malformed flag.
func durationFlag(fs *flag.FlagSet, name, envName, usage string, errs *[]error) *time.Duration {
	d := new(time.Duration)
	fs.Func(name, usage, func(v string) error {
		p, err := time.ParseDuration(v)
		if err != nil || p < 0 {
			return fmt.Errorf("want a non-negative duration like 30s, got %q", v)
		}
		*d = p
		return nil
	})
	if v := env(envName, ""); v != "" {
		if err := fs.Set(name, v); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", envName, err))
		}
	}
	return d
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", env("WHARF_LISTEN", "127.0.0.1:8470"), "address to listen on (WHARF_LISTEN)")
	dataDir := fs.String("data-dir", env("WHARF_DATA_DIR", "wharf-data"), "data directory (WHARF_DATA_DIR)")
	publicURL := fs.String("public-url", env("WHARF_PUBLIC_URL", ""), "URL clients reach the server at; default http://LISTEN, or https://LISTEN with TLS (WHARF_PUBLIC_URL)")
	tlsCert := fs.String("tls-cert", env("WHARF_TLS_CERT", ""), "serve HTTPS with this PEM certificate (and chain); reloaded when the file changes (WHARF_TLS_CERT)")
	tlsKey := fs.String("tls-key", env("WHARF_TLS_KEY", ""), "PEM private key of --tls-cert; reloaded when the file changes (WHARF_TLS_KEY)")
	tlsSelfSigned := fs.Bool("tls-self-signed", env("WHARF_TLS_SELF_SIGNED", "") == "true", "serve HTTPS with a self-signed certificate for the listen host, kept in DATA-DIR/tls-self-signed.{crt,key}; for trying TLS out (WHARF_TLS_SELF_SIGNED=true)")
	// Each format declares the external connections it reaches, with the
	// flag and variable that set the registry's URL.
	conns := server.Connections()
	connURLs := make([]*string, len(conns))
	for i, c := range conns {
		connURLs[i] = fs.String(c.Flag, env(c.Env, c.DefaultURL), c.Usage+" ("+c.Env+")")
	}
	region := fs.String("region", env("WHARF_REGION", "us-east-1"), "region reported in ARNs and required in SigV4 credential scopes (WHARF_REGION)")
	logLevel := fs.String("log-level", env("WHARF_LOG_LEVEL", "info"), "debug, info, warn or error (WHARF_LOG_LEVEL)")
	metricsListen := fs.String("metrics-listen", env("WHARF_METRICS_LISTEN", ""), "address serving Prometheus metrics at /metrics, off when empty; a listener of its own so metrics are never exposed by accident (WHARF_METRICS_LISTEN)")
	debugListen := fs.String("debug-listen", env("WHARF_DEBUG_LISTEN", ""), "address serving /debug/pprof/, off when empty; keep it on loopback (WHARF_DEBUG_LISTEN)")
	var envErrs []error
	gcInterval := durationFlag(fs, "gc-interval", "WHARF_GC_INTERVAL", "how often unreferenced blobs are collected; 0 for 10m (WHARF_GC_INTERVAL)", &envErrs)
	gcGrace := durationFlag(fs, "gc-grace", "WHARF_GC_GRACE", "the collector spares blobs written more recently than this; 0 for 10m (WHARF_GC_GRACE)", &envErrs)
	blobLease := durationFlag(fs, "blob-lease", "WHARF_BLOB_LEASE", "longest a publish may hold uploaded bytes before committing them; 0 for 6h (WHARF_BLOB_LEASE)", &envErrs)
	secretsKeyFile := fs.String("secrets-key-file", env("WHARF_SECRETS_KEY_FILE", ""), "file holding the key (64 hex digits or base64 of 32 bytes; keep it outside the data dir) that encrypts stored secret access keys; or set the key itself in WHARF_SECRETS_KEY (WHARF_SECRETS_KEY_FILE)")
	throttleSpec := fs.String("throttle", env("WHARF_THROTTLE", "off"), "rate limits: off, codeartifact (its published quotas), or comma-separated KEY=RATE[/BURST] with KEY read, write, token, anonymous or an operation name, e.g. codeartifact,PublishPackageVersion=2 (WHARF_THROTTLE)")
	replay := fs.Bool("replay-protection", env("WHARF_REPLAY_PROTECTION", "") == "true", "refuse a SigV4 signature already used; note botocore signs identical calls made within one second identically, so the second is refused (WHARF_REPLAY_PROTECTION=true)")
	webhookRetryMin := durationFlag(fs, "webhook-retry-min", "WHARF_WEBHOOK_RETRY_MIN", "first retry delay of a failed webhook delivery, doubled per failure; 0 for 1s (WHARF_WEBHOOK_RETRY_MIN)", &envErrs)
	webhookRetryMax := durationFlag(fs, "webhook-retry-max", "WHARF_WEBHOOK_RETRY_MAX", "longest retry delay of a webhook delivery; 0 for 10m (WHARF_WEBHOOK_RETRY_MAX)", &envErrs)
	webhookTimeout := durationFlag(fs, "webhook-timeout", "WHARF_WEBHOOK_TIMEOUT", "time allowed for one webhook delivery; 0 for 10s (WHARF_WEBHOOK_TIMEOUT)", &envErrs)
	retentionInterval := durationFlag(fs, "retention-interval", "WHARF_RETENTION_INTERVAL", "how often the server runs every retention rule; 0 runs them only when asked (WHARF_RETENTION_INTERVAL)", &envErrs)
	downloadFlush := durationFlag(fs, "download-flush", "WHARF_DOWNLOAD_FLUSH", "how often download counts (for retention rules' notDownloadedFor) are written from memory to the metadata store; 0 for 30s (WHARF_DOWNLOAD_FLUSH)", &envErrs)
	auditRetention := retentionFlag(fs, "audit-retention", "WHARF_AUDIT_RETENTION", "how long audit records are kept, as 90d or a duration like 720h; older ones are pruned by the garbage-collection loop; 0 for 90d (WHARF_AUDIT_RETENTION)", &envErrs)
	freshness := durationFlag(fs, "freshness", "WHARF_FRESHNESS", "how long a document fetched from a public registry (an npm packument) is served before it is refreshed in the background; 0 for 5m (WHARF_FRESHNESS)", &envErrs)
	auditOn := fs.Bool("audit", true, "keep the audit trail (see wharf admin audit); --audit=false records nothing and costs requests nothing, e.g. when a proxy in front already logs every call (WHARF_AUDIT)")
	if v := env("WHARF_AUDIT", ""); v != "" {
		if err := fs.Set("audit", v); err != nil {
			envErrs = append(envErrs, fmt.Errorf("WHARF_AUDIT: %w", err))
		}
	}
	identityRefresh := durationFlag(fs, "identity-refresh", "WHARF_IDENTITY_REFRESH", "how often changes made by wharf admin are picked up; 0 for 1s (WHARF_IDENTITY_REFRESH)", &envErrs)
	blobStore := fs.String("blob-store", env("WHARF_BLOB_STORE", "fs"), "where asset bytes live: fs (DATA-DIR/blobs) or s3 (WHARF_BLOB_STORE)")
	s3Endpoint := fs.String("s3-endpoint", env("WHARF_S3_ENDPOINT", ""), "S3 API URL for --blob-store s3, e.g. http://127.0.0.1:9000; empty for AWS (WHARF_S3_ENDPOINT)")
	s3Region := fs.String("s3-region", env("WHARF_S3_REGION", ""), "region of the bucket; empty for the AWS SDK's default, else us-east-1 (WHARF_S3_REGION)")
	s3Bucket := fs.String("s3-bucket", env("WHARF_S3_BUCKET", ""), "existing bucket for --blob-store s3 (WHARF_S3_BUCKET)")
	s3Prefix := fs.String("s3-prefix", env("WHARF_S3_PREFIX", ""), "key prefix within the bucket (WHARF_S3_PREFIX)")
	s3PathStyle := fs.Bool("s3-path-style", env("WHARF_S3_PATH_STYLE", "") == "true", "address the bucket as ENDPOINT/BUCKET, as most self-hosted S3 servers need (WHARF_S3_PATH_STYLE=true); credentials come from WHARF_S3_ACCESS_KEY_ID and WHARF_S3_SECRET_ACCESS_KEY, else the AWS SDK's default chain")
	metaStore := fs.String("meta-store", env("WHARF_META_STORE", "sqlite"), "where metadata lives: sqlite (DATA-DIR/wharf.db) or postgres, which several replicas can share (WHARF_META_STORE)")
	// No default from the environment: -h would print the password.
	postgresDSN := fs.String("postgres-dsn", "", "PostgreSQL database for --meta-store postgres, e.g. postgres://wharf:PASSWORD@db.example:5432/wharf; the environment keeps the password out of ps (WHARF_POSTGRES_DSN)")
	if err := errors.Join(envErrs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *postgresDSN == "" {
		*postgresDSN = os.Getenv("WHARF_POSTGRES_DSN")
	}
	switch *metaStore {
	case "sqlite":
		if *postgresDSN != "" {
			return errors.New("--postgres-dsn needs --meta-store postgres; without it metadata would go to the data directory")
		}
	case "postgres":
		if *postgresDSN == "" {
			return errors.New("--meta-store postgres needs --postgres-dsn or WHARF_POSTGRES_DSN")
		}
	default:
		return fmt.Errorf("--meta-store: want sqlite or postgres, got %q", *metaStore)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	var s3cfg *s3.Config
	switch *blobStore {
	case "fs":
		if *s3Bucket != "" || *s3Endpoint != "" || *s3Prefix != "" {
			return errors.New("--s3-* flags need --blob-store s3; without it blobs would go to the data directory")
		}
	case "s3":
		if *s3Bucket == "" {
			return errors.New("--blob-store s3 needs --s3-bucket")
		}
		s3cfg = &s3.Config{Endpoint: *s3Endpoint, Region: *s3Region, Bucket: *s3Bucket, Prefix: *s3Prefix, UsePathStyle: *s3PathStyle,
			AccessKeyID: os.Getenv("WHARF_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("WHARF_S3_SECRET_ACCESS_KEY")}
	default:
		return fmt.Errorf("--blob-store: want fs or s3, got %q", *blobStore)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	limits, err := throttle.Parse(*throttleSpec)
	if err != nil {
		return fmt.Errorf("--throttle: %w", err)
	}
	sk, skPath, err := secretsKey(*secretsKeyFile)
	if err != nil {
		return err
	}

	urls := map[string]string{}
	for i, c := range conns {
		if err := format.CheckURL(*connURLs[i]); err != nil {
			return fmt.Errorf("--%s %w", c.Flag, err)
		}
		urls[c.Name] = strings.TrimSuffix(*connURLs[i], "/")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if *tlsSelfSigned && *tlsCert != "" {
		return errors.New("--tls-self-signed and --tls-cert are alternatives; give one")
	}
	sealer, err := identity.NewSealer(sk)
	if err != nil {
		return err
	}
	admin, err := adminCredential(*dataDir, sealer, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	var tlsFiles *server.TLSFiles
	switch {
	case *tlsCert != "":
		tlsFiles = &server.TLSFiles{CertFile: *tlsCert, KeyFile: *tlsKey}
	case *tlsSelfSigned:
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		f, err := server.SelfSignedTLS(*dataDir, host)
		if err != nil {
			return fmt.Errorf("--tls-self-signed: %w", err)
		}
		tlsFiles = &f
		log.Info("serving a self-signed certificate; clients must trust it", "cert", f.CertFile)
	}
	pub := strings.TrimSuffix(*publicURL, "/")
	if pub == "" {
		scheme := "http://"
		if tlsFiles != nil {
			scheme = "https://"
		}
		pub = scheme + ln.Addr().String()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *debugListen != "" {
		dl, err := net.Listen("tcp", *debugListen)
		if err != nil {
			return fmt.Errorf("--debug-listen: %w", err)
		}
		defer dl.Close()
		go http.Serve(dl, debugMux())
		log.Info("pprof listening", "addr", dl.Addr().String())
	}
	var metricsLn net.Listener
	if *metricsListen != "" {
		if metricsLn, err = net.Listen("tcp", *metricsListen); err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		defer metricsLn.Close()
	}
	srv, err := server.Open(ctx, server.Config{DataDir: *dataDir, PublicURL: pub, Region: *region, Admin: admin, Logger: log,
		GCInterval: *gcInterval, GCGrace: *gcGrace, BlobLease: *blobLease,
		SecretsKey: sk, SecretsKeyFile: skPath, Throttle: limits, ReplayProtection: *replay, IdentityRefresh: *identityRefresh,
		S3: s3cfg, PostgresDSN: *postgresDSN, ConnectionURLs: urls, PublicFresh: *freshness, TLS: tlsFiles,
		Webhooks:          webhook.Config{RetryMin: *webhookRetryMin, RetryMax: *webhookRetryMax, Timeout: *webhookTimeout},
		RetentionInterval: *retentionInterval, DownloadFlush: *downloadFlush, Now: testClock(),
		Metrics: metricsLn != nil, AuditRetention: *auditRetention, AuditOff: !*auditOn})
	if err != nil {
		return err
	}
	defer srv.Close()
	if metricsLn != nil {
		go (&http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 30 * time.Second}).Serve(metricsLn)
		log.Info("metrics listening", "addr", metricsLn.Addr().String())
	}
	log.Info("wharf listening", "addr", ln.Addr().String(), "tls", tlsFiles != nil, "public_url", pub, "data_dir", *dataDir, "blob_store", *blobStore, "meta_store", *metaStore, "account", admin.AccountID)
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// adminCredential takes the administrator from the environment, or from
// the data directory, generating and printing it once on first start; its
// secret is sealed there when a secrets key is configured.
func adminCredential(dataDir string, sealer *identity.Sealer, log *slog.Logger) (identity.Credential, error) {
	c := identity.Credential{
		AccountID:       os.Getenv("WHARF_ACCOUNT_ID"),
		AccessKeyID:     os.Getenv("WHARF_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("WHARF_SECRET_ACCESS_KEY"),
	}
	if c.AccessKeyID != "" || c.SecretAccessKey != "" {
		if c.AccountID == "" {
			c.AccountID = "000000000000"
		}
		if err := c.Validate(); err != nil {
			return c, fmt.Errorf("WHARF_* credentials: %w", err)
		}
		return c, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return c, err
	}
	f, err := identity.LoadOrCreateAdmin(dataDir, sealer)
	if err != nil {
		return f.Credential, err
	}
	stored := "mode 0600, the secret in clear"
	if f.Sealed {
		stored = "mode 0600, the secret sealed with the secrets key"
	}
	switch {
	case f.Created:
		fmt.Fprintf(os.Stderr, `
================================================================
 Wharf generated administrator credentials (shown only once;
 stored in %s, %s):

   export AWS_ACCESS_KEY_ID=%s
   export AWS_SECRET_ACCESS_KEY=%s
   account id: %s
================================================================

`, filepath.Join(dataDir, identity.AdminFileName), stored, f.AccessKeyID, f.SecretAccessKey, f.AccountID)
	case sealer.Encrypts() && !f.Sealed:
		log.Warn("the administrator's credentials file is not sealed with the configured secrets key; run wharf admin reseal",
			"file", filepath.Join(dataDir, identity.AdminFileName))
	}
	return f.Credential, nil
}

// debugMux serves the runtime profiles (go tool pprof
// http://ADDR/debug/pprof/profile), on a listener of its own so they are
// never reachable through the public one.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
