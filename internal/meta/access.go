package meta

import (
	"context"
	"time"
)

// Access control data: the accounts, IAM users and access keys that may
// call Wharf, the identity policies attached to users, and the resource
// policies attached to domains and repositories.
//
// Identities are managed outside requests (the wharf admin command, or a
// second process on the same store), so every server keeps an in-memory
// copy and reloads it when AccessGeneration changes. Every write to these
// rows, including the deletion of a domain or repository that takes its
// resource policy along and any change to resource tags (which policy
// conditions read), increases the generation.

// Account is an AWS-style account: a 12-digit id that owns users and
// resources.
type Account struct {
	ID      string
	Name    string // optional alias
	Created time.Time
}

// User is an IAM user of an account. Names are unique per account,
// case-insensitively, as in IAM.
type User struct {
	Account string
	Name    string
	Created time.Time
}

// Access key statuses.
const (
	KeyActive   = "Active"
	KeyInactive = "Inactive"
)

// AccessKey is a SigV4 key pair. User is "" for a key of the account's
// root. Secret is stored as given: the identity layer seals it before it
// reaches the store.
type AccessKey struct {
	ID      string
	Account string
	User    string
	Secret  string
	Status  string
	Created time.Time
}

// UserPolicy is a named identity policy document attached to a user.
type UserPolicy struct {
	Account  string
	User     string
	Name     string
	Document string
	Updated  time.Time
}

// ResourcePolicy is a domain's or repository's permissions policy.
type ResourcePolicy struct {
	Document string
	Revision string
	Updated  time.Time
}

// PolicyTarget names the resource a policy is attached to by row id:
// RepositoryID 0 means the domain itself.
type PolicyTarget struct {
	DomainID     int64
	RepositoryID int64
}

// ResourcePolicies is implemented by the Tx of stores that keep resource
// policies, so that reading, checking the revision and writing happen in
// one transaction with the lookup of the domain or repository. A policy
// goes away with its domain or repository.
type ResourcePolicies interface {
	GetResourcePolicy(t PolicyTarget) (*ResourcePolicy, error) // ErrNotFound
	PutResourcePolicy(t PolicyTarget, p *ResourcePolicy) error // inserts or replaces
	DeleteResourcePolicy(t PolicyTarget) error                 // ErrNotFound
}

// AttachedPolicy is a resource policy in an AccessSnapshot, named by its
// resource rather than by row id. Repository is "" for a domain policy.
type AttachedPolicy struct {
	DomainOwner string
	Domain      string
	Repository  string
	ResourcePolicy
}

// AccessSnapshot is every access-control row, read in one transaction.
type AccessSnapshot struct {
	Generation       int64
	Accounts         []Account
	Users            []User
	Keys             []AccessKey
	UserPolicies     []UserPolicy
	ResourcePolicies []AttachedPolicy
	// Tags holds the resource tags of every tagged resource, by ARN.
	Tags map[string]map[string]string
}

// Identities manages accounts, users, access keys and user policies. Each
// method is its own transaction.
type Identities interface {
	CreateAccount(ctx context.Context, a *Account) error // ErrExists
	// DeleteAccount removes the account with its users, keys and policies.
	DeleteAccount(ctx context.Context, id string) error // ErrNotFound
	ListAccounts(ctx context.Context) ([]Account, error)

	// CreateUser adds a user, creating its account if needed. ErrExists
	// if the name is taken (case-insensitively).
	CreateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user with its keys and policies.
	DeleteUser(ctx context.Context, account, name string) error // ErrNotFound
	// ListUsers lists an account's users ("" for all), by account then name.
	ListUsers(ctx context.Context, account string) ([]User, error)

	// CreateAccessKey adds a key; ErrNotFound if its account or user does
	// not exist, ErrExists if the id is taken. k.User gets the stored
	// spelling of the user's name.
	CreateAccessKey(ctx context.Context, k *AccessKey) error
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error) // ErrNotFound
	SetAccessKeyStatus(ctx context.Context, id, status string) error // ErrNotFound
	// SetAccessKeySecret replaces the stored secret (to re-seal it).
	SetAccessKeySecret(ctx context.Context, id, secret string) error // ErrNotFound
	DeleteAccessKey(ctx context.Context, id string) error            // ErrNotFound
	// ListAccessKeys lists the keys of an account ("" for all) and, when
	// user is not "", of that user only ("" lists root keys too).
	ListAccessKeys(ctx context.Context, account, user string) ([]AccessKey, error)

	// PutUserPolicy attaches a policy or replaces the one of that name;
	// ErrNotFound if the user does not exist.
	PutUserPolicy(ctx context.Context, p *UserPolicy) error
	DeleteUserPolicy(ctx context.Context, account, user, name string) error // ErrNotFound
	ListUserPolicies(ctx context.Context, account, user string) ([]UserPolicy, error)

	// AccessGeneration increases with every change to access-control data.
	AccessGeneration(ctx context.Context) (int64, error)
	// LoadAccess reads everything at one generation.
	LoadAccess(ctx context.Context) (*AccessSnapshot, error)
}

// AccessStore is a metadata store that also keeps access-control data.
type AccessStore interface {
	Store
	Identities
}
