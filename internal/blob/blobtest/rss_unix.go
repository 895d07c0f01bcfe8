//go:build unix

package blobtest

import (
	"runtime"
	"syscall"
	"testing"
)

// reportPeakRSS reports the process's peak resident set size, the figure
// that shows whether streaming a large blob stays within a fixed footprint.
func reportPeakRSS(b *testing.B) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return
	}
	maxrss := float64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		maxrss *= 1024 // kilobytes everywhere else
	}
	b.ReportMetric(maxrss/(1<<20), "peak-RSS-MiB")
}
