// Package console is Wharf's web console: server-rendered pages over the
// service layer, so that every page and action is authorized as the
// signed-in principal by the same policy evaluation as the API.
//
// Pages are html/template (contextual auto-escaping) with a little
// JavaScript, and every asset is embedded in the binary: there is nothing
// to build and no bundle to keep in sync with its sources.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/retention/job"
	"github.com/wharf-dev/wharf/internal/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is the path the console is served under; no CodeArtifact route
// or package format uses it.
const Prefix = "/console/"

// Keys finds the secret and principal of an access key, as SigV4
// verification does (identity.Directory implements it).
type Keys interface {
	LookupKey(ctx context.Context, accessKeyID string) (secret string, c service.Caller, err error)
}

// Options configure a Console.
type Options struct {
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts (default 8 hours).
	SessionTTL time.Duration
	// MaxSessions bounds the session store (default 10,000); the oldest
	// session is dropped to make room.
	MaxSessions int
	// Sessions is the metadata store sessions are kept in (required): the
	// one every replica shares, so a session works on all of them and
	// outlives a restart.
	Sessions meta.Store
	// Now is the clock (tests).
	Now func() time.Time
	// Retention serves the retention rule pages (nil: the console has
	// none, as a server without retention rules has no such API).
	Retention *job.Runner
}

// Console serves the web console.
type Console struct {
	svc      *service.Service
	keys     Keys
	log      *slog.Logger
	sessions *sessionStore
	pages    map[string]*template.Template
	now      func() time.Time
	rules    *job.Runner
}

// New builds a console over the service and the identity directory.
func New(svc *service.Service, keys Keys, opt Options) (*Console, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 8 * time.Hour
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 10000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sessions == nil {
		return nil, errors.New("console: no session store")
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Console{svc: svc, keys: keys, log: opt.Logger, pages: pages, now: opt.Now, rules: opt.Retention,
		sessions: newSessionStore(opt.Sessions, opt.MaxSessions, opt.SessionTTL, opt.Now)}, nil
}

// Routes registers the console's handlers under Prefix.
func (c *Console) Routes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	mux.Handle("GET "+Prefix+"static/", c.secure(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	mux.Handle("GET "+Prefix+"signin", c.secure(c.signInPage))
	mux.Handle("POST "+Prefix+"signin", c.secure(c.signIn))
	mux.Handle("POST "+Prefix+"signout", c.secure(c.withSession(c.signOut)))
	mux.Handle("GET /console", http.RedirectHandler(Prefix, http.StatusFound))
	mux.Handle("GET "+Prefix+"{$}", c.secure(c.withSession(c.domainsPage)))
	mux.Handle("GET "+AuditURL, c.secure(c.withSession(c.auditPage)))
	d := Prefix + "d/{owner}/{domain}/"
	mux.Handle("GET "+d+"{$}", c.secure(c.withSession(c.domainPage)))
	mux.Handle("GET "+d+"groups", c.secure(c.withSession(c.groupsPage)))
	if c.rules != nil {
		c.retentionRoutes(mux, d)
	}
	r := d + "r/{repo}/"
	mux.Handle("GET "+r+"{$}", c.secure(c.withSession(c.repositoryPage)))
	mux.Handle("GET "+r+"connect", c.secure(c.withSession(c.connectPage)))
	mux.Handle("GET "+r+"package", c.secure(c.withSession(c.packagePage)))
	mux.Handle("GET "+r+"version", c.secure(c.withSession(c.versionPage)))
	mux.Handle("GET "+r+"asset", c.secure(c.withSession(c.asset)))
	mux.Handle("POST "+r+"action", c.secure(c.withSession(c.action)))
	c.trashRoutes(mux, r)
	mux.Handle(Prefix, c.secure(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, model.NotFound("page", r.URL.Path, "There is no console page at %s.", r.URL.Path))
	}))
}

// csp keeps anything a package's readme smuggles in from running: only
// the console's own script and style, no inline script, no framing, forms
// only back to the console.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every console response carries.
func (c *Console) secure(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if r.Method == http.MethodPost && !sameOrigin(r) {
			c.fail(w, r, nil, model.AccessDenied("The request came from another site."))
			return
		}
		h(w, r)
	})
}

// sameOrigin refuses a POST that the browser says came from another site
// (Sec-Fetch-Site, or an Origin that is not this host). It is a second
// line behind the CSRF token; clients that send neither header pass here
// and still need the token.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && o != "null" && u.Host == r.Host
}

// page is what every template gets.
type page struct {
	Title   string
	Session *session
	Crumbs  []crumb
	Flash   string
	Error   string
	Data    any
}

// crumb is one step of the breadcrumb trail.
type crumb struct {
	Label string
	URL   string
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "no such page template", http.StatusInternalServerError)
		return
	}
	if p.Flash == "" && p.Session != nil {
		msg, err := c.sessions.takeFlash(r.Context(), p.Session)
		if err != nil {
			c.log.Warn("console: flash message", "err", err) // the page still renders, without it
		}
		p.Flash = msg
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		c.log.Error("console: rendering", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail shows an error page; a service error keeps its own message (an
// AccessDenied names the action and resource the policy refused).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong; the server log has the details."
	var me *model.Error
	if errors.As(err, &me) {
		status = me.Kind.Status()
		msg = me.Message
		if me.Kind == model.KindAccessDenied {
			msg = "Access denied: " + msg
		}
	} else {
		c.log.Error("console", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Session: s, Error: msg})
}

// parseTemplates builds one template set per page: the layout plus the
// page's own file.
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", base, err)
		}
		out[base] = t
	}
	return out, nil
}
