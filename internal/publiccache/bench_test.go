package publiccache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The warm path of an npm install: a Get of a cached, fresh document.
// It must not allocate.
func BenchmarkGetWarm(b *testing.B) {
	fetch := func(_ context.Context, key string, _ Validators) (Response, error) {
		return Response{Body: []byte("doc:" + key)}, nil
	}
	c, err := New(Options{Dir: b.TempDir(), Fresh: time.Hour, Logger: quiet}, fetch, decodeDoc)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("package-%d", i)
		if _, err := c.Get(context.Background(), keys[i]); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := c.Get(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := c.Get(ctx, keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}
