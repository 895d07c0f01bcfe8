package publiccache

import (
	"context"
	"testing"
	"time"
)

func TestFailing(t *testing.T) {
	reg, clock := newRegistry(t), newClock()
	c := reg.cache(t, testOptions(t.TempDir(), clock))
	reg.set("pkg", "doc:v1")
	steps := []struct {
		name, mode string
		want       bool
	}{
		{"fetched", "", false},
		{"refetch with the registry answering 503", "503", true},
		{"refetch with connections closed", "close", true},
		{"refetch once it is back", "", false},
	}
	if c.Failing("pkg") {
		t.Fatal("a key never fetched is failing")
	}
	mustGet(t, c, "pkg", "doc:v1")
	for _, s := range steps {
		reg.setMode(s.mode)
		clock.Advance(2 * time.Second) // past MinRefetch
		if _, err := c.Refetch(context.Background(), "pkg"); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := c.Failing("pkg"); got != s.want {
			t.Errorf("%s: Failing = %v, want %v", s.name, got, s.want)
		}
	}
	if c.Failing("never") {
		t.Error("a key never asked for is failing")
	}
}
