package service

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// drainEvents takes every queued event of the store's webhooks, in order,
// marking each delivered.
func drainEvents(t *testing.T, s *Service) []model.EventEnvelope {
	t.Helper()
	ctx := context.Background()
	var out []model.EventEnvelope
	for {
		var ds []*meta.Delivery
		now := time.Now().Add(time.Hour)
		err := s.meta.Update(ctx, func(tx meta.Tx) (err error) {
			if ds, err = tx.ClaimDeliveries(now, now, 1); err != nil || len(ds) == 0 {
				return err
			}
			ds[0].Delivered = true
			return tx.FinishDelivery(ds[0])
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return out
		}
		var e model.EventEnvelope
		if err := json.Unmarshal(ds[0].Body, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// Every way a version changes records its event in the transaction of
// the change, with the detail CodeArtifact's EventBridge event carries.
func TestVersionEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	woke := 0
	s.OnEvents(func() { woke++ })
	if err := s.meta.Update(ctx, func(tx meta.Tx) error {
		return tx.CreateWebhook(&meta.Webhook{DomainOwner: admin.Account, Domain: "dom", URL: "http://hook/", Secret: "0123456789abcdef", Created: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	ref := genericRef("p")
	steps := []struct {
		name string
		do   func() error
		want []string // repo version op state assetsAdded/Removed/Updated metadata status seq
	}{
		{"publish unfinished", func() error { _, err := publish(ctx, s, "p", "1.0", "a", []byte("one"), true); return err },
			[]string{"repo 1.0 Created Unfinished 1/0/0 true true 1"}},
		{"add an asset", func() error { _, err := publish(ctx, s, "p", "1.0", "b", []byte("two"), false); return err },
			[]string{"repo 1.0 Updated Published 1/0/0 false true 2"}},
		{"unlist", func() error {
			_, err := s.UpdatePackageVersionsStatus(ctx, admin, UpdatePackageVersionsStatusInput{PackageRef: ref, Versions: []string{"1.0"}, TargetStatus: model.StatusUnlisted})
			return err
		}, []string{"repo 1.0 Updated Unlisted 0/0/0 false true 3"}},
		{"refused: nothing recorded", func() error {
			_, err := s.UpdatePackageVersionsStatus(ctx, admin, UpdatePackageVersionsStatusInput{PackageRef: ref, Versions: []string{"1.0"}, ExpectedStatus: model.StatusPublished, TargetStatus: model.StatusArchived})
			return err
		}, nil},
		{"copy", func() error {
			_, err := s.CopyPackageVersions(ctx, admin, CopyPackageVersionsInput{Domain: "dom", SourceRepository: "repo", DestinationRepository: "other",
				Format: model.FormatGeneric, Namespace: "ns", Package: "p", Versions: []string{"1.0"}})
			return err
		}, []string{"other 1.0 Created Unlisted 2/0/0 true true 1"}},
		{"dispose", func() error {
			_, err := s.DisposePackageVersions(ctx, admin, DisposePackageVersionsInput{PackageRef: ref, Versions: []string{"1.0"}})
			return err
		}, []string{"repo 1.0 Updated Disposed 0/0/0 false true 4"}},
		{"delete", func() error {
			_, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: ref, Versions: []string{"1.0"}})
			return err
		}, []string{"repo 1.0 Deleted Disposed 0/2/0 false false 5"}},
		{"delete package", func() error {
			if _, err := publish(ctx, s, "p", "2.0", "a", []byte("one"), false); err != nil {
				return err
			}
			if _, err := publish(ctx, s, "p", "3.0", "a", []byte("one"), false); err != nil {
				return err
			}
			_, err := s.DeletePackage(ctx, admin, ref)
			return err
		}, []string{"repo 2.0 Created Published 1/0/0 true true 6", "repo 3.0 Created Published 1/0/0 true true 7",
			"repo 2.0 Deleted Published 0/1/0 false false 8", "repo 3.0 Deleted Published 0/1/0 false false 9"}},
	}
	for _, st := range steps {
		st.do() // refusals are part of the sequence
		var got []string
		for _, e := range drainEvents(t, s) {
			d := e.Detail
			if e.Version != "0" || e.DetailType != "CodeArtifact Package Version State Change" || e.Source != "aws.codeartifact" ||
				e.Account != admin.Account || e.Region != "us-east-1" || len(e.Resources) != 1 || e.ID == "" ||
				e.Resources[0] != "arn:aws:codeartifact:us-east-1:111122223333:package/dom/"+d.RepositoryName+"/generic/ns/p" {
				t.Errorf("%s: envelope %+v", st.name, e)
			}
			if d.DomainName != "dom" || d.DomainOwner != admin.Account || d.PackageFormat != model.FormatGeneric || d.PackageNamespace == nil ||
				*d.PackageNamespace != "ns" || d.PackageName != "p" || d.PackageVersionRevision == "" || d.EventDeduplicationID == "" {
				t.Errorf("%s: detail %+v", st.name, d)
			}
			c := d.Changes
			got = append(got, fmt.Sprintf("%s %s %s %s %d/%d/%d %v %v %d", d.RepositoryName, d.PackageVersion, d.OperationType, d.PackageVersionState,
				c.AssetsAdded, c.AssetsRemoved, c.AssetsUpdated, c.MetadataUpdated, c.StatusChanged, d.SequenceNumber))
		}
		if fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Errorf("%s: events\n%v\nwant\n%v", st.name, got, st.want)
		}
	}
	if woke == 0 {
		t.Error("OnEvents hooks never called")
	}
}

// Events go only to webhooks of the version's domain or repository, and
// nothing is kept while no webhook listens.
func TestVersionEventsScope(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	if _, err := publish(ctx, s, "p", "1.0", "a", []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	if err := s.meta.Update(ctx, func(tx meta.Tx) error {
		return tx.CreateWebhook(&meta.Webhook{DomainOwner: admin.Account, Domain: "dom", Repository: "other", URL: "http://hook/", Secret: "0123456789abcdef", Created: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := publish(ctx, s, "p", "2.0", "a", []byte("two"), false); err != nil {
		t.Fatal(err)
	}
	if es := drainEvents(t, s); len(es) != 0 {
		t.Fatalf("a webhook of repository other got events of repo: %+v", es)
	}
	if _, err := s.CopyPackageVersions(ctx, admin, CopyPackageVersionsInput{Domain: "dom", SourceRepository: "repo", DestinationRepository: "other",
		Format: model.FormatGeneric, Namespace: "ns", Package: "p", Versions: []string{"1.0", "2.0"}}); err != nil {
		t.Fatal(err)
	}
	es := drainEvents(t, s)
	if len(es) != 2 || es[0].Detail.RepositoryName != "other" || es[0].Detail.SequenceNumber != 1 || es[1].Detail.SequenceNumber != 2 {
		t.Fatalf("events of the copy: %+v", es)
	}
}
