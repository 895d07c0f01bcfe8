package metatest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testAudit: events are filtered by time, user, name and resource, a
// second append of an ID replaces the first, an event appended in a
// transaction that rolls back is gone with its change, and pruning
// removes by age.
func testAudit(t *testing.T, s meta.Store) {
	at := func(min int) time.Time { return epoch.Add(time.Duration(min) * time.Minute) }
	alice := "arn:aws:iam::111122223333:user/alice"
	root := "arn:aws:iam::111122223333:root"
	repo := "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/main"
	events := []*meta.AuditEvent{
		{ID: "e1", Time: at(1), Name: "CreateDomain", Principal: root, UserName: "root", AccessKeyID: "AKIAROOT", Resource: "arn:aws:codeartifact:us-east-1:111122223333:domain/acme"},
		{ID: "e2", Time: at(2), Name: "CreateRepository", Principal: alice, UserName: "alice", AccessKeyID: "AKIAALICE", Resource: repo},
		{ID: "e3", Time: at(3), Name: "PublishPackageVersion", Principal: alice, UserName: "alice", AccessKeyID: "AKIAALICE", Resource: "arn:aws:codeartifact:us-east-1:111122223333:package/acme/main/npm//left-pad"},
		{ID: "e4", Time: at(4), Name: "ListDomains", Principal: root, UserName: "root", AccessKeyID: "AKIAROOT"},
		{ID: "e5", Time: at(5), Name: "DescribeRepository", Principal: alice, UserName: "alice", AccessKeyID: "AKIAALICE", Resource: repo + "x"},
	}
	for _, e := range events {
		e.Record = []byte(`{"eventID":"` + e.ID + `"}`)
		update(t, s, func(tx meta.Tx) error { return tx.AppendAudit(e) })
	}
	// An event whose transaction fails is not recorded, nor its change.
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateDomain(&model.Domain{Name: "rolled-back", Owner: "111122223333", CreatedTime: epoch}); err != nil {
			return err
		}
		if err := tx.AppendAudit(&meta.AuditEvent{ID: "lost", Time: at(6), Name: "CreateDomain", Record: []byte(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	// A second append replaces the first: the outcome known later.
	e2 := *events[1]
	e2.Record = []byte(`{"eventID":"e2","errorCode":"InternalServerException"}`)
	update(t, s, func(tx meta.Tx) error { return tx.AppendAudit(&e2) })

	ids := func(f meta.AuditFilter) []string {
		var out []string
		view(t, s, func(tx meta.Tx) error {
			es, err := tx.ListAudit(f)
			for _, e := range es {
				out = append(out, e.ID)
			}
			return err
		})
		return out
	}
	tests := []struct {
		name string
		f    meta.AuditFilter
		want []string
	}{
		{"all", meta.AuditFilter{}, []string{"e1", "e2", "e3", "e4", "e5"}},
		{"since inclusive, until exclusive", meta.AuditFilter{Since: at(2), Until: at(4)}, []string{"e2", "e3"}},
		{"user by name", meta.AuditFilter{User: "alice"}, []string{"e2", "e3", "e5"}},
		{"user by ARN", meta.AuditFilter{User: root}, []string{"e1", "e4"}},
		{"user by access key", meta.AuditFilter{User: "AKIAALICE"}, []string{"e2", "e3", "e5"}},
		{"event name", meta.AuditFilter{EventName: "PublishPackageVersion"}, []string{"e3"}},
		{"resource exact, not a longer name", meta.AuditFilter{Resource: repo}, []string{"e2"}},
		{"resource prefix at a slash", meta.AuditFilter{Resource: "arn:aws:codeartifact:us-east-1:111122223333:package/acme/main"}, []string{"e3"}},
		{"limit", meta.AuditFilter{Limit: 2}, []string{"e1", "e2"}},
		{"nothing", meta.AuditFilter{User: "bob"}, nil},
	}
	for _, tt := range tests {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	view(t, s, func(tx meta.Tx) error {
		es, err := tx.ListAudit(meta.AuditFilter{EventName: "CreateRepository"})
		if err != nil {
			return err
		}
		if len(es) != 1 || string(es[0].Record) != string(e2.Record) || !es[0].Time.Equal(at(2)) || es[0].Principal != alice || es[0].AccessKeyID != "AKIAALICE" || es[0].Resource != repo {
			t.Errorf("CreateRepository event = %+v", es)
		}
		if _, err := tx.GetDomain("111122223333", "rolled-back"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("the rolled-back domain: %v", err)
		}
		return nil
	})
	var pruned int64
	update(t, s, func(tx meta.Tx) (err error) { pruned, err = tx.PruneAudit(at(3)); return err })
	if got := ids(meta.AuditFilter{}); pruned != 2 || !slices.Equal(got, []string{"e3", "e4", "e5"}) {
		t.Fatalf("after pruning before minute 3 (%d pruned): %v", pruned, got)
	}
}
