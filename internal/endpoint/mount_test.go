package endpoint

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/token"
)

// TestMountWithRefusals: a format mounted with its own Refuse answers
// every request Mount turns away, and only authenticated requests reach
// its handler.
func TestMountWithRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(m, b, nil, service.Config{PublicURL: "http://wharf.test"})
	svc.SetTokenIssuer(token.NewIssuer([]byte("0123456789abcdef0123456789abcdef")))
	admin := service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIDADMIN"}
	if _, err := svc.CreateDomain(ctx, admin, service.CreateDomainInput{Domain: "dom"}); err != nil {
		t.Fatal(err)
	}
	tok, err := svc.GetAuthorizationToken(ctx, admin, service.GetAuthorizationTokenInput{Domain: "dom"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var refused []int
	var served *Request
	MountWith(mux, svc, model.FormatSwift, func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		refused = append(refused, status)
		w.WriteHeader(status)
	}, func(w http.ResponseWriter, r *http.Request, req *Request) { served = req })

	tests := []struct {
		path, auth string
		refused    int // 0: served
	}{
		{"/swift/dom/repo/x", "Bearer " + tok.AuthorizationToken, http.StatusNotFound},
		{"/swift/dom-111122223333/repo/mona/pkg", "", http.StatusUnauthorized},
		{"/swift/dom-111122223333/repo/mona/pkg", "Bearer nope", http.StatusUnauthorized},
		{"/swift/dom-111122223333/repo/mona/pkg", "Digest x", http.StatusUnauthorized},
		{"/swift/dom-111122223333/repo/mona/pkg", "Bearer " + tok.AuthorizationToken, 0},
	}
	for _, tt := range tests {
		refused, served = nil, nil
		r := httptest.NewRequest("GET", tt.path, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		switch {
		case tt.refused == 0 && (served == nil || len(refused) > 0):
			t.Errorf("%s %q: refused %v, want served", tt.path, tt.auth, refused)
		case tt.refused == 0:
			if served.Rest != "mona/pkg" || served.Base != "http://wharf.test/swift/dom-111122223333/repo/" || served.Caller.Account != admin.Account {
				t.Errorf("served %+v", served)
			}
		case served != nil || len(refused) != 1 || refused[0] != tt.refused || w.Code != tt.refused:
			t.Errorf("%s %q: refused %v (code %d), served %v; want refused %d", tt.path, tt.auth, refused, w.Code, served != nil, tt.refused)
		}
	}
}
