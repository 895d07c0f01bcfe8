package maven

import (
	"slices"
	"testing"
)

// Orders from Maven's ComparableVersionTest: each list is strictly
// ascending.
var ascending = [][]string{
	{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
		"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
		"1-1", "1-2", "1-123"},
	{"2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1",
		"2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"},
	{"1.0-alpha", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0.1", "1.10", "2.0-SNAPSHOT", "2.0"},
	// Numbers of any length.
	{"1.9", "1.10", "1.99999999999999999999", "1.100000000000000000000"},
}

func TestCompareVersionsOrder(t *testing.T) {
	for _, list := range ascending {
		for i := range list {
			for j := range list {
				got := CompareVersions(list[i], list[j])
				want := 0
				switch {
				case i < j:
					want = -1
				case i > j:
					want = 1
				}
				if sign(got) != want {
					t.Errorf("CompareVersions(%q, %q) = %d, want %d", list[i], list[j], got, want)
				}
			}
		}
	}
}

func TestCompareVersionsEqual(t *testing.T) {
	groups := [][]string{
		{"1", "1.0", "1.0.0", "1-ga", "1.ga", "1-final", "1.0.0-release", "1-0"},
		{"1a1", "1-a1", "1-alpha-1", "1alpha1", "1.0-a1", "1.0.0-a1"},
		{"1b2", "1-b2", "1-beta-2", "1beta2"},
		{"1m3", "1-m3", "1-milestone-3", "1milestone3"},
		{"1rc", "1-rc", "1cr", "1-cr"},
		{"1-SNAPSHOT", "1-snapshot", "1.0-SNAPSHOT"},
	}
	for _, g := range groups {
		for _, a := range g {
			for _, b := range g {
				if c := CompareVersions(a, b); c != 0 {
					t.Errorf("CompareVersions(%q, %q) = %d, want 0", a, b, c)
				}
			}
		}
	}
}

func TestSortVersions(t *testing.T) {
	got := []string{"1.10", "1.0-SNAPSHOT", "1.2", "1.0", "1.0-rc1", "1.0.0"}
	SortVersions(got)
	want := []string{"1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0.0", "1.2", "1.10"}
	if !slices.Equal(got, want) {
		t.Fatalf("SortVersions = %v, want %v", got, want)
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
