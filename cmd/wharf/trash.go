package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/wharf-dev/wharf/internal/controlplane"
)

const trashUsage = `Usage: wharf admin restore-window|trash <command> --domain D [flags]

The restore window keeps deleted versions (their metadata and bytes)
restorable for a number of days; it is off (0) unless set, per domain.
Through a running server's API, signed as 'wharf admin retention' is.

  restore-window set  --days N         (0 turns it off; at most 365)
  restore-window get
  trash list          --repository R   deleted versions still restorable
  trash restore       --repository R --format F [--namespace NS]
                      --package P --version V
                                       back to its former status, with
                                       its revision and bytes

Flags of every command:
  --domain D  --domain-owner ACCOUNT  --endpoint-url URL  --region R
`

// adminTrash runs a restore-window or trash command (group) against the
// server's API.
func adminTrash(group string, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, trashUsage)
		if len(args) == 0 {
			return fmt.Errorf("admin %s: a command is required", group)
		}
		return nil
	}
	cmd := group + " " + args[0]
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), trashUsage) }
	domain := fs.String("domain", "", "domain")
	owner := fs.String("domain-owner", "", "domain owner account")
	days := fs.Int("days", -1, "restore window in days")
	repo := fs.String("repository", "", "repository")
	format := fs.String("format", "", "package format")
	ns := fs.String("namespace", "", "package namespace")
	pkg := fs.String("package", "", "package name")
	version := fs.String("version", "", "package version")
	endpoint := fs.String("endpoint-url", env("AWS_ENDPOINT_URL", "http://127.0.0.1:8470"), "server URL")
	region := fs.String("region", env("AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1")), "region to sign for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if *domain == "" {
		return fmt.Errorf("admin %s: --domain is required", cmd)
	}
	q := url.Values{"domain": {*domain}}
	if *owner != "" {
		q.Set("domain-owner", *owner)
	}
	need := func(flags map[string]string) error {
		var missing []string
		for name, v := range flags {
			if v == "" {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("admin %s: %s required", cmd, strings.Join(missing, ", "))
		}
		return nil
	}
	var method, path string
	var body []byte
	switch cmd {
	case "restore-window set":
		if *days < 0 {
			return errors.New("admin restore-window set: --days is required")
		}
		method, path, body = http.MethodPut, "restore-window", []byte(fmt.Sprintf(`{"days":%d}`, *days))
	case "restore-window get":
		method, path = http.MethodGet, "restore-window"
	case "trash list":
		if err := need(map[string]string{"repository": *repo}); err != nil {
			return err
		}
		q.Set("repository", *repo)
		method, path = http.MethodGet, "deleted-package-versions"
	case "trash restore":
		if err := need(map[string]string{"repository": *repo, "format": *format, "package": *pkg, "version": *version}); err != nil {
			return err
		}
		q.Set("repository", *repo)
		q.Set("format", *format)
		q.Set("package", *pkg)
		q.Set("version", *version)
		if *ns != "" {
			q.Set("namespace", *ns)
		}
		method, path = http.MethodPost, "deleted-package-versions/restore"
	default:
		fmt.Fprint(os.Stderr, trashUsage)
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	u := strings.TrimSuffix(*endpoint, "/") + controlplane.WharfPrefix + path + "?" + q.Encode()
	return signedCall(context.Background(), method, u, *region, body, out)
}
