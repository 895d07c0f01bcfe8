package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wharf-dev/wharf/internal/blob/s3"
	"github.com/wharf-dev/wharf/internal/migrate"
)

const migrateUsage = `Usage:
  wharf migrate --from-data-dir D --to-postgres DSN --to-s3-bucket B [S3 flags]
  wharf migrate --from-postgres DSN --from-s3-bucket B [S3 flags] --to-data-dir D

Copies a Wharf installation between a data directory and PostgreSQL with
an S3 bucket: every blob (verified against its digest), then every row
with its id. Stop the servers of the source first (a data directory's
server holds a lock that makes this refuse). Interrupted, it is run again
with the same flags and carries on. A DSN of "-" is read from
WHARF_POSTGRES_DSN, which keeps the password out of ps. S3 credentials
come from WHARF_S3_ACCESS_KEY_ID and WHARF_S3_SECRET_ACCESS_KEY.

S3 flags: --s3-endpoint URL --s3-region R --s3-prefix P --s3-path-style
`

// migrateCmd runs "wharf migrate".
func migrateCmd(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), migrateUsage) }
	fromDir := fs.String("from-data-dir", "", "data directory to copy from")
	toDir := fs.String("to-data-dir", "", "data directory to copy into")
	fromPG := fs.String("from-postgres", "", "PostgreSQL DSN to copy from")
	toPG := fs.String("to-postgres", "", "PostgreSQL DSN to copy into")
	fromBucket := fs.String("from-s3-bucket", "", "S3 bucket to copy from")
	toBucket := fs.String("to-s3-bucket", "", "S3 bucket to copy into (must exist)")
	endpoint := fs.String("s3-endpoint", env("WHARF_S3_ENDPOINT", ""), "S3 API URL (WHARF_S3_ENDPOINT)")
	region := fs.String("s3-region", env("WHARF_S3_REGION", ""), "region of the bucket (WHARF_S3_REGION)")
	prefix := fs.String("s3-prefix", env("WHARF_S3_PREFIX", ""), "key prefix within the bucket (WHARF_S3_PREFIX)")
	pathStyle := fs.Bool("s3-path-style", env("WHARF_S3_PATH_STYLE", "") == "true", "address the bucket as ENDPOINT/BUCKET (WHARF_S3_PATH_STYLE=true)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	side := func(dir, dsn, bucket string) (migrate.Side, error) {
		s := migrate.Side{DataDir: dir, PostgresDSN: dsn}
		if dsn == "-" {
			if s.PostgresDSN = os.Getenv("WHARF_POSTGRES_DSN"); s.PostgresDSN == "" {
				return s, errors.New("a DSN of - needs WHARF_POSTGRES_DSN")
			}
		}
		if bucket != "" {
			s.S3 = &s3.Config{Endpoint: *endpoint, Region: *region, Bucket: bucket, Prefix: *prefix, UsePathStyle: *pathStyle,
				AccessKeyID: os.Getenv("WHARF_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("WHARF_S3_SECRET_ACCESS_KEY")}
		}
		return s, nil
	}
	from, err := side(*fromDir, *fromPG, *fromBucket)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	to, err := side(*toDir, *toPG, *toBucket)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := migrate.Run(ctx, from, to, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return printJSON(rep)
}
