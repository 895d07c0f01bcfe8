package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary Authorization headers, query strings and
// X-Amz-Date values, starting from two requests signed with the test secret.
// Verify must never panic, must refuse with an *Error, and must accept only
// what is, up to what SigV4 leaves unsigned, one of those two requests.
func FuzzVerify(f *testing.F) {
	const path = "/v1/repository"
	signedGet := toServer(f, signHeader(f, clientRequest(f, "GET", path+"?domain=dom&repository=r%2Fx%20y", nil), nil, signing{}))
	authz0, date0, query0 := signedGet.Header.Get("Authorization"), signedGet.Header.Get("X-Amz-Date"), signedGet.URL.RawQuery
	sig0 := authz0[strings.LastIndex(authz0, "=")+1:]
	presigned := toServer(f, presign(f, clientRequest(f, "GET", path+"?domain=dom&repository=r%2Fx%20y", nil), nil, time.Hour, signing{}))
	preQuery0 := presigned.URL.RawQuery
	otherKey := toServer(f, signHeader(f, clientRequest(f, "GET", path+"?domain=dom", nil), nil, signing{akid: otherAKID, secret: testSecret}))

	f.Add(authz0, query0, date0)
	f.Add("", preQuery0, "")
	f.Add(authz0, preQuery0, date0)
	f.Add(otherKey.Header.Get("Authorization"), "domain=dom", date0)
	f.Add(strings.ReplaceAll(authz0, ", ", ","), query0, date0)
	f.Add(strings.Replace(authz0, "us-east-1", "eu-west-1", 1), query0, date0)
	f.Add(strings.Replace(authz0, "20261127/", "20261126/", 1), query0, "20261126T104500Z")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature="+strings.Repeat("0", 64), "", date0)
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-1", "")
	f.Add("AWS4-HMAC-SHA256 ", "%", "\x00")

	build := func(authz, rawQuery, date string) *http.Request {
		r := &http.Request{
			Method:     "GET",
			Host:       testHost,
			RequestURI: path + "?" + rawQuery,
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			Header:     http.Header{},
			Body:       http.NoBody,
		}
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		if date != "" {
			r.Header["X-Amz-Date"] = []string{date}
		}
		return r
	}
	v := newTestVerifier()
	// The oracle below is only exercised if the genuine requests pass.
	for _, r := range []*http.Request{build(authz0, query0, date0), build("", preQuery0, "")} {
		if _, err := v.Verify(r); err != nil {
			f.Fatalf("genuine seed refused: %v", err)
		}
	}

	f.Fuzz(func(t *testing.T, authz, rawQuery, date string) {
		r := build(authz, rawQuery, date)
		id, err := v.Verify(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status < 400 || e.Status > 599 {
				t.Fatalf("refusal is not a well-formed *Error: %#v", err)
			}
			return
		}

		q, qerr := url.ParseQuery(rawQuery)
		if qerr != nil {
			t.Fatalf("accepted an unparsable query %q", rawQuery)
		}
		if id.AccessKeyID != testAKID || id.Region != testRegion || id.Service != "codeartifact" {
			t.Fatalf("accepted a request for %q, which was never signed with its own secret", id.AccessKeyID)
		}
		if id.Presigned {
			if !sameQuery(q, mustQuery(t, preQuery0)) {
				t.Fatalf("accepted a presigned query that differs from the one signed:\n got %s\nwant %s", rawQuery, preQuery0)
			}
			return
		}
		if id.Signature != sig0 || date != date0 || !sameQuery(q, mustQuery(t, query0)) {
			t.Fatalf("accepted a request that differs from the one signed: authz %q query %q date %q", authz, rawQuery, date)
		}
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// sameQuery compares queries as SigV4 does: values of a key in any order,
// and the hex signature in either case.
func sameQuery(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || len(av) != len(bv) {
			return false
		}
		av, bv = slices.Clone(av), slices.Clone(bv)
		if k == querySignature {
			for i := range av {
				av[i], bv[i] = strings.ToLower(av[i]), strings.ToLower(bv[i])
			}
		}
		slices.Sort(av)
		slices.Sort(bv)
		if !slices.Equal(av, bv) {
			return false
		}
	}
	return true
}
