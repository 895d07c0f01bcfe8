package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/throttle"
	"github.com/wharf-dev/wharf/internal/token"
)

func TestDeriveTokenKey(t *testing.T) {
	stored := []byte("0123456789abcdef0123456789abcdef")
	if got := deriveTokenKey(stored, nil); !bytes.Equal(got, stored) {
		t.Error("without a secrets key the stored key must be used as is")
	}
	k1 := deriveTokenKey(stored, bytes.Repeat([]byte{1}, 32))
	k2 := deriveTokenKey(stored, bytes.Repeat([]byte{2}, 32))
	if bytes.Equal(k1, stored) || bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Error("the token key must depend on the secrets key")
	}
}

// The middleware passes the request's address on to authorization and,
// with limits set, throttles repository endpoints per token, answering 429
// with Retry-After, and leaves the control plane to throttle itself.
func TestMiddleware(t *testing.T) {
	issuer := token.NewIssuer([]byte("0123456789abcdef0123456789abcdef"))
	cfg, err := throttle.Parse("token=1/2,anonymous=1")
	if err != nil {
		t.Fatal(err)
	}
	a := &access{issuer: issuer, limiter: throttle.New(cfg, nil), log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	var seen service.RequestInfo
	h := a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = service.RequestInfoFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	tok := issuer.Mint(token.Claims{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AK", Domain: "d", DomainOwner: "111122223333", Expires: time.Now().Add(time.Hour).Unix()})
	do := func(path, authz, remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = remote
		r.Header.Set("User-Agent", "npm/11")
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := do("/npm/d-111122223333/repo/left-pad", "Bearer "+tok, "10.1.2.3:5555")
	if w.Code != http.StatusNoContent || seen.SourceIP != "10.1.2.3" || seen.UserAgent != "npm/11" || seen.SecureTransport {
		t.Fatalf("first request: %d, info %+v", w.Code, seen)
	}
	do("/npm/d-111122223333/repo/left-pad", "Bearer "+tok, "10.1.2.3:5555")
	w = do("/npm/d-111122223333/repo/left-pad", "Bearer "+tok, "10.1.2.3:5555")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request with the token: %d, want 429", w.Code)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// Without a valid token, the per-address bucket applies.
	if w := do("/pypi/d-111122223333/repo/simple/", "", "10.9.9.9:1"); w.Code != http.StatusNoContent {
		t.Errorf("first anonymous request: %d", w.Code)
	}
	if w := do("/pypi/d-111122223333/repo/simple/", "Bearer forged", "10.9.9.9:1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("second anonymous request: %d", w.Code)
	}
	// A throttled Swift request is a problem, as every Swift error; npm's
	// is JSON.
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("throttled npm request: Content-Type %q", ct)
	}
	w = do("/swift/d-111122223333/repo/mona/lib", "", "10.9.9.9:1")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("Retry-After") == "" ||
		!strings.Contains(w.Body.String(), `"status":429`) {
		t.Errorf("throttled Swift request: %d %v %s", w.Code, w.Header(), w.Body)
	}
	// The control plane is not throttled here.
	for i := 0; i < 3; i++ {
		if w := do("/v1/domains", "AWS4-HMAC-SHA256 x", "10.9.9.9:1"); w.Code != http.StatusNoContent {
			t.Errorf("control plane request %d: %d", i, w.Code)
		}
	}
}
