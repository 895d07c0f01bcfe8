package e2e

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
)

// TestConsoleSessionsAcrossReplicas: two wharf processes on one
// PostgreSQL database, as replicas behind a load balancer, driven with a
// plain HTTP client and the session cookie. A sign-in on A works on B,
// where a page reads and an action POSTs with the page's CSRF token;
// A's next page says what B did; a restart of A keeps the session; a
// sign-out on B ends it on A.
func TestConsoleSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t) // skips without PostgreSQL, fails under CI=true
	pg := []string{"--meta-store", "postgres", "--postgres-dsn", dsn}
	a := StartServerWith(t, ServerOptions{Args: pg})
	b := StartServerWith(t, ServerOptions{Args: pg, DataDir: a.DataDir})
	Setup(t, a.Client(), "cons", "main")
	PublishGeneric(t, a.Client(), "cons", "main", "ns", "tool", "1.0.0", "tool.txt", []byte("tool"), false)

	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var session *http.Cookie
	do := func(s *Server, method, path string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, s.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	cookie := func(resp *http.Response, name string) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == name && c.Value != "" {
				return c
			}
		}
		return nil
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	token := func(page string) string {
		t.Helper()
		m := csrf.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token on the page:\n%s", page)
		}
		return m[1]
	}

	// Sign in on A.
	resp, page := do(a, "GET", "/console/signin", nil)
	pre := cookie(resp, "wharf_console_signin")
	resp, page = do(a, "POST", "/console/signin", url.Values{"csrf": {token(page)}, "access_key_id": {testKeyID},
		"secret_access_key": {testSecret}, "next": {"/console/"}}, pre)
	if session = cookie(resp, "wharf_console"); resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("sign-in on A: %d %s", resp.StatusCode, page)
	}

	// Read a page and act on B.
	repo := "/console/d/" + testAccount + "/cons/r/main/"
	pkg := repo + "package?format=generic&namespace=ns&package=tool"
	resp, page = do(b, "GET", pkg, nil, session)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("package page on B with A's session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok := token(page)
	resp, page = do(b, "POST", repo+"action", url.Values{"csrf": {tok}, "op": {"unlist"}, "format": {"generic"}, "namespace": {"ns"},
		"package": {"tool"}, "version": {"1.0.0"}, "confirm": {"yes"}}, session)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("action on B: %d %s", resp.StatusCode, page)
	}
	if d := genericPkg(a.Client(), "cons", "main", "ns", "tool").mustDescribe(t, "1.0.0"); d.Status != "Unlisted" {
		t.Errorf("status after the console action on B: %s", d.Status)
	}
	if _, page = do(a, "GET", pkg, nil, session); !strings.Contains(page, `class="flash"`) {
		t.Errorf("A's next page does not say what was done on B:\n%s", page)
	}
	// A wrong token is refused on either replica.
	for _, s := range []*Server{a, b} {
		if resp, _ := do(s, "POST", repo+"action", url.Values{"csrf": {"x" + tok}, "op": {"unlist"}, "format": {"generic"},
			"namespace": {"ns"}, "package": {"tool"}, "version": {"1.0.0"}}, session); resp.StatusCode != http.StatusForbidden {
			t.Errorf("wrong CSRF token on %s: %d", s.URL, resp.StatusCode)
		}
	}

	// A restarts: the session stands.
	a.Restart()
	if resp, _ := do(a, "GET", "/console/", nil, session); resp.StatusCode != http.StatusOK {
		t.Fatalf("session after A restarted: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Sign out on B: A refuses the cookie at once.
	if resp, page := do(b, "POST", "/console/signout", url.Values{"csrf": {tok}}, session); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out on B: %d %s", resp.StatusCode, page)
	}
	resp, _ = do(a, "GET", "/console/", nil, session)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Errorf("A after sign-out on B: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := do(a, "POST", repo+"action", url.Values{"csrf": {tok}, "op": {"unlist"}, "format": {"generic"},
		"namespace": {"ns"}, "package": {"tool"}, "version": {"1.0.0"}}, session); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST on A after sign-out on B: %d", resp.StatusCode)
	}
}
