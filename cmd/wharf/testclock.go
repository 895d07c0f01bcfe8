//go:build !wharftest

package main

import "time"

// testClock is the server's clock: the real one, except in test builds.
func testClock() func() time.Time { return nil }
