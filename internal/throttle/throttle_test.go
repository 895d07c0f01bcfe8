package throttle

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		want string // Config.String(), or "" for an error
	}{
		{"", "off"},
		{"off", "off"},
		{"read=5", "read=5"},
		{"write=2.5/10,PublishPackageVersion=1", "write=2.5/10,PublishPackageVersion=1"},
		{"codeartifact", "read=800,write=100,token=1200,anonymous=600,CopyPackageVersions=5,GetAuthorizationToken=40,GetPackageVersionAsset=50,ListPackageVersionAssets=200,ListPackageVersions=200,ListPackages=200,PublishPackageVersion=10"},
		{"codeartifact,PublishPackageVersion=2,read=0,token=0,anonymous=0,write=0", "CopyPackageVersions=5,GetAuthorizationToken=40,GetPackageVersionAsset=50,ListPackageVersionAssets=200,ListPackageVersions=200,ListPackages=200,PublishPackageVersion=2"},
		{"read=1, codeartifact , off", "off"},
		{"ListDomains=3/1", "ListDomains=3/1"},
		{"read", ""},
		{"read=fast", ""},
		{"read=-1", ""},
		{"read=1/0", ""},
		{"read=1/x", ""},
		{"NoSuchOperation=1", ""},
		{"listdomains=1", ""}, // operation names are exact
		{"read=Inf", ""},
	}
	for _, tt := range tests {
		c, err := Parse(tt.spec)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) accepted: %s", tt.spec, c)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.spec, err)
			continue
		}
		if got := c.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.spec, got, tt.want)
		}
		if c.Enabled() != (tt.want != "off") {
			t.Errorf("Parse(%q).Enabled() = %v", tt.spec, c.Enabled())
		}
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) || me.Kind != model.KindThrottling {
		t.Fatalf("got %v, want ThrottlingException", err)
	}
	return me.RetryAfter
}

func TestLimiter(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	cfg, err := Parse("PublishPackageVersion=2,write=3,read=100")
	if err != nil {
		t.Fatal(err)
	}
	l := New(cfg, clk.now)

	// Burst of 2 publishes, then refused with the wait for one token.
	for i := 0; i < 2; i++ {
		if err := l.Operation("A", "PublishPackageVersion"); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	err = l.Operation("A", "PublishPackageVersion")
	if d := retryAfter(t, err); d != 500*time.Millisecond {
		t.Errorf("retry after %v, want 500ms", d)
	}
	if model.AsError(err).Message != "Rate exceeded: at most 2 PublishPackageVersion requests per second per account." {
		t.Errorf("message %q", model.AsError(err).Message)
	}
	// Another account has its own buckets.
	if err := l.Operation("B", "PublishPackageVersion"); err != nil {
		t.Errorf("account B: %v", err)
	}
	// The refused publish took nothing from the account's write bucket:
	// one write token is left.
	if err := l.Operation("A", "DeletePackageVersions"); err != nil {
		t.Errorf("write after refused publish: %v", err)
	}
	if d := retryAfter(t, l.Operation("A", "DeleteRepository")); d <= 0 || d > time.Second/3+time.Millisecond {
		t.Errorf("write bucket wait %v", d)
	}
	// Reads are counted apart from writes.
	if err := l.Operation("A", "ListDomains"); err != nil {
		t.Errorf("read: %v", err)
	}
	// Tokens come back with time.
	clk.add(500 * time.Millisecond)
	if err := l.Operation("A", "PublishPackageVersion"); err != nil {
		t.Errorf("after waiting: %v", err)
	}
	if err := l.Operation("A", "PublishPackageVersion"); err == nil {
		t.Error("second publish after half a second admitted")
	}
	// Idle buckets are swept once full again.
	clk.add(2 * sweepEvery)
	l.Operation("C", "ListDomains")
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
}

func TestEndpointAndAnonymous(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	cfg, _ := Parse("token=1/2,read=3,anonymous=1")
	l := New(cfg, clk.now)
	for i := 0; i < 2; i++ {
		if err := l.Endpoint("A", "tok1", false); err != nil {
			t.Fatal(err)
		}
	}
	if d := retryAfter(t, l.Endpoint("A", "tok1", false)); d != time.Second {
		t.Errorf("token wait %v", d)
	}
	// A second token of the same account has its own bucket but shares
	// the account's read bucket (3): one read left.
	if err := l.Endpoint("A", "tok2", false); err != nil {
		t.Errorf("tok2: %v", err)
	}
	if err := l.Endpoint("A", "tok3", false); err == nil {
		t.Error("account read bucket not shared between tokens")
	}
	// Writes are not limited here.
	if err := l.Endpoint("A", "tok4", true); err != nil {
		t.Errorf("write: %v", err)
	}
	if err := l.Anonymous("10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	retryAfter(t, l.Anonymous("10.0.0.1"))
	if err := l.Anonymous("10.0.0.2"); err != nil {
		t.Errorf("other address: %v", err)
	}
}

func TestNilLimiter(t *testing.T) {
	l := New(Config{}, nil)
	if l != nil {
		t.Fatal("no limits should give a nil limiter")
	}
	if l.Operation("A", "X") != nil || l.Endpoint("A", "t", true) != nil || l.Anonymous("ip") != nil {
		t.Error("nil limiter refused")
	}
}

// Under concurrency exactly the burst is admitted.
func TestLimiterConcurrent(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	cfg, _ := Parse("ListDomains=1/50")
	l := New(cfg, clk.now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Operation("A", "ListDomains") == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 50 {
		t.Errorf("%d admitted, want 50", ok)
	}
}

func TestIsRead(t *testing.T) {
	for op, want := range map[string]bool{
		"ListDomains": true, "DescribeRepository": true, "GetAuthorizationToken": true, "GetPackageVersionAsset": true,
		"PublishPackageVersion": false, "DeletePackageVersions": false, "CreateDomain": false, "TagResource": false,
	} {
		if IsRead(op) != want {
			t.Errorf("IsRead(%s) = %v", op, !want)
		}
	}
}
