package publiccache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTP(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		prev    Validators
		want    Response
		wantErr string
	}{
		{"document", 200, "doc:1", Validators{}, Response{Body: []byte("doc:1"), Validators: Validators{ETag: `"e1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}}, ""},
		{"conditional, unchanged", 304, "", Validators{ETag: `"e1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}, Response{NotModified: true, Validators: Validators{ETag: `"e1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}}, ""},
		{"not found", 404, "nope", Validators{}, Response{NotFound: true}, ""},
		{"gone", 410, "", Validators{}, Response{NotFound: true}, ""},
		{"server error", 502, "bad gateway", Validators{}, Response{}, "502 Bad Gateway"},
		{"throttled", 429, "", Validators{}, Response{}, "429 Too Many Requests"},
		{"too large", 200, strings.Repeat("x", 65), Validators{}, Response{}, "larger than 64 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				if r.URL.Path != "/docs/a%2Fb" && r.URL.RawPath != "/docs/a%2Fb" {
					t.Errorf("path %q", r.URL.RawPath)
				}
				w.Header().Set("ETag", `"e1"`)
				w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			fetch := HTTP(srv.Client(), func(k string) string { return srv.URL + "/docs/" + strings.ReplaceAll(k, "/", "%2F") },
				http.Header{"Accept": {"application/json"}}, 64)
			resp, err := fetch(context.Background(), "a/b", tc.prev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != string(tc.want.Body) || resp.NotFound != tc.want.NotFound || resp.NotModified != tc.want.NotModified ||
				(!tc.want.NotFound && resp.Validators != tc.want.Validators) {
				t.Fatalf("got %+v, want %+v", resp, tc.want)
			}
			if got.Get("Accept") != "application/json" || got.Get("If-None-Match") != tc.prev.ETag || got.Get("If-Modified-Since") != tc.prev.LastModified {
				t.Fatalf("request headers %v", got)
			}
		})
	}
	fetch := HTTP(http.DefaultClient, func(string) string { return "http://127.0.0.1:1/x" }, nil, 64)
	if _, err := fetch(context.Background(), "x", Validators{}); err == nil {
		t.Fatal("a connection refused is not an error")
	}
}
