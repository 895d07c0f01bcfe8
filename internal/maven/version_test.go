package maven

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Strictly ascending lists. The first two are VERSIONS_QUALIFIER and
// VERSIONS_NUMBER of Maven 3.9's ComparableVersionTest (after MNG-7644,
// 2.0.a sits between 2.0 and 2-1, and 2.0.0.a equals 2.0.a); the rest
// are its pairwise checks strung together, and cases of our own that
// Maven 3.9 (maven-artifact's ComparableVersion main) ranks the same way.
var ascending = [][]string{
	{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
		"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
		"1-1", "1-2", "1-123"},
	{"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1",
		"2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"},
	// testVersionComparing.
	{"1", "1.5", "2", "2.5"},
	{"1.0", "1.0.1", "1.1", "1.2.0"},
	{"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1", "1.0-alpha-2", "1.0-beta-1", "1.0-SNAPSHOT", "1.0", "1.0-1", "1.0-2"},
	{"2.0-1", "2.0.1", "2.0.1-klm", "2.0.1-lmn", "2.0.1-xyz", "2.0.1-123"},
	// MNG-5568, MNG-6572 (number widths), MNG-6964, testLeadingZeroes.
	{"6.1.0rc3", "6.1.0", "6.1H.5-beta"},
	{"20190126.230843", "1234567890.12345", "123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"},
	{"1-0.alpha", "1-0.beta", "1"},
	{"0.2", "0.7", "1.0.7", "2"},
	// MNG-7644: 1.0.0.X1 < 1.0.0-X2 for any X.
	{"1.0.0.abc1", "1.0.0-abc2"}, {"1.0.0.alpha1", "1.0.0-alpha2"}, {"1.0.0.a1", "1.0.0-a2"},
	{"1.0.0.beta1", "1.0.0-beta2"}, {"1.0.0.b1", "1.0.0-b2"}, {"1.0.0.def1", "1.0.0-def2"},
	{"1.0.0.milestone1", "1.0.0-milestone2"}, {"1.0.0.m1", "1.0.0-m2"}, {"1.0.0.RC1", "1.0.0-RC2"},
	// Spring-style dotted qualifiers. "build" in .BUILD-SNAPSHOT ends with
	// "-", so it stays a plain item after 2.0.0 (not a sub-list as .SR1
	// becomes): an unknown qualifier after a number, above .SR1.
	{"2.0.0.M1", "2.0.0.RC1", "2.0.0-SNAPSHOT", "2.0.0.RELEASE", "2.0.0.SR1", "2.0.0.BUILD-SNAPSHOT", "2.0.1.RELEASE"},
	// Numbers of any length; Maven ranks a wider number type above a
	// narrower one whatever the value, so ten written zeros beat a 5.
	{"1.9", "1.10", "1.99999999999999999999", "1.100000000000000000000"},
	{"1.5.1", "1.0000000000.1"},
	// Digits are what Java's Character.isDigit(char) takes, so Arabic-Indic
	// two counts as 2 but a supplementary-plane digit is a letter; İ
	// lowercases to i and a combining dot; unknown qualifiers are in UTF-16
	// order, U+E000 above the supplementary planes.
	{"0", "𝟤", "1", "1.١", "1.٢", "1.3"},
	{"1-i", "1-İ", "1-z", "1-é", "1-𝟤", "1-\ue000"},
}

// Each group is equal versions.
var equal = [][]string{
	// testVersionsEqual and testVersionsHaveSameOrderButAreNotEqual.
	{"1", "1.0", "1.0.0", "1-0", "1.0-0", "1.ga", "1-ga", "1-final", "1.0.0-release", "1ga", "1release", "1final",
		"1Ga", "1GA", "1RELEASE", "1RELeaSE", "1Final", "1FinaL", "1FINAL", "1.0.0.Final"},
	{"1a", "1-a", "1.0-a", "1.0.0-a", "1.0a", "1.0.0a", "1A"},
	{"1x", "1-x", "1.0-x", "1.0.0-x", "1.0x", "1.0.0x", "1X"},
	{"1cr", "1rc", "1Cr", "1Rc", "1cR", "1rC", "1-cr", "1.0.0.RC"},
	{"1a1", "1-a1", "1-alpha-1", "1alpha1", "1.0-a1", "1.0.0-a1", "1A1", "1ALPHA1"},
	{"1b2", "1-b2", "1-beta-2", "1beta2", "1B2"},
	{"1m3", "1-m3", "1-milestone-3", "1Milestone3", "1MileStone3", "1MILESTONE3"},
	{"1B", "1b"}, {"1M", "1m"},
	{"1-SNAPSHOT", "1-snapshot", "1.0-SNAPSHOT"},
	{"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
	// "2.0.0.RELEASE" is just 2.
	{"2", "2.0.0.RELEASE", "2.0.0.release", "2.0.0-RELEASE", "2.0.0.GA", "2.0.0.Final"},
	// MNG-7644: 2.0.X = 2-X = 2.0.0.X for any X.
	{"2-abc", "2.0.abc", "2.0.0.abc"}, {"2-alpha", "2.0.alpha", "2.0.0.alpha"}, {"2-a", "2.0.a", "2.0.0.a"},
	{"2-beta", "2.0.beta", "2.0.0.beta"}, {"2-b", "2.0.b", "2.0.0.b"}, {"2-def", "2.0.def", "2.0.0.def"},
	{"2-milestone", "2.0.milestone", "2.0.0.milestone"}, {"2-m", "2.0.m", "2.0.0.m"},
	{"2-RC", "2.0.RC", "2.0.0.RC"},
	// testVersionEqualWithLeadingZeroes, testVersionZeroEqualWithLeadingZeroes.
	leadingZeros("1"), leadingZeros("0"),
	{"1.2", "١.٢", "01.002"},
}

// leadingZeros is "1", "01", ... up to 19 characters.
func leadingZeros(last string) []string {
	var vs []string
	for n := 0; n < 19; n++ {
		vs = append(vs, strings.Repeat("0", n)+last)
	}
	return vs
}

// Where Maven 3.9 contradicts itself, the order we chose: Maven ranks
// each triple a < b < c but c < a; we rank it ascending.
var cycles = [][3]string{
	{"0A0A0A", "0", "A"}, // Maven: 0A0A0A < 0 < A < 0A0A0A
	{"0-alpha", "0", "x"},
	{"1.0.0.beta-2", "1", "1-sp"},
	{"1.0.alpha.0", "1", "1.sp.0"},
	{"0000000000.alpha.0", "0", "5"}, // a wide zero is still nothing
}

func TestCompareVersionsOrder(t *testing.T) {
	for _, list := range ascending {
		for i := range list {
			for j := range list {
				want := sign(i - j) // list[i] < list[j] when i < j
				if got := CompareVersions(list[i], list[j]); sign(got) != want {
					t.Errorf("CompareVersions(%q, %q) = %d, want %d", list[i], list[j], got, want)
				}
			}
		}
	}
}

func TestCompareVersionsEqual(t *testing.T) {
	for _, g := range equal {
		for _, a := range g {
			for _, b := range g {
				if c := CompareVersions(a, b); c != 0 {
					t.Errorf("CompareVersions(%q, %q) = %d, want 0", a, b, c)
				}
			}
		}
	}
}

func TestCompareVersionsBreaksMavensCycles(t *testing.T) {
	for _, c := range cycles {
		for i := range c {
			for j := range c {
				if got := CompareVersions(c[i], c[j]); sign(got) != sign(i-j) {
					t.Errorf("CompareVersions(%q, %q) = %d, want %d", c[i], c[j], got, sign(i-j))
				}
			}
		}
	}
}

// TestCompareVersionsTotalOrder checks every pair of every version of up
// to three pieces below: sorted, they must fall into classes of equal
// versions, each below the next, which is what a total order gives.
func TestCompareVersionsTotalOrder(t *testing.T) {
	pieces := []string{"0", "1", "2", "a", "x", "sp", "alpha", "ga", ".", "-"}
	vs := []string{""}
	for n, from := 0, 0; n < 3; n++ {
		to := len(vs)
		for _, v := range vs[from:to] {
			for _, p := range pieces {
				vs = append(vs, v+p)
			}
		}
		from = to
	}
	parsed := make([]*item, len(vs))
	for i, v := range vs {
		parsed[i] = parseVersion(v)
	}
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return parsed[i].compare(parsed[j]) })
	class := make([]int, len(vs))
	for n := 1; n < len(order); n++ {
		class[order[n]] = class[order[n-1]]
		if parsed[order[n-1]].compare(parsed[order[n]]) != 0 {
			class[order[n]]++
		}
	}
	bad := 0
	for i := range vs {
		for j := range vs {
			if got, want := sign(parsed[i].compare(parsed[j])), sign(class[i]-class[j]); got != want {
				if bad++; bad <= 10 {
					t.Errorf("CompareVersions(%q, %q) = %d, but sorting put them %d", vs[i], vs[j], got, want)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("and %d more pairs", bad-10)
	}
}

func TestSortVersions(t *testing.T) {
	got := []string{"1.10", "1.0-SNAPSHOT", "1.2", "1.0", "1.0-rc1", "1.0.0", "1-sp", "1.0.0.beta-2", "1"}
	SortVersions(got)
	// 1.0.0.beta-2 is [1, 0, 0, beta, [2]]: below 1, but its 0 outranks
	// the sub-lists of -rc1 and -SNAPSHOT, as in Maven.
	want := []string{"1.0-rc1", "1.0-SNAPSHOT", "1.0.0.beta-2", "1", "1.0", "1.0.0", "1-sp", "1.2", "1.10"}
	if !slices.Equal(got, want) {
		t.Fatalf("SortVersions = %v, want %v", got, want)
	}
}

// FuzzCompareVersions: CompareVersions is a total preorder on whatever
// strings arrive: reflexive, antisymmetric and transitive, so sorting
// with it is consistent. Maven's own ComparableVersion is not transitive
// on the seeds in cycles. The seed corpus runs with go test.
func FuzzCompareVersions(f *testing.F) {
	var seeds []string
	for _, l := range ascending {
		seeds = append(seeds, l...)
	}
	for _, g := range equal {
		seeds = append(seeds, g...)
	}
	for _, c := range cycles {
		seeds = append(seeds, c[:]...)
	}
	seeds = append(seeds, "", "-", ".", "..", "1..2", "1.-2", "1--", "-1", "a-", "\xff", "1.0-rc1", "1.0.RELEASE",
		"1.0.final-redhat", "1.0-sp1-redhat")
	// Every seed is a, with b and c drawn from the seeds too; the checks
	// run every order of the three.
	for i, a := range seeds {
		f.Add(a, seeds[(i*7+1)%len(seeds)], seeds[(i*13+5)%len(seeds)])
	}
	for _, c := range cycles {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		vs := []string{a, b, c}
		r := func(i, j int) int { return sign(CompareVersions(vs[i], vs[j])) }
		for i := range vs {
			if r(i, i) != 0 {
				t.Fatalf("Compare(%q, %q) != 0", vs[i], vs[i])
			}
			for j := range vs {
				if r(i, j) != -r(j, i) {
					t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", vs[i], vs[j], r(i, j), vs[j], vs[i], r(j, i))
				}
				for k := range vs {
					// x <= y <= z implies x <= z, strictly if either step is.
					if r(i, j) <= 0 && r(j, k) <= 0 && r(i, k) != min(r(i, j), r(j, k)) {
						t.Fatalf("not transitive: %s", describe(vs[i], vs[j], vs[k]))
					}
				}
			}
		}
	})
}

func describe(vs ...string) string {
	var b strings.Builder
	for i, v := range vs {
		for _, w := range vs[i+1:] {
			fmt.Fprintf(&b, "Compare(%q, %q) = %d; ", v, w, CompareVersions(v, w))
		}
	}
	return b.String()
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
