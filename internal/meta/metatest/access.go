package metatest

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// RunAccess runs the contract for stores that also keep access-control
// data (meta.AccessStore, with a Tx implementing meta.ResourcePolicies).
func RunAccess(t *testing.T, open func(t *testing.T) meta.AccessStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, meta.AccessStore)
	}{
		{"Accounts", testAccounts},
		{"Users", testUsers},
		{"AccessKeys", testAccessKeys},
		{"UserPolicies", testUserPolicies},
		{"ResourcePolicies", testResourcePolicies},
		{"Generation", testAccessGeneration},
		{"Snapshot", testAccessSnapshot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func testAccounts(t *testing.T, s meta.AccessStore) {
	must(t, s.CreateAccount(ctx, &meta.Account{ID: acctB, Name: "b", Created: epoch}))
	must(t, s.CreateAccount(ctx, &meta.Account{ID: acctA, Created: epoch}))
	wantErr(t, "duplicate account", s.CreateAccount(ctx, &meta.Account{ID: acctA, Created: epoch}), meta.ErrExists)
	got, err := s.ListAccounts(ctx)
	must(t, err)
	if len(got) != 2 || got[0].ID != acctA || got[1].ID != acctB || got[1].Name != "b" || !got[1].Created.Equal(epoch) {
		t.Errorf("ListAccounts = %+v", got)
	}
	must(t, s.CreateUser(ctx, &meta.User{Account: acctB, Name: "u", Created: epoch}))
	must(t, s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIAB", Account: acctB, User: "u", Secret: "s", Status: meta.KeyActive, Created: epoch}))
	must(t, s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIAROOT", Account: acctB, Secret: "s", Status: meta.KeyActive, Created: epoch}))
	must(t, s.DeleteAccount(ctx, acctB))
	wantErr(t, "delete again", s.DeleteAccount(ctx, acctB), meta.ErrNotFound)
	// The account's users and keys go with it.
	users, err := s.ListUsers(ctx, acctB)
	must(t, err)
	keys, err := s.ListAccessKeys(ctx, acctB, "")
	must(t, err)
	if len(users) != 0 || len(keys) != 0 {
		t.Errorf("after DeleteAccount: users %v, keys %v", users, keys)
	}
}

func testUsers(t *testing.T, s meta.AccessStore) {
	// CreateUser creates the account it needs.
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "Alice", Created: epoch}))
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "bob", Created: epoch}))
	must(t, s.CreateUser(ctx, &meta.User{Account: acctB, Name: "alice", Created: epoch}))
	wantErr(t, "same name, other case", s.CreateUser(ctx, &meta.User{Account: acctA, Name: "ALICE", Created: epoch}), meta.ErrExists)
	accts, err := s.ListAccounts(ctx)
	must(t, err)
	if len(accts) != 2 {
		t.Errorf("accounts created by CreateUser: %+v", accts)
	}
	a, err := s.ListUsers(ctx, acctA)
	must(t, err)
	if len(a) != 2 || a[0].Name != "Alice" || a[1].Name != "bob" || a[0].Account != acctA {
		t.Errorf("ListUsers(A) = %+v", a)
	}
	all, err := s.ListUsers(ctx, "")
	must(t, err)
	if len(all) != 3 {
		t.Errorf("ListUsers(all) = %+v", all)
	}
	must(t, s.DeleteUser(ctx, acctA, "alice")) // case-insensitive
	wantErr(t, "delete missing user", s.DeleteUser(ctx, acctA, "alice"), meta.ErrNotFound)
	a, _ = s.ListUsers(ctx, acctA)
	if len(a) != 1 || a[0].Name != "bob" {
		t.Errorf("after delete: %+v", a)
	}
}

func testAccessKeys(t *testing.T, s meta.AccessStore) {
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "Alice", Created: epoch}))
	k := &meta.AccessKey{ID: "AKIA1", Account: acctA, User: "alice", Secret: "sealed-1", Status: meta.KeyActive, Created: epoch}
	must(t, s.CreateAccessKey(ctx, k))
	if k.User != "Alice" {
		t.Errorf("CreateAccessKey did not take the stored spelling: %q", k.User)
	}
	must(t, s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIAROOT", Account: acctA, Secret: "sealed-r", Status: meta.KeyActive, Created: epoch.Add(time.Second)}))
	wantErr(t, "duplicate id", s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIA1", Account: acctA, User: "Alice", Secret: "x", Status: meta.KeyActive, Created: epoch}), meta.ErrExists)
	wantErr(t, "missing user", s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIA2", Account: acctA, User: "nobody", Secret: "x", Status: meta.KeyActive, Created: epoch}), meta.ErrNotFound)
	wantErr(t, "missing account (root key)", s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIA3", Account: acctB, Secret: "x", Status: meta.KeyActive, Created: epoch}), meta.ErrNotFound)

	got, err := s.GetAccessKey(ctx, "AKIA1")
	must(t, err)
	if got.Account != acctA || got.User != "Alice" || got.Secret != "sealed-1" || got.Status != meta.KeyActive || !got.Created.Equal(epoch) {
		t.Errorf("GetAccessKey = %+v", got)
	}
	root, err := s.GetAccessKey(ctx, "AKIAROOT")
	must(t, err)
	if root.User != "" {
		t.Errorf("root key has user %q", root.User)
	}
	_, err = s.GetAccessKey(ctx, "AKIANONE")
	wantErr(t, "GetAccessKey missing", err, meta.ErrNotFound)

	must(t, s.SetAccessKeyStatus(ctx, "AKIA1", meta.KeyInactive))
	must(t, s.SetAccessKeySecret(ctx, "AKIA1", "sealed-2"))
	wantErr(t, "status of missing key", s.SetAccessKeyStatus(ctx, "AKIANONE", meta.KeyInactive), meta.ErrNotFound)
	wantErr(t, "secret of missing key", s.SetAccessKeySecret(ctx, "AKIANONE", "x"), meta.ErrNotFound)
	got, _ = s.GetAccessKey(ctx, "AKIA1")
	if got.Status != meta.KeyInactive || got.Secret != "sealed-2" {
		t.Errorf("after updates: %+v", got)
	}

	byUser, err := s.ListAccessKeys(ctx, acctA, "alice")
	must(t, err)
	if len(byUser) != 1 || byUser[0].ID != "AKIA1" {
		t.Errorf("ListAccessKeys(A, alice) = %+v", byUser)
	}
	byAcct, err := s.ListAccessKeys(ctx, acctA, "")
	must(t, err)
	if len(byAcct) != 2 {
		t.Errorf("ListAccessKeys(A) = %+v", byAcct)
	}

	// A user's keys go with the user.
	must(t, s.DeleteUser(ctx, acctA, "Alice"))
	_, err = s.GetAccessKey(ctx, "AKIA1")
	wantErr(t, "key of deleted user", err, meta.ErrNotFound)
	must(t, s.DeleteAccessKey(ctx, "AKIAROOT"))
	wantErr(t, "delete again", s.DeleteAccessKey(ctx, "AKIAROOT"), meta.ErrNotFound)
}

func testUserPolicies(t *testing.T, s meta.AccessStore) {
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "Alice", Created: epoch}))
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "bob", Created: epoch}))
	must(t, s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "alice", Name: "read", Document: "d1", Updated: epoch}))
	must(t, s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "Alice", Name: "write", Document: "d2", Updated: epoch}))
	must(t, s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "bob", Name: "read", Document: "d3", Updated: epoch}))
	// Same name replaces.
	must(t, s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "Alice", Name: "read", Document: "d1b", Updated: epoch.Add(time.Minute)}))
	wantErr(t, "policy of missing user", s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "nobody", Name: "x", Document: "d", Updated: epoch}), meta.ErrNotFound)

	got, err := s.ListUserPolicies(ctx, acctA, "alice")
	must(t, err)
	if len(got) != 2 || got[0].Name != "read" || got[0].Document != "d1b" || got[0].User != "Alice" || !got[0].Updated.Equal(epoch.Add(time.Minute)) || got[1].Name != "write" {
		t.Errorf("ListUserPolicies(alice) = %+v", got)
	}
	must(t, s.DeleteUserPolicy(ctx, acctA, "Alice", "write"))
	wantErr(t, "delete again", s.DeleteUserPolicy(ctx, acctA, "Alice", "write"), meta.ErrNotFound)
	must(t, s.DeleteUser(ctx, acctA, "Alice"))
	all, err := s.ListUserPolicies(ctx, acctA, "")
	must(t, err)
	if len(all) != 1 || all[0].User != "bob" {
		t.Errorf("after deleting Alice: %+v", all)
	}
}

// policyFixture makes domain "dom" (owner A) with repositories r1 and r2.
func policyFixture(t *testing.T, s meta.Store) (*model.Domain, *model.Repository, *model.Repository) {
	t.Helper()
	d := &model.Domain{Name: "dom", Owner: acctA, CreatedTime: epoch}
	r1 := &model.Repository{Name: "r1", AdministratorAccount: acctA, CreatedTime: epoch}
	r2 := &model.Repository{Name: "r2", AdministratorAccount: acctA, CreatedTime: epoch}
	update(t, s, func(tx meta.Tx) error {
		if err := tx.CreateDomain(d); err != nil {
			return err
		}
		r1.DomainID, r2.DomainID = d.ID, d.ID
		if err := tx.CreateRepository(r1); err != nil {
			return err
		}
		return tx.CreateRepository(r2)
	})
	return d, r1, r2
}

func policies(t *testing.T, tx meta.Tx) meta.ResourcePolicies {
	t.Helper()
	rp, ok := tx.(meta.ResourcePolicies)
	if !ok {
		t.Fatalf("%T does not implement meta.ResourcePolicies", tx)
	}
	return rp
}

func testResourcePolicies(t *testing.T, s meta.AccessStore) {
	d, r1, r2 := policyFixture(t, s)
	dom := meta.PolicyTarget{DomainID: d.ID}
	rep1 := meta.PolicyTarget{DomainID: d.ID, RepositoryID: r1.ID}
	rep2 := meta.PolicyTarget{DomainID: d.ID, RepositoryID: r2.ID}
	update(t, s, func(tx meta.Tx) error {
		rp := policies(t, tx)
		if _, err := rp.GetResourcePolicy(dom); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("no domain policy yet: %v", err)
		}
		must(t, rp.PutResourcePolicy(dom, &meta.ResourcePolicy{Document: "dp", Revision: "rev1", Updated: epoch}))
		must(t, rp.PutResourcePolicy(rep1, &meta.ResourcePolicy{Document: "rp1", Revision: "rev2", Updated: epoch}))
		must(t, rp.PutResourcePolicy(rep1, &meta.ResourcePolicy{Document: "rp1b", Revision: "rev3", Updated: epoch.Add(time.Hour)}))
		if err := rp.PutResourcePolicy(meta.PolicyTarget{DomainID: d.ID, RepositoryID: 9999}, &meta.ResourcePolicy{Document: "x", Revision: "x", Updated: epoch}); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("policy on a missing repository: %v", err)
		}
		return nil
	})
	view(t, s, func(tx meta.Tx) error {
		rp := policies(t, tx)
		p, err := rp.GetResourcePolicy(dom)
		must(t, err)
		if p.Document != "dp" || p.Revision != "rev1" || !p.Updated.Equal(epoch) {
			t.Errorf("domain policy = %+v", p)
		}
		p, err = rp.GetResourcePolicy(rep1)
		must(t, err)
		if p.Document != "rp1b" || p.Revision != "rev3" {
			t.Errorf("repository policy = %+v", p)
		}
		if _, err := rp.GetResourcePolicy(rep2); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("r2 has no policy: %v", err)
		}
		return nil
	})
	update(t, s, func(tx meta.Tx) error {
		rp := policies(t, tx)
		must(t, rp.DeleteResourcePolicy(dom))
		wantErr(t, "delete again", rp.DeleteResourcePolicy(dom), meta.ErrNotFound)
		wantErr(t, "delete missing repository policy", rp.DeleteResourcePolicy(rep2), meta.ErrNotFound)
		// A repository policy goes with its repository.
		must(t, tx.DeleteRepository(r1.ID))
		r3 := &model.Repository{Name: "r1", DomainID: d.ID, AdministratorAccount: acctA, CreatedTime: epoch}
		must(t, tx.CreateRepository(r3))
		if _, err := rp.GetResourcePolicy(meta.PolicyTarget{DomainID: d.ID, RepositoryID: r3.ID}); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("recreated repository inherited a policy: %v", err)
		}
		return nil
	})
}

func testAccessGeneration(t *testing.T, s meta.AccessStore) {
	last, err := s.AccessGeneration(ctx)
	must(t, err)
	d, r1, _ := policyFixture(t, s)
	steps := []struct {
		name string
		fn   func() error
	}{
		{"create user", func() error { return s.CreateUser(ctx, &meta.User{Account: acctA, Name: "u", Created: epoch}) }},
		{"create key", func() error {
			return s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIA1", Account: acctA, User: "u", Secret: "s", Status: meta.KeyActive, Created: epoch})
		}},
		{"key status", func() error { return s.SetAccessKeyStatus(ctx, "AKIA1", meta.KeyInactive) }},
		{"user policy", func() error {
			return s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "u", Name: "p", Document: "d", Updated: epoch})
		}},
		{"repository policy", func() error {
			return s.Update(ctx, func(tx meta.Tx) error {
				return policies(t, tx).PutResourcePolicy(meta.PolicyTarget{DomainID: d.ID, RepositoryID: r1.ID}, &meta.ResourcePolicy{Document: "d", Revision: "r", Updated: epoch})
			})
		}},
		{"resource tag", func() error {
			return s.Update(ctx, func(tx meta.Tx) error { return tx.SetTags("arn:x", []meta.Tag{{Key: "k", Value: "v"}}) })
		}},
		{"repository deleted (policy cascades)", func() error {
			return s.Update(ctx, func(tx meta.Tx) error { return tx.DeleteRepository(r1.ID) })
		}},
		{"user deleted", func() error { return s.DeleteUser(ctx, acctA, "u") }},
	}
	for _, st := range steps {
		must(t, st.fn())
		g, err := s.AccessGeneration(ctx)
		must(t, err)
		if g <= last {
			t.Errorf("%s: generation %d did not increase from %d", st.name, g, last)
		}
		last = g
	}
	// A rolled-back write leaves it alone.
	_ = s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.SetTags("arn:y", []meta.Tag{{Key: "k", Value: "v"}}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if g, _ := s.AccessGeneration(ctx); g != last {
		t.Errorf("rolled-back write moved the generation: %d -> %d", last, g)
	}
}

func testAccessSnapshot(t *testing.T, s meta.AccessStore) {
	d, r1, _ := policyFixture(t, s)
	must(t, s.CreateAccount(ctx, &meta.Account{ID: acctB, Name: "bee", Created: epoch}))
	must(t, s.CreateUser(ctx, &meta.User{Account: acctA, Name: "u", Created: epoch}))
	must(t, s.CreateAccessKey(ctx, &meta.AccessKey{ID: "AKIA1", Account: acctA, User: "u", Secret: "s", Status: meta.KeyActive, Created: epoch}))
	must(t, s.PutUserPolicy(ctx, &meta.UserPolicy{Account: acctA, User: "u", Name: "p", Document: "doc", Updated: epoch}))
	update(t, s, func(tx meta.Tx) error {
		rp := policies(t, tx)
		must(t, rp.PutResourcePolicy(meta.PolicyTarget{DomainID: d.ID}, &meta.ResourcePolicy{Document: "dp", Revision: "r1", Updated: epoch}))
		must(t, rp.PutResourcePolicy(meta.PolicyTarget{DomainID: d.ID, RepositoryID: r1.ID}, &meta.ResourcePolicy{Document: "rp", Revision: "r2", Updated: epoch}))
		return tx.SetTags("arn:aws:codeartifact:us-east-1:111122223333:domain/dom", []meta.Tag{{Key: "team", Value: "core"}})
	})
	gen, err := s.AccessGeneration(ctx)
	must(t, err)
	snap, err := s.LoadAccess(ctx)
	must(t, err)
	if snap.Generation != gen {
		t.Errorf("snapshot generation %d, store says %d", snap.Generation, gen)
	}
	if len(snap.Accounts) != 2 || len(snap.Users) != 1 || len(snap.Keys) != 1 || len(snap.UserPolicies) != 1 {
		t.Errorf("snapshot: %+v", snap)
	}
	if len(snap.ResourcePolicies) != 2 {
		t.Fatalf("resource policies: %+v", snap.ResourcePolicies)
	}
	dp, rp := snap.ResourcePolicies[0], snap.ResourcePolicies[1]
	if dp.DomainOwner != acctA || dp.Domain != "dom" || dp.Repository != "" || dp.Document != "dp" || dp.Revision != "r1" {
		t.Errorf("domain policy in snapshot: %+v", dp)
	}
	if rp.Repository != "r1" || rp.Document != "rp" {
		t.Errorf("repository policy in snapshot: %+v", rp)
	}
	if snap.Tags["arn:aws:codeartifact:us-east-1:111122223333:domain/dom"]["team"] != "core" {
		t.Errorf("tags in snapshot: %+v", snap.Tags)
	}
}
