package metatest

import (
	"errors"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// testRetentionRules checks rules are stored per domain, replaced with
// their run kept, listed in order and removed with their domain.
func testRetentionRules(t *testing.T, s meta.Store) {
	d, _, _ := fixture(t, s)
	var other *model.Domain
	update(t, s, func(tx meta.Tx) error {
		other = &model.Domain{Name: "other", Owner: "111122223333", CreatedTime: epoch}
		if err := tx.CreateDomain(other); err != nil {
			return err
		}
		for _, r := range []*meta.RetentionRule{
			{DomainID: d.ID, Name: "b", Rule: []byte(`{"v":1}`), Owner: "111122223333", OwnerARN: "arn:aws:iam::111122223333:root", Updated: epoch},
			{DomainID: d.ID, Name: "a", Rule: []byte(`{"v":2}`), Owner: "111122223333", OwnerARN: "arn:aws:iam::111122223333:root", Updated: epoch},
			{DomainID: other.ID, Name: "a", Rule: []byte(`{"v":3}`), Owner: "111122223333", OwnerARN: "arn:aws:iam::111122223333:user/x", Updated: epoch},
		} {
			if err := tx.PutRetentionRule(r); err != nil {
				return err
			}
		}
		if err := tx.SetRetentionRun(d.ID, "b", []byte(`{"cursor":"x"}`)); err != nil {
			return err
		}
		if err := tx.SetRetentionRun(d.ID, "missing", []byte(`{}`)); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("SetRetentionRun of a missing rule: %v", err)
		}
		// Replacing the rule keeps its run.
		return tx.PutRetentionRule(&meta.RetentionRule{DomainID: d.ID, Name: "b", Rule: []byte(`{"v":4}`), Owner: "111122223333", OwnerARN: "arn:aws:iam::111122223333:user/y", Updated: epoch.Add(1)})
	})
	view(t, s, func(tx meta.Tx) error {
		r, err := tx.GetRetentionRule(d.ID, "b")
		if err != nil {
			return err
		}
		if string(r.Rule) != `{"v":4}` || string(r.Run) != `{"cursor":"x"}` || r.OwnerARN != "arn:aws:iam::111122223333:user/y" || !r.Updated.Equal(epoch.Add(1)) {
			t.Errorf("got %+v", r)
		}
		if _, err := tx.GetRetentionRule(d.ID, "c"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("GetRetentionRule of a missing rule: %v", err)
		}
		rs, err := tx.ListRetentionRules(d.ID)
		if err != nil {
			return err
		}
		if len(rs) != 2 || rs[0].Name != "a" || rs[1].Name != "b" || rs[0].Run != nil {
			t.Errorf("domain's rules: %+v", rs)
		}
		all, err := tx.ListRetentionRules(0)
		if err != nil {
			return err
		}
		if len(all) != 3 || all[0].DomainID != d.ID || all[2].DomainID != other.ID {
			t.Errorf("every rule: %+v", all)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		if err := tx.DeleteRetentionRule(d.ID, "a"); err != nil {
			return err
		}
		if err := tx.DeleteRetentionRule(d.ID, "a"); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		return tx.DeleteDomain(other.ID)
	})
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListRetentionRules(0)
		if err != nil {
			return err
		}
		if len(all) != 1 || all[0].Name != "b" {
			t.Errorf("after deletes: %+v", all)
		}
		return nil
	})
}
