package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/webhook"
)

const webhookUsage = `Usage: wharf admin webhook <command> [flags]

Webhooks receive an EventBridge-shaped "CodeArtifact Package Version State
Change" event, POSTed as JSON and signed in the X-Wharf-Signature-256
header (sha256=HEX, HMAC-SHA256 of the body under the secret), for every
change to a package version in their domain or repository. A running
server picks changes up at once. Output is JSON.

Commands:
  add         --domain D [--domain-owner ACCOUNT] [--repository R] --url U
              --secret-file F   (the HMAC key; its surrounding whitespace is dropped)
              [--secrets-key-file K] (as wharf serve's: the secret is stored
              sealed with it; WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY too)
  list
  remove      --webhook-id ID   (with its deliveries still queued)
  deliveries  [--webhook-id ID] [--pending] [--limit N (default 100)]
              (newest first: attempts, last status and error, next attempt)

Flags of every command: --data-dir, --meta-store, --postgres-dsn as for
the other admin commands.
`

type webhookJSON struct {
	ID          int64  `json:"webhookId"`
	DomainOwner string `json:"domainOwner"`
	Domain      string `json:"domain"`
	Repository  string `json:"repository,omitempty"`
	URL         string `json:"url"`
	Created     string `json:"created"`
}

type deliveryJSON struct {
	EventID     int64  `json:"eventId"`
	WebhookID   int64  `json:"webhookId"`
	URL         string `json:"url"`
	Package     string `json:"package"`
	Delivered   bool   `json:"delivered"`
	Attempts    int    `json:"attempts"`
	LastStatus  int    `json:"lastStatus,omitempty"`
	LastError   string `json:"lastError,omitempty"`
	NextAttempt string `json:"nextAttempt,omitempty"`
	DeliveredAt string `json:"deliveredAt,omitempty"`
	Created     string `json:"created"`
}

// adminWebhook runs "wharf admin webhook ...".
func adminWebhook(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(webhookUsage)
		if len(args) == 0 {
			return errors.New("admin webhook: a command is required")
		}
		return nil
	}
	name := args[0]
	c := &adminCmd{fs: flag.NewFlagSet("admin webhook "+name, flag.ContinueOnError)}
	c.fs.Usage = func() { fmt.Fprint(c.fs.Output(), webhookUsage) }
	c.dataDir = c.fs.String("data-dir", env("WHARF_DATA_DIR", "wharf-data"), "data directory")
	c.metaStore = c.fs.String("meta-store", env("WHARF_META_STORE", "sqlite"), "sqlite or postgres")
	c.postgresDSN = c.fs.String("postgres-dsn", "", "PostgreSQL database of --meta-store postgres")
	c.keyFile = c.fs.String("secrets-key-file", env("WHARF_SECRETS_KEY_FILE", ""), "secrets key file the webhook secret is sealed with")
	domain := c.fs.String("domain", "", "domain")
	owner := c.fs.String("domain-owner", "", "account owning the domain")
	repo := c.fs.String("repository", "", "repository (none: every repository of the domain)")
	target := c.fs.String("url", "", "http or https URL the events are POSTed to")
	secretFile := c.fs.String("secret-file", "", "file holding the signing secret")
	id := c.fs.Int64("webhook-id", 0, "webhook id")
	pending := c.fs.Bool("pending", false, "only deliveries not yet made")
	limit := c.fs.Int("limit", 100, "most deliveries listed")
	if err := c.fs.Parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("admin webhook %s: unexpected argument %q", name, c.fs.Arg(0))
	}
	var run func(ctx context.Context, s meta.Store) (any, error)
	switch name {
	case "add":
		if err := c.need("domain", "url", "secret-file"); err != nil {
			return err
		}
		u, err := url.Parse(*target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("admin webhook add: --url %q: want an http or https URL", *target)
		}
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return fmt.Errorf("admin webhook add: --secret-file: %w", err)
		}
		secret := strings.TrimSpace(string(b))
		if len(secret) < 16 {
			return errors.New("admin webhook add: the secret must be at least 16 characters")
		}
		key, _, err := secretsKey(*c.keyFile)
		if err != nil {
			return fmt.Errorf("admin webhook add: %w", err)
		}
		sealer, err := identity.NewSealer(key)
		if err != nil {
			return fmt.Errorf("admin webhook add: %w", err)
		}
		run = func(ctx context.Context, s meta.Store) (any, error) {
			w := &meta.Webhook{Repository: *repo, URL: u.String(), Created: time.Now().UTC()}
			err := s.Update(ctx, func(tx meta.Tx) error {
				d, err := findDomain(tx, *domain, *owner)
				if err != nil {
					return err
				}
				if *repo != "" {
					if _, err := tx.GetRepository(d.ID, *repo); err != nil {
						return notFound(err, fmt.Sprintf("repository %q in domain %q", *repo, *domain))
					}
				}
				w.DomainOwner, w.Domain = d.Owner, d.Name
				return webhook.Create(tx, sealer, w, secret)
			})
			return toWebhook(w), err
		}
	case "list":
		run = func(ctx context.Context, s meta.Store) (any, error) {
			out := []webhookJSON{}
			err := s.View(ctx, func(tx meta.Tx) error {
				ws, err := tx.ListWebhooks()
				for _, w := range ws {
					out = append(out, toWebhook(w))
				}
				return err
			})
			return out, err
		}
	case "remove":
		if *id <= 0 {
			return errors.New("admin webhook remove: missing --webhook-id")
		}
		run = func(ctx context.Context, s meta.Store) (any, error) {
			err := s.Update(ctx, func(tx meta.Tx) error { return tx.DeleteWebhook(*id) })
			return nil, notFound(err, fmt.Sprintf("webhook %d", *id))
		}
	case "deliveries":
		if *limit <= 0 {
			return errors.New("admin webhook deliveries: --limit must be positive")
		}
		run = func(ctx context.Context, s meta.Store) (any, error) {
			out := []deliveryJSON{}
			err := s.View(ctx, func(tx meta.Tx) error {
				ds, err := tx.ListDeliveries(meta.DeliveryFilter{WebhookID: *id, Pending: *pending, Limit: *limit})
				for _, d := range ds {
					out = append(out, toDelivery(d))
				}
				return err
			})
			return out, err
		}
	default:
		fmt.Fprint(os.Stderr, webhookUsage)
		return fmt.Errorf("admin webhook: unknown command %q", name)
	}
	ctx := context.Background()
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	out, err := run(ctx, store)
	if err != nil {
		return fmt.Errorf("admin webhook %s: %w", name, err)
	}
	if out != nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return nil
}

// findDomain finds a domain by name, and by owner too when given or when
// several accounts have a domain of that name.
func findDomain(tx meta.Tx, name, owner string) (*model.Domain, error) {
	if owner != "" {
		d, err := tx.GetDomain(owner, name)
		return d, notFound(err, fmt.Sprintf("domain %q of account %s", name, owner))
	}
	ds, err := tx.ListDomains("", name+"/", 2)
	if err != nil {
		return nil, err
	}
	var found []*model.Domain
	for _, d := range ds {
		if d.Name == name {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no domain %q", name)
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("several accounts have a domain %q: give --domain-owner", name)
	}
}

func toWebhook(w *meta.Webhook) webhookJSON {
	return webhookJSON{ID: w.ID, DomainOwner: w.DomainOwner, Domain: w.Domain, Repository: w.Repository, URL: w.URL, Created: date(w.Created)}
}

func toDelivery(d *meta.Delivery) deliveryJSON {
	out := deliveryJSON{EventID: d.EventID, WebhookID: d.WebhookID, URL: d.URL, Package: d.Stream, Delivered: d.Delivered, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, Created: date(d.Created)}
	if d.Delivered {
		out.DeliveredAt = date(d.DeliveredAt)
	} else {
		out.NextAttempt = date(d.NextAttempt)
	}
	return out
}
