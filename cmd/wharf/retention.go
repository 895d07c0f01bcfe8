package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/controlplane"
)

const retentionUsage = `Usage: wharf admin retention <command> --domain D [flags]

Manage a domain's retention rules through a running server's API
(` + controlplane.RetentionPrefix + `), signed with SigV4 like the aws CLI:
credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and
AWS_SESSION_TOKEN), the server from AWS_ENDPOINT_URL. Output is the API's JSON.

Commands:
  put      --rule JSON|file://PATH|-   create or replace a rule, e.g.
           {"name":"old-snapshots","repository":"main","keepNewest":10,
            "order":"VERSION","olderThan":"90d","notDownloadedFor":"30d",
            "statuses":["Published"],
            "keep":[{"format":"npm","package":"ui","version":"1.0.0"}],
            "action":"ARCHIVE|UNLIST|DISPOSE|DELETE"}
  list
  get      --name NAME
  delete   --name NAME
  dry-run  --name NAME                 every version the rule would touch, why,
                                        and the bytes it would free
  run      --name NAME [--batch-size N]

Flags of every command:
  --domain D  --domain-owner ACCOUNT  --endpoint-url URL  --region R
`

// adminRetention runs one retention command against the server's API.
func adminRetention(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, retentionUsage)
		if len(args) == 0 {
			return errors.New("admin retention: a command is required")
		}
		return nil
	}
	cmd := args[0]
	fs := flag.NewFlagSet("admin retention "+cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), retentionUsage) }
	domain := fs.String("domain", "", "domain")
	owner := fs.String("domain-owner", "", "domain owner account")
	name := fs.String("name", "", "rule name")
	rule := fs.String("rule", "", "rule document")
	batch := fs.Int("batch-size", 0, "versions per call of a run (1-100)")
	endpoint := fs.String("endpoint-url", env("AWS_ENDPOINT_URL", "http://127.0.0.1:8470"), "server URL")
	region := fs.String("region", env("AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1")), "region to sign for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin retention %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if *domain == "" {
		return fmt.Errorf("admin retention %s: --domain is required", cmd)
	}
	q := url.Values{"domain": {*domain}}
	if *owner != "" {
		q.Set("domain-owner", *owner)
	}
	needName := func() (string, error) {
		if *name == "" {
			return "", fmt.Errorf("admin retention %s: --name is required", cmd)
		}
		return "/" + url.PathEscape(*name), nil
	}
	var method, path string
	var body []byte
	switch cmd {
	case "put":
		if *rule == "" {
			return errors.New("admin retention put: --rule is required")
		}
		doc, err := readDocument(*rule)
		if err != nil {
			return err
		}
		method, body = http.MethodPut, []byte(doc)
	case "list":
		method = http.MethodGet
	case "get", "delete", "dry-run", "run":
		p, err := needName()
		if err != nil {
			return err
		}
		path = p
		switch cmd {
		case "get":
			method = http.MethodGet
		case "delete":
			method = http.MethodDelete
		default:
			method, path = http.MethodPost, p+"/"+cmd
			if cmd == "run" && *batch != 0 {
				q.Set("batch-size", fmt.Sprint(*batch))
			}
		}
	default:
		fmt.Fprint(os.Stderr, retentionUsage)
		return fmt.Errorf("admin retention: unknown command %q", cmd)
	}
	u := strings.TrimSuffix(*endpoint, "/") + controlplane.RetentionPrefix + path + "?" + q.Encode()
	return signedCall(context.Background(), method, u, *region, body, out)
}

// signedCall sends one SigV4-signed request with the credentials of the
// environment and copies the answer to out; an error answer is an error.
func signedCall(ctx context.Context, method, u, region string, body []byte, out io.Writer) error {
	creds := aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return errors.New("admin: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to call the server")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "codeartifact", region, time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s %s: %s: %s", method, req.URL.Path, resp.Status, bytes.TrimSpace(msg))
	}
	_, err = io.Copy(out, resp.Body)
	return err
}
