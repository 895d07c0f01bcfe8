package nuget

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestChallengeDrainsPush: a push sent without credentials (as NuGet
// sends its first attempt) is read to its end before the 401, so the
// connection stays open for the retry with credentials; unread, net/http
// would close it and Mono's client would fail instead of retrying.
func TestChallengeDrainsPush(t *testing.T) {
	e := newTestEndpoint(t)
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(e.mux)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	url := srv.URL + e.path

	body := bytes.Repeat([]byte("x"), 4<<20)
	req, _ := http.NewRequest(http.MethodPut, url+pathPublish+"/", io.NopCloser(bytes.NewReader(body))) // chunked, as nuget.exe sends it
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("unauthenticated push: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ = http.NewRequest(http.MethodGet, url+pathIndex, nil)
	req.SetBasicAuth("aws", e.token)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("retry with credentials: %d", resp.StatusCode)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections; the challenge closed the first", n)
	}
}
