package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
)

// Package events to webhooks: a receiver in the test gets every state
// change of a publish / unlist / archive / delete sequence as CodeArtifact's
// EventBridge event documents it, signed; keeps getting them after it was
// down for a while; and loses none when the server is killed with -9 in
// the middle of a sequence.

const webhookSecret = "webhook-secret-0123456789"

// receiver is a webhook endpoint that can go down and come back on the
// same address.
type receiver struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	srv  *http.Server
	seen map[string]bool // eventDeduplicationId
	got  []map[string]any
	bad  []string
	dups int // deliveries of an event already received
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, addr: freeAddr(t), seen: map[string]bool{}}
	r.up()
	t.Cleanup(r.down)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/hook" }

func (r *receiver) up() {
	r.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after down
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write(body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get("X-Wharf-Signature-256") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		r.bad = append(r.bad, fmt.Sprintf("%s %v %s", req.Method, req.Header, body))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		r.bad = append(r.bad, string(body))
		return
	}
	detail, _ := e["detail"].(map[string]any)
	id, _ := detail["eventDeduplicationId"].(string)
	if r.seen[id] {
		r.dups++
		return // at least once: a retried delivery after a crash
	}
	r.seen[id] = true
	r.got = append(r.got, e)
}

// events returns the distinct events received so far.
func (r *receiver) events() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Errorf("receiver got bad deliveries: %q", r.bad)
		r.bad = nil
	}
	return slices.Clone(r.got)
}

// waitFor waits until the receiver holds n events.
func (r *receiver) waitFor(n int, within time.Duration) []map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		es := r.events()
		if len(es) >= n || time.Now().After(deadline) {
			if len(es) < n {
				r.t.Fatalf("receiver has %d events, want %d: %v", len(es), n, summarize(es))
			}
			return es
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// summarize is one line per event: package, version, operation, state,
// sequence number.
func summarize(es []map[string]any) []string {
	var out []string
	for _, e := range es {
		d := e["detail"].(map[string]any)
		out = append(out, fmt.Sprintf("%v@%v %v %v #%v", d["packageName"], d["packageVersion"], d["operationType"], d["packageVersionState"], d["sequenceNumber"]))
	}
	return out
}

// webhookAdmin runs `wharf admin webhook CMD --data-dir DIR ARGS...`.
func webhookAdmin(t *testing.T, dataDir, cmd string, args ...string) string {
	t.Helper()
	c := exec.Command(wharfBin, append([]string{"admin", "webhook", cmd, "--data-dir", dataDir}, args...)...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("wharf admin webhook %s %v: %v: %s", cmd, args, err, stderr.String())
	}
	return stdout.String()
}

func addWebhook(t *testing.T, s *Server, domain, url string, storeArgs ...string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal([]byte(webhookAdmin(t, s.DataDir, "add", append([]string{"--domain", domain, "--url", url, "--secret-file", f}, storeArgs...)...)), &w); err != nil {
		t.Fatal(err)
	}
	if w["webhookId"] == nil || w["url"] != url || strings.Contains(fmt.Sprint(w), webhookSecret) {
		t.Fatalf("webhook add printed %v", w)
	}
}

func startWebhookServer(t *testing.T) *Server {
	return StartServerWith(t, ServerOptions{Args: []string{"--webhook-retry-min", "100ms", "--webhook-retry-max", "500ms", "--webhook-timeout", "2s"}})
}

func TestWebhookEvents(t *testing.T) {
	rcv := newReceiver(t)
	s := startWebhookServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")
	addWebhook(t, s, "acme", rcv.URL())

	ref := func(v string) (string, string) { return "hello", v }
	status := func(version string, to types.PackageVersionStatus) {
		t.Helper()
		pkg, v := ref(version)
		if _, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String(pkg), Versions: []string{v}, TargetStatus: to}); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(version string) *types.PackageVersionDescription {
		t.Helper()
		out, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String(version)})
		if err != nil {
			t.Fatal(err)
		}
		return out.PackageVersion
	}

	// publish / unlist / archive / delete, each event checked field by
	// field against the documented shape.
	pub := PublishGeneric(t, c, "acme", "main", "tools", "hello", "1.0.0", "hello.txt", []byte("hello"), false)
	rev := *pub.VersionRevision
	status("1.0.0", types.PackageVersionStatusUnlisted)
	status("1.0.0", types.PackageVersionStatusArchived)
	if describe("1.0.0").Revision == nil {
		t.Fatal("no revision")
	}
	if _, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), Versions: []string{"1.0.0"}}); err != nil {
		t.Fatal(err)
	}
	es := rcv.waitFor(4, 20*time.Second)
	want := []struct {
		op, state               string
		added, removed          float64
		metadata, statusChanged bool
	}{
		{"Created", "Published", 1, 0, true, true},
		{"Updated", "Unlisted", 0, 0, false, true},
		{"Updated", "Archived", 0, 0, false, true},
		{"Deleted", "Archived", 0, 1, false, false},
	}
	envelopeKeys := []string{"account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"}
	detailKeys := []string{"changes", "domainName", "domainOwner", "eventDeduplicationId", "operationType", "packageFormat", "packageName",
		"packageNamespace", "packageVersion", "packageVersionRevision", "packageVersionState", "repositoryName", "sequenceNumber"}
	changeKeys := []string{"assetsAdded", "assetsRemoved", "assetsUpdated", "metadataUpdated", "statusChanged"}
	ids := map[any]bool{}
	for i, e := range es {
		d := e["detail"].(map[string]any)
		ch := d["changes"].(map[string]any)
		if got := sortedKeys(e); !slices.Equal(got, envelopeKeys) {
			t.Errorf("event %d envelope keys %v", i, got)
		}
		if got := sortedKeys(d); !slices.Equal(got, detailKeys) {
			t.Errorf("event %d detail keys %v", i, got)
		}
		if got := sortedKeys(ch); !slices.Equal(got, changeKeys) {
			t.Errorf("event %d changes keys %v", i, got)
		}
		if _, err := time.Parse(time.RFC3339, e["time"].(string)); err != nil || ids[e["id"]] {
			t.Errorf("event %d: time %v, id %v", i, e["time"], e["id"])
		}
		ids[e["id"]] = true
		fixed := fmt.Sprint(e["version"], e["detail-type"], e["source"], e["account"], e["region"], e["resources"],
			d["domainName"], d["domainOwner"], d["repositoryName"], d["packageFormat"], d["packageNamespace"], d["packageName"], d["packageVersion"],
			d["packageVersionRevision"], d["sequenceNumber"])
		wantFixed := fmt.Sprint("0", "CodeArtifact Package Version State Change", "aws.codeartifact", testAccount, testRegion,
			[]any{"arn:aws:codeartifact:us-east-1:" + testAccount + ":package/acme/main/generic/tools/hello"},
			"acme", testAccount, "main", "generic", "tools", "hello", "1.0.0", rev, float64(i+1))
		if fixed != wantFixed {
			t.Errorf("event %d:\n got %s\nwant %s", i, fixed, wantFixed)
		}
		w := want[i]
		if d["operationType"] != w.op || d["packageVersionState"] != w.state || ch["assetsAdded"] != w.added || ch["assetsRemoved"] != w.removed ||
			ch["assetsUpdated"] != 0.0 || ch["metadataUpdated"] != w.metadata || ch["statusChanged"] != w.statusChanged {
			t.Errorf("event %d: %v %v changes %v, want %+v", i, d["operationType"], d["packageVersionState"], ch, w)
		}
	}

	// The receiver goes down: deliveries fail, are retried and shown as
	// failing, and every event arrives in order once it is back.
	rcv.down()
	PublishGeneric(t, c, "acme", "main", "tools", "hello", "2.0.0", "hello.txt", []byte("hello 2"), false)
	status("2.0.0", types.PackageVersionStatusUnlisted)
	PublishGeneric(t, c, "acme", "main", "tools", "other", "1.0.0", "o.txt", []byte("other"), false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pending []map[string]any
		if err := json.Unmarshal([]byte(webhookAdmin(t, s.DataDir, "deliveries", "--pending")), &pending); err != nil {
			t.Fatal(err)
		}
		retried := 0
		for _, p := range pending {
			if p["attempts"].(float64) >= 2 && p["lastError"] != nil && p["delivered"] == false {
				retried++
			}
		}
		if retried >= 2 { // the heads of both packages' queues
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending deliveries never showed retries: %v", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := len(rcv.events()); n != 4 {
		t.Fatalf("%d events while the receiver was down", n)
	}
	rcv.up()
	es = rcv.waitFor(7, 20*time.Second)
	var hello []string
	for _, e := range es[4:] {
		d := e["detail"].(map[string]any)
		if d["packageName"] == "hello" {
			hello = append(hello, fmt.Sprint(d["packageVersion"], " ", d["operationType"], " ", d["packageVersionState"], " ", d["sequenceNumber"]))
		}
	}
	if want := []string{"2.0.0 Created Published 5", "2.0.0 Updated Unlisted 6"}; !slices.Equal(hello, want) {
		t.Errorf("after the outage: %v, want %v", hello, want)
	}
	var all []map[string]any
	if err := json.Unmarshal([]byte(webhookAdmin(t, s.DataDir, "deliveries")), &all); err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d["delivered"] != true {
			t.Errorf("delivery not done: %v", d)
		}
	}
}

// Killed with -9 in the middle of a sequence of changes, the server loses
// no event of a change it acknowledged, and delivers each package's in
// order once restarted.
func TestWebhookEventsSurviveKill(t *testing.T) {
	rcv := newReceiver(t)
	s := startWebhookServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")
	addWebhook(t, s, "acme", rcv.URL())

	type ack struct{ pkg, version, op string }
	var mu sync.Mutex
	var acked []ack
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkg := fmt.Sprint("p", w)
			for i := 0; cctx.Err() == nil; i++ {
				v := fmt.Sprintf("1.0.%d", i)
				body := []byte(pkg + v)
				sum := sha256.Sum256(body)
				_, err := c.PublishPackageVersion(cctx, &ca.PublishPackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), PackageVersion: aws.String(v),
					AssetName: aws.String("a.txt"), AssetSHA256: aws.String(hex.EncodeToString(sum[:])), AssetContent: bytes.NewReader(body)}, noRetry)
				if err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, ack{pkg, v, "Created"})
				mu.Unlock()
				_, err = c.UpdatePackageVersionsStatus(cctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), Versions: []string{v},
					TargetStatus: types.PackageVersionStatusUnlisted}, noRetry)
				if err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, ack{pkg, v, "Updated"})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	s.Kill()
	cancel()
	wg.Wait()
	if len(acked) < 8 {
		t.Fatalf("only %d changes acknowledged before the kill", len(acked))
	}
	s.start()

	want := map[string]bool{}
	for _, a := range acked {
		want[a.pkg+"@"+a.version+" "+a.op] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		es := rcv.events()
		got := map[string]bool{}
		for _, e := range es {
			d := e["detail"].(map[string]any)
			got[fmt.Sprint(d["packageName"], "@", d["packageVersion"], " ", d["operationType"])] = true
		}
		missing := 0
		for k := range want {
			if !got[k] {
				missing++
			}
		}
		if missing == 0 {
			checkStreams(t, es)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged changes never delivered; got %v", missing, len(want), summarize(es))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkStreams checks that each package's events arrived in sequence order
// with no number missing.
func checkStreams(t *testing.T, es []map[string]any) {
	t.Helper()
	seqs := map[string][]float64{}
	for _, e := range es {
		d := e["detail"].(map[string]any)
		p := fmt.Sprint(d["repositoryName"], "/", d["packageName"])
		seqs[p] = append(seqs[p], d["sequenceNumber"].(float64))
	}
	for p, s := range seqs {
		for i, n := range s {
			if n != float64(i+1) {
				t.Errorf("package %s: sequence numbers arrived as %v", p, s)
				break
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// noRetry makes the SDK report a failure at once: a request the killed
// server never answered is not acknowledged.
func noRetry(o *ca.Options) { o.RetryMaxAttempts = 1 }

// Two replicas sharing PostgreSQL deliver each event once between them,
// in order per package, whichever replica made the change.
func TestWebhookReplicasDeliverOnce(t *testing.T) {
	dsn := pgtest.Database(t) // skips without PostgreSQL, fails under CI=true
	rcv := newReceiver(t)
	args := []string{"--meta-store", "postgres", "--postgres-dsn", dsn, "--webhook-retry-min", "100ms", "--webhook-retry-max", "500ms"}
	a := StartServerWith(t, ServerOptions{Args: args})
	b := StartServerWith(t, ServerOptions{Args: args, DataDir: a.DataDir})
	Setup(t, a.Client(), "acme", "main")
	addWebhook(t, a, "acme", rcv.URL(), "--meta-store", "postgres", "--postgres-dsn", dsn)
	var wg sync.WaitGroup
	for i, c := range []*ca.Client{a.Client(), b.Client()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range 10 {
				body := fmt.Appendf(nil, "%d %d", i, v)
				sum := sha256.Sum256(body)
				if _, err := c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(fmt.Sprint("p", v%3)),
					PackageVersion: aws.String(fmt.Sprintf("%d.%d.0", i, v)), AssetName: aws.String("a"),
					AssetSHA256: aws.String(hex.EncodeToString(sum[:])), AssetContent: bytes.NewReader(body)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	es := rcv.waitFor(20, 30*time.Second)
	checkStreams(t, es)
	time.Sleep(time.Second) // a duplicate would have arrived by now
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.dups != 0 || len(rcv.got) != 20 {
		t.Errorf("%d events, %d delivered twice", len(rcv.got), rcv.dups)
	}
}
