package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// ActionListAuditEvents is the IAM action that lets a principal read its
// account's audit trail (the account's root may, as for any action in
// its own account; an IAM user needs a policy allowing it).
const ActionListAuditEvents = "wharf:ListAuditEvents"

// AuditTrailARN is the resource ListAuditEvents is authorized on: an
// account's audit trail.
func AuditTrailARN(region, account string) string {
	return "arn:aws:wharf:" + region + ":" + account + ":audit-trail"
}

// ListAuditEventsInput selects audit events, as `wharf admin audit`
// does, within the caller's account.
type ListAuditEventsInput struct {
	Since, Until time.Time
	User         string
	EventName    string
	Resource     string
	MaxResults   int // 1 to 1000, 0 for 100
	NextToken    string
}

// ListAuditEventsOutput is one page of audit events, oldest first.
type ListAuditEventsOutput struct {
	Events    []*meta.AuditEvent
	NextToken string
}

// ListAuditEvents lists the audit events of the caller's account: calls
// made by its principals and calls on its resources. The whole trail of
// every account stays the operator's (`wharf admin audit`, which reads
// the store directly).
func (s *Service) ListAuditEvents(ctx context.Context, c Caller, in ListAuditEventsInput) (*ListAuditEventsOutput, error) {
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, model.InvalidParameter("maxResults must be between 1 and 1000.")
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	if !in.Until.IsZero() && !in.Since.IsZero() && !in.Until.After(in.Since) {
		return nil, model.InvalidParameter("The end of the time range must be after its start.")
	}
	if err := s.authorize(ctx, c, ActionListAuditEvents, AuditTrailARN(s.cfg.Region, c.Account), c.Account); err != nil {
		return nil, err
	}
	cur, err := decodeAuditCursor(in.NextToken)
	if err != nil {
		return nil, err
	}
	f := meta.AuditFilter{Since: in.Since, Until: in.Until, User: in.User, EventName: in.EventName, Resource: in.Resource}
	out := &ListAuditEventsOutput{}
	const batch = 500
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		for {
			if !cur.time.IsZero() {
				f.Since = cur.time
			}
			// Events sharing the cursor's instant come again and are
			// skipped by ID; the batch is widened so skipping cannot
			// stall.
			f.Limit = batch + cur.skip
			es, err := tx.ListAudit(f)
			if err != nil {
				return err
			}
			for _, e := range es {
				if !cur.time.IsZero() && e.Time.Equal(cur.time) && e.ID <= cur.id {
					continue
				}
				if len(out.Events) == in.MaxResults {
					out.NextToken = cur.encode()
					return nil
				}
				if e.Time.Equal(cur.time) {
					cur.skip++
				} else {
					cur.skip = 0
				}
				cur.time, cur.id = e.Time, e.ID
				if inAccount(e, c.Account) {
					out.Events = append(out.Events, e)
				}
			}
			if len(es) < f.Limit {
				return nil
			}
		}
	})
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	return out, nil
}

// inAccount says whether an event belongs to an account's trail: its
// caller or its resource is in the account.
func inAccount(e *meta.AuditEvent, account string) bool {
	return arnAccount(e.Principal) == account || arnAccount(e.Resource) == account
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// auditCursor is where a page of audit events ends: the last event seen
// and how many before it share its instant.
type auditCursor struct {
	time time.Time
	id   string
	skip int
}

func (c auditCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.time.UnixNano(), 10) + ":" + strconv.Itoa(c.skip) + ":" + c.id))
}

func decodeAuditCursor(tok string) (auditCursor, error) {
	if tok == "" {
		return auditCursor{}, nil
	}
	bad := model.InvalidParameter("The next token is not valid.")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return auditCursor{}, bad
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 {
		return auditCursor{}, bad
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	skip, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || skip < 0 || parts[2] == "" {
		return auditCursor{}, bad
	}
	return auditCursor{time: time.Unix(0, ns).UTC(), id: parts[2], skip: skip}, nil
}
