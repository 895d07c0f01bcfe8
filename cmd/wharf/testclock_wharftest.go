//go:build wharftest

package main

import (
	"os"
	"strings"
	"time"
)

// testClock, in test builds only (go build -tags wharftest, as the e2e
// tests build wharf), shifts the service's clock by the duration written
// in the file WHARF_TEST_CLOCK_FILE names ("-8760h"), read afresh on
// every call so that a test ages what it publishes without waiting.
func testClock() func() time.Time {
	path := os.Getenv("WHARF_TEST_CLOCK_FILE")
	if path == "" {
		return nil
	}
	return func() time.Time {
		b, err := os.ReadFile(path)
		if err != nil {
			return time.Now()
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			return time.Now()
		}
		return time.Now().Add(d)
	}
}
