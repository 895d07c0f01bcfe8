package controlplane

import "testing"

func TestRequestIDsAreUUIDShapedAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := requestID()
		if !requestIDPattern.MatchString(id) || seen[id] {
			t.Fatalf("request id %q: malformed or repeated", id)
		}
		seen[id] = true
	}
}
