package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/policy"
)

// Manager changes the identities in a store, checking names and policy
// documents and sealing secrets. The wharf admin command drives it.
type Manager struct {
	Store  meta.Identities
	Sealer *Sealer
	Now    func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// IAM's rules for user and policy names.
var (
	userName   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyName = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// CheckAccount checks an account id's shape.
func CheckAccount(id string) error {
	if !accountID.MatchString(id) {
		return fmt.Errorf("account id %q must be 12 digits", id)
	}
	return nil
}

// CheckUserName checks an IAM user name.
func CheckUserName(name string) error {
	if !userName.MatchString(name) {
		return fmt.Errorf("user name %q must be 1 to 64 letters, digits or +=,.@_-", name)
	}
	return nil
}

// CreateAccount adds an account; an empty id gets a random one.
func (m *Manager) CreateAccount(ctx context.Context, id, name string) (meta.Account, error) {
	if id == "" {
		id = randomDigits(12)
	}
	if err := CheckAccount(id); err != nil {
		return meta.Account{}, err
	}
	a := meta.Account{ID: id, Name: name, Created: m.now()}
	if err := m.Store.CreateAccount(ctx, &a); err != nil {
		if errors.Is(err, meta.ErrExists) {
			return a, fmt.Errorf("account %s exists already", id)
		}
		return a, err
	}
	return a, nil
}

// CreateUser adds an IAM user (and its account, if new).
func (m *Manager) CreateUser(ctx context.Context, account, name string) (meta.User, error) {
	if err := CheckAccount(account); err != nil {
		return meta.User{}, err
	}
	if err := CheckUserName(name); err != nil {
		return meta.User{}, err
	}
	u := meta.User{Account: account, Name: name, Created: m.now()}
	if err := m.Store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, meta.ErrExists) {
			return u, fmt.Errorf("user %s exists already in account %s", name, account)
		}
		return u, err
	}
	return u, nil
}

// NewKey is a freshly created access key; its secret is shown only once.
type NewKey struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Account         string `json:"Account"`
	UserName        string `json:"UserName,omitempty"`
	Arn             string `json:"Arn"`
	Status          string `json:"Status"`
	CreateDate      string `json:"CreateDate"`
}

// CreateAccessKey creates a key pair for a user, or for the account's root
// when user is "".
func (m *Manager) CreateAccessKey(ctx context.Context, account, user string) (NewKey, error) {
	if err := CheckAccount(account); err != nil {
		return NewKey{}, err
	}
	k := meta.AccessKey{
		ID:      "AKIA" + randomString(16, upperAlnum),
		Account: account,
		User:    user,
		Status:  meta.KeyActive,
		Created: m.now(),
	}
	secret := randomString(40, secretChars)
	sealed, err := m.Sealer.Seal(k.ID, secret)
	if err != nil {
		return NewKey{}, err
	}
	k.Secret = sealed
	if err := m.Store.CreateAccessKey(ctx, &k); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			if user != "" {
				return NewKey{}, fmt.Errorf("no user %s in account %s", user, account)
			}
			return NewKey{}, fmt.Errorf("no account %s (create it first)", account)
		}
		return NewKey{}, err
	}
	arn := RootARN(account)
	if k.User != "" {
		arn = UserARN(account, k.User)
	}
	return NewKey{AccessKeyID: k.ID, SecretAccessKey: secret, Account: account, UserName: k.User, Arn: arn,
		Status: k.Status, CreateDate: k.Created.Format(time.RFC3339)}, nil
}

// PutUserPolicy validates an identity policy and attaches it to a user
// under name, replacing any policy of that name.
func (m *Manager) PutUserPolicy(ctx context.Context, account, user, name, doc string) error {
	if err := CheckAccount(account); err != nil {
		return err
	}
	if !policyName.MatchString(name) {
		return fmt.Errorf("policy name %q must be 1 to 128 letters, digits or +=,.@_-", name)
	}
	if _, err := policy.ParseIdentity(doc); err != nil {
		return fmt.Errorf("policy document: %w", err)
	}
	p := meta.UserPolicy{Account: account, User: user, Name: name, Document: doc, Updated: m.now()}
	if err := m.Store.PutUserPolicy(ctx, &p); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("no user %s in account %s", user, account)
		}
		return err
	}
	return nil
}

// Reseal re-encrypts every stored secret with m.Sealer, reading each with
// whichever of m.Sealer and old opens it. It returns how many changed.
func (m *Manager) Reseal(ctx context.Context, old ...*Sealer) (int, error) {
	keys, err := m.Store.ListAccessKeys(ctx, "", "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if m.Sealer.IsSealedWith(k.Secret) {
			continue
		}
		var secret string
		err := ErrWrongKey
		for _, s := range append([]*Sealer{m.Sealer}, old...) {
			if secret, err = s.Open(k.ID, k.Secret); err == nil {
				break
			}
		}
		if err != nil {
			return n, fmt.Errorf("access key %s: %w", k.ID, err)
		}
		sealed, err := m.Sealer.Seal(k.ID, secret)
		if err != nil {
			return n, err
		}
		if err := m.Store.SetAccessKeySecret(ctx, k.ID, sealed); err != nil {
			return n, fmt.Errorf("access key %s: %w", k.ID, err)
		}
		n++
	}
	return n, nil
}
