// Package endpoint is the plumbing every package-format endpoint shares:
// it parses /FORMAT/DOMAIN-OWNER/REPO/..., authenticates the
// authorization token the client presents (Bearer, or Basic with user
// "aws"), and answers errors with the status codes package managers act
// on. Formats get a Request and only speak their protocol.
package endpoint

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Request is a repository-endpoint request after routing and
// authentication.
type Request struct {
	Repo   service.RepoRef
	Caller service.Caller
	// Rest is the escaped path after the endpoint's base, without a
	// leading slash ("left-pad", "@types%2fnode", "simple/requests/").
	Rest string
	// Base is the endpoint's absolute URL, ending in "/".
	Base string
}

// Handler serves one format.
type Handler func(w http.ResponseWriter, r *http.Request, req *Request)

// Scheme is how a format's clients present the token and which challenge
// makes them send it.
type Scheme int

const (
	// Bearer: npm and Cargo send "Authorization: Bearer TOKEN".
	Bearer Scheme = iota
	// Basic: pip, twine, Maven and NuGet send Basic with user "aws" and the
	// token as password, after a Basic challenge.
	Basic
)

// Mount registers h for format f on mux under /f/. Requests without
// valid credentials get a 401 with scheme's challenge.
func Mount(mux *http.ServeMux, svc *service.Service, f model.Format, scheme Scheme, h Handler) {
	MountWith(mux, svc, f, func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		if status == http.StatusUnauthorized {
			challenge(w, scheme, msg)
			return
		}
		http.NotFound(w, r)
	}, h)
}

// Refuse answers a request Mount turns away before the format sees it,
// in the format's own error shape: status 404 for a path that names no
// repository, 401 for missing or invalid credentials (the answer must
// then carry a WWW-Authenticate challenge).
type Refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)

// MountWith is Mount for a format that answers refusals itself (Swift's
// registry answers every error as problem+json).
func MountWith(mux *http.ServeMux, svc *service.Service, f model.Format, refuse Refuse, h Handler) {
	prefix := "/" + string(f) + "/"
	mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
		req, ok := parse(r, prefix)
		if !ok {
			refuse(w, r, http.StatusNotFound, "Not found: a repository endpoint is "+prefix+"DOMAIN-OWNER/REPOSITORY/.")
			return
		}
		req.Base = svc.PublicURL() + service.EndpointPath(f, req.Repo.Domain, req.Repo.DomainOwner, req.Repo.Repository)
		tok := Credential(r.Header.Get("Authorization"))
		if tok == "" {
			refuse(w, r, http.StatusUnauthorized, "Authentication required: use a token from GetAuthorizationToken.")
			return
		}
		c, err := svc.Authenticate(r.Context(), tok, req.Repo.Domain, req.Repo.DomainOwner)
		if err != nil {
			refuse(w, r, http.StatusUnauthorized, "The authorization token is invalid or has expired.")
			return
		}
		req.Caller = c
		h(w, r, req)
	})
}

// parse splits /FORMAT/DOMAIN-OWNER/REPO/REST. Owners are 12 digits, so
// the last "-" separates them from domain names that contain dashes.
func parse(r *http.Request, prefix string) (*Request, bool) {
	p := r.URL.EscapedPath()
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return nil, false
	}
	domOwner, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return nil, false
	}
	repo, rest, _ := strings.Cut(rest, "/")
	i := strings.LastIndexByte(domOwner, '-')
	// An empty segment after the repository ("repo//x") names nothing a
	// format could serve.
	if i <= 0 || len(domOwner)-i-1 != 12 || repo == "" || strings.HasPrefix(rest, "/") {
		return nil, false
	}
	return &Request{Repo: service.RepoRef{Domain: domOwner[:i], DomainOwner: domOwner[i+1:], Repository: repo}, Rest: rest}, true
}

// Credential extracts the token from an Authorization header value:
// Bearer, the password of Basic, or the bare token that RubyGems (whose
// credentials file holds the header's whole value) and Cargo send.
// Tokens hold no spaces, so a value without one is a bare token.
func Credential(h string) string {
	h = strings.TrimSpace(h)
	scheme, value, ok := strings.Cut(h, " ")
	if !ok {
		return h
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return strings.TrimSpace(value)
	case "basic":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return ""
		}
		_, pass, ok := strings.Cut(string(b), ":")
		if !ok {
			return ""
		}
		return pass
	}
	return ""
}

func challenge(w http.ResponseWriter, scheme Scheme, msg string) {
	if scheme == Basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wharf"`)
	}
	writeJSON(w, http.StatusUnauthorized, msg)
}

func writeJSON(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg, "message": msg})
}

// Status maps an error to the HTTP status package managers expect.
func Status(err error) int {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return http.StatusBadGateway
	}
	var me *model.Error
	if !errors.As(err, &me) {
		return http.StatusInternalServerError
	}
	switch me.Kind {
	case model.KindQuotaExceeded:
		return http.StatusRequestEntityTooLarge
	default:
		return me.Kind.Status()
	}
}

// UnreachableError is a public registry behind an external connection
// that a read had to ask and this server cannot reach (Error answers 502).
type UnreachableError struct{ Connection string }

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s is not reachable from this server; only versions already in the repository or its upstreams can be served.", e.Connection)
}

// Error answers err as JSON ({"error": ...}, which npm prints) with the
// mapped status. Internal errors are logged, not shown.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ErrorWith(w, r, log, err, writeJSON)
}

// ErrorWith answers err with the mapped status in a format's own error
// shape, written by write: internal errors are logged and not shown, a
// throttled request gets its Retry-After.
func ErrorWith(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, write func(w http.ResponseWriter, status int, msg string)) {
	st := Status(err)
	msg := model.AsError(err).Message
	var ue *UnreachableError
	if errors.As(err, &ue) {
		msg = ue.Error()
	}
	if st == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), "repository endpoint error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e := model.AsError(err); e.Kind == model.KindThrottling && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	write(w, st, msg)
}

// Errorf answers a format-level error (a malformed upload, say) with
// status and message.
func Errorf(w http.ResponseWriter, status int, msg string) { writeJSON(w, status, msg) }
