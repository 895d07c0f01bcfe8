package audit

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-dev/wharf/internal/service"
)

// Endpoints records package-manager writes: every repository-endpoint
// request that is not a GET or HEAD (publish, unpublish, dist-tag
// changes, yank, delete). The event is named by the first
// non-read action the service authorized for it (npm publish is
// PublishPackageVersion, dist-tag add PutPackageMetadata, unpublish
// DeletePackageVersions (DeletePackage for the last version), cargo yank
// UpdatePackageVersionsStatus); a request refused before any (bad input)
// is named for its method: PublishPackageVersion for PUT and POST,
// DeletePackageVersions for DELETE. The endpoint reports the caller with
// Identify once its token is verified; a request whose token is refused
// has no caller and no record.
func (t *Trail) Endpoints(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions || strings.HasPrefix(p, "/v1/") || p == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		c := t.newCall(Request{RequestID: NewID(), SourceIP: ip, UserAgent: r.UserAgent()})
		switch r.Method {
		case http.MethodDelete:
			c.rec.EventName = "DeletePackageVersions"
		default:
			c.rec.EventName = "PublishPackageVersion"
		}
		c.rec.RequestParameters = endpointParameters(r.Method, p)
		ctx := context.WithValue(r.Context(), callKey{}, c)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		code, msg := errorOf(sw.status)
		t.Finish(ctx, c, code, msg)
	})
}

// Operation records the caller of a web console write and names its
// event for the operation it performs (RestorePackageVersion), which the
// console knows better than the first action authorized. It does nothing
// when ctx carries no call.
func Operation(ctx context.Context, caller service.Caller, operation string) {
	if c := From(ctx); c != nil {
		c.mu.Lock()
		c.identify(caller)
		c.rec.EventName, c.named, c.rec.ReadOnly = operation, true, false
		c.mu.Unlock()
	}
}

// endpointParameters are an endpoint request's parameters: where it went
// and how. The query is left out (no client puts anything there that the
// record needs, and a credential there must not be recorded); the body
// is the package itself.
func endpointParameters(method, path string) json.RawMessage {
	params := map[string]string{"httpMethod": method, "path": path}
	if strings.HasPrefix(path, "/console/") {
		// A console form: its path names no repository endpoint, and
		// the operation names what it did.
		b, _ := json.Marshal(params)
		return b
	}
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	if len(parts) >= 3 {
		params["format"] = parts[0]
		if i := strings.LastIndexByte(parts[1], '-'); i > 0 {
			params["domain"], params["domainOwner"] = parts[1][:i], parts[1][i+1:]
		}
		params["repository"] = parts[2]
	}
	b, _ := json.Marshal(params)
	return b
}

// errorOf names a failed endpoint answer as the control plane would name
// the error.
func errorOf(status int) (string, string) {
	if status < 400 {
		return "", ""
	}
	msg := http.StatusText(status)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "AccessDeniedException", msg
	case status == http.StatusNotFound:
		return "ResourceNotFoundException", msg
	case status == http.StatusConflict:
		return "ConflictException", msg
	case status == http.StatusRequestEntityTooLarge:
		return "ServiceQuotaExceededException", msg
	case status == http.StatusTooManyRequests:
		return "ThrottlingException", msg
	case status >= 500:
		return "InternalServerException", msg
	default:
		return "ValidationException", msg
	}
}

// statusWriter notes the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
