package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/authz"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
	"github.com/wharf-dev/wharf/internal/throttle"
	"github.com/wharf-dev/wharf/internal/token"
	"github.com/wharf-dev/wharf/internal/webhook"
)

// access is who may call Wharf and how often: the identity directory, the
// policy authorizer, the token issuer, the rate limiter and the replay
// cache, built once and shared by the control plane and the endpoints.
type access struct {
	dir     *identity.Directory
	sealer  *identity.Sealer // also opens webhook secrets
	authz   *authz.Authorizer
	issuer  *token.Issuer
	limiter *throttle.Limiter
	replay  sigv4.ReplayCache
	refresh time.Duration
	log     *slog.Logger
}

func openAccess(ctx context.Context, cfg Config, store meta.AccessStore, storedTokenKey []byte) (*access, error) {
	sealer, err := identity.NewSealer(cfg.SecretsKey)
	if err != nil {
		return nil, err
	}
	dir := identity.NewDirectory(store, sealer, cfg.Logger, cfg.Admin)
	if err := dir.Refresh(ctx); err != nil {
		return nil, err
	}
	a := &access{
		dir:     dir,
		sealer:  sealer,
		authz:   &authz.Authorizer{P: dir, Log: cfg.Logger},
		issuer:  token.NewIssuer(deriveTokenKey(storedTokenKey, cfg.SecretsKey)),
		limiter: throttle.New(cfg.Throttle, nil),
		refresh: cfg.IdentityRefresh,
		log:     cfg.Logger,
	}
	if a.refresh <= 0 {
		a.refresh = time.Second
	}
	if cfg.ReplayProtection {
		a.replay = &sigv4.MemoryReplayCache{}
	}
	a.warnAboutSecrets(ctx, store, sealer, cfg)
	if cfg.Throttle.Enabled() {
		cfg.Logger.Info("rate limits", "throttle", cfg.Throttle.String())
	}
	return a, nil
}

// deriveTokenKey binds the token-signing key to the secrets key when one
// is configured, so that the data directory alone (where the stored key
// lives) is not enough to mint tokens either.
func deriveTokenKey(stored, secretsKey []byte) []byte {
	if len(secretsKey) == 0 {
		return stored
	}
	m := hmac.New(sha256.New, secretsKey)
	m.Write([]byte("wharf authorization token key\x00"))
	m.Write(stored)
	return m.Sum(nil)
}

// warnAboutSecrets says, once at start, when stored secrets are in clear.
func (a *access) warnAboutSecrets(ctx context.Context, store meta.Identities, sealer *identity.Sealer, cfg Config) {
	keys, err := store.ListAccessKeys(ctx, "", "")
	if err != nil {
		return
	}
	unsealed := 0
	for _, k := range keys {
		if !sealer.IsSealedWith(k.Secret) {
			unsealed++
		}
	}
	switch {
	case !sealer.Encrypts() && len(keys) > 0:
		a.log.Warn("secret access keys are stored in clear in the metadata store; configure --secrets-key-file (kept elsewhere) and run wharf admin reseal", "keys", len(keys))
	case sealer.Encrypts() && unsealed > 0:
		a.log.Warn("some secret access keys are not sealed with the configured secrets key; run wharf admin reseal", "keys", unsealed)
	}
	if sealer.Encrypts() && cfg.SecretsKeyFile != "" {
		if rel, err := filepath.Rel(cfg.DataDir, cfg.SecretsKeyFile); err == nil && !strings.HasPrefix(rel, "..") {
			a.log.Warn("the secrets key file is inside the data directory, so a copy of the data directory carries it", "file", cfg.SecretsKeyFile)
		}
	}
}

// warnAboutWebhookSecrets says, once at start, when webhook signing
// secrets are stored in clear although a secrets key is configured (made
// before it was, or by an admin command run without it).
func (a *access) warnAboutWebhookSecrets(ctx context.Context, store meta.Store) {
	if !a.sealer.Encrypts() {
		return
	}
	unsealed, _, err := webhook.Unsealed(ctx, store, a.sealer)
	if err == nil && unsealed > 0 {
		a.log.Warn("some webhook signing secrets are not sealed with the configured secrets key; run wharf admin reseal", "webhooks", unsealed)
	}
}

// keyCheck makes a token die with its key or user.
func (a *access) keyCheck(ctx context.Context, c token.Claims) error {
	if err := a.dir.CheckToken(ctx, c); err != nil {
		return fmt.Errorf("token of %s: %w", c.AccessKeyID, err)
	}
	return nil
}

// throttleOperation is the control plane's throttle hook.
func (a *access) throttleOperation() func(account, op string) error {
	if a.limiter == nil {
		return nil
	}
	return func(account, op string) error {
		err := a.limiter.Operation(account, op)
		if err != nil {
			metrics.ThrottledControlPlane.Inc()
		}
		return err
	}
}

// middleware puts the request's own condition-key values in its context
// and, when limits are set, throttles repository-endpoint requests (the
// control plane throttles its own after authenticating them).
func (a *access) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		ctx := service.WithRequestInfo(r.Context(), service.RequestInfo{
			SourceIP:        ip,
			SecureTransport: r.TLS != nil,
			UserAgent:       r.UserAgent(),
		})
		r = r.WithContext(ctx)
		if a.limiter != nil && isEndpointPath(r.URL.Path) {
			if err := a.throttleEndpoint(r, ip); err != nil {
				metrics.ThrottledEndpoint.Inc()
				refuseThrottled(w, r, a.log, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseThrottled answers a throttled repository-endpoint request in its
// format's own error shape where the format declares one (Swift's
// problem+json), with Retry-After either way.
func refuseThrottled(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	for _, f := range Formats {
		if string(f.Name) == name && f.Refuse != nil {
			endpoint.ErrorBody(w, r, log, err, func(w http.ResponseWriter, status int, msg string) { f.Refuse(w, r, status, msg) })
			return
		}
	}
	endpoint.Error(w, r, log, err)
}

// clientIP is the address the connection comes from. Forwarded headers
// are not trusted: any client could set them to escape a SourceIp
// condition.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isEndpointPath tells repository-endpoint paths (/FORMAT/DOMAIN-OWNER/...)
// from the control plane's (/v1/...) and the health check.
func isEndpointPath(p string) bool {
	return !strings.HasPrefix(p, "/v1/") && p != "/healthz"
}

func (a *access) throttleEndpoint(r *http.Request, ip string) error {
	tok := endpoint.Credential(r.Header.Get("Authorization"))
	if tok == "" {
		return a.limiter.Anonymous(ip)
	}
	c, err := a.issuer.Verify(tok, time.Now())
	if err != nil {
		return a.limiter.Anonymous(ip)
	}
	sum := sha256.Sum256([]byte(tok))
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	return a.limiter.Endpoint(c.Account, hex.EncodeToString(sum[:16]), write)
}
