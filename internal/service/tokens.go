package service

import (
	"context"
	"errors"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/token"
)

// Token lifetimes (AuthorizationTokenDurationSeconds).
const (
	defaultTokenLifetime = 12 * time.Hour
	minTokenLifetime     = 15 * time.Minute
)

// GetAuthorizationTokenInput is GetAuthorizationToken's request.
type GetAuthorizationTokenInput struct {
	Domain          string `json:"domain"`
	DomainOwner     string `json:"domainOwner"`
	DurationSeconds *int64 `json:"durationSeconds"`
}

// GetAuthorizationTokenOutput is GetAuthorizationToken's answer.
type GetAuthorizationTokenOutput struct {
	AuthorizationToken string     `json:"authorizationToken"`
	Expiration         *Timestamp `json:"expiration"`
}

// SetTokenIssuer sets the key material for authorization tokens.
func (s *Service) SetTokenIssuer(iss *token.Issuer) { s.tokens = iss }

// SetKeyCheck sets the check that a token's access key and principal are
// still valid, so a token dies with its key or user.
func (s *Service) SetKeyCheck(check func(ctx context.Context, c token.Claims) error) {
	s.keyCheck = check
}

// GetAuthorizationToken mints a token package managers present for a domain's repositories.
func (s *Service) GetAuthorizationToken(ctx context.Context, c Caller, in GetAuthorizationTokenInput) (*GetAuthorizationTokenOutput, error) {
	life := defaultTokenLifetime
	if in.DurationSeconds != nil {
		d := time.Duration(*in.DurationSeconds) * time.Second
		switch {
		case d == 0:
			// "Same as the caller's credentials": long-term keys have no
			// expiry, so the default applies.
		case d < minTokenLifetime || d > defaultTokenLifetime:
			return nil, model.InvalidParameter("durationSeconds must be 0 or between 900 and 43200.")
		default:
			life = d
		}
	}
	var out GetAuthorizationTokenOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "GetAuthorizationToken", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		if err := s.authorize(ctx, c, ActionGetServiceBearerToken, "*", c.Account); err != nil {
			return err
		}
		now := s.now()
		exp := now.Add(life).Truncate(time.Second)
		out.AuthorizationToken = s.tokens.Mint(token.Claims{
			Account: c.Account, ARN: c.ARN, AccessKeyID: c.AccessKeyID,
			Domain: d.Name, DomainOwner: d.Owner, Expires: exp.Unix(), IssuedAt: now.Unix(),
		})
		out.Expiration = ts(exp)
		return nil
	})
	return &out, wrap("get authorization token", err)
}

// ErrBadToken is returned by Authenticate for a token that is not valid
// now; repository endpoints answer it with 401.
var ErrBadToken = errors.New("invalid or expired authorization token")

// Authenticate verifies a repository-endpoint token for the domain it is
// presented to and returns the principal it acts as.
func (s *Service) Authenticate(ctx context.Context, tok, domain, owner string) (Caller, error) {
	c, err := s.tokens.Verify(tok, s.now())
	if err != nil {
		return Caller{}, ErrBadToken
	}
	if c.Domain != domain || c.DomainOwner != owner {
		return Caller{}, ErrBadToken
	}
	if s.keyCheck != nil {
		if err := s.keyCheck(ctx, c); err != nil {
			return Caller{}, ErrBadToken
		}
	}
	return Caller{Account: c.Account, ARN: c.ARN, AccessKeyID: c.AccessKeyID}, nil
}
