package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
)

// parseRetention reads a retention period: whole days as "90d", or a Go
// duration ("720h").
func parseRetention(v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a number of days like 90d, got %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	p, err := time.ParseDuration(v)
	if err != nil || p < 0 {
		return 0, fmt.Errorf("want days like 90d or a duration like 720h, got %q", v)
	}
	return p, nil
}

// retentionFlag is durationFlag for retention periods, which read better
// in days.
func retentionFlag(fs *flag.FlagSet, name, envName, usage string, errs *[]error) *time.Duration {
	d := new(time.Duration)
	fs.Func(name, usage, func(v string) error {
		p, err := parseRetention(v)
		*d = p
		return err
	})
	if v := env(envName, ""); v != "" {
		if err := fs.Set(name, v); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", envName, err))
		}
	}
	return d
}

// parseTime reads a --since/--until value: RFC 3339 ("2026-12-07T01:00:00Z"),
// a date ("2026-12-07", midnight UTC), or an age back from now ("1h", "7d").
func parseTime(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if d, err := parseRetention(v); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time, a date (2006-01-02) or an age (1h, 7d), got %q", v)
}

const auditUsage = `Usage: wharf admin audit [flags]

Prints audit records (CloudTrail-shaped JSON), oldest first, one record
per line (JSON Lines). Every control-plane call and every
package-manager write or delete has one.

Flags:
  --since T, --until T   time range (--since inclusive, --until exclusive):
                         RFC 3339, a date (2006-01-02) or an age (1h, 7d)
  --user U               caller's ARN, IAM user name ("root" for root
                         keys) or access key id
  --event-name N         e.g. PublishPackageVersion
  --resource ARN         a resource ARN, or a prefix of ARNs ending at a
                         "/" (arn:...:package/acme/main)
  --limit N              at most N records (default 1000)
  --data-dir, --meta-store, --postgres-dsn   as for the other commands
`

// adminAudit prints the audit records a filter selects.
func adminAudit(args []string) error {
	fs := flag.NewFlagSet("admin audit", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditUsage) }
	c := &adminCmd{fs: fs}
	c.dataDir = fs.String("data-dir", env("WHARF_DATA_DIR", "wharf-data"), "data directory")
	c.metaStore = fs.String("meta-store", env("WHARF_META_STORE", "sqlite"), "sqlite or postgres")
	c.postgresDSN = fs.String("postgres-dsn", "", "PostgreSQL database of --meta-store postgres")
	since := fs.String("since", "", "start of the time range")
	until := fs.String("until", "", "end of the time range")
	var f meta.AuditFilter
	fs.StringVar(&f.User, "user", "", "caller ARN, user name or access key id")
	fs.StringVar(&f.EventName, "event-name", "", "event name")
	fs.StringVar(&f.Resource, "resource", "", "resource ARN or ARN prefix")
	fs.IntVar(&f.Limit, "limit", 1000, "most records to print")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin audit: unexpected argument %q", fs.Arg(0))
	}
	if f.Limit <= 0 {
		return errors.New("admin audit: --limit must be positive")
	}
	now := time.Now()
	var err error
	if *since != "" {
		if f.Since, err = parseTime(*since, now); err != nil {
			return fmt.Errorf("admin audit: --since: %w", err)
		}
	}
	if *until != "" {
		if f.Until, err = parseTime(*until, now); err != nil {
			return fmt.Errorf("admin audit: --until: %w", err)
		}
	}
	ctx := context.Background()
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	var events []*meta.AuditEvent
	if err := store.View(ctx, func(tx meta.Tx) (err error) {
		events, err = tx.ListAudit(f)
		return err
	}); err != nil {
		return fmt.Errorf("admin audit: %w", err)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, e := range events {
		w.Write(e.Record)
		w.WriteByte('\n')
	}
	return w.Flush()
}
