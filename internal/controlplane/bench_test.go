package controlplane

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// The handler benchmarks and their tests run against a generic package
// "bench/big" of seedVersions versions in repository "bench/repo", seeded
// straight through the metadata store, as wharfbench's control-plane
// figures do.
const (
	benchAccount = "111122223333"
	benchKeyID   = "AKIDBENCHCONTROLPLANE"
	benchSecret  = "bench-secret-for-the-control-plane"
	benchRegion  = "us-west-2"
	seedVersions = 1000
	emptySHA256  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// staticIDs is one access key of the benchmark account's root.
type staticIDs struct{}

func (staticIDs) LookupKey(_ context.Context, akid string) (string, service.Caller, error) {
	if akid != benchKeyID {
		return "", service.Caller{}, &model.Error{Kind: model.KindAccessDenied, Message: "unknown key"}
	}
	return benchSecret, service.Caller{Account: benchAccount, ARN: "arn:aws:iam::" + benchAccount + ":root", AccessKeyID: benchKeyID}, nil
}

// seededHandler is the real handler over a real SQLite store and fs blob
// store holding one package of seedVersions versions.
type seededHandler struct {
	h   *Handler
	svc *service.Service
}

func newSeededHandler(tb testing.TB) *seededHandler {
	tb.Helper()
	return newSeededHandlerWith(tb, false)
}

// newSeededHandlerWith is newSeededHandler, recording every call in an
// audit trail when audited (its batch writer running until the end).
func newSeededHandlerWith(tb testing.TB, audited bool) *seededHandler {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"), sqlite.Exclusive()) // as wharf serve opens it
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var trail *audit.Trail
	var svc *service.Service
	if audited {
		trail = audit.New(m, benchRegion, log)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { trail.Run(runCtx); close(done) }()
		tb.Cleanup(func() { stop(); <-done })
		svc = service.New(trail.Store(m), b, trail.Authorizer(service.SameAccount{}), service.Config{Region: benchRegion, Logger: log})
	} else {
		svc = service.New(m, b, nil, service.Config{Region: benchRegion, Logger: log})
	}
	_, caller, _ := staticIDs{}.LookupKey(ctx, benchKeyID)
	if _, err := svc.CreateDomain(ctx, caller, service.CreateDomainInput{Domain: "bench"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateRepository(ctx, caller, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "bench", Repository: "repo"}}); err != nil {
		tb.Fatal(err)
	}
	published := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	err = m.Update(ctx, func(tx meta.Tx) error {
		d, err := tx.GetDomain(benchAccount, "bench")
		if err != nil {
			return err
		}
		r, err := tx.GetRepository(d.ID, "repo")
		if err != nil {
			return err
		}
		p := &model.Package{RepositoryID: r.ID, Key: model.PackageKey{Format: model.FormatGeneric, Namespace: "bench", Name: "big"}, Origin: model.DefaultOriginForPublish}
		if err := tx.CreatePackage(p); err != nil {
			return err
		}
		for i := range seedVersions {
			var rev [32]byte
			for j := range rev {
				rev[j] = byte(i*31 + j*7)
			}
			v := &model.Version{PackageID: p.ID, Version: seedVersion(i), Status: model.StatusPublished,
				Revision:      base64.StdEncoding.EncodeToString(rev[:]),
				PublishedTime: published.Add(time.Duration(i) * 1001 * time.Microsecond),
				OriginType:    model.OriginInternal, OriginRepository: "repo"}
			if i%2 == 0 {
				// Half the versions carry the optional description
				// members, so both shapes of the answer are measured.
				v.Summary = "A <small> & \"quoted\" summary of version " + v.Version
				v.HomePage = "https://example.com/big?v=" + v.Version + "&x=1"
				v.SourceCodeRepo = "https://example.com/src/big.git"
				v.Licenses = []model.License{{Name: "MIT", URL: "https://opensource.org/licenses/MIT"}, {Name: "Apache-2.0"}}
			}
			if err := tx.CreateVersion(v); err != nil {
				return fmt.Errorf("version %s: %w", v.Version, err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &seededHandler{h: New(svc, staticIDs{}, Options{Logger: log, Audit: trail}), svc: svc}
}

// seedVersion names the i-th seeded version, zero-padded so that the
// store's order is the numeric order.
func seedVersion(i int) string { return fmt.Sprintf("1.0.%07d", i) }

func pkgQuery() url.Values {
	return url.Values{"domain": {"bench"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"bench"}, "package": {"big"}}
}

// signedRequest builds a request signed as the AWS SDKs sign them, with
// the empty body's hash (every read carries no body).
func signedRequest(tb testing.TB, method, path string, q url.Values) *http.Request {
	tb.Helper()
	r := httptest.NewRequest(method, "http://wharf.test"+path+"?"+q.Encode(), nil)
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, emptySHA256, "codeartifact", benchRegion, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return r
}

func describeRequest(tb testing.TB, version string) *http.Request {
	q := pkgQuery()
	q.Set("version", version)
	return signedRequest(tb, "GET", "/v1/package/version", q)
}

func listRequest(tb testing.TB, nextToken string) *http.Request {
	q := pkgQuery()
	if nextToken != "" {
		q.Set("next-token", nextToken)
	}
	return signedRequest(tb, "POST", "/v1/package/versions", q)
}

// discardWriter is the cheapest ResponseWriter that still keeps what a
// benchmark checks, so the figures are the handler's own cost.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

// benchServe serves copies of reqs round-robin. The requests are signed
// once up front (no replay cache is configured), so signing stays out of
// the figure while verification is in it, as on the server.
func benchServe(b *testing.B, h http.Handler, reqs []*http.Request) {
	b.ReportAllocs()
	var bytes int64
	i := 0
	cpu := processCPU()
	for b.Loop() {
		r := *reqs[i%len(reqs)]
		i++
		w := discardWriter{header: make(http.Header, 4)}
		h.ServeHTTP(&w, &r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		bytes += int64(w.n)
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(i), "cpu-ns/op")
	b.SetBytes(bytes / int64(i)) // the mean answer size
}

func BenchmarkDescribePackageVersion(b *testing.B) {
	s := newSeededHandler(b)
	reqs := make([]*http.Request, 64)
	for i := range reqs {
		reqs[i] = describeRequest(b, seedVersion(i*15))
	}
	benchServe(b, s.h, reqs)
}

// BenchmarkDescribePackageVersionAudited is BenchmarkDescribePackageVersion
// with the audit trail on, as wharf serve runs: what a read's record costs.
func BenchmarkDescribePackageVersionAudited(b *testing.B) {
	s := newSeededHandlerWith(b, true)
	reqs := make([]*http.Request, 64)
	for i := range reqs {
		reqs[i] = describeRequest(b, seedVersion(i*15))
	}
	benchServe(b, s.h, reqs)
}

func BenchmarkListPackageVersions(b *testing.B) {
	s := newSeededHandler(b)
	benchServe(b, s.h, []*http.Request{listRequest(b, "")})
}

func BenchmarkListPackageVersionsNextPage(b *testing.B) {
	s := newSeededHandler(b)
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, listRequest(b, ""))
	var first struct {
		NextToken string `json:"nextToken"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &first); err != nil || first.NextToken == "" {
		b.Fatalf("no next token: %v %s", err, w.Body)
	}
	benchServe(b, s.h, []*http.Request{listRequest(b, first.NextToken)})
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// The handler's answers for the benchmarked operations are exactly what
// encoding/json makes of the service's results: status, content type and
// body bytes.
func TestSeededReadsMatchEncodingJSON(t *testing.T) {
	s := newSeededHandler(t)
	ctx := context.Background()
	_, caller, _ := staticIDs{}.LookupKey(ctx, benchKeyID)
	ref := service.PackageRef{Domain: "bench", Repository: "repo", Format: model.FormatGeneric, Namespace: "bench", Package: "big"}

	serve := func(r *http.Request) *httptest.ResponseRecorder {
		t.Helper()
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%s %s: status %d: %s", r.Method, r.URL, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if id := w.Header().Get("X-Amzn-RequestId"); !requestIDPattern.MatchString(id) {
			t.Errorf("X-Amzn-RequestId %q", id)
		}
		if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
			t.Errorf("Content-Length %q for %d bytes", cl, w.Body.Len())
		}
		return w
	}
	want := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	for _, i := range []int{0, 1, 998} {
		w := serve(describeRequest(t, seedVersion(i)))
		out, err := s.svc.DescribePackageVersion(ctx, caller, service.VersionRef{PackageRef: ref, PackageVersion: seedVersion(i)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := w.Body.String(), want(out); got != want {
			t.Errorf("DescribePackageVersion %d:\n got %s\nwant %s", i, got, want)
		}
	}

	token := ""
	for page := 0; page < 3; page++ {
		w := serve(listRequest(t, token))
		out, err := s.svc.ListPackageVersions(ctx, caller, service.ListPackageVersionsInput{PackageRef: ref, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := w.Body.String(), want(out); got != want {
			t.Errorf("ListPackageVersions page %d:\n got %s\nwant %s", page, got, want)
		}
		if len(out.Versions) != 50 || out.NextToken == "" {
			t.Fatalf("page %d: %d versions, token %q", page, len(out.Versions), out.NextToken)
		}
		token = out.NextToken
	}
}
