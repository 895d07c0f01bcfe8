package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Cookie names. The session cookie holds only a random token; what it
// stands for stays on the server, in the metadata store under the token's
// SHA-256.
const (
	sessionCookie = "wharf_console"
	preCookie     = "wharf_console_signin"
)

// session is one sign-in.
type session struct {
	id      string // SHA-256 of the cookie's token, hex: the stored row's key
	Caller  service.Caller
	CSRF    string
	expires time.Time
	flash   string // as read with the session; said once on its next page
}

// sessionStore keeps sessions in the metadata store, so that replicas
// sharing the store share them, a restart keeps them, and a sign-out is
// seen everywhere at once. It is bounded: a sign-in drops expired
// sessions and, when full, the oldest (its user signs in again).
type sessionStore struct {
	store meta.Store
	max   int
	ttl   time.Duration
	now   func() time.Time
}

func newSessionStore(store meta.Store, max int, ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{store: store, max: max, ttl: ttl, now: now}
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionID is the stored key of a cookie's token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// create starts a session for c and returns it with the token for the
// cookie.
func (st *sessionStore) create(ctx context.Context, c service.Caller) (*session, string, error) {
	token, now := randomToken(), st.now()
	s := &session{id: sessionID(token), Caller: c, CSRF: randomToken(), expires: now.Add(st.ttl)}
	row := &meta.ConsoleSession{ID: s.id, Account: c.Account, ARN: c.ARN, AccessKeyID: c.AccessKeyID, CSRF: s.CSRF, Created: now, Expires: s.expires}
	if err := st.store.Update(ctx, func(tx meta.Tx) error { return tx.CreateConsoleSession(row, st.max) }); err != nil {
		return nil, "", fmt.Errorf("console session: %w", err)
	}
	return s, token, nil
}

// get returns the live session of a cookie's token; nil when there is
// none (never made, signed out, expired or dropped for room).
func (st *sessionStore) get(ctx context.Context, token string) (*session, error) {
	var row *meta.ConsoleSession
	err := st.store.View(ctx, func(tx meta.Tx) (err error) {
		row, err = tx.GetConsoleSession(sessionID(token), st.now())
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console session: %w", err)
	}
	return &session{id: row.ID, Caller: service.Caller{Account: row.Account, ARN: row.ARN, AccessKeyID: row.AccessKeyID},
		CSRF: row.CSRF, expires: row.Expires, flash: row.Flash}, nil
}

// drop ends a session.
func (st *sessionStore) drop(ctx context.Context, id string) error {
	return st.store.Update(ctx, func(tx meta.Tx) error { return tx.DeleteConsoleSession(id) })
}

// setFlash keeps a message for the session's next page, on whichever
// replica serves it.
func (st *sessionStore) setFlash(ctx context.Context, id, msg string) error {
	return st.store.Update(ctx, func(tx meta.Tx) error {
		_, err := tx.SwapConsoleSessionFlash(id, msg)
		if errors.Is(err, meta.ErrNotFound) {
			return nil // signed out meanwhile: no one to tell
		}
		return err
	})
}

// takeFlash returns and forgets the session's message. It writes only when
// the session was read with one, so pages without a message cost no
// write.
func (st *sessionStore) takeFlash(ctx context.Context, s *session) (string, error) {
	if s.flash == "" {
		return "", nil
	}
	var msg string
	err := st.store.Update(ctx, func(tx meta.Tx) (err error) {
		msg, err = tx.SwapConsoleSessionFlash(s.id, "")
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return "", nil
	}
	return msg, err
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, ttl time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode}
	if ttl > 0 {
		ck.MaxAge = int(ttl / time.Second)
		ck.Expires = c.now().Add(ttl)
	} else {
		ck.MaxAge = -1
	}
	http.SetCookie(w, ck)
}

// handler is a console page or action for a signed-in principal.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// withSession resolves the session cookie (sending the browser to sign in
// without one), checks that the key it was made with is still active for
// the same principal, and checks the CSRF token of every POST.
func (c *Console) withSession(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var s *session
		if ck, err := r.Cookie(sessionCookie); err == nil {
			if s, err = c.sessions.get(r.Context(), ck.Value); err != nil {
				c.fail(w, r, nil, err)
				return
			}
		}
		if s != nil {
			if _, who, err := c.keys.LookupKey(r.Context(), s.Caller.AccessKeyID); err != nil || who.ARN != s.Caller.ARN {
				if err := c.sessions.drop(r.Context(), s.id); err != nil {
					c.fail(w, r, nil, err)
					return
				}
				s = nil
			}
		}
		if s == nil {
			if r.Method != http.MethodGet {
				c.fail(w, r, nil, model.AccessDenied("You are not signed in (or the session has expired)."))
				return
			}
			http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !tokenMatches(r.PostFormValue("csrf"), s.CSRF) {
			c.fail(w, r, s, model.AccessDenied("The form's CSRF token is missing or wrong; reload the page and try again."))
			return
		}
		h(w, r, s)
	}
}

func tokenMatches(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signInData is the sign-in form.
type signInData struct {
	CSRF  string
	Next  string
	KeyID string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	c.setCookie(w, r, preCookie, tok, 30*time.Minute)
	c.render(w, r, http.StatusOK, "signin", page{Title: "Sign in", Data: signInData{CSRF: tok, Next: safeNext(r.URL.Query().Get("next"))}})
}

// errBadCredentials is deliberately the same for an unknown key and a
// wrong secret.
var errBadCredentials = errors.New("the access key ID or secret access key is not valid")

// signIn checks the key pair against the identity directory (the secret
// SigV4 verification would sign with) and starts a session. The form is
// protected against login CSRF by a token doubled in a cookie.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	pre, err := r.Cookie(preCookie)
	if err != nil || !tokenMatches(r.PostFormValue("csrf"), pre.Value) {
		c.fail(w, r, nil, model.AccessDenied("The sign-in form's CSRF token is missing or wrong; reload the page and try again."))
		return
	}
	keyID := strings.TrimSpace(r.PostFormValue("access_key_id"))
	secret := strings.TrimSpace(r.PostFormValue("secret_access_key"))
	next := safeNext(r.PostFormValue("next"))
	caller, err := c.verify(r.Context(), keyID, secret)
	if err != nil {
		tok := randomToken()
		c.setCookie(w, r, preCookie, tok, 30*time.Minute)
		c.render(w, r, http.StatusUnauthorized, "signin", page{Title: "Sign in", Error: "Sign-in failed: " + err.Error() + ".",
			Data: signInData{CSRF: tok, Next: next, KeyID: keyID}})
		return
	}
	s, token, err := c.sessions.create(r.Context(), caller)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.setCookie(w, r, preCookie, "", 0)
	c.setCookie(w, r, sessionCookie, token, s.expires.Sub(c.now()))
	c.log.Info("console sign-in", "arn", caller.ARN, "key", caller.AccessKeyID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) verify(ctx context.Context, keyID, secret string) (service.Caller, error) {
	if keyID == "" || secret == "" {
		return service.Caller{}, errBadCredentials
	}
	want, caller, err := c.keys.LookupKey(ctx, keyID)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return service.Caller{}, errBadCredentials
	}
	return caller, nil
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.sessions.drop(r.Context(), s.id); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.setCookie(w, r, sessionCookie, "", 0)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

// flash keeps msg for the session's next page. The action it reports is
// done by then, so a failure to keep it is logged, not shown as the
// action's.
func (c *Console) flash(r *http.Request, s *session, msg string) {
	if err := c.sessions.setFlash(r.Context(), s.id, msg); err != nil {
		c.log.Warn("console: flash message", "err", err)
	}
}
