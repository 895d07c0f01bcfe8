package console

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Cookie names. The session cookie holds only a random id; what it stands
// for stays on the server.
const (
	sessionCookie = "wharf_console"
	preCookie     = "wharf_console_signin"
)

// session is one sign-in.
type session struct {
	id      string
	Caller  service.Caller
	CSRF    string
	expires time.Time
	elem    *list.Element
	flash   string // said once on the next page; guarded by the store's mutex
}

// sessionStore keeps sessions in memory, bounded: when full, the oldest
// sign-in is dropped (its user signs in again).
type sessionStore struct {
	mu    sync.Mutex
	byID  map[string]*session
	order *list.List // oldest first
	max   int
	ttl   time.Duration
	now   func() time.Time
}

func newSessionStore(max int, ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{byID: map[string]*session{}, order: list.New(), max: max, ttl: ttl, now: now}
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for c.
func (st *sessionStore) create(c service.Caller) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	for st.order.Len() >= st.max {
		old := st.order.Front()
		st.order.Remove(old)
		delete(st.byID, old.Value.(string))
	}
	s := &session{id: randomToken(), Caller: c, CSRF: randomToken(), expires: st.now().Add(st.ttl)}
	s.elem = st.order.PushBack(s.id)
	st.byID[s.id] = s
	return s
}

// get returns the live session with this id, dropping it if expired.
func (st *sessionStore) get(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[id]
	if !ok {
		return nil
	}
	if !st.now().Before(s.expires) {
		st.order.Remove(s.elem)
		delete(st.byID, id)
		return nil
	}
	return s
}

// drop ends a session.
func (st *sessionStore) drop(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.byID[id]; ok {
		st.order.Remove(s.elem)
		delete(st.byID, id)
	}
}

// setFlash keeps a message for the session's next page.
func (st *sessionStore) setFlash(id, msg string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.byID[id]; ok {
		s.flash = msg
	}
}

// takeFlash returns and forgets the session's message.
func (st *sessionStore) takeFlash(id string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[id]
	if !ok {
		return ""
	}
	msg := s.flash
	s.flash = ""
	return msg
}

func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID)
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
			s = c.sessions.get(ck.Value)
		}
		if s != nil {
			if _, who, err := c.keys.LookupKey(r.Context(), s.Caller.AccessKeyID); err != nil || who.ARN != s.Caller.ARN {
				c.sessions.drop(s.id)
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
	s := c.sessions.create(caller)
	c.setCookie(w, r, preCookie, "", 0)
	c.setCookie(w, r, sessionCookie, s.id, time.Until(s.expires))
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
	c.sessions.drop(s.id)
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
