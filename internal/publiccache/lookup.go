package publiccache

import "context"

// Lookup returns key's document for a caller that needs something in it
// (a version, a file), which has reports: the cached document when it
// has it, else the registry is asked at once (Refetch). A document that
// still lacks it is returned as it is when the registry answered (it does
// not have the version), but the registry's failure (wrapping
// ErrUnavailable, a 502) when it could not be asked: stale metadata
// cannot tell a version published since from one that does not exist.
// A nil has is Get.
func (c *Cache[T]) Lookup(ctx context.Context, key string, has func(T) bool) (T, error) {
	v, err := c.Get(ctx, key)
	if err != nil || has == nil || has(v) {
		return v, err
	}
	if v, err = c.Refetch(ctx, key); err != nil || has(v) {
		return v, err
	}
	c.mu.Lock()
	var lastErr error
	if e := c.byKey[key]; e != nil {
		lastErr = e.lastErr
	}
	c.mu.Unlock()
	if lastErr != nil {
		var zero T
		return zero, unavailable(key, lastErr)
	}
	return v, nil
}
