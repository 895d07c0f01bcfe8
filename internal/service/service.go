// Package service is Wharf's CodeArtifact service layer: every operation's
// rules, written once and used by the control plane and by every package
// format's endpoint. It authorizes, validates against the model, and
// drives the metadata and blob stores inside transactions.
package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/token"
)

// Config holds what the service needs to know about its deployment.
type Config struct {
	Region string
	// PublicURL is the base of repository endpoints, without a trailing
	// slash, e.g. http://127.0.0.1:4566.
	PublicURL string
	// MaxAssetSize bounds one uploaded asset (CodeArtifact: 5 GB).
	MaxAssetSize int64
	// BlobLease is how long a publish may take between writing bytes and
	// committing the asset before the garbage collector may reclaim them.
	BlobLease time.Duration
	// GCGrace spares blobs written more recently than this from collection,
	// covering an upload between writing its bytes and leasing them.
	GCGrace time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Caller is the authenticated principal making a request.
type Caller struct {
	Account     string // 12-digit account id
	ARN         string // arn:aws:iam::ACCOUNT:user/NAME or :root
	AccessKeyID string
}

// Authorizer decides whether a caller may perform an action on a resource.
// The action is a CodeArtifact IAM action name without its service prefix
// ("DeletePackageVersions", "ReadFromRepository"), or an action of Wharf's
// own or of another service with its prefix ("wharf:PutRetentionRule",
// ActionGetServiceBearerToken); IAMAction gives the full name.
type Authorizer interface {
	Authorize(ctx context.Context, c Caller, action, resourceARN, resourceAccount string) error
}

// SameAccount allows callers to act on resources of their own account and
// nothing else: the rule in force when no policies are configured.
type SameAccount struct{}

// Authorize allows the caller's own account and refuses every other.
func (SameAccount) Authorize(_ context.Context, c Caller, action, arn, account string) error {
	if c.Account == account {
		return nil
	}
	return accessDenied(c, action, arn)
}

// ActionGetServiceBearerToken is the STS action GetAuthorizationToken
// needs besides its own, as in CodeArtifact: it is authorized on resource
// "*" in the caller's account, by identity policies only.
const ActionGetServiceBearerToken = "sts:GetServiceBearerToken"

// BearerTokenService is the value of the sts:AWSServiceName condition key
// when a token is minted.
const BearerTokenService = "codeartifact.amazonaws.com"

// IAMAction is an Authorizer action's full IAM name ("codeartifact:X", or
// the action itself when it has a service prefix).
func IAMAction(action string) string {
	if strings.Contains(action, ":") {
		return action
	}
	return "codeartifact:" + action
}

func accessDenied(c Caller, action, arn string) error {
	return model.AccessDenied("User: %s is not authorized to perform: %s on resource: %s", c.ARN, IAMAction(action), arn)
}

// Service implements the CodeArtifact operations.
type Service struct {
	meta  meta.Store
	blobs blob.Store
	authz Authorizer
	cfg   Config
	log   *slog.Logger
	hooks []ChangeHook
	// eventHooks are told when package events were committed (events.go).
	eventHooks []func()
	// downloaded is told the version of every asset opened for a
	// download (OnDownload); it must not block.
	downloaded func(versionID int64)
	gc         chan struct{}
	// onCollect runs after each periodic collection (OnCollect).
	onCollect []func(context.Context)
	// lookups holds each external connection's ExternalLookup.
	lookups sync.Map
	// rules are the formats' rules, by format (SetFormatRules).
	rules map[model.Format]*FormatRules

	tokens   *token.Issuer
	keyCheck func(ctx context.Context, c token.Claims) error
}

// ChangeHook is told after a commit that a package's versions changed, so
// caches of derived documents can drop their entries at once.
type ChangeHook func(pkgID int64)

// New builds a service over the stores.
func New(m meta.Store, b blob.Store, authz Authorizer, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.MaxAssetSize == 0 {
		cfg.MaxAssetSize = 5 << 30
	}
	if cfg.BlobLease == 0 {
		cfg.BlobLease = 6 * time.Hour
	}
	if cfg.GCGrace == 0 {
		cfg.GCGrace = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if authz == nil {
		authz = SameAccount{}
	}
	s := &Service{blobs: b, authz: authz, cfg: cfg, log: cfg.Logger, gc: make(chan struct{}, 1), rules: map[model.Format]*FormatRules{}}
	s.meta = eventStore{Store: m, s: s}
	return s
}

// OnChange registers a hook called after every committed change to a
// package.
func (s *Service) OnChange(h ChangeHook) { s.hooks = append(s.hooks, h) }

func (s *Service) changed(ids ...int64) {
	for _, id := range ids {
		for _, h := range s.hooks {
			h(id)
		}
	}
}

// Region is the region the service reports in ARNs.
func (s *Service) Region() string { return s.cfg.Region }

// PublicURL is the base URL of repository endpoints.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// newRevision returns a fresh opaque revision: 32 random bytes in base64,
// the form CodeArtifact's revisions take.
func newRevision() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func (s *Service) authorize(ctx context.Context, c Caller, action, arn, account string) error {
	return s.authz.Authorize(ctx, c, action, arn, account)
}

// ---- resource resolution

// ownerOr returns the domain owner a request names, defaulting to the
// caller's account.
func ownerOr(owner string, c Caller) string {
	if owner != "" {
		return owner
	}
	return c.Account
}

func domainNotFound(owner, name string) error {
	return model.NotFound(model.ResourceDomain, name, "Domain not found. Domain: %s, DomainOwner: %s", name, owner)
}

func repoNotFound(domain, name string) error {
	return model.NotFound(model.ResourceRepository, name, "Repository not found. Domain: %s, Repository: %s", domain, name)
}

func packageNotFound(repo string, k model.PackageKey) error {
	return model.NotFound(model.ResourcePackage, k.Name, "Package not found in repository. Repository: %s, Package: PackageCoordinate{packageType=%s, packageNamespace=%s, packageName=%s}", repo, k.Format, k.Namespace, k.Name)
}

func versionNotFound(k model.PackageKey, version string) error {
	return model.NotFound(model.ResourcePackageVersion, version, "Package version not found. Package: %s, Format: %s, Version: %s", model.DisplayName(k), k.Format, version)
}

func (s *Service) getDomain(tx meta.Tx, owner, name string) (*model.Domain, error) {
	d, err := tx.GetDomain(owner, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, domainNotFound(owner, name)
	}
	return d, err
}

func (s *Service) getRepo(tx meta.Tx, owner, domain, repo string) (*model.Domain, *model.Repository, error) {
	d, err := s.getDomain(tx, owner, domain)
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.GetRepository(d.ID, repo)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, repoNotFound(domain, repo)
	}
	return d, r, err
}

func (s *Service) getPackage(tx meta.Tx, r *model.Repository, k model.PackageKey) (*model.Package, error) {
	p, err := tx.GetPackage(r.ID, k)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, packageNotFound(r.Name, k)
	}
	return p, err
}

func (s *Service) domainARN(d *model.Domain) string {
	return model.DomainARN(s.cfg.Region, d.Owner, d.Name)
}

func (s *Service) repoARN(r *model.Repository) string {
	return model.RepositoryARN(s.cfg.Region, r.DomainOwner, r.DomainName, r.Name)
}

func (s *Service) packageARN(r *model.Repository, k model.PackageKey) string {
	return model.PackageARN(s.cfg.Region, r.DomainOwner, r.DomainName, r.Name, k)
}

// PackageRef names a package in a repository as requests do.
type PackageRef struct {
	Domain      string       `json:"domain"`
	DomainOwner string       `json:"domainOwner"`
	Repository  string       `json:"repository"`
	Format      model.Format `json:"format"`
	Namespace   string       `json:"namespace"`
	Package     string       `json:"package"`
}

// key checks the namespace rule and normalizes the coordinate.
func (p PackageRef) key() (model.PackageKey, error) {
	if err := model.CheckNamespace(p.Format, p.Namespace); err != nil {
		return model.PackageKey{}, err
	}
	// Names become path segments in every format's URLs and clients'
	// caches; the service model's patterns alone let ".." and NUL in.
	if err := model.CheckSafeName("namespace", p.Namespace); err != nil {
		return model.PackageKey{}, err
	}
	if err := model.CheckSafeName("packageName", p.Package); err != nil {
		return model.PackageKey{}, err
	}
	return model.NormalizeKey(model.PackageKey{Format: p.Format, Namespace: p.Namespace, Name: p.Package}), nil
}

// pkgScope is a resolved and authorized package coordinate.
type pkgScope struct {
	domain *model.Domain
	repo   *model.Repository
	key    model.PackageKey
	arn    string
}

// resolvePackage resolves the domain and repository of ref and authorizes
// action on the package's ARN. The package itself may not exist.
func (s *Service) resolvePackage(ctx context.Context, tx meta.Tx, c Caller, ref PackageRef, action string) (*pkgScope, error) {
	k, err := ref.key()
	if err != nil {
		return nil, err
	}
	owner := ownerOr(ref.DomainOwner, c)
	d, r, err := s.getRepo(tx, owner, ref.Domain, ref.Repository)
	if err != nil {
		return nil, err
	}
	sc := &pkgScope{domain: d, repo: r, key: k, arn: s.packageARN(r, k)}
	if err := s.authorize(ctx, c, action, sc.arn, d.Owner); err != nil {
		return nil, err
	}
	return sc, nil
}

// ---- pagination

// Pagination tokens are opaque to clients: base64 of the list kind and the
// store's keyset cursor, so a token from one listing cannot be replayed
// against another.
type pageToken struct {
	Kind  string `json:"k"`
	After string `json:"a"`
}

func encodeToken(kind, after string) string {
	b, _ := json.Marshal(pageToken{Kind: kind, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(kind, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var pt pageToken
	if err == nil {
		err = json.Unmarshal(b, &pt)
	}
	if err != nil || pt.Kind != kind {
		return "", model.InvalidParameter("The nextToken is not valid for this request.")
	}
	return pt.After, nil
}

func pageSize(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var me *model.Error
	if errors.As(err, &me) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
