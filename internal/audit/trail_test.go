package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// TestStoreWritesTheEventWithTheChange: a write of an audited call
// carries its event; a failed write carries neither; bookkeeping carries
// none; a call that wrote nothing is recorded by Finish through the
// batch writer, and a call that failed after its change is rewritten.
func TestStoreWritesTheEventWithTheChange(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tr := New(store, "us-east-1", nil)
	audited := tr.Store(store)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { tr.Run(runCtx); close(done) }()
	alice := service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAALICE"}
	events := func() map[string]*meta.AuditEvent {
		out := map[string]*meta.AuditEvent{}
		if err := store.View(ctx, func(tx meta.Tx) error {
			es, err := tx.ListAudit(meta.AuditFilter{})
			for _, e := range es {
				out[e.Name] = e
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	createDomain := func(ctx context.Context, name string, fail error) error {
		return audited.Update(ctx, func(tx meta.Tx) error {
			if err := tx.CreateDomain(&model.Domain{Name: name, Owner: "111122223333", CreatedTime: time.Now()}); err != nil {
				return err
			}
			return fail
		})
	}

	// A change: its event is there as soon as the transaction is.
	cctx, call := tr.Begin(ctx, "CreateDomain", alice, Request{RequestID: "r1", SourceIP: "127.0.0.1", UserAgent: "test"})
	if err := createDomain(cctx, "one", nil); err != nil {
		t.Fatal(err)
	}
	if e := events()["CreateDomain"]; e == nil || e.UserName != "alice" || e.AccessKeyID != "AKIAALICE" {
		t.Fatalf("CreateDomain event after its transaction: %+v", e)
	}
	tr.Finish(cctx, call, "", "")

	// A failed change: neither.
	fctx, call := tr.Begin(ctx, "DeleteDomain", alice, Request{RequestID: "r2"})
	boom := errors.New("boom")
	if err := createDomain(fctx, "two", boom); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if e := events()["DeleteDomain"]; e != nil {
		t.Fatalf("an event without its change: %+v", e)
	}
	// Bookkeeping carries no event either.
	if err := createDomain(service.Bookkeeping(fctx), "three", nil); err != nil {
		t.Fatal(err)
	}
	if e := events()["DeleteDomain"]; e != nil {
		t.Fatalf("a bookkeeping transaction carried the event: %+v", e)
	}
	tr.Finish(fctx, call, "ValidationException", "no")

	// A change, then a failure: the event is rewritten with the error.
	lctx, call := tr.Begin(ctx, "UpdateRepository", alice, Request{RequestID: "r3"})
	if err := createDomain(lctx, "four", nil); err != nil {
		t.Fatal(err)
	}
	tr.Finish(lctx, call, "InternalServerException", "late")

	stop()
	<-done
	es := events()
	if e := es["DeleteDomain"]; e == nil || !contains(e.Record, `"errorCode":"ValidationException"`) {
		t.Fatalf("the failed call's record: %+v", e)
	}
	if e := es["UpdateRepository"]; e == nil || !contains(e.Record, `"errorCode":"InternalServerException"`) {
		t.Fatalf("the late failure's record: %+v", e)
	}
	if len(es) != 3 {
		t.Fatalf("events: %v", es)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
