// Package formattest is the fixture the formats' handler tests share: a
// real service over real stores (SQLite opened as wharf serve opens it,
// blobs on the filesystem) in a temporary directory, a domain and a
// repository owned by Admin, an authorization token for them, and one
// format installed on an HTTP test server exactly as internal/server
// installs it (format.Install).
package formattest

import (
	"bytes"
	"context"
	"io"
	iofs "io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/token"
)

// The fixture's account, domain and repository.
const (
	Account    = "111122223333"
	Domain     = "dom"
	Repository = "repo"
)

// Admin is the root of Account.
var Admin = service.Caller{Account: Account, ARN: "arn:aws:iam::" + Account + ":root", AccessKeyID: "AKIDADMIN"}

// tokenKey signs the fixture's tokens, on every replica.
var tokenKey = []byte("0123456789abcdef0123456789abcdef")

// Options change the fixture.
type Options struct {
	// URLs are the base URLs of the format's external connections, by
	// connection name (a test registry); missing ones take their default.
	URLs map[string]string
}

// Fixture is one format's endpoint over a real service.
type Fixture struct {
	// Dir holds the stores: the database and blobs/.
	Dir     string
	Service *service.Service
	Server  *httptest.Server
	// Mux routes the server's requests, for tests that call it directly.
	Mux *http.ServeMux
	// Token authorizes Admin on Domain.
	Token string
	// URL is the format's endpoint for Repository, ending in "/".
	URL    string
	Log    *slog.Logger
	format format.Format
	meta   meta.Store
	blobs  blob.Store
}

// New builds the fixture for format f. A test that needs the format's
// handler itself (or options of its own) copies f and replaces New.
func New(tb testing.TB, f format.Format, opts ...Options) *Fixture {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := context.Background()
	dir := tb.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"), sqlite.Exclusive())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	fx := &Fixture{Dir: dir, Server: srv, Mux: mux, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), format: f, meta: m, blobs: b}
	fx.Service = fx.Replica()
	if _, err := fx.Service.CreateDomain(ctx, Admin, service.CreateDomainInput{Domain: Domain}); err != nil {
		tb.Fatal(err)
	}
	if _, err := fx.Service.CreateRepository(ctx, Admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: Domain, Repository: Repository}}); err != nil {
		tb.Fatal(err)
	}
	tok, err := fx.Service.GetAuthorizationToken(ctx, Admin, service.GetAuthorizationTokenInput{Domain: Domain})
	if err != nil {
		tb.Fatal(err)
	}
	fx.Token = tok.AuthorizationToken
	if err := format.Install(mux, f, format.Env{Service: fx.Service, Log: fx.Log, URLs: o.URLs, PublicCacheDir: filepath.Join(dir, "public-cache")}); err != nil {
		tb.Fatal(err)
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	fx.URL = fx.PublicURL() + service.EndpointPath(f.Name, Domain, Account, Repository)
	return fx
}

// PublicURL is the server's base URL, as the service reports it.
func (fx *Fixture) PublicURL() string { return "http://" + fx.Server.Listener.Addr().String() }

// Replica is another service over the same stores, as a second server
// sharing them would run (with the format's rules): it sees every change
// but tells this one's caches nothing.
func (fx *Fixture) Replica() *service.Service {
	svc := service.New(fx.meta, fx.blobs, nil, service.Config{PublicURL: fx.PublicURL(), Logger: fx.Log})
	svc.SetTokenIssuer(token.NewIssuer(tokenKey))
	svc.SetFormatRules(fx.format.Name, fx.format.Rules)
	return svc
}

// Ref names a package of the fixture's format in Repository.
func (fx *Fixture) Ref(namespace, name string) service.PackageRef {
	return service.PackageRef{Domain: Domain, DomainOwner: Account, Repository: Repository, Format: fx.format.Name, Namespace: namespace, Package: name}
}

// Authorize sets the token on r as the format's clients send it: Bearer,
// or Basic with user "aws".
func (fx *Fixture) Authorize(r *http.Request, tok string) {
	if fx.format.Scheme == endpoint.Basic {
		r.SetBasicAuth("aws", tok)
		return
	}
	r.Header.Set("Authorization", "Bearer "+tok)
}

// Do sends a request for path under the endpoint with the fixture's
// token and header pairs, and returns the response with its body read.
func (fx *Fixture) Do(tb testing.TB, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	tb.Helper()
	return fx.DoAs(tb, fx.Token, method, path, body, hdr...)
}

// DoAs is Do with another token; "" sends none.
func (fx *Fixture) DoAs(tb testing.TB, tok, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, fx.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if tok != "" {
		fx.Authorize(req, tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := fx.Server.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, out
}

// BlobCount counts the files in the blob store, finished or not: a
// refused upload must leave none behind.
func (fx *Fixture) BlobCount(tb testing.TB) int {
	tb.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(fx.Dir, "blobs"), func(_ string, d iofs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
