package meta

import (
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Package events and their webhooks: an outbox written in the same
// transaction as the change an event describes, so a crash never keeps
// one without the other, and a delivery queue per webhook drained by the
// server in order per package (a "stream").

// Webhook is an HTTP endpoint told about the package version changes of a
// domain, or of one repository of it.
type Webhook struct {
	ID          int64
	DomainOwner string
	Domain      string
	Repository  string // "" for every repository of the domain
	URL         string
	Secret      string // HMAC-SHA256 key signing every delivery, in its stored (sealed) form
	Created     time.Time
}

// Event is one stored event. Body is the document delivered, fixed when
// the event is written so every attempt sends the same bytes.
type Event struct {
	ID          int64
	Stream      string // what the event is about; deliveries keep its order
	DomainOwner string
	Domain      string
	Repository  string
	Body        []byte
	Created     time.Time
}

// Delivery is an event on its way to one webhook.
type Delivery struct {
	EventID     int64
	WebhookID   int64
	Stream      string
	URL         string // the webhook's, filled when read
	Secret      string // the webhook's, stored (sealed) form, filled by ClaimDeliveries only
	Body        []byte // the event's, filled by ClaimDeliveries only
	Delivered   bool
	Attempts    int
	NextAttempt time.Time
	DeliveredAt time.Time
	LastStatus  int    // HTTP status of the last attempt, 0 if none came back
	LastError   string // why the last attempt failed
	Created     time.Time
}

// DeliveryFilter selects deliveries, newest event first.
type DeliveryFilter struct {
	WebhookID int64 // 0 for every webhook
	Pending   bool  // only those not delivered yet
	Limit     int   // 0 for no limit
}

// VersionSubject is a version with the names an event about it carries.
type VersionSubject struct {
	Version     *model.Version // summary fields only
	Key         model.PackageKey
	Repository  string
	Domain      string
	DomainOwner string
}

// Events is the outbox of package events and the webhooks it feeds.
type Events interface {
	// CreateWebhook stores w and sets w.ID.
	CreateWebhook(w *Webhook) error
	// ListWebhooks lists every webhook ordered by id.
	ListWebhooks() ([]*Webhook, error)
	// DeleteWebhook removes a webhook with its deliveries; ErrNotFound.
	DeleteWebhook(id int64) error
	// SetWebhookSecret replaces a webhook's stored secret (to seal or
	// re-seal it); ErrNotFound.
	SetWebhookSecret(id int64, secret string) error
	// NextEventSequence returns 1 more than the last number it returned
	// for stream (1 the first time).
	NextEventSequence(stream string) (int64, error)
	// AppendEvent stores e, setting e.ID, and enqueues a delivery to
	// every webhook of e's domain or repository; with no such webhook it
	// stores nothing and leaves e.ID 0.
	AppendEvent(e *Event) error
	// ClaimDeliveries returns up to limit deliveries that are due at now
	// and not claimed, each the oldest undelivered one of its webhook and
	// stream (so a stream's next event waits for the one before), and
	// claims them until until. Replicas sharing a store never claim the
	// same delivery while its claim lasts.
	ClaimDeliveries(now, until time.Time, limit int) ([]*Delivery, error)
	// FinishDelivery records an attempt: Delivered, Attempts,
	// NextAttempt, DeliveredAt, LastStatus and LastError, and drops the
	// claim.
	FinishDelivery(d *Delivery) error
	// NextDeliveryDue returns when the earliest delivery that heads its
	// stream is due (or its claim ends); ErrNotFound when none waits.
	NextDeliveryDue() (time.Time, error)
	// ListDeliveries lists deliveries by descending event id.
	ListDeliveries(f DeliveryFilter) ([]*Delivery, error)
	// PruneEvents removes delivered deliveries and events without
	// deliveries created before before.
	PruneEvents(before time.Time) error
	// VersionSubjects loads the versions with these ids that exist, with
	// their package coordinates, repository and domain.
	VersionSubjects(ids []int64) ([]VersionSubject, error)
}
