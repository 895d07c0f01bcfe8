// Package endpoint is the plumbing every package-format endpoint shares:
// it parses /FORMAT/DOMAIN-OWNER/REPO/..., authenticates the
// authorization token the client presents (Bearer, Basic with user
// "aws", or the bare token Cargo sends), and answers errors with the
// status codes package managers act on. Formats get a Request and only
// speak their protocol.
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

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/metrics"
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
	// Bearer: npm sends "Authorization: Bearer TOKEN".
	Bearer Scheme = iota
	// Basic: pip, twine, Maven and NuGet send Basic with user "aws" and the
	// token as password, after a Basic challenge.
	Basic
	// Cargo: cargo 1.74+ sends the bare token ("Authorization: TOKEN"),
	// first after a 401 on config.json (RFC 3139's "Cargo" challenge),
	// and reads errors as {"errors":[{"detail":...}]}.
	Cargo
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
		metrics.Report(w, "", c.Account)
		audit.Identify(r.Context(), c)
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
// Bearer, the password of Basic, or a bare token (Cargo's form; RubyGems
// sends its credentials file's value as it is), which is only taken when
// it has nothing but the characters tokens are made of.
func Credential(h string) string {
	h = strings.TrimSpace(h)
	scheme, value, ok := strings.Cut(h, " ")
	if !ok {
		if bareToken(h) {
			return h
		}
		return ""
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

// bareToken reports whether s is made only of the characters tokens use
// (they are URL-safe: A-Z a-z 0-9 - _ .), so that other header values
// are not taken for one; authentication judges the rest.
func bareToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func challenge(w http.ResponseWriter, scheme Scheme, msg string) {
	switch scheme {
	case Basic:
		w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
		writeJSON(w, http.StatusUnauthorized, msg)
	case Cargo:
		// Any 401 on config.json makes cargo retry with its token; the
		// challenge names the scheme RFC 3139 gives cargo.
		w.Header().Set("WWW-Authenticate", "Cargo")
		CargoBody(w, http.StatusUnauthorized, msg)
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="wharf"`)
		writeJSON(w, http.StatusUnauthorized, msg)
	}
}

// Body writes an error answer in a format's own shape.
type Body func(w http.ResponseWriter, status int, msg string)

func writeJSON(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg, "message": msg})
}

// CargoBody writes an error as Cargo's registry web API specifies it,
// {"errors":[{"detail":msg}]}, whose detail cargo shows its user.
func CargoBody(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"detail": msg}}})
}

// Status maps an error to the HTTP status package managers expect.
func Status(err error) int {
	var ue *UpstreamError
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

// UpstreamError is a read that needed the public registry behind an
// external connection and could not use it: no answer, a failure, or a
// document or file that failed its checks. Every format answers it 502,
// naming the connection.
type UpstreamError struct {
	Connection string
	Err        error
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("External connection %s could not be read: %v", e.Connection, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Error answers err as JSON ({"error": ...}, which npm prints) with the
// mapped status. Internal errors are logged, not shown.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ErrorBody(w, r, log, err, writeJSON)
}

// ErrorBody answers err as Error does, in body's shape.
func ErrorBody(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, body Body) {
	st := Status(err)
	msg := model.AsError(err).Message
	var ue *UpstreamError
	if errors.As(err, &ue) {
		msg = ue.Error()
		log.WarnContext(r.Context(), "external connection", "connection", ue.Connection, "method", r.Method, "path", r.URL.Path, "err", ue.Err)
	}
	if st == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), "repository endpoint error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e := model.AsError(err); e.Kind == model.KindThrottling && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	body(w, st, msg)
}

// Errorf answers a format-level error (a malformed upload, say) with
// status and message.
func Errorf(w http.ResponseWriter, status int, msg string) { writeJSON(w, status, msg) }
