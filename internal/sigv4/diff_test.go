package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The differential tests hold the canonical request built in canonical.go
// to aws-sdk-go-v2's v4.Signer, the oracle: random requests are signed by
// the SDK, sent as wire bytes, and must verify; for each of them, and for
// every tampered copy, the signature computed here must equal the one the
// SDK computes for the same rebuilt request (oracleSign); and a tamper with
// any byte that is signed must be refused.

// ourSign is what Verify computes for r as a describes it, with the key
// derived afresh: oracleSign's counterpart.
func ourSign(r *http.Request, a *auth, secret, payloadHash string) (string, error) {
	s := getScratch()
	defer putScratch(s)
	q, err := parseQuery(s.params[:0], r.URL.RawQuery)
	s.params = q
	if err != nil {
		return "", err
	}
	s.canonicalRequest(r, a)
	s.sign(deriveKey(secret, a.scopeDate, a.region, a.service), a, payloadHash)
	return hex.EncodeToString(s.mac[:]), nil
}

// canonicalOf is the canonical request ourSign signs, for failure messages.
func canonicalOf(r *http.Request, a *auth, payloadHash string) string {
	s := getScratch()
	defer putScratch(s)
	s.params, _ = parseQuery(s.params[:0], r.URL.RawQuery)
	s.canonicalRequest(r, a)
	return string(s.creq) + payloadHash
}

// compareWithOracle checks that, for the request in wire and every payload
// hash Verify would try, the signature computed here is the SDK's. A
// request Verify refuses before computing a signature is not compared. It
// returns how many signatures were compared.
func compareWithOracle(t testing.TB, wire []byte, secret string) int {
	t.Helper()
	parse := func() *http.Request {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
		if err != nil {
			return nil
		}
		return r
	}
	r := parse()
	if r == nil {
		return 0
	}
	q, err := parseQuery(nil, r.URL.RawQuery)
	if err != nil {
		return 0
	}
	a, aerr := parseAuth(r, q)
	if aerr != nil || a.scopeDate != a.amzDate[:len(scopeDateLayout)] {
		return 0
	}
	hashes := []string{emptySHA256}
	if p, perr := payloadHashes(r, a, DefaultMaxBodyBytes); perr == nil {
		hashes = p.hashes[:p.n]
	}
	n := 0
	for _, h := range hashes {
		// Each computation gets a fresh request: nothing may depend on
		// what an earlier one left behind.
		got, err := ourSign(parse(), a, secret, h)
		if err != nil {
			t.Fatalf("ourSign: %v", err)
		}
		want, err := oracleSign(context.Background(), parse(), a, secret, h)
		if err != nil {
			t.Fatalf("oracleSign: %v", err)
		}
		if got != want {
			t.Errorf("signature %s, the SDK computes %s, payload hash %s\nrequest:\n%s\ncanonical request built here:\n%s",
				got, want, h, wire, canonicalOf(parse(), a, h))
		}
		n++
	}
	return n
}

// genRequest is a client request before signing.
type genRequest struct {
	method, host, path string
	query              []queryPair // decoded
	headers            []headerLine
	body               []byte
	contentSHA         string // X-Amz-Content-Sha256 sent, or ""
	payloadHash        string // what the client signs as the payload hash
	presigned, hoist   bool
	akid, secret       string
	token              string
	expires            int
	at                 time.Time
}

type queryPair struct {
	key, value string
	noEquals   bool // "key" rather than "key=" on the wire, for an empty value
}

type headerLine struct{ name, value string } // name as the client spells it

var (
	genMethods = []string{"GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE", "get"}
	genHosts   = []string{testHost, testHost, "WHARF.test", "127.0.0.1:9000", "[::1]:8443", "wharf.test", "wharf.test:80"}
	// Path segments as they go on the wire: escaped, oddly escaped, raw
	// UTF-8, dots, and characters a path may carry unescaped.
	genSegments = []string{"v1", "v1", "package", "version", "a%20b", "%2F", "%2f", "%E2%82%AC", "€", "ü", "~user",
		"-._", "+", "!$&'()*,;=:@", "%41", ".", "..", "", "x%252F", "r%2Fx%20y", "a+b", "%7E"}
	genKeys = []string{"domain", "repository", "format", "namespace", "package", "version", "a", "A", "b", "max-results",
		"X-Amz-Foo", "k e y", "ü", "", "a+b", "*", "~", "a/b", "a-b", "next token", "x=y", "&"}
	genValues = []string{"", "", "dom", "r/x y", "a+b", "ü€", "%", "=", "&", "x y  z", "~-._", "'()*!", ";", "a/b", "a-b",
		"1.0.0", "Ab", "aB", strings.Repeat("long", 20), " lead", "trail "}
	genHeaderNames = []string{"X-Wharf-Tag", "x-custom", "X-CUSTOM-Header", "Content-Type", "X-Amz-Meta-Info",
		"Accept-Encoding", "User-Agent", "X-Amzn-Trace-Id", "Amz-Sdk-Request", "Amz-Sdk-Invocation-Id", "If-Match",
		"Cache-Control", "X-Amz-Target", "x-amz-user-agent", "X-Forwarded-For", "X_Under", "Range"}
	genHeaderValues = []string{"a", "application/json", "  a  b  ", "\ta\t", "a\tb", "a  \t  b", "ü", "\u00a0x\u00a0", "",
		"a,b", "attempt=1; max=3", "x   y", "A B", strings.Repeat("v", 100), "  ", "\t", "\"quoted\""}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// randomRequest makes a request the SDK can sign and net/http can carry.
func randomRequest(rng *rand.Rand) *genRequest {
	g := &genRequest{
		method:    pick(rng, genMethods),
		host:      pick(rng, genHosts),
		presigned: rng.IntN(3) == 0,
		hoist:     rng.IntN(2) == 0,
		akid:      testAKID,
		secret:    testSecret,
		at:        testNow.Add(time.Duration(rng.IntN(48*3600)-24*3600) * time.Second),
	}
	if rng.IntN(4) == 0 {
		g.akid, g.secret = otherAKID, otherSecret
	}
	var path strings.Builder
	for n := rng.IntN(5); n >= 0; n-- {
		path.WriteString("/" + pick(rng, genSegments))
	}
	if rng.IntN(5) == 0 {
		path.WriteString("/")
	}
	g.path = path.String()
	for n := rng.IntN(6); n > 0; n-- {
		p := queryPair{key: pick(rng, genKeys), value: pick(rng, genValues)}
		p.noEquals = p.value == "" && rng.IntN(2) == 0
		g.query = append(g.query, p)
		if rng.IntN(4) == 0 { // the same key again
			g.query = append(g.query, queryPair{key: p.key, value: pick(rng, genValues)})
		}
	}
	seen := map[string]bool{}
	for n := rng.IntN(5); n > 0; n-- {
		name := pick(rng, genHeaderNames)
		if seen[strings.ToLower(name)] {
			continue // two spellings of one name are signed in map order
		}
		seen[strings.ToLower(name)] = true
		for m := 1 + rng.IntN(2); m > 0; m-- { // a repeated header, sometimes
			g.headers = append(g.headers, headerLine{name, pick(rng, genHeaderValues)})
		}
	}
	switch rng.IntN(4) {
	case 0:
		g.body = []byte(`{"maxResults":5,"nextToken":"abc"}`)
	case 1:
		g.body = make([]byte, rng.IntN(3000))
		for i := range g.body {
			g.body[i] = byte(rng.IntN(256))
		}
	}
	g.payloadHash = sha256Hex(g.body)
	switch rng.IntN(5) {
	case 0: // as botocore: the header's text is the payload hash
		g.contentSHA = g.payloadHash
	case 1: // as the Go SDK with an uppercase AssetSHA256
		g.contentSHA = strings.ToUpper(g.payloadHash)
	case 2:
		if g.presigned {
			g.contentSHA, g.payloadHash = unsignedPayload, unsignedPayload
		}
	}
	if g.presigned && g.contentSHA == "" && rng.IntN(4) == 0 {
		g.payloadHash = unsignedPayload // S3-style, without the header
	}
	if rng.IntN(4) == 0 {
		g.token = pick(rng, []string{"FQoGZXIvYXdzEBY", "tok/en+==", "a b"})
	}
	g.expires = pick(rng, []int{1, 60, 3600, maxPresignExpiry})
	return g
}

// encodeQueryComponent writes s as a client might: spaces as '+' or %20,
// unreserved bytes raw or escaped in either case, the harmless reserved
// ones raw, everything else escaped.
func encodeQueryComponent(rng *rand.Rand, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		hexd := upperHex
		if rng.IntN(3) == 0 {
			hexd = "0123456789abcdef"
		}
		switch {
		case c == ' ' && rng.IntN(2) == 0:
			b.WriteByte('+')
		case (unreserved[c] || strings.IndexByte("!$'()*,/:@?", c) >= 0) && rng.IntN(4) != 0:
			b.WriteByte(c)
		default:
			b.WriteString("%" + hexd[c>>4:c>>4+1] + hexd[c&15:c&15+1])
		}
	}
	return b.String()
}

// wireQuery writes the decoded pairs in random order and encoding, with
// stray empty segments.
func wireQuery(rng *rand.Rand, pairs []queryPair) string {
	pairs = slices.Clone(pairs)
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	var parts []string
	for _, p := range pairs {
		s := encodeQueryComponent(rng, p.key)
		if !p.noEquals || p.value != "" {
			s += "=" + encodeQueryComponent(rng, p.value)
		}
		parts = append(parts, s)
		if rng.IntN(10) == 0 {
			parts = append(parts, "")
		}
	}
	return strings.Join(parts, "&")
}

// wire is a request as bytes, with the ranges of bytes that are signed.
type wire struct {
	b      []byte
	signed [][2]int
}

// signRequest signs g with the SDK and writes the request as it goes on
// the wire.
func signRequest(t testing.TB, rng *rand.Rand, g *genRequest) wire {
	t.Helper()
	pairs := slices.Clone(g.query)
	if g.presigned {
		pairs = append(pairs, queryPair{key: queryExpires, value: strconv.Itoa(g.expires)})
	}
	req := &http.Request{
		Method: g.method,
		Host:   g.host,
		URL: &url.URL{Scheme: "http", Host: g.host, Opaque: "//" + g.host + g.path,
			RawQuery: wireQuery(rng, pairs)},
		Header:        http.Header{},
		ContentLength: int64(len(g.body)),
	}
	for _, h := range g.headers {
		req.Header[h.name] = append(req.Header[h.name], h.value)
	}
	if g.contentSHA != "" {
		req.Header["X-Amz-Content-Sha256"] = []string{g.contentSHA}
	}
	creds := aws.Credentials{AccessKeyID: g.akid, SecretAccessKey: g.secret, SessionToken: g.token}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = !g.hoist })
	var signedPairs []queryPair
	var host string
	if g.presigned {
		u, hdr, err := signer.PresignHTTP(context.Background(), creds, req, g.payloadHash, "codeartifact", testRegion, g.at)
		if err != nil {
			t.Fatal(err)
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		// The SDK writes the whole query in canonical form; any equivalent
		// encoding and order is the same request.
		for k, vs := range pu.Query() {
			for _, v := range vs {
				signedPairs = append(signedPairs, queryPair{key: k, value: v})
			}
		}
		slices.SortFunc(signedPairs, func(x, y queryPair) int { return strings.Compare(x.key+"="+x.value, y.key+"="+y.value) })
		host = hdr.Get("Host")
	} else {
		if err := signer.SignHTTP(context.Background(), creds, req, g.payloadHash, "codeartifact", testRegion, g.at); err != nil {
			t.Fatal(err)
		}
		signedPairs = pairs
		host = req.Host // without a default port, as signed
	}
	target := g.path + "?" + wireQuery(rng, signedPairs)

	var w wire
	signedNames := map[string]bool{"authorization": !g.presigned}
	if g.presigned {
		for _, p := range signedPairs {
			if p.key == querySignedHeaders {
				for _, n := range strings.Split(p.value, ";") {
					signedNames[n] = true
				}
			}
		}
	} else {
		for _, n := range strings.Split(signedHeadersOf(req), ";") {
			signedNames[n] = true
		}
	}
	line := func(s string, signed bool) {
		if signed {
			w.signed = append(w.signed, [2]int{len(w.b), len(w.b) + len(s)})
		}
		w.b = append(w.b, s...)
		w.b = append(w.b, "\r\n"...)
	}
	w.signed = append(w.signed, [2]int{0, len(g.method) + 1 + len(target)}) // not the protocol version
	w.b = append(w.b, g.method+" "+target+" HTTP/1.1\r\n"...)
	line("Host: "+host, true)
	if len(g.body) > 0 {
		line("Content-Length: "+strconv.Itoa(len(g.body)), signedNames["content-length"])
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range req.Header {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range names {
		for _, v := range req.Header[k] {
			line(k+": "+v, signedNames[strings.ToLower(k)])
		}
	}
	w.b = append(w.b, "\r\n"...)
	if g.payloadHash != unsignedPayload {
		w.signed = append(w.signed, [2]int{len(w.b), len(w.b) + len(g.body)})
	}
	w.b = append(w.b, g.body...)
	return w
}

// verdict runs Verify on the wire bytes as a handler would, reading the
// body to EOF, and returns nil if the request was accepted.
func verdict(v *Verifier, b []byte) error {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return fmt.Errorf("net/http refuses it: %w", err)
	}
	if _, err := v.Verify(r); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return err
	}
	return nil
}

func verifierAt(at time.Time) *Verifier {
	return &Verifier{Service: "codeartifact", Lookup: testLookup, Now: func() time.Time { return at }}
}

// checkSigned runs the differential and tamper checks on one signed
// request: it must verify, the signature computed here must be the SDK's
// for it and for every copy of it with one byte changed, and a copy with a
// signed byte changed must be refused. tampers bounds how many positions are
// tried (all if <= 0).
func checkSigned(t *testing.T, rng *rand.Rand, g *genRequest, w wire, tampers int) {
	t.Helper()
	late := 60
	if g.presigned {
		late = min(late, g.expires+1)
	}
	now := g.at.Add(time.Duration(rng.IntN(late)) * time.Second)
	if err := verdict(verifierAt(now), w.b); err != nil {
		t.Fatalf("the SDK's request is refused: %v\n%s", err, w.b)
	}
	if n := compareWithOracle(t, w.b, g.secret); n == 0 {
		t.Fatalf("nothing compared for a request that verifies:\n%s", w.b)
	}

	var positions []int
	for _, rg := range w.signed {
		for i := rg[0]; i < rg[1]; i++ {
			positions = append(positions, i)
		}
	}
	if tampers > 0 && len(positions) > tampers {
		rng.Shuffle(len(positions), func(i, j int) { positions[i], positions[j] = positions[j], positions[i] })
		positions = positions[:tampers]
	}
	for _, i := range positions {
		tampered := bytes.Clone(w.b)
		tampered[i] ^= 1
		if verdict(verifierAt(now), tampered) == nil {
			t.Errorf("accepted with byte %d changed from %q to %q:\n%s", i, w.b[i], tampered[i], tampered)
		}
		compareWithOracle(t, tampered, g.secret)
	}
	// Any byte at all, signed or not: the computation must still agree
	// with the SDK's, whatever the verdict.
	for n := 0; n < 8; n++ {
		tampered := bytes.Clone(w.b)
		tampered[rng.IntN(len(tampered))] ^= byte(1 + rng.IntN(255))
		compareWithOracle(t, tampered, g.secret)
	}
}

// TestDifferentialSDK signs random requests with the SDK, in both forms,
// and checks each as checkSigned does.
func TestDifferentialSDK(t *testing.T) {
	n, tampers := 300, 32
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		g := randomRequest(rng)
		w := signRequest(t, rng, g)
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSigned(t, rng, g, w, tampers) })
	}
}

// TestDifferentialSignedHeaderLists changes the SignedHeaders a request
// claims, listing headers that were not sent, unsigned ones, content-length
// and x-amz-date, in any order: those requests do not verify, but the
// signature computed for them must still be the SDK's.
func TestDifferentialSignedHeaderLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	extra := []string{"user-agent", "authorization", "content-length", "x-amz-date", "x-absent", "expect",
		"x-forwarded-for", "transfer-encoding", "x-amz-security-token", "content-type", "x-amzn-trace-id"}
	compared := 0
	for i := 0; i < 300; i++ {
		g := randomRequest(rng)
		g.headers = append(g.headers, headerLine{"X-Forwarded-For", "10.0.0.1"})
		w := signRequest(t, rng, g)
		r := toServer(t, w.b)
		var list []string
		if g.presigned {
			list = strings.Split(r.URL.Query().Get(querySignedHeaders), ";")
		} else {
			list = strings.Split(signedHeadersOf(r), ";")
		}
		for n := rng.IntN(3); n >= 0; n-- {
			if x := pick(rng, extra); !slices.Contains(list, x) {
				list = append(list, x)
			}
		}
		rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		if g.presigned {
			q := r.URL.Query()
			q.Set(querySignedHeaders, strings.Join(list, ";"))
			setRawQuery(r, q.Encode())
		} else {
			setAuthParam(r, "SignedHeaders", strings.Join(list, ";"))
		}
		var buf bytes.Buffer
		r.Body = io.NopCloser(bytes.NewReader(g.body))
		if err := r.Write(&buf); err != nil {
			t.Fatal(err)
		}
		compared += compareWithOracle(t, buf.Bytes(), g.secret)
	}
	if compared < 300 {
		t.Fatalf("only %d signatures compared", compared)
	}
}

// FuzzDifferential builds a request from the fuzzer's method, path, query,
// header and body, signs it with the SDK, and checks it as checkSigned
// does. Inputs that net/http or the SDK cannot carry are skipped.
func FuzzDifferential(f *testing.F) {
	f.Add("GET", "/v1/repository", "domain=dom&repository=r%2Fx%20y", "X-Wharf-Tag", "a  b", []byte(nil), uint8(0), uint64(1))
	f.Add("POST", "/v1/a%2Fb/./../€", "a=1&a=&b&=x&k+e+y=%7e", "Content-Type", "\u00a0json\t", []byte(`{"a":1}`), uint8(1), uint64(2))
	f.Add("PUT", "//x//", "X-Amz-Foo=bar&x=%2B", "x-CUSTOM", "", []byte("body"), uint8(2), uint64(3))
	f.Add("DELETE", "/", "", "User-Agent", "ua", []byte(nil), uint8(3), uint64(4))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hname, hvalue string, body []byte, mode uint8, seed uint64) {
		if !isToken(method) || !validPath(path) || !isToken(hname) || !validHeaderValue(hvalue) || len(body) > 1<<16 {
			t.Skip()
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil || len(q) > 50 {
			t.Skip() // refused before signing; FuzzVerify covers it
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		g := &genRequest{
			method: method, host: testHost, path: path, body: body,
			presigned: mode&1 == 1, hoist: mode&2 == 2,
			akid: testAKID, secret: testSecret, at: testNow, expires: 3600,
			payloadHash: sha256Hex(body),
		}
		for k, vs := range q {
			for _, v := range vs {
				g.query = append(g.query, queryPair{key: k, value: v})
			}
		}
		for k := range q {
			if len(k) >= 6 && strings.EqualFold(k[:6], "X-Amz-") {
				t.Skip() // the signer's own parameters
			}
		}
		if len(hname) >= 6 && strings.EqualFold(hname[:6], "X-Amz-") && g.presigned && g.hoist {
			t.Skip() // hoisted into the query, maybe onto the signer's own parameters
		}
		if !strings.EqualFold(hname, "Host") && !strings.EqualFold(hname, "Trailer") && !strings.EqualFold(hname, "Content-Length") &&
			!strings.EqualFold(hname, "Transfer-Encoding") && !strings.EqualFold(hname, "Authorization") &&
			!strings.EqualFold(hname, "X-Amz-Content-Sha256") && !strings.EqualFold(hname, "Expect") &&
			!strings.EqualFold(hname, "X-Amz-Date") && !strings.EqualFold(hname, "Connection") {
			g.headers = []headerLine{{hname, hvalue}, {hname, hvalue + " x"}}
		}
		if mode&4 == 4 {
			g.contentSHA = g.payloadHash
		}
		w := signRequest(t, rng, g)
		if _, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(w.b))); err != nil {
			t.Skip() // not something net/http serves
		}
		checkSigned(t, rng, g, w, 16)
	})
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validPath accepts an origin-form path net/http takes as it is.
func validPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?# ") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] == 0x7f {
			return false
		}
		if p[i] == '%' && (i+2 >= len(p) || !isHexDigit(p[i+1]) || !isHexDigit(p[i+2])) {
			return false
		}
	}
	return true
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// TestCanonicalHeaderKey: headerValues finds a header under the key
// textproto gives it, for every name parseAuth lets through.
func TestCanonicalHeaderKey(t *testing.T) {
	for _, name := range []string{"host", "x-amz-date", "content-type", "x_under", "a-b-c", "9-x", "x--y", "-x", "x-",
		"!#$%&'*+-.^_`|~", "amz-sdk-invocation-id", "etag", strings.Repeat("long-name", 10)} {
		if !isHeaderName(name) {
			t.Fatalf("%q is not a header name", name)
		}
		h := http.Header{}
		h.Add(name, "canonical")
		h[name] = append(h[name], "as is")
		first, second := headerValues(h, name)
		if got, want := append(slices.Clone(first), second...), oracleHeaderValues(h, name); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}

// TestVerifyAllocations: Verify of a header-signed GET allocates (almost)
// nothing but the auth it parses; a regression here is a regression in
// server CPU.
func TestVerifyAllocations(t *testing.T) {
	wire := getWithQuery(t, signing{})
	r := toServer(t, wire)
	v := newTestVerifier()
	mustVerify(t, v, r) // fill the key cache and the pool
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("Verify allocates %v times per call", allocs)
	}
}
