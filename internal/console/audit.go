package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// AuditURL is the audit trail page.
const AuditURL = Prefix + "audit"

// auditRow is one audit event as the page shows it.
type auditRow struct {
	Time      time.Time
	Name      string
	Principal string
	Resource  string
	SourceIP  string
	Error     string
	Record    string
}

type auditData struct {
	Filter   url.Values
	Rows     []auditRow
	NextURL  string
	FirstURL string
}

// auditTimeLayouts are what the page's time range accepts: the browser's
// datetime-local value (taken as UTC, as the page says), RFC 3339 and a
// date.
var auditTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02"}

func parseAuditTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, l := range auditTimeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, model.InvalidParameter("%s %q is not a time (2006-01-02T15:04 UTC, RFC 3339 or a date).", field, v)
}

// auditPage shows the caller's account's audit trail, through
// service.ListAuditEvents, so only to principals allowed
// wharf:ListAuditEvents (an account's root; an IAM user with a policy).
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	in := service.ListAuditEventsInput{User: q.Get("user"), EventName: q.Get("event"), Resource: q.Get("resource"),
		MaxResults: pageSize, NextToken: q.Get("next")}
	var err error
	if in.Since, err = parseAuditTime("From", q.Get("since")); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if in.Until, err = parseAuditTime("To", q.Get("until")); err != nil {
		c.fail(w, r, s, err)
		return
	}
	out, err := c.svc.ListAuditEvents(r.Context(), s.Caller, in)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	filter := url.Values{}
	for _, k := range []string{"since", "until", "user", "event", "resource"} {
		if v := q.Get(k); v != "" {
			filter.Set(k, v)
		}
	}
	d := auditData{Filter: filter, FirstURL: AuditURL + "?" + filter.Encode()}
	if out.NextToken != "" {
		next := url.Values{"next": {out.NextToken}}
		for k, v := range filter {
			next[k] = v
		}
		d.NextURL = AuditURL + "?" + next.Encode()
	}
	for _, e := range out.Events {
		row := auditRow{Time: e.Time, Name: e.Name, Principal: e.Principal, Resource: e.Resource}
		var rec audit.Record
		if json.Unmarshal(e.Record, &rec) == nil {
			row.SourceIP = rec.SourceIPAddress
			if rec.ErrorCode != "" {
				row.Error = rec.ErrorCode
			}
		}
		var b bytes.Buffer
		if json.Indent(&b, e.Record, "", "  ") == nil {
			row.Record = b.String()
		} else {
			row.Record = string(e.Record)
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, r, http.StatusOK, "audit", page{Title: "Audit trail", Session: s,
		Crumbs: []crumb{{"Domains", Prefix}, {"Audit trail", ""}}, Data: d})
}
