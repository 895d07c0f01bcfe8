package console

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/retention/job"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// keys is a fixed identity directory.
type keys map[string]struct {
	secret string
	caller service.Caller
}

func (k keys) LookupKey(_ context.Context, id string) (string, service.Caller, error) {
	e, ok := k[id]
	if !ok {
		return "", service.Caller{}, sigv4.ErrUnknownKey
	}
	return e.secret, e.caller, nil
}

const (
	acct     = "111122223333"
	adminKey = "AKIAADMIN"
	adminSec = "admin-secret"
	otherKey = "AKIAOTHER"
	otherSec = "other-secret"
)

var admin = service.Caller{Account: acct, ARN: "arn:aws:iam::" + acct + ":root", AccessKeyID: adminKey}

// fixture is a console over a real service (SQLite and a blob directory)
// with one domain and repository, and its HTTP handler.
type fixture struct {
	c    *Console
	h    http.Handler
	svc  *service.Service
	meta *sqlite.Store
}

// get fetches a console page with a session cookie.
func (f *fixture) get(sc *http.Cookie, target string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	r.AddCookie(sc)
	return f.do(r)
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(m, b, nil, service.Config{PublicURL: "http://wharf.test", Logger: log})
	if _, err := svc.CreateDomain(ctx, admin, service.CreateDomainInput{Domain: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "acme", Repository: "main"}}); err != nil {
		t.Fatal(err)
	}
	k := keys{
		adminKey: {adminSec, admin},
		otherKey: {otherSec, service.Caller{Account: "444455556666", ARN: "arn:aws:iam::444455556666:root", AccessKeyID: otherKey}},
	}
	c, err := New(svc, k, Options{Logger: log, Retention: job.New(svc, m, nil, log), Sessions: m})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Routes(mux)
	return &fixture{c: c, h: mux, svc: svc, meta: m}
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func cookieOf(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in with a key pair and returns the session cookie and the
// session's CSRF token.
func (f *fixture) signIn(t testing.TB, key, secret string) (*http.Cookie, string) {
	t.Helper()
	w := f.do(httptest.NewRequest("GET", "/console/signin", nil))
	pre := cookieOf(w, preCookie)
	tok := csrfField.FindStringSubmatch(w.Body.String())[1]
	r := form("/console/signin", url.Values{"csrf": {tok}, "access_key_id": {key}, "secret_access_key": {secret}, "next": {"/console/"}})
	r.AddCookie(pre)
	w = f.do(r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	sc := cookieOf(w, sessionCookie)
	r = httptest.NewRequest("GET", "/console/", nil)
	r.AddCookie(sc)
	w = f.do(r)
	if w.Code != http.StatusOK {
		t.Fatalf("domains after sign-in: %d", w.Code)
	}
	return sc, csrfField.FindStringSubmatch(w.Body.String())[1]
}

func form(target string, v url.Values) *http.Request {
	r := httptest.NewRequest("POST", target, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	w := f.do(httptest.NewRequest("GET", "/console/d/"+acct+"/acme/", nil))
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/console/signin?next=%2Fconsole%2Fd%2F") {
		t.Fatalf("anonymous page: %d %q", w.Code, w.Header().Get("Location"))
	}
	w = f.do(httptest.NewRequest("GET", "/console/signin", nil))
	pre := cookieOf(w, preCookie)
	tok := csrfField.FindStringSubmatch(w.Body.String())[1]
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("CSP %q", w.Header().Get("Content-Security-Policy"))
	}
	for _, tc := range []struct {
		name       string
		key, sec   string
		csrf       string
		withCookie bool
		want       int
	}{
		{"wrong secret", adminKey, "nope", tok, true, http.StatusUnauthorized},
		{"unknown key", "AKIANOBODY", adminSec, tok, true, http.StatusUnauthorized},
		{"empty secret", adminKey, "", tok, true, http.StatusUnauthorized},
		{"no CSRF token", adminKey, adminSec, "", true, http.StatusForbidden},
		{"no CSRF cookie", adminKey, adminSec, tok, false, http.StatusForbidden},
		{"right", adminKey, adminSec, tok, true, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := form("/console/signin", url.Values{"csrf": {tc.csrf}, "access_key_id": {tc.key}, "secret_access_key": {tc.sec}})
			if tc.withCookie {
				r.AddCookie(pre)
			}
			w := f.do(r)
			if w.Code != tc.want {
				t.Fatalf("got %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			sc := cookieOf(w, sessionCookie)
			if tc.want != http.StatusSeeOther {
				if sc != nil {
					t.Error("a failed sign-in set a session cookie")
				}
				return
			}
			if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure || sc.MaxAge <= 0 || sc.Path != Prefix {
				t.Errorf("session cookie %+v", sc)
			}
		})
	}
	// Over TLS the cookie is Secure.
	r := form("/console/signin", url.Values{"csrf": {tok}, "access_key_id": {adminKey}, "secret_access_key": {adminSec}})
	r.AddCookie(pre)
	r.TLS = &tls.ConnectionState{}
	if sc := cookieOf(f.do(r), sessionCookie); sc == nil || !sc.Secure {
		t.Errorf("session cookie over TLS %+v", sc)
	}
}

func TestPostNeedsCSRFAndSameOrigin(t *testing.T) {
	f := newFixture(t)
	sc, tok := f.signIn(t, adminKey, adminSec)
	action := "/console/d/" + acct + "/acme/r/main/action"
	body := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "op": {"delete"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"p"}, "version": {"1.0"}}
	}
	for _, tc := range []struct {
		name    string
		csrf    string
		headers map[string]string
		cookie  bool
		want    int
	}{
		{"no token", "", nil, true, http.StatusForbidden},
		{"wrong token", "x" + tok, nil, true, http.StatusForbidden},
		{"cross-site fetch", tok, map[string]string{"Sec-Fetch-Site": "cross-site"}, true, http.StatusForbidden},
		{"same-site fetch", tok, map[string]string{"Sec-Fetch-Site": "same-site"}, true, http.StatusForbidden},
		{"foreign origin", tok, map[string]string{"Origin": "http://evil.test"}, true, http.StatusForbidden},
		{"null origin", tok, map[string]string{"Origin": "null"}, true, http.StatusForbidden},
		{"no session", tok, nil, false, http.StatusForbidden},
		{"same origin", tok, map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, true, http.StatusOK},
		{"no browser headers", tok, nil, true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := form(action, body(tc.csrf))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if tc.cookie {
				r.AddCookie(sc)
			}
			w := f.do(r)
			if w.Code != tc.want {
				t.Fatalf("got %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == http.StatusOK && !strings.Contains(w.Body.String(), "Yes, delete") {
				t.Errorf("a POST without confirm=yes must only show the confirmation:\n%s", w.Body)
			}
		})
	}
}

func TestAccessDeniedIsShown(t *testing.T) {
	f := newFixture(t)
	sc, _ := f.signIn(t, otherKey, otherSec)
	r := httptest.NewRequest("GET", "/console/d/"+acct+"/acme/", nil)
	r.AddCookie(sc)
	w := f.do(r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Access denied: User: arn:aws:iam::444455556666:root is not authorized to perform: codeartifact:DescribeDomain") {
		t.Fatalf("%d\n%s", w.Code, w.Body)
	}
}

func TestSignOutEndsSession(t *testing.T) {
	f := newFixture(t)
	sc, tok := f.signIn(t, adminKey, adminSec)
	r := form("/console/signout", url.Values{"csrf": {tok}})
	r.AddCookie(sc)
	if w := f.do(r); w.Code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", w.Code)
	}
	r = httptest.NewRequest("GET", "/console/", nil)
	r.AddCookie(sc)
	if w := f.do(r); w.Code != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", w.Code)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                          Prefix,
		"/console/d/1/acme/":        "/console/d/1/acme/",
		"https://evil.test/":        Prefix,
		"//evil.test/console/":      Prefix,
		"/v1/domains":               Prefix,
		"/console/\r\nSet-Cookie:x": Prefix,
		"/console/\\evil":           Prefix,
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderReadme(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		want      []string
		forbidden []string
	}{
		{"markdown", "# Title\n\nSome **bold** [link](https://example.com/).", []string{"<h1>Title</h1>", "<strong>bold</strong>", `href="https://example.com/"`}, nil},
		{"script", "<script>alert(1)</script>\n\ntext", []string{"text"}, []string{"<script"}},
		{"inline script in a paragraph", "a <script>alert(1)</script> b", nil, []string{"<script"}},
		{"event handler", `<img src=x onerror="alert(1)">`, nil, []string{"onerror", "<img"}},
		{"javascript link", "[x](javascript:alert(1))", []string{">x</a>"}, []string{"javascript:"}},
		{"javascript link, mixed case", "[x](JaVaScRiPt:alert(1))", nil, []string{"avascript:"}},
		{"raw anchor", `<a href="javascript:alert(1)">y</a>`, nil, []string{"javascript:", "<a"}},
		{"vbscript", "[x](vbscript:msgbox)", nil, []string{"vbscript:"}},
		{"iframe", `<iframe src="https://evil.test"></iframe>`, nil, []string{"<iframe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(renderReadme(tc.in))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in %s", w, got)
				}
			}
			for _, bad := range tc.forbidden {
				if strings.Contains(strings.ToLower(got), strings.ToLower(bad)) {
					t.Errorf("%q survived: %s", bad, got)
				}
			}
		})
	}
}

func TestStaticAndUnknownPaths(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		path, contentType string
		code              int
	}{
		{"/console/static/console.css", "text/css; charset=utf-8", http.StatusOK},
		{"/console/static/console.js", "text/javascript; charset=utf-8", http.StatusOK},
		{"/console/static/", "", http.StatusNotFound},
		{"/console/static/missing.js", "", http.StatusNotFound},
		{"/console/nowhere", "text/html; charset=utf-8", http.StatusNotFound},
		{"/console", "", http.StatusFound},
	} {
		w := f.do(httptest.NewRequest("GET", tc.path, nil))
		if w.Code != tc.code || tc.contentType != "" && w.Header().Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %q", tc.path, w.Code, w.Header().Get("Content-Type"))
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" && tc.code != http.StatusFound {
			t.Errorf("GET %s: no nosniff", tc.path)
		}
	}
}
