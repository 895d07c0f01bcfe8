package publiccache

// Failing reports whether the registry's last answer for key was a
// failure (network error, 5xx, timeout, malformed document): a caller
// whose Refetch answered a cached document still lacking what it needs
// cannot tell a registry that does not have it from one that could not
// be asked, and a miss of the second kind is the registry's failure (a
// 502), not a not-found. False for a key never fetched.
func (c *Cache[T]) Failing(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	return e != nil && e.lastErr != nil
}
