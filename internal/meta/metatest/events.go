package metatest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testEvents: events reach the webhooks of their domain or repository
// only; a stream's next delivery is claimable only once the one before is
// delivered; claims hide deliveries until they lapse; sequences count per
// stream; subjects carry their coordinates.
func testEvents(t *testing.T, s meta.Store) {
	d, r, p := fixture(t, s)
	now := epoch
	hooks := map[string]*meta.Webhook{
		"domain": {DomainOwner: d.Owner, Domain: d.Name, URL: "http://a/", Secret: "s1", Created: now},
		"repo":   {DomainOwner: d.Owner, Domain: d.Name, Repository: r.Name, URL: "http://b/", Secret: "s2", Created: now},
		"other":  {DomainOwner: d.Owner, Domain: d.Name, Repository: "elsewhere", URL: "http://c/", Secret: "s3", Created: now},
	}
	update(t, s, func(tx meta.Tx) error {
		for _, name := range []string{"domain", "repo", "other"} {
			if err := tx.CreateWebhook(hooks[name]); err != nil {
				return err
			}
		}
		return nil
	})
	var v *model.Version
	update(t, s, func(tx meta.Tx) error {
		for i, stream := range []string{"s", "s", "t", "s"} {
			seq, err := tx.NextEventSequence(stream)
			if err != nil {
				return err
			}
			if want := map[int]int64{0: 1, 1: 2, 2: 1, 3: 3}[i]; seq != want {
				return fmt.Errorf("event %d: sequence %d, want %d", i, seq, want)
			}
			e := &meta.Event{Stream: stream, DomainOwner: d.Owner, Domain: d.Name, Repository: r.Name, Body: []byte(fmt.Sprint(i)), Created: now}
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
			if e.ID == 0 {
				return errors.New("AppendEvent set no id")
			}
		}
		// No webhook for this repository: nothing stored.
		e := &meta.Event{Stream: "u", DomainOwner: d.Owner, Domain: "nodomain", Repository: r.Name, Body: []byte("x"), Created: now}
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		if e.ID != 0 {
			return errors.New("an event no webhook listens to was stored")
		}
		v = &model.Version{PackageID: p.ID, Version: "1.0.0", Revision: "r1", Status: model.StatusPublished, PublishedTime: now, OriginType: model.OriginInternal}
		return tx.CreateVersion(v)
	})
	claim := func(at time.Time) []*meta.Delivery {
		var ds []*meta.Delivery
		update(t, s, func(tx meta.Tx) (err error) {
			ds, err = tx.ClaimDeliveries(at, at.Add(time.Minute), 100)
			return err
		})
		return ds
	}
	// Heads of (webhook, stream): event 0 and event 2 for each of the two
	// webhooks listening.
	ds := claim(now)
	got := map[string]bool{}
	for _, dl := range ds {
		got[fmt.Sprintf("%s:%s:%s", dl.URL, dl.Stream, dl.Body)] = true
		if dl.Secret == "" {
			t.Errorf("claimed delivery without its secret: %+v", dl)
		}
	}
	want := map[string]bool{"http://a/:s:0": true, "http://a/:t:2": true, "http://b/:s:0": true, "http://b/:t:2": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("first claim = %v, want %v", got, want)
	}
	if again := claim(now); len(again) != 0 {
		t.Fatalf("claimed deliveries were claimed again: %d", len(again))
	}
	// A failed attempt keeps the stream waiting on it.
	var failed *meta.Delivery
	for _, dl := range ds {
		if dl.URL == "http://a/" && dl.Stream == "s" {
			failed = dl
		}
	}
	failed.Attempts, failed.LastStatus, failed.LastError, failed.NextAttempt = 1, 500, "boom", now.Add(time.Hour)
	update(t, s, func(tx meta.Tx) error { return tx.FinishDelivery(failed) })
	for _, dl := range ds {
		if dl != failed {
			dl.Delivered, dl.Attempts, dl.DeliveredAt = true, 1, now
			update(t, s, func(tx meta.Tx) error { return tx.FinishDelivery(dl) })
		}
	}
	later := now.Add(2 * time.Minute)
	ds = claim(later)
	if len(ds) != 1 || ds[0].URL != "http://b/" || string(ds[0].Body) != "1" {
		t.Fatalf("claim after first round = %+v, want webhook b's event 1 only", ds)
	}
	view(t, s, func(tx meta.Tx) error {
		due, err := tx.NextDeliveryDue()
		if err != nil {
			return err
		}
		if !due.Equal(later.Add(time.Minute)) {
			t.Errorf("next due %v, want %v (the claim's end)", due, later.Add(time.Minute))
		}
		pending, err := tx.ListDeliveries(meta.DeliveryFilter{WebhookID: hooks["domain"].ID, Pending: true})
		if err != nil {
			return err
		}
		if len(pending) != 3 || pending[2].LastError != "boom" || pending[2].Attempts != 1 {
			t.Errorf("pending deliveries of webhook a = %+v", pending)
		}
		all, err := tx.ListDeliveries(meta.DeliveryFilter{})
		if err != nil {
			return err
		}
		if len(all) != 8 {
			t.Errorf("%d deliveries, want 8", len(all))
		}
		subs, err := tx.VersionSubjects([]int64{v.ID, v.ID + 1000})
		if err != nil {
			return err
		}
		if len(subs) != 1 || subs[0].Domain != d.Name || subs[0].DomainOwner != d.Owner || subs[0].Repository != r.Name ||
			subs[0].Key != p.Key || subs[0].Version.Revision != "r1" || subs[0].Version.Status != model.StatusPublished {
			t.Errorf("VersionSubjects = %+v", subs)
		}
		return nil
	})
	// The failed one comes back when due, with the stream's later event
	// still behind it.
	ds = claim(now.Add(2 * time.Hour))
	heads := map[string]string{}
	for _, dl := range ds {
		heads[dl.URL+dl.Stream] = string(dl.Body)
	}
	if heads["http://a/s"] != "0" {
		t.Fatalf("after the retry delay, webhook a's stream s head = %q, want event 0 again", heads["http://a/s"])
	}
	// Deleting a webhook takes its deliveries along; pruning drops what
	// was delivered.
	update(t, s, func(tx meta.Tx) error {
		if err := tx.DeleteWebhook(hooks["domain"].ID); err != nil {
			return err
		}
		if err := tx.DeleteWebhook(hooks["domain"].ID); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("second delete: %v, want ErrNotFound", err)
		}
		return tx.PruneEvents(now.Add(time.Second))
	})
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListDeliveries(meta.DeliveryFilter{})
		if err != nil {
			return err
		}
		for _, dl := range all {
			if dl.WebhookID == hooks["domain"].ID || dl.Delivered {
				t.Errorf("left after delete and prune: %+v", dl)
			}
		}
		hs, err := tx.ListWebhooks()
		if err != nil {
			return err
		}
		if len(hs) != 2 || hs[0].ID != hooks["repo"].ID || hs[0].Secret != "s2" {
			t.Errorf("webhooks = %+v", hs)
		}
		return nil
	})
}

// testEventsRollback: an event appended in a transaction that fails is
// gone with it, and so is its sequence number's advance.
func testEventsRollback(t *testing.T, s meta.Store) {
	d, r, _ := fixture(t, s)
	update(t, s, func(tx meta.Tx) error {
		return tx.CreateWebhook(&meta.Webhook{DomainOwner: d.Owner, Domain: d.Name, URL: "http://a/", Secret: "k", Created: epoch})
	})
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx meta.Tx) error {
		if _, err := tx.NextEventSequence("s"); err != nil {
			return err
		}
		if err := tx.AppendEvent(&meta.Event{Stream: "s", DomainOwner: d.Owner, Domain: d.Name, Repository: r.Name, Body: []byte("x"), Created: epoch}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListDeliveries(meta.DeliveryFilter{})
		if err != nil {
			return err
		}
		if len(all) != 0 {
			t.Errorf("rolled back event delivered: %+v", all)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		seq, err := tx.NextEventSequence("s")
		if err == nil && seq != 1 {
			err = fmt.Errorf("sequence after rollback = %d, want 1", seq)
		}
		return err
	})
}

// testWebhookSecret: SetWebhookSecret replaces one webhook's stored secret,
// seen by ListWebhooks and by the deliveries ClaimDeliveries returns,
// leaves the others alone, is undone with its transaction, and refuses a
// webhook that does not exist.
func testWebhookSecret(t *testing.T, s meta.Store) {
	d, r, _ := fixture(t, s)
	a := &meta.Webhook{DomainOwner: d.Owner, Domain: d.Name, URL: "http://a/", Secret: "old-a", Created: epoch}
	b := &meta.Webhook{DomainOwner: d.Owner, Domain: d.Name, URL: "http://b/", Secret: "old-b", Created: epoch}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateWebhook(a); err != nil {
			return err
		}
		if err := tx.CreateWebhook(b); err != nil {
			return err
		}
		if err := tx.SetWebhookSecret(a.ID, "new-a"); err != nil {
			return err
		}
		return tx.AppendEvent(&meta.Event{Stream: "s", DomainOwner: d.Owner, Domain: d.Name, Repository: r.Name, Body: []byte("x"), Created: epoch})
	})
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.SetWebhookSecret(b.ID, "rolled-back"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.SetWebhookSecret(b.ID+1000, "x") }); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("SetWebhookSecret of a missing webhook: %v, want ErrNotFound", err)
	}
	view(t, s, func(tx meta.Tx) error {
		hs, err := tx.ListWebhooks()
		if err != nil {
			return err
		}
		if len(hs) != 2 || hs[0].Secret != "new-a" || hs[1].Secret != "old-b" {
			t.Errorf("webhooks after SetWebhookSecret = %+v", hs)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		ds, err := tx.ClaimDeliveries(epoch, epoch.Add(time.Minute), 10)
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, dl := range ds {
			got[dl.URL] = dl.Secret
		}
		if got["http://a/"] != "new-a" || got["http://b/"] != "old-b" {
			t.Errorf("claimed deliveries carry secrets %v", got)
		}
		return nil
	})
}
