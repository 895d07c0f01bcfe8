package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// seedAudit stores n events of PublishPackageVersion by the admin on
// acme, one a second from t0, and one event by another account on its
// own resource.
func (f *fixture) seedAudit(t *testing.T, t0 time.Time, step time.Duration, n int) {
	t.Helper()
	err := f.meta.Update(context.Background(), func(tx meta.Tx) error {
		for i := 0; i < n; i++ {
			name := "PublishPackageVersion"
			if i == 0 {
				name = "CreateDomain"
			}
			rec := fmt.Sprintf(`{"eventName":%q,"sourceIPAddress":"192.0.2.7","eventID":"e%03d"}`, name, i)
			if err := tx.AppendAudit(&meta.AuditEvent{ID: fmt.Sprintf("e%03d", i), Time: t0.Add(time.Duration(i) * step), Name: name,
				Principal: admin.ARN, UserName: "root", AccessKeyID: adminKey,
				Resource: model.DomainARN("us-east-1", acct, "acme"), Record: []byte(rec)}); err != nil {
				return err
			}
		}
		return tx.AppendAudit(&meta.AuditEvent{ID: "x001", Time: t0, Name: "CreateDomain", Principal: "arn:aws:iam::444455556666:root",
			UserName: "root", AccessKeyID: otherKey, Resource: model.DomainARN("us-east-1", "444455556666", "secret-domain"), Record: []byte(`{"errorCode":"X"}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

var auditRows = regexp.MustCompile(`<tr><td class="nowrap">`)

// The audit page lists the caller's account's events, filtered and
// paginated, and never another account's.
func TestAuditPage(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.seedAudit(t, t0, time.Second, 30)
	sc, _ := f.signIn(t, adminKey, adminSec)
	for _, tc := range []struct {
		name     string
		query    string
		want     int
		rows     int
		contains []string
		lacks    []string
	}{
		{"first page", "", 200, pageSize, []string{"CreateDomain", "192.0.2.7", "2026-12-01 10:00:00", `rel="next"`}, []string{"secret-domain"}},
		{"by event", "?event=CreateDomain", 200, 1, []string{"CreateDomain"}, []string{"secret-domain", `rel="next"`}},
		{"by time", "?since=2026-12-01T10:00:20&until=2026-12-01T10:00:25", 200, 5, []string{"2026-12-01 10:00:20", "2026-12-01 10:00:24"}, []string{"2026-12-01 10:00:25", "2026-12-01 10:00:19"}},
		{"by user", "?user=" + adminKey, 200, pageSize, nil, nil},
		{"nobody", "?user=AKIANOBODY", 200, 0, []string{"No audit events match."}, nil},
		{"by resource", "?resource=" + model.DomainARN("us-east-1", "444455556666", "secret-domain"), 200, 0, nil, []string{"<code>arn:aws:iam::444455556666"}},
		{"bad time", "?since=yesterday", 400, 0, []string{"is not a time"}, nil},
		{"empty range", "?since=2026-12-02&until=2026-12-01", 400, 0, []string{"end of the time range"}, nil},
		{"bad token", "?next=zzz", 400, 0, []string{"next token"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(sc, AuditURL+tc.query)
			body := w.Body.String()
			if w.Code != tc.want {
				t.Fatalf("%d, want %d: %s", w.Code, tc.want, body)
			}
			if n := len(auditRows.FindAllString(body, -1)); n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
	// The next page holds the rest, the filter kept.
	w := f.get(sc, AuditURL+"?event=PublishPackageVersion")
	next := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if next == nil {
		t.Fatal("no next page")
	}
	w = f.get(sc, strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := len(auditRows.FindAllString(w.Body.String(), -1)); n != 29-pageSize || strings.Contains(w.Body.String(), "CreateDomain") {
		t.Errorf("second page: %d rows\n%s", n, w.Body)
	}
	// The other account sees its own event only.
	osc, _ := f.signIn(t, otherKey, otherSec)
	w = f.get(osc, AuditURL)
	if n := len(auditRows.FindAllString(w.Body.String(), -1)); n != 1 || !strings.Contains(w.Body.String(), "secret-domain") || !strings.Contains(w.Body.String(), "<strong>X</strong>") {
		t.Errorf("other account: %d rows\n%s", n, w.Body)
	}
}

// Events sharing one instant are paged through without loss or repeat.
func TestAuditPagesOneInstant(t *testing.T) {
	f := newFixture(t)
	f.seedAudit(t, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), 0, 60)
	sc, _ := f.signIn(t, adminKey, adminSec)
	seen := map[string]bool{}
	target := AuditURL
	for pages := 0; target != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		body := f.get(sc, target).Body.String()
		for _, m := range regexp.MustCompile(`eventID&#34;: &#34;(e\d+)`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("%s shown twice", m[1])
			}
			seen[m[1]] = true
		}
		target = ""
		if next := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(body); next != nil {
			target = strings.ReplaceAll(next[1], "&amp;", "&")
		}
	}
	if len(seen) != 60 {
		t.Errorf("saw %d of 60 events", len(seen))
	}
}

// rootOnly lets only an account's root read its audit trail, as the
// IAM authorizer does for a user without a policy allowing it.
type rootOnly struct{ service.SameAccount }

func (a rootOnly) Authorize(ctx context.Context, c service.Caller, action, arn, account string) error {
	if action == service.ActionListAuditEvents && !strings.HasSuffix(c.ARN, ":root") {
		return model.AccessDenied("User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, arn)
	}
	return a.SameAccount.Authorize(ctx, c, action, arn, account)
}

// A principal not allowed wharf:ListAuditEvents is refused the page.
func TestAuditPageDenied(t *testing.T) {
	f := newFixture(t)
	f.seedAudit(t, time.Now(), time.Second, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(f.meta, b, rootOnly{}, service.Config{Logger: log})
	user := service.Caller{Account: acct, ARN: "arn:aws:iam::" + acct + ":user/alice", AccessKeyID: "AKIAALICE"}
	c, err := New(svc, keys{"AKIAALICE": {"alice-secret", user}, adminKey: {adminSec, admin}}, Options{Logger: log, Sessions: f.meta})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Routes(mux)
	g := &fixture{c: c, h: mux, svc: svc, meta: f.meta}
	sc, _ := g.signIn(t, "AKIAALICE", "alice-secret")
	if w := g.get(sc, AuditURL); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "wharf:ListAuditEvents") || strings.Contains(w.Body.String(), "CreateDomain") {
		t.Errorf("user without the action: %d %s", w.Code, w.Body)
	}
	sc, _ = g.signIn(t, adminKey, adminSec)
	if w := g.get(sc, AuditURL); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "CreateDomain") {
		t.Errorf("root: %d %s", w.Code, w.Body)
	}
}
