//go:build !unix

package blobtest

import "testing"

// reportPeakRSS has no portable source of peak RSS here; B/op still shows
// whether memory stays flat.
func reportPeakRSS(*testing.B) {}
