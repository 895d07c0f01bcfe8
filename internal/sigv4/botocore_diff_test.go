package sigv4

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// botocoreSignScript signs the requests it reads from stdin (a JSON list)
// with botocore's own SigV4Auth or SigV4QueryAuth, at the time given, and
// prints for each the URL and headers to send.
const botocoreSignScript = `
import base64, datetime, json, sys
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth, _host_from_url
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for spec in json.load(sys.stdin):
    at = datetime.datetime.strptime(spec["at"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda: at
    creds = Credentials(spec["akid"], spec["secret"], spec["token"] or None)
    url = "http://" + spec["host"] + spec["path"]
    req = AWSRequest(method=spec["method"], url=url, data=base64.b64decode(spec["body"] or ""),
                     params=[tuple(p) for p in spec["params"]])
    for name, value in spec["headers"]:
        req.headers.add_header(name, value)
    if spec["presigned"]:
        req.params = dict(req.params)
        SigV4QueryAuth(creds, "codeartifact", spec["region"], expires=spec["expires"]).add_auth(req)
    else:
        SigV4Auth(creds, "codeartifact", spec["region"]).add_auth(req)
    out.append({"url": req.url, "host": _host_from_url(url), "headers": [[k, v] for k, v in req.headers.items()]})
json.dump(out, sys.stdout)
`

type botocoreSpec struct {
	Method    string      `json:"method"`
	Host      string      `json:"host"`
	Path      string      `json:"path"`
	Params    [][2]string `json:"params"`
	Headers   [][2]string `json:"headers"`
	Body      []byte      `json:"body"`
	Presigned bool        `json:"presigned"`
	Expires   int         `json:"expires"`
	Token     string      `json:"token"`
	AKID      string      `json:"akid"`
	Secret    string      `json:"secret"`
	Region    string      `json:"region"`
	At        string      `json:"at"`
}

type botocoreSigned struct {
	URL     string      `json:"url"`
	Host    string      `json:"host"`
	Headers [][2]string `json:"headers"`
}

// botocoreRequest narrows a random request to what botocore signs the way
// the Go signer does: botocore removes dot segments and empty segments from
// the path, and folds any white space inside a header value, tabs included,
// where the Go signer folds only spaces; a request outside that would be
// refused by AWS's Go-compatible canonicalization too, and is not made. Its
// presigner keeps one value per key and moves the body into the query, so a
// presigned request has neither. It also signs the method uppercased, as it
// sends it.
func botocoreRequest(rng *rand.Rand) *genRequest {
	for {
		g := randomRequest(rng)
		if strings.Contains(g.path, "//") || strings.Contains(g.path, "/./") || strings.Contains(g.path, "/../") ||
			strings.HasSuffix(g.path, "/.") || strings.HasSuffix(g.path, "/..") || g.path == "/" && rng.IntN(2) == 0 {
			continue
		}
		g.headers = slices.DeleteFunc(g.headers, func(h headerLine) bool {
			v := strings.TrimSpace(h.value)
			return strings.ContainsAny(v, "\t\u00a0") || strings.EqualFold(h.name, "Content-Type") && g.presigned
		})
		if g.presigned {
			g.body, g.contentSHA = nil, ""
			g.payloadHash = emptySHA256
			seen := map[string]bool{}
			g.query = slices.DeleteFunc(g.query, func(p queryPair) bool {
				dup := seen[p.key]
				seen[p.key] = true
				return dup || p.key == ""
			})
		}
		for i := range g.query {
			g.query[i].noEquals = false // botocore signs "key=" for a parameter without a value
		}
		g.method = strings.ToUpper(g.method) // botocore signs it uppercased
		g.at = g.at.Truncate(time.Second)
		return g
	}
}

// TestDifferentialBotocore has real botocore sign random requests, in both
// forms, and checks each as checkSigned does: it must verify, the signature
// computed here must be the SDK's for it and its tampered copies, and a
// tampered signed byte must be refused.
func TestDifferentialBotocore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		missingClient(t, "python3 not installed")
	}
	if err := exec.Command(py, "-c", "import botocore").Run(); err != nil {
		missingClient(t, "botocore not installed")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var gens []*genRequest
	var specs []botocoreSpec
	for i := 0; i < 150; i++ {
		g := botocoreRequest(rng)
		spec := botocoreSpec{Method: g.method, Host: g.host, Path: g.path, Body: g.body, Presigned: g.presigned,
			Expires: g.expires, Token: g.token, AKID: g.akid, Secret: g.secret, Region: testRegion,
			At: g.at.UTC().Format(amzDateLayout), Params: [][2]string{}, Headers: [][2]string{}}
		for _, p := range g.query {
			spec.Params = append(spec.Params, [2]string{p.key, p.value})
		}
		for _, h := range g.headers {
			spec.Headers = append(spec.Headers, [2]string{h.name, h.value})
		}
		if g.contentSHA != "" {
			spec.Headers = append(spec.Headers, [2]string{"X-Amz-Content-SHA256", g.contentSHA})
		}
		if len(g.body) > 0 && rng.IntN(2) == 0 {
			spec.Headers = append(spec.Headers, [2]string{"Content-Length", strconv.Itoa(len(g.body))})
		}
		gens, specs = append(gens, g), append(specs, spec)
	}
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", botocoreSignScript)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore: %v\n%s", err, stderr.String())
	}
	var signed []botocoreSigned
	if err := json.Unmarshal(out, &signed); err != nil || len(signed) != len(specs) {
		t.Fatalf("botocore answered %d of %d: %v", len(signed), len(specs), err)
	}
	for i, s := range signed {
		g := gens[i]
		w := botocoreWire(t, rng, g, specs[i], s)
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSigned(t, rng, g, w, 24) })
	}
}

// botocoreWire writes what botocore signed as it goes on the wire, the
// query in any equivalent encoding and order.
func botocoreWire(t *testing.T, rng *rand.Rand, g *genRequest, spec botocoreSpec, s botocoreSigned) wire {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	pairs := g.query
	if g.presigned {
		pairs = nil
		for k, vs := range u.Query() {
			for _, v := range vs {
				pairs = append(pairs, queryPair{key: k, value: v})
			}
		}
		slices.SortFunc(pairs, func(x, y queryPair) int { return strings.Compare(x.key+"="+x.value, y.key+"="+y.value) })
	}
	target := g.path + "?" + wireQuery(rng, pairs)

	signedNames := map[string]bool{}
	var list string
	for _, h := range s.Headers {
		if h[0] == "Authorization" {
			_, rest, _ := strings.Cut(h[1], "SignedHeaders=")
			list, _, _ = strings.Cut(rest, ",")
			signedNames["authorization"] = true
		}
	}
	if g.presigned {
		list = u.Query().Get(querySignedHeaders)
	}
	for _, n := range strings.Split(list, ";") {
		signedNames[n] = true
	}

	var w wire
	line := func(s string, signed bool) {
		if signed {
			w.signed = append(w.signed, [2]int{len(w.b), len(w.b) + len(s)})
		}
		w.b = append(w.b, s+"\r\n"...)
	}
	w.signed = append(w.signed, [2]int{0, len(g.method) + 1 + len(target)})
	w.b = append(w.b, g.method+" "+target+" HTTP/1.1\r\n"...)
	line("Host: "+s.Host, true)
	hasLength := false
	for _, h := range s.Headers {
		hasLength = hasLength || strings.EqualFold(h[0], "Content-Length")
		line(h[0]+": "+h[1], signedNames[strings.ToLower(h[0])])
	}
	if len(g.body) > 0 && !hasLength {
		line("Content-Length: "+strconv.Itoa(len(g.body)), false)
	}
	w.b = append(w.b, "\r\n"...)
	w.signed = append(w.signed, [2]int{len(w.b), len(w.b) + len(g.body)})
	w.b = append(w.b, g.body...)
	return w
}
