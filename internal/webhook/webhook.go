// Package webhook delivers the package events of the metadata store's
// outbox to the webhooks configured for their domain or repository: each
// an HTTP POST of the event's JSON, signed with HMAC-SHA256 like GitHub's
// webhooks, retried with exponential backoff until it succeeds, in order
// per package.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body under the webhook's secret.
	SignatureHeader = "X-Wharf-Signature-256"
	// DeliveryHeader names the delivery: event id, "-", webhook id; a
	// retried delivery carries the same value.
	DeliveryHeader = "X-Wharf-Delivery"
)

// Sign returns the SignatureHeader value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's under secret, in constant
// time: what a receiver does.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Config tunes a Deliverer. Zero fields take the defaults.
type Config struct {
	Client   *http.Client
	Logger   *slog.Logger
	Now      func() time.Time
	RetryMin time.Duration // first retry delay; default 1s
	RetryMax time.Duration // longest retry delay; default 10m
	Timeout  time.Duration // one attempt; default 10s
	Poll     time.Duration // how often to look for work other replicas queued; default 1s
	Workers  int           // deliveries in flight at once; default 8
	Retain   time.Duration // how long delivered events are kept; default 7 days
	// Sealer opens the stored webhook secrets; nil reads only secrets
	// stored in clear.
	Sealer *identity.Sealer
}

// Deliverer drains the outbox. Several, one per replica, may share a
// store: claims keep them from delivering the same event at once.
type Deliverer struct {
	store meta.Store
	cfg   Config
	wake  chan struct{}
}

// New returns a Deliverer over store.
func New(store meta.Store, cfg Config) *Deliverer {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 10 * time.Minute
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = cfg.RetryMin
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 7 * 24 * time.Hour
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Deliverer{store: store, cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake tells the loop that events were committed.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Backoff is the delay before the attempt after the n-th failed one:
// RetryMin doubled per failure, at most RetryMax.
func (d *Deliverer) Backoff(n int) time.Duration {
	delay := d.cfg.RetryMin
	for i := 1; i < n && delay < d.cfg.RetryMax; i++ {
		delay *= 2
	}
	return min(delay, d.cfg.RetryMax)
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	lastPrune := time.Time{}
	for ctx.Err() == nil {
		n, err := d.round(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("webhook deliveries", "err", err)
		}
		if now := d.cfg.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if err := d.store.Update(ctx, func(tx meta.Tx) error { return tx.PruneEvents(now.Add(-d.cfg.Retain)) }); err != nil && ctx.Err() == nil {
				d.cfg.Logger.Warn("prune webhook events", "err", err)
			}
		}
		if n > 0 {
			continue
		}
		wait := d.cfg.Poll
		if err == nil {
			var due time.Time
			derr := d.store.View(ctx, func(tx meta.Tx) (err error) {
				due, err = tx.NextDeliveryDue()
				return err
			})
			if derr == nil {
				wait = min(wait, max(due.Sub(d.cfg.Now()), 10*time.Millisecond))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// round claims the deliveries due and attempts each; it returns how many
// it attempted.
func (d *Deliverer) round(ctx context.Context) (int, error) {
	now := d.cfg.Now()
	var ds []*meta.Delivery
	// A claim outlasts an attempt, so no other replica retries a delivery
	// still in flight; one whose replica died is retried when it lapses.
	err := d.store.Update(ctx, func(tx meta.Tx) (err error) {
		ds, err = tx.ClaimDeliveries(now, now.Add(d.cfg.Timeout+5*time.Second), d.cfg.Workers*4)
		return err
	})
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	errs := make([]error, len(ds))
	for i, dl := range ds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.attempt(ctx, dl)
			errs[i] = d.store.Update(context.WithoutCancel(ctx), func(tx meta.Tx) error { return tx.FinishDelivery(dl) })
		}()
	}
	wg.Wait()
	return len(ds), errors.Join(errs...)
}

// attempt POSTs the delivery once and records the outcome in dl. A
// secret that does not open fails the attempt without sending: an
// unsigned delivery would teach receivers to accept one.
func (d *Deliverer) attempt(ctx context.Context, dl *meta.Delivery) {
	secret, err := d.cfg.Sealer.OpenFor(identity.WebhookSecret(dl.WebhookID), dl.Secret)
	status := 0
	if err != nil {
		err = fmt.Errorf("webhook %d: its secret cannot be read (not sent; configure the secrets key it was sealed with, or run wharf admin reseal): %w", dl.WebhookID, err)
		d.cfg.Logger.Error("webhook delivery not sent", "url", dl.URL, "event", dl.EventID, "err", err)
	} else {
		status, err = d.post(ctx, dl, secret)
	}
	now := d.cfg.Now()
	dl.Attempts++
	dl.LastStatus = status
	if err == nil {
		dl.Delivered, dl.DeliveredAt, dl.LastError = true, now, ""
		return
	}
	dl.LastError = err.Error()
	dl.NextAttempt = now.Add(d.Backoff(dl.Attempts))
	d.cfg.Logger.Info("webhook delivery failed", "url", dl.URL, "event", dl.EventID, "attempts", dl.Attempts, "err", err, "retry_in", d.Backoff(dl.Attempts))
}

func (d *Deliverer) post(ctx context.Context, dl *meta.Delivery, secret string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Wharf-Webhook")
	req.Header.Set(SignatureHeader, Sign(secret, dl.Body))
	req.Header.Set(DeliveryHeader, strconv.FormatInt(dl.EventID, 10)+"-"+strconv.FormatInt(dl.WebhookID, 10))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
