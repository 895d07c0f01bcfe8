package main

import (
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"0d", 0, true},
		{"720h", 720 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"-1d", 0, false},
		{"-5h", 0, false},
		{"d", 0, false},
		{"ninety days", 0, false},
	}
	for _, tt := range tests {
		got, err := parseRetention(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseRetention(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-07T01:02:03Z", time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC), true},
		{"2026-12-07T01:02:03.5+01:00", time.Date(2026, 12, 7, 0, 2, 3, 500_000_000, time.UTC), true},
		{"2026-12-06", time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), true},
		{"1h", now.Add(-time.Hour), true},
		{"7d", now.Add(-7 * 24 * time.Hour), true},
		{"yesterday", time.Time{}, false},
		{"2026-13-01", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) {
			t.Errorf("parseTime(%q) = %v, %v", tt.in, got, err)
		}
	}
}
