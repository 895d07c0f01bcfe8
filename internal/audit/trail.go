package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/service"
)

// Trail writes audit records into the metadata store.
type Trail struct {
	store  meta.Store // the store itself, not the auditing wrapper
	region string
	log    *slog.Logger
	now    func() time.Time
	queue  chan *meta.AuditEvent // records of calls that changed nothing
}

// queueSize bounds the records waiting for their batch; when it is full a
// request waits for room (up to a second, then writes its record itself).
const queueSize = 4096

// maxBatch is the most records one batch transaction writes.
const maxBatch = 512

// New returns a trail writing into store, with ARNs in region.
func New(store meta.Store, region string, log *slog.Logger) *Trail {
	if log == nil {
		log = slog.Default()
	}
	return &Trail{store: store, region: region, log: log, now: time.Now, queue: make(chan *meta.AuditEvent, queueSize)}
}

// Call is one audited request in flight, carried in its context.
type Call struct {
	mu       sync.Mutex
	rec      Record
	at       time.Time
	userName string
	resource string // ARN the first authorization named
	written  bool   // the record went into a change's transaction
	named    bool   // rec.EventName is final (a control-plane operation)
	caller   bool   // the caller is known (endpoints learn it after routing)
}

type callKey struct{}

// From returns the call in ctx, or nil.
func From(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Request is what the transport knows of a request when it begins.
type Request struct {
	RequestID, SourceIP, UserAgent string
}

// Begin starts the record of a control-plane operation by caller.
func (t *Trail) Begin(ctx context.Context, operation string, caller service.Caller, req Request) (context.Context, *Call) {
	c := t.newCall(req)
	c.rec.EventName, c.named = operation, true
	c.rec.ReadOnly = readOnlyOperation(operation)
	c.identify(caller)
	return context.WithValue(ctx, callKey{}, c), c
}

func (t *Trail) newCall(req Request) *Call {
	now := t.now()
	return &Call{at: now, rec: Record{
		EventVersion: eventVersion, EventTime: eventTime(now), EventSource: eventSource, AWSRegion: t.region,
		SourceIPAddress: req.SourceIP, UserAgent: req.UserAgent, RequestID: req.RequestID, EventID: NewID(),
		EventType: "AwsApiCall", ManagementEvent: true, ResponseElements: json.RawMessage("null"), RequestParameters: json.RawMessage("null"),
	}}
}

func (c *Call) identify(caller service.Caller) {
	c.rec.UserIdentity, c.userName = identityOf(caller)
	c.rec.RecipientAccountID = caller.Account
	c.caller = true
}

// Identify records the caller of an endpoint request, once its token is
// verified. It does nothing when ctx carries no call (reads are not
// recorded).
func Identify(ctx context.Context, caller service.Caller) {
	if c := From(ctx); c != nil {
		c.mu.Lock()
		c.identify(caller)
		c.mu.Unlock()
	}
}

// SetParameters records the call's input: the decoded operation input
// (never the asset bytes, which are the request body).
func (c *Call) SetParameters(p json.RawMessage) {
	c.mu.Lock()
	c.rec.RequestParameters = p
	c.mu.Unlock()
}

// authorized notes an authorization the call needed: the first resource
// it named, and for endpoint calls the first action that is not a read,
// which names the event (npm publish is PublishPackageVersion).
func (c *Call) authorized(action, arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resource == "" && arn != "" {
		c.resource = arn
		c.rec.Resources = []Resource{resourceOf(arn)}
	}
	if !c.named && !readOnlyOperation(action) {
		c.rec.EventName, c.named = action, true
		c.rec.ReadOnly = false
	}
}

// event is the call's record as stored; c.mu is held.
func (c *Call) event() (*meta.AuditEvent, error) {
	b, err := json.Marshal(&c.rec)
	if err != nil {
		return nil, err
	}
	return &meta.AuditEvent{ID: c.rec.EventID, Time: c.at, Name: c.rec.EventName, Principal: c.rec.UserIdentity.ARN,
		UserName: c.userName, AccessKeyID: c.rec.UserIdentity.AccessKeyID, Resource: c.resource, Record: b}, nil
}

// Finish completes the call's record with its outcome (errorCode empty
// for success). A record already written with its change is rewritten
// only when the call failed after that; any other is queued for a batch.
// A call whose caller never became known (a refused token) is dropped:
// there is no identity to record.
func (t *Trail) Finish(ctx context.Context, c *Call, errorCode, errorMessage string) {
	c.mu.Lock()
	if !c.caller || (c.written && errorCode == "") {
		c.mu.Unlock()
		return
	}
	c.rec.ErrorCode, c.rec.ErrorMessage = errorCode, errorMessage
	e, err := c.event()
	written := c.written
	c.mu.Unlock()
	if err != nil {
		t.log.Error("audit record", "err", err, "event", c.rec.EventName)
		return
	}
	if written {
		t.write(context.WithoutCancel(ctx), []*meta.AuditEvent{e})
		return
	}
	select {
	case t.queue <- e:
		return
	default:
	}
	// The batch writer is behind: wait for room rather than write alone,
	// which would cost a transaction per record just when there are most;
	// a writer that is not running at all is not waited for long.
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	select {
	case t.queue <- e:
	case <-wait.C:
		t.write(context.WithoutCancel(ctx), []*meta.AuditEvent{e})
	}
}

// write records events in one transaction of their own.
func (t *Trail) write(ctx context.Context, es []*meta.AuditEvent) {
	if a, ok := t.store.(meta.AuditAppender); ok {
		if err := a.AppendAuditEvents(ctx, es); err != nil {
			t.log.Error("audit trail: records lost", "err", err, "records", len(es))
		}
		return
	}
	err := t.store.Update(ctx, func(tx meta.Tx) error {
		for _, e := range es {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.log.Error("audit trail: records lost", "err", err, "records", len(es))
	}
}

// Run writes queued records in batches until ctx ends, then writes what
// is left; Serve runs it and waits for it after draining requests.
func (t *Trail) Run(ctx context.Context) {
	for {
		select {
		case e := <-t.queue:
			batch := []*meta.AuditEvent{e}
		more:
			for len(batch) < maxBatch {
				select {
				case e := <-t.queue:
					batch = append(batch, e)
				default:
					break more
				}
			}
			t.write(context.WithoutCancel(ctx), batch)
		case <-ctx.Done():
			for {
				var batch []*meta.AuditEvent
			drain:
				for len(batch) < maxBatch {
					select {
					case e := <-t.queue:
						batch = append(batch, e)
					default:
						break drain
					}
				}
				if len(batch) == 0 {
					return
				}
				t.write(context.WithoutCancel(ctx), batch)
			}
		}
	}
}

// Prune deletes the records older than retention.
func (t *Trail) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	var n int64
	err := t.store.Update(ctx, func(tx meta.Tx) (err error) {
		n, err = tx.PruneAudit(t.now().Add(-retention))
		return err
	})
	return n, err
}

// Store wraps the store the service writes through: every write
// transaction opened for an audited call, once its changes succeed,
// records the call's event before it commits. Bookkeeping transactions
// (service.Bookkeeping) and calls without a known caller record nothing.
func (t *Trail) Store(s meta.Store) meta.Store { return &auditingStore{Store: s} }

type auditingStore struct{ meta.Store }

func (s *auditingStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	c := From(ctx)
	if c == nil || service.IsBookkeeping(ctx) {
		return s.Store.Update(ctx, fn)
	}
	err := s.Store.Update(ctx, func(tx meta.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.caller {
			return nil
		}
		e, err := c.event()
		if err != nil {
			return err
		}
		return tx.AppendAudit(e)
	})
	if err == nil {
		c.mu.Lock()
		c.written = c.caller
		c.mu.Unlock()
	}
	return err
}

// Authorizer wraps the service's authorizer so that each call learns the
// resource it acted on and, for endpoint calls, the action that names it.
func (t *Trail) Authorizer(a service.Authorizer) service.Authorizer { return &auditingAuthorizer{a} }

type auditingAuthorizer struct{ service.Authorizer }

func (a *auditingAuthorizer) Authorize(ctx context.Context, c service.Caller, action, arn, account string) error {
	if call := From(ctx); call != nil {
		call.authorized(action, arn)
	}
	return a.Authorizer.Authorize(ctx, c, action, arn, account)
}

// PoliciesChanged passes the notification on to the authorizer underneath,
// which the service sends after a resource policy changes.
func (a *auditingAuthorizer) PoliciesChanged(ctx context.Context) {
	if n, ok := a.Authorizer.(interface{ PoliciesChanged(context.Context) }); ok {
		n.PoliciesChanged(ctx)
	}
}
