package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/policy"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
	"github.com/wharf-dev/wharf/internal/token"
)

// Directory answers, from memory, who an access key belongs to and which
// policies apply: the administrator's credential, and the accounts, users,
// keys, user policies, resource policies and resource tags of the
// metadata store.
//
// Identities are changed by another process (wharf admin) or another
// replica, so the directory reloads whenever the store's access generation
// moves: Run polls it, a lookup of an unknown key checks it at once (a
// freshly created key works on its first request), and Changed reloads
// after the server's own writes. Nothing here reads the store while a
// request holds a transaction, so authorization cannot wait on a
// connection its own request is holding.
type Directory struct {
	store  meta.Identities
	sealer *Sealer
	admin  []Credential
	log    *slog.Logger

	cur atomic.Pointer[snapshot]

	mu        sync.Mutex // serializes reloads
	lastCheck time.Time  // when the last generation check began
}

// MissCheckInterval bounds how often a lookup of an unknown key may check
// the store's generation, so a flood of bad keys cannot hammer it.
const MissCheckInterval = 50 * time.Millisecond

type keyEntry struct {
	secret string
	caller service.Caller
}

// snapshot is one generation of the store, parsed.
type snapshot struct {
	gen      int64
	keys     map[string]keyEntry         // access key id -> secret and principal
	identity map[string][]*policy.Policy // principal ARN -> attached policies (users only)
	resource map[string]*policy.Policy   // ResourceKey -> resource policy
	tags     map[string]map[string]string
}

// ResourceKey names a domain (repo "") or repository in ResourcePolicy.
func ResourceKey(owner, domain, repo string) string {
	if repo == "" {
		return owner + "/" + domain
	}
	return owner + "/" + domain + "/" + repo
}

// Root policies: an account's root may do anything its account's
// resources allow; only an explicit Deny stops it.
var allowAll = mustParse(policy.ParseIdentity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))

// Documents that no longer parse (written by an older version, or edited
// by hand) fail closed.
var (
	denyAllIdentity = mustParse(policy.ParseIdentity(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`))
	denyAllResource = mustParse(policy.ParseResource(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`))
)

func mustParse(p *policy.Policy, err error) *policy.Policy {
	if err != nil {
		panic(err)
	}
	return p
}

// NewDirectory returns a directory over store with the given
// administrators. Call Refresh before serving.
func NewDirectory(store meta.Identities, sealer *Sealer, log *slog.Logger, admin ...Credential) *Directory {
	if log == nil {
		log = slog.Default()
	}
	d := &Directory{store: store, sealer: sealer, admin: admin, log: log}
	d.cur.Store(d.build(&meta.AccessSnapshot{Generation: -1}))
	return d
}

// UserARN is the ARN of an IAM user.
func UserARN(account, user string) string { return "arn:aws:iam::" + account + ":user/" + user }

// RootARN is the ARN of an account's root.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

func (d *Directory) build(s *meta.AccessSnapshot) *snapshot {
	v := &snapshot{
		gen:      s.Generation,
		keys:     make(map[string]keyEntry, len(s.Keys)+len(d.admin)),
		identity: map[string][]*policy.Policy{},
		resource: make(map[string]*policy.Policy, len(s.ResourcePolicies)),
		tags:     s.Tags,
	}
	for _, k := range s.Keys {
		if k.Status != meta.KeyActive {
			continue
		}
		secret, err := d.sealer.Open(k.ID, k.Secret)
		if err != nil {
			d.log.Error("access key unusable: its secret cannot be read", "access_key_id", k.ID, "err", err)
			continue
		}
		c := service.Caller{Account: k.Account, ARN: RootARN(k.Account), AccessKeyID: k.ID}
		if k.User != "" {
			c.ARN = UserARN(k.Account, k.User)
		}
		v.keys[k.ID] = keyEntry{secret: secret, caller: c}
	}
	// The administrator wins over a stored key with the same id.
	for _, a := range d.admin {
		v.keys[a.AccessKeyID] = keyEntry{secret: a.SecretAccessKey, caller: a.Caller()}
	}
	for _, p := range s.UserPolicies {
		arn := UserARN(p.Account, p.User)
		pol, err := policy.ParseIdentity(p.Document)
		if err != nil {
			d.log.Error("user policy does not parse; denying everything to the user", "user", arn, "policy", p.Name, "err", err)
			pol = denyAllIdentity
		}
		v.identity[arn] = append(v.identity[arn], pol)
	}
	for _, p := range s.ResourcePolicies {
		key := ResourceKey(p.DomainOwner, p.Domain, p.Repository)
		pol, err := policy.ParseResource(p.Document)
		if err != nil {
			d.log.Error("resource policy does not parse; denying everything on the resource", "resource", key, "err", err)
			pol = denyAllResource
		}
		v.resource[key] = pol
	}
	if v.tags == nil {
		v.tags = map[string]map[string]string{}
	}
	return v
}

// Refresh reloads the store's data if its generation moved.
func (d *Directory) Refresh(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refreshLocked(ctx, false)
}

// Changed reloads at once after a write this server made.
func (d *Directory) Changed(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refreshLocked(ctx, true)
}

func (d *Directory) refreshLocked(ctx context.Context, force bool) error {
	d.lastCheck = time.Now()
	if !force {
		gen, err := d.store.AccessGeneration(ctx)
		if err != nil {
			return fmt.Errorf("access generation: %w", err)
		}
		if gen == d.cur.Load().gen {
			return nil
		}
	}
	s, err := d.store.LoadAccess(ctx)
	if err != nil {
		return err
	}
	d.cur.Store(d.build(s))
	return nil
}

// Run polls the store every interval until ctx ends.
func (d *Directory) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.Refresh(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("reloading identities failed; keeping the previous ones", "err", err)
			}
		}
	}
}

// LookupKey returns the secret and principal of an active access key, or
// an error wrapping sigv4.ErrUnknownKey.
func (d *Directory) LookupKey(ctx context.Context, akid string) (string, service.Caller, error) {
	if e, ok := d.lookup(akid); ok {
		return e.secret, e.caller, nil
	}
	// Perhaps created a moment ago by wharf admin: make sure the store was
	// looked at after this request arrived. Misses share checks and wait
	// their turn, so unknown keys cost the store at most one generation
	// read per MissCheckInterval.
	arrived := time.Now()
	d.mu.Lock()
	if !d.lastCheck.After(arrived) {
		if wait := MissCheckInterval - time.Since(d.lastCheck); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if err := d.refreshLocked(ctx, false); err != nil {
			d.log.Warn("reloading identities failed", "err", err)
		}
	}
	d.mu.Unlock()
	if e, ok := d.lookup(akid); ok {
		return e.secret, e.caller, nil
	}
	return "", service.Caller{}, sigv4.ErrUnknownKey
}

func (d *Directory) lookup(akid string) (keyEntry, bool) {
	e, ok := d.cur.Load().keys[akid]
	return e, ok
}

// ErrRevoked is returned by CheckToken for a token whose key or user is
// gone or switched off.
var ErrRevoked = errors.New("the access key that minted the token is no longer valid")

// CheckToken reports whether the key that minted a token is still active
// and still belongs to the token's principal, so a token dies with its key
// or its user.
func (d *Directory) CheckToken(_ context.Context, c token.Claims) error {
	e, ok := d.lookup(c.AccessKeyID)
	if !ok || e.caller.ARN != c.ARN || e.caller.Account != c.Account {
		return ErrRevoked
	}
	return nil
}

// IdentityPolicies returns the identity-based policies of a principal: an
// allow-everything policy for an account's root, the attached policies of
// a user.
func (d *Directory) IdentityPolicies(c service.Caller) []*policy.Policy {
	if c.ARN == RootARN(c.Account) {
		return []*policy.Policy{allowAll}
	}
	return d.cur.Load().identity[c.ARN]
}

// ResourcePolicy returns the permissions policy of a domain (repo "") or
// repository, or nil.
func (d *Directory) ResourcePolicy(owner, domain, repo string) *policy.Policy {
	return d.cur.Load().resource[ResourceKey(owner, domain, repo)]
}

// ResourceTags returns a resource's tags (nil if it has none). The map
// must not be modified.
func (d *Directory) ResourceTags(arn string) map[string]string {
	return d.cur.Load().tags[arn]
}
