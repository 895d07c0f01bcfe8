package publiccache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLookup: a caller needing v2 gets the cached document when it has
// v2; otherwise the registry is asked at once, and a document still
// lacking v2 is an answer when the registry gave it, a failure
// (ErrUnavailable) when the registry could not be asked.
func TestLookup(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.set("pkg", "doc:v1")
	hasV2 := func(v string) bool { return strings.Contains(v, "v2") }
	steps := []struct {
		name, mode, upstream string
		want                 string
		unavailable          bool
		hits                 int64
	}{
		{name: "first lookup, the registry lacks v2 (Refetch within MinRefetch of the Get)", upstream: "doc:v1", want: "doc:v1", hits: 1},
		{name: "the registry answering 503", mode: "503", upstream: "doc:v1", unavailable: true, hits: 2},
		{name: "connections closed", mode: "close", upstream: "doc:v1", unavailable: true, hits: 3},
		{name: "back, with v2", upstream: "doc:v2", want: "doc:v2", hits: 4},
		{name: "cached with v2: no request", upstream: "doc:v2", want: "doc:v2", hits: 4},
	}
	for _, s := range steps {
		reg.setMode(s.mode)
		reg.set("pkg", s.upstream)
		clock.Advance(2 * time.Second) // past MinRefetch
		got, err := c.Lookup(context.Background(), "pkg", hasV2)
		if s.unavailable {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: Lookup = %q, %v; want ErrUnavailable", s.name, got, err)
			}
		} else if err != nil || got != s.want {
			t.Errorf("%s: Lookup = %q, %v; want %q", s.name, got, err, s.want)
		}
		if h := reg.hits.Load(); h != s.hits {
			t.Errorf("%s: %d registry requests, want %d", s.name, h, s.hits)
		}
	}
	if v, err := c.Lookup(context.Background(), "pkg", nil); err != nil || v != "doc:v2" {
		t.Errorf("Lookup without a need = %q, %v; want Get's doc:v2", v, err)
	}
}
