// Package throttle limits request rates with token buckets, per account
// and per operation as CodeArtifact's quotas are stated, and answers with
// CodeArtifact's ThrottlingException (429 and Retry-After), which the AWS
// SDKs' retryers back off from and retry.
//
// A request takes one token from every bucket that applies to it, or from
// none: it is refused, with the wait until every bucket has a token, when
// any of them is empty. Buckets start full and hold Burst tokens.
package throttle

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/model"
)

// Rate is a token bucket's refill rate and capacity. The zero Rate is no
// limit.
type Rate struct {
	PerSecond float64
	Burst     float64 // default: one second's worth, at least 1
}

func (r Rate) limited() bool { return r.PerSecond > 0 }

func (r Rate) burst() float64 {
	if r.Burst > 0 {
		return r.Burst
	}
	return math.Max(1, r.PerSecond)
}

func (r Rate) String() string {
	s := strconv.FormatFloat(r.PerSecond, 'f', -1, 64)
	if r.Burst > 0 {
		s += "/" + strconv.FormatFloat(r.Burst, 'f', -1, 64)
	}
	return s
}

// Config says which limits apply. Every field is optional.
type Config struct {
	// Ops limits one control-plane operation, per account.
	Ops map[string]Rate
	// Read and Write limit all read (Describe*, Get*, List*, and GET or
	// HEAD on a repository endpoint) or all other requests of an account.
	Read, Write Rate
	// Token limits the requests made with one authorization token on
	// repository endpoints.
	Token Rate
	// Anonymous limits, per client IP, repository-endpoint requests
	// without a valid token.
	Anonymous Rate
}

// Enabled reports whether any limit is set.
func (c Config) Enabled() bool {
	if c.Read.limited() || c.Write.limited() || c.Token.limited() || c.Anonymous.limited() {
		return true
	}
	for _, r := range c.Ops {
		if r.limited() {
			return true
		}
	}
	return false
}

// String writes the configuration in Parse's syntax.
func (c Config) String() string {
	var parts []string
	for _, f := range []struct {
		k string
		r Rate
	}{{"read", c.Read}, {"write", c.Write}, {"token", c.Token}, {"anonymous", c.Anonymous}} {
		if f.r.limited() {
			parts = append(parts, f.k+"="+f.r.String())
		}
	}
	ops := make([]string, 0, len(c.Ops))
	for op, r := range c.Ops {
		if r.limited() {
			ops = append(ops, op+"="+r.String())
		}
	}
	sort.Strings(ops)
	parts = append(parts, ops...)
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ",")
}

// CodeArtifact returns CodeArtifact's published default quotas (per
// account and Region; UG "Quotas in AWS CodeArtifact").
func CodeArtifact() Config {
	return Config{
		Ops: map[string]Rate{
			"GetAuthorizationToken":    {PerSecond: 40},
			"GetPackageVersionAsset":   {PerSecond: 50},
			"ListPackageVersionAssets": {PerSecond: 200},
			"ListPackageVersions":      {PerSecond: 200},
			"ListPackages":             {PerSecond: 200},
			"PublishPackageVersion":    {PerSecond: 10},
			"CopyPackageVersions":      {PerSecond: 5},
		},
		Read:      Rate{PerSecond: 800},
		Write:     Rate{PerSecond: 100},
		Token:     Rate{PerSecond: 1200},
		Anonymous: Rate{PerSecond: 600},
	}
}

// Parse reads a configuration: comma-separated items, each "off" (no
// limits), "codeartifact" (CodeArtifact's quotas) or KEY=RATE[/BURST]
// with KEY one of read, write, token, anonymous or an operation name, and
// RATE in requests per second (0 removes that limit). Later items
// override earlier ones, so "codeartifact,PublishPackageVersion=2" is
// CodeArtifact's quotas with a stricter publish limit.
func Parse(spec string) (Config, error) {
	c := Config{Ops: map[string]Rate{}}
	ops := map[string]bool{}
	for _, op := range apimodel.Operations() {
		ops[op.Name] = true
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		switch strings.ToLower(item) {
		case "":
			continue
		case "off", "none":
			c = Config{Ops: map[string]Rate{}}
			continue
		case "codeartifact":
			c = CodeArtifact()
			continue
		}
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return Config{}, fmt.Errorf("throttle: %q is not off, codeartifact or KEY=RATE[/BURST]", item)
		}
		r, err := parseRate(val)
		if err != nil {
			return Config{}, fmt.Errorf("throttle: %s: %w", key, err)
		}
		switch strings.ToLower(key) {
		case "read":
			c.Read = r
		case "write":
			c.Write = r
		case "token":
			c.Token = r
		case "anonymous":
			c.Anonymous = r
		default:
			if !ops[key] {
				return Config{}, fmt.Errorf("throttle: %q is not read, write, token, anonymous or a CodeArtifact operation", key)
			}
			c.Ops[key] = r
		}
	}
	return c, nil
}

func parseRate(s string) (Rate, error) {
	rate, burst, hasBurst := strings.Cut(s, "/")
	var r Rate
	var err error
	if r.PerSecond, err = strconv.ParseFloat(rate, 64); err != nil || r.PerSecond < 0 || math.IsInf(r.PerSecond, 0) {
		return Rate{}, fmt.Errorf("rate %q must be a number of requests per second", rate)
	}
	if hasBurst {
		if r.Burst, err = strconv.ParseFloat(burst, 64); err != nil || r.Burst < 1 || math.IsInf(r.Burst, 0) {
			return Rate{}, fmt.Errorf("burst %q must be a number of requests, at least 1", burst)
		}
	}
	return r, nil
}

// IsRead reports whether a control-plane operation counts as a read.
func IsRead(op string) bool {
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")
}

// Limiter applies a Config. A nil *Limiter allows everything.
type Limiter struct {
	cfg Config
	now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	rate   Rate
	tokens float64
	at     time.Time
}

// New returns a limiter for cfg, or nil when cfg sets no limit. now is
// the clock (nil for time.Now).
func New(cfg Config, now func() time.Time) *Limiter {
	if !cfg.Enabled() {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{cfg: cfg, now: now, buckets: map[string]*bucket{}}
}

// sweepEvery is how often idle buckets (full again) are dropped, so
// per-token and per-IP buckets do not accumulate.
const sweepEvery = time.Minute

type want struct {
	key  string
	rate Rate
	what string // for the message
}

// take takes a token from every wanted bucket, or from none and returns
// the wait until all have one.
func (l *Limiter) take(ws []want) (time.Duration, string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	var wait time.Duration
	var what string
	bs := make([]*bucket, len(ws))
	for i, w := range ws {
		b := l.buckets[w.key]
		if b == nil {
			b = &bucket{rate: w.rate, tokens: w.rate.burst(), at: now}
			l.buckets[w.key] = b
		}
		b.refill(now)
		bs[i] = b
		if b.tokens < 1 {
			if d := time.Duration((1 - b.tokens) / b.rate.PerSecond * float64(time.Second)); d > wait {
				wait, what = d, w.what
			}
		}
	}
	if wait > 0 {
		return wait, what
	}
	for _, b := range bs {
		b.tokens--
	}
	return 0, ""
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(b.rate.burst(), b.tokens+el.Seconds()*b.rate.PerSecond)
		b.at = now
	}
}

func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		b.refill(now)
		if b.tokens >= b.rate.burst() {
			delete(l.buckets, k)
		}
	}
}

func throttled(wait time.Duration, what string) error {
	return &model.Error{Kind: model.KindThrottling, RetryAfter: wait, Message: "Rate exceeded: " + what + "."}
}

// Operation admits one control-plane request of account, or returns a
// ThrottlingException.
func (l *Limiter) Operation(account, op string) error {
	if l == nil {
		return nil
	}
	ws := make([]want, 0, 2)
	if r := l.cfg.Ops[op]; r.limited() {
		ws = append(ws, want{"op\x00" + account + "\x00" + op, r, fmt.Sprintf("at most %s %s requests per second per account", num(r.PerSecond), op)})
	}
	ws = l.accountBucket(ws, account, !IsRead(op))
	if len(ws) == 0 {
		return nil
	}
	if wait, what := l.take(ws); wait > 0 {
		return throttled(wait, what)
	}
	return nil
}

func (l *Limiter) accountBucket(ws []want, account string, write bool) []want {
	if write {
		if r := l.cfg.Write; r.limited() {
			ws = append(ws, want{"write\x00" + account, r, fmt.Sprintf("at most %s write requests per second per account", num(r.PerSecond))})
		}
	} else if r := l.cfg.Read; r.limited() {
		ws = append(ws, want{"read\x00" + account, r, fmt.Sprintf("at most %s read requests per second per account", num(r.PerSecond))})
	}
	return ws
}

// Endpoint admits one repository-endpoint request made with a valid token
// (tokenKey identifies the token; a digest of it will do) by account.
func (l *Limiter) Endpoint(account, tokenKey string, write bool) error {
	if l == nil {
		return nil
	}
	ws := make([]want, 0, 2)
	if r := l.cfg.Token; r.limited() {
		ws = append(ws, want{"token\x00" + tokenKey, r, fmt.Sprintf("at most %s requests per second per authorization token", num(r.PerSecond))})
	}
	ws = l.accountBucket(ws, account, write)
	if len(ws) == 0 {
		return nil
	}
	if wait, what := l.take(ws); wait > 0 {
		return throttled(wait, what)
	}
	return nil
}

// Anonymous admits one request without valid credentials from ip.
func (l *Limiter) Anonymous(ip string) error {
	if l == nil || !l.cfg.Anonymous.limited() {
		return nil
	}
	r := l.cfg.Anonymous
	if wait, what := l.take([]want{{"anon\x00" + ip, r, fmt.Sprintf("at most %s unauthenticated requests per second per address", num(r.PerSecond))}}); wait > 0 {
		return throttled(wait, what)
	}
	return nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
