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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/server"
	"github.com/wharf-dev/wharf/internal/throttle"
)

const usage = `Usage: wharf <command> [flags]

Commands:
  serve    run the server
  admin    manage accounts, users, access keys and user policies

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
	publicURL := fs.String("public-url", env("WHARF_PUBLIC_URL", ""), "URL clients reach the server at; default http://LISTEN (WHARF_PUBLIC_URL)")
	npmjsURL := fs.String("npmjs-url", env("WHARF_NPMJS_URL", "https://registry.npmjs.org"), "public npm registry behind the public:npmjs external connection (WHARF_NPMJS_URL)")
	region := fs.String("region", env("WHARF_REGION", "us-east-1"), "region reported in ARNs and required in SigV4 credential scopes (WHARF_REGION)")
	logLevel := fs.String("log-level", env("WHARF_LOG_LEVEL", "info"), "debug, info, warn or error (WHARF_LOG_LEVEL)")
	debugListen := fs.String("debug-listen", env("WHARF_DEBUG_LISTEN", ""), "address serving /debug/pprof/, off when empty; keep it on loopback (WHARF_DEBUG_LISTEN)")
	var envErrs []error
	gcInterval := durationFlag(fs, "gc-interval", "WHARF_GC_INTERVAL", "how often unreferenced blobs are collected; 0 for 10m (WHARF_GC_INTERVAL)", &envErrs)
	gcGrace := durationFlag(fs, "gc-grace", "WHARF_GC_GRACE", "the collector spares blobs written more recently than this; 0 for 10m (WHARF_GC_GRACE)", &envErrs)
	blobLease := durationFlag(fs, "blob-lease", "WHARF_BLOB_LEASE", "longest a publish may hold uploaded bytes before committing them; 0 for 6h (WHARF_BLOB_LEASE)", &envErrs)
	secretsKeyFile := fs.String("secrets-key-file", env("WHARF_SECRETS_KEY_FILE", ""), "file holding the key (64 hex digits or base64 of 32 bytes; keep it outside the data dir) that encrypts stored secret access keys; or set the key itself in WHARF_SECRETS_KEY (WHARF_SECRETS_KEY_FILE)")
	throttleSpec := fs.String("throttle", env("WHARF_THROTTLE", "off"), "rate limits: off, codeartifact (its published quotas), or comma-separated KEY=RATE[/BURST] with KEY read, write, token, anonymous or an operation name, e.g. codeartifact,PublishPackageVersion=2 (WHARF_THROTTLE)")
	replay := fs.Bool("replay-protection", env("WHARF_REPLAY_PROTECTION", "") == "true", "refuse a SigV4 signature already used; note botocore signs identical calls made within one second identically, so the second is refused (WHARF_REPLAY_PROTECTION=true)")
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

	if u, err := url.Parse(*npmjsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--npmjs-url %q: want an http or https URL", *npmjsURL)
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
	pub := strings.TrimSuffix(*publicURL, "/")
	if pub == "" {
		pub = "http://" + ln.Addr().String()
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
	srv, err := server.Open(ctx, server.Config{DataDir: *dataDir, PublicURL: pub, Region: *region, Admin: admin, Logger: log,
		GCInterval: *gcInterval, GCGrace: *gcGrace, BlobLease: *blobLease,
		SecretsKey: sk, SecretsKeyFile: skPath, Throttle: limits, ReplayProtection: *replay, IdentityRefresh: *identityRefresh,
		S3: s3cfg, PostgresDSN: *postgresDSN, NpmjsURL: strings.TrimSuffix(*npmjsURL, "/")})
	if err != nil {
		return err
	}
	defer srv.Close()
	log.Info("wharf listening", "addr", ln.Addr().String(), "public_url", pub, "data_dir", *dataDir, "blob_store", *blobStore, "meta_store", *metaStore, "account", admin.AccountID)
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
