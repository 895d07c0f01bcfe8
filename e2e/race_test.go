package e2e

// The race suite: concurrent publishes, deletes, status changes, disposals
// and copies on the same few versions, through the real server. Every
// response is recorded with when it was sent and answered, and a checker
// then looks for one order of the operations, consistent with real time,
// in which each operation gives exactly the answer it got and the end
// state is what the server shows afterwards (linearizability, per
// version). A lost update, a double winner or a torn state has no such
// order.
//
// The short version runs in ./test.sh; WHARF_LONG=1 runs many more rounds.

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const raceDomain = "race"

// raceSide is one repository's copy of a version, as the model sees it.
type raceSide struct {
	Exists  bool
	Status  types.PackageVersionStatus
	Content int8 // which of the version's contents its asset holds
}

// raceState is one version in the source and destination repositories.
type raceState struct{ Src, Dst raceSide }

type raceKind int

const (
	racePublish raceKind = iota // publish content Arg to src
	raceDeleteSrc
	raceDeleteDst
	raceStatus // src: expected Expect ("" for none) -> Target
	raceDispose
	raceCopy // src -> dst, no overwrite
)

// raceOp is one request and the answer it got.
type raceOp struct {
	Kind       raceKind
	Version    string
	Content    int8
	Expect     types.PackageVersionStatus
	Target     types.PackageVersionStatus
	Start, End time.Time
	// Outcome is "ok:STATUS" with the status the answer reports, a
	// per-version error code, or an exception name.
	Outcome string
}

func (o raceOp) String() string {
	names := map[raceKind]string{racePublish: "publish", raceDeleteSrc: "delete-src", raceDeleteDst: "delete-dst", raceStatus: "status", raceDispose: "dispose", raceCopy: "copy"}
	s := names[o.Kind]
	switch o.Kind {
	case racePublish:
		s += fmt.Sprintf("(%d)", o.Content)
	case raceStatus:
		s += fmt.Sprintf("(%s->%s)", o.Expect, o.Target)
	}
	return s + " = " + o.Outcome
}

// apply returns the answer the operation must get in state st, and the
// state after it.
func (o raceOp) apply(st raceState) (string, raceState) {
	src := &st.Src
	switch o.Kind {
	case racePublish:
		switch {
		case !src.Exists:
			*src = raceSide{Exists: true, Status: types.PackageVersionStatusPublished, Content: o.Content}
			return "ok:Published", st
		case src.Status == types.PackageVersionStatusArchived || src.Status == types.PackageVersionStatusDisposed:
			return "ConflictException", st
		case src.Content == o.Content:
			return "ok:" + string(src.Status), st // identical bytes: idempotent
		default:
			return "ConflictException", st
		}
	case raceDeleteSrc, raceDeleteDst:
		side := src
		if o.Kind == raceDeleteDst {
			side = &st.Dst
		}
		if !side.Exists {
			return "NOT_FOUND", st
		}
		*side = raceSide{}
		return "ok:Deleted", st
	case raceStatus:
		switch {
		case !src.Exists:
			return "NOT_FOUND", st
		case o.Expect != "" && src.Status != o.Expect:
			return "MISMATCHED_STATUS", st
		case src.Status == types.PackageVersionStatusDisposed:
			return "NOT_ALLOWED", st
		}
		src.Status = o.Target
		return "ok:" + string(o.Target), st
	case raceDispose:
		switch {
		case !src.Exists:
			return "NOT_FOUND", st
		case src.Status == types.PackageVersionStatusDisposed:
			return "NOT_ALLOWED", st
		}
		// The bytes are gone for good: nothing can tell which they were.
		src.Status, src.Content = types.PackageVersionStatusDisposed, -1
		return "ok:Disposed", st
	case raceCopy:
		switch {
		case !src.Exists:
			return "NOT_FOUND", st
		case src.Status == types.PackageVersionStatusDisposed:
			return "NOT_ALLOWED", st
		case st.Dst.Exists:
			return "ALREADY_EXISTS", st
		}
		st.Dst = *src
		return "ok:" + string(src.Status), st
	}
	panic("unknown op")
}

// linearizable searches for an order of ops (at most 64) that respects
// real time (an op answered before another was sent comes first), gives
// every op its recorded outcome, and ends in final.
func linearizable(ops []raceOp, final raceState) bool {
	if len(ops) > 64 {
		panic("too many ops for the checker")
	}
	type key struct {
		done uint64
		st   raceState
	}
	seen := map[key]bool{}
	all := uint64(1)<<len(ops) - 1
	if len(ops) == 64 {
		all = ^uint64(0)
	}
	var search func(done uint64, st raceState) bool
	search = func(done uint64, st raceState) bool {
		if done == all {
			return st == final
		}
		k := key{done, st}
		if seen[k] {
			return false
		}
		seen[k] = true
		// Only an op sent before every pending op's answer may go next.
		var minEnd time.Time
		for i, o := range ops {
			if done&(1<<i) == 0 && (minEnd.IsZero() || o.End.Before(minEnd)) {
				minEnd = o.End
			}
		}
		for i, o := range ops {
			if done&(1<<i) != 0 || o.Start.After(minEnd) {
				continue
			}
			if out, next := o.apply(st); out == o.Outcome && search(done|1<<i, next) {
				return true
			}
		}
		return false
	}
	return search(0, raceState{})
}

// raceEnv is the server and package the race tests work on.
type raceEnv struct {
	c *ca.Client
}

func raceContent(version string, n int8) []byte {
	return []byte(fmt.Sprintf("%s content %d\n", version, n))
}

// batchOutcome reduces a one-version batch answer to "ok:STATUS" or its
// code.
func batchOutcome(version string, ok map[string]types.SuccessfulPackageVersionInfo, failed map[string]types.PackageVersionError, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	if r, yes := ok[version]; yes && len(failed) == 0 {
		return "ok:" + string(r.Status)
	}
	if f, no := failed[version]; no && len(ok) == 0 {
		return string(f.ErrorCode)
	}
	return fmt.Sprintf("inconsistent answer: ok %v failed %v", ok, failed)
}

// do sends the op and records its outcome and timing.
func (e raceEnv) do(o *raceOp) {
	d, src, ns := aws.String(raceDomain), aws.String("src"), aws.String("race")
	p := aws.String("pkg")
	vs := []string{o.Version}
	o.Start = time.Now()
	switch o.Kind {
	case racePublish:
		out, err := relPublish(e.c, raceDomain, relRef{Repo: "src", NS: "race", Pkg: "pkg", Version: o.Version}, "a.bin", raceContent(o.Version, o.Content))
		switch {
		case err == nil:
			o.Outcome = "ok:" + string(out.Status)
		case relCode(err) != "":
			o.Outcome = relCode(err)
		default:
			o.Outcome = "error: " + err.Error()
		}
	case raceDeleteSrc, raceDeleteDst:
		repo := src
		if o.Kind == raceDeleteDst {
			repo = aws.String("dst")
		}
		out, err := e.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: d, Repository: repo, Format: types.PackageFormatGeneric, Namespace: ns, Package: p, Versions: vs})
		if err != nil {
			o.Outcome = batchOutcome(o.Version, nil, nil, err)
		} else {
			o.Outcome = batchOutcome(o.Version, out.SuccessfulVersions, out.FailedVersions, nil)
		}
	case raceStatus:
		out, err := e.c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: d, Repository: src, Format: types.PackageFormatGeneric, Namespace: ns, Package: p,
			Versions: vs, ExpectedStatus: o.Expect, TargetStatus: o.Target})
		if err != nil {
			o.Outcome = batchOutcome(o.Version, nil, nil, err)
		} else {
			o.Outcome = batchOutcome(o.Version, out.SuccessfulVersions, out.FailedVersions, nil)
		}
	case raceDispose:
		out, err := e.c.DisposePackageVersions(ctx, &ca.DisposePackageVersionsInput{Domain: d, Repository: src, Format: types.PackageFormatGeneric, Namespace: ns, Package: p, Versions: vs})
		if err != nil {
			o.Outcome = batchOutcome(o.Version, nil, nil, err)
		} else {
			o.Outcome = batchOutcome(o.Version, out.SuccessfulVersions, out.FailedVersions, nil)
		}
	case raceCopy:
		out, err := e.c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: d, SourceRepository: src, DestinationRepository: aws.String("dst"),
			Format: types.PackageFormatGeneric, Namespace: ns, Package: p, Versions: vs})
		if err != nil {
			o.Outcome = batchOutcome(o.Version, nil, nil, err)
		} else {
			o.Outcome = batchOutcome(o.Version, out.SuccessfulVersions, out.FailedVersions, nil)
		}
	}
	o.End = time.Now()
}

// observe reads a version's final state in both repositories. Bytes are
// checked through downloads where the status allows them, and through the
// recorded SHA-256 where it does not; a Disposed version has none.
func (e raceEnv) observe(t *testing.T, version string) raceState {
	t.Helper()
	var st raceState
	for _, repo := range []string{"src", "dst"} {
		side := &st.Src
		if repo == "dst" {
			side = &st.Dst
		}
		ref := relRef{Repo: repo, NS: "race", Pkg: "pkg", Version: version}
		as, err := e.c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(raceDomain), Repository: aws.String(repo),
			Format: types.PackageFormatGeneric, Namespace: aws.String("race"), Package: aws.String("pkg"), PackageVersion: aws.String(version)})
		if relCode(err) == "ResourceNotFoundException" {
			continue
		}
		if err != nil {
			t.Fatalf("ListPackageVersionAssets %s: %v", ref, err)
		}
		dv, err := e.c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String(raceDomain), Repository: aws.String(repo),
			Format: types.PackageFormatGeneric, Namespace: aws.String("race"), Package: aws.String("pkg"), PackageVersion: aws.String(version)})
		if err != nil {
			t.Fatalf("DescribePackageVersion %s: %v", ref, err)
		}
		side.Exists, side.Status, side.Content = true, dv.PackageVersion.Status, -1
		if side.Status == types.PackageVersionStatusDisposed {
			// Decision 9: a Disposed version lists no assets.
			if len(as.Assets) != 0 {
				t.Errorf("%s is Disposed but lists assets %v", ref, as.Assets)
			}
			if _, err := relFetch(e.c, raceDomain, ref, "a.bin"); err == nil {
				t.Errorf("%s is Disposed but its asset downloads", ref)
			}
			continue
		}
		if len(as.Assets) != 1 || aws.ToString(as.Assets[0].Name) != "a.bin" {
			t.Errorf("%s: assets %v, want exactly a.bin", ref, as.Assets)
			continue
		}
		for n := int8(0); n < 2; n++ {
			if as.Assets[0].Hashes["SHA-256"] == relSHA(raceContent(version, n)) {
				side.Content = n
			}
		}
		downloadable := side.Status == types.PackageVersionStatusPublished || side.Status == types.PackageVersionStatusUnlisted
		got, err := relFetch(e.c, raceDomain, ref, "a.bin")
		switch {
		case downloadable && (err != nil || side.Content < 0 || string(got) != string(raceContent(version, side.Content))):
			t.Errorf("%s (%s): download %q, err %v", ref, side.Status, got, err)
		case !downloadable && err == nil:
			t.Errorf("%s is %s but its asset downloads", ref, side.Status)
		}
	}
	return st
}

func raceSetup(t *testing.T) (*Server, raceEnv) {
	s := StartServer(t)
	Setup(t, s.Client(), raceDomain, "src", "dst")
	e := raceEnv{c: relClient(s)}
	// The package exists in both repositories from the start, so a miss is
	// always a per-version NOT_FOUND rather than a missing package.
	for _, repo := range []string{"src", "dst"} {
		if _, err := relPublish(e.c, raceDomain, relRef{Repo: repo, NS: "race", Pkg: "pkg", Version: "anchor"}, "a.bin", []byte("anchor")); err != nil {
			t.Fatal(err)
		}
	}
	return s, e
}

// randomRaceOp picks an operation; the mix keeps every kind of conflict
// frequent on a handful of versions.
func randomRaceOp(rng *rand.Rand, version string) raceOp {
	statuses := []types.PackageVersionStatus{types.PackageVersionStatusPublished, types.PackageVersionStatusUnlisted, types.PackageVersionStatusArchived}
	o := raceOp{Version: version}
	switch n := rng.IntN(100); {
	case n < 30:
		o.Kind, o.Content = racePublish, int8(rng.IntN(2))
	case n < 45:
		o.Kind = raceDeleteSrc
	case n < 52:
		o.Kind = raceDeleteDst
	case n < 75:
		o.Kind, o.Target = raceStatus, statuses[rng.IntN(3)]
		if rng.IntN(3) > 0 {
			o.Expect = statuses[rng.IntN(3)]
		}
	case n < 80:
		o.Kind = raceDispose
	default:
		o.Kind = raceCopy
	}
	return o
}

func TestRaceLinearizable(t *testing.T) {
	rounds := 20
	if relLong() {
		rounds = 150
	}
	const workers, steps, versions = 12, 12, 4
	start := time.Now()
	_, e := raceSetup(t)
	var total int
	outcomes := map[string]int{}
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		var mu sync.Mutex
		history := map[string][]raceOp{}
		// Each step fires every worker at once, so most operations overlap
		// others on the same version.
		for step := 0; step < steps; step++ {
			ops := make([]raceOp, workers)
			for w := range ops {
				v := fmt.Sprintf("r%d.v%d", round, rng.IntN(versions))
				for len(history[v]) >= 52 { // the checker takes 64 at most; a step adds up to 12
					v = fmt.Sprintf("r%d.v%d", round, rng.IntN(versions))
				}
				ops[w] = randomRaceOp(rng, v)
			}
			var wg sync.WaitGroup
			for w := range ops {
				wg.Add(1)
				go func(o *raceOp) {
					defer wg.Done()
					e.do(o)
					mu.Lock()
					history[o.Version] = append(history[o.Version], *o)
					mu.Unlock()
				}(&ops[w])
			}
			wg.Wait()
		}
		for version, ops := range history {
			total += len(ops)
			for _, o := range ops {
				if strings.Contains(o.Outcome, " ") {
					t.Fatalf("%s: %s", version, o)
				}
				outcomes[o.String()[strings.Index(o.String(), "= ")+2:]]++
			}
			final := e.observe(t, version)
			if !linearizable(ops, final) {
				sort.Slice(ops, func(i, j int) bool { return ops[i].Start.Before(ops[j].Start) })
				var b strings.Builder
				for _, o := range ops {
					fmt.Fprintf(&b, "\n  [%s .. %s] %s", o.Start.Format("05.000000"), o.End.Format("05.000000"), o)
				}
				t.Fatalf("%s: no order of these operations explains their answers and the final state %+v:%s", version, final, b.String())
			}
		}
	}
	t.Logf("%d rounds, %d operations on %d versions per round by %d concurrent clients: every history linearizable; outcomes %v; %s",
		rounds, total, versions, workers, outcomes, time.Since(start).Round(time.Millisecond))
}

// TestRaceOneWinner fires many identical or competing requests at one
// version at once: exactly one may succeed, and the version ends as the
// winner left it.
func TestRaceOneWinner(t *testing.T) {
	const n = 16
	_, e := raceSetup(t)
	fire := func(mk func(i int) raceOp) []raceOp {
		ops := make([]raceOp, n)
		var wg sync.WaitGroup
		for i := range ops {
			ops[i] = mk(i)
			wg.Add(1)
			go func(o *raceOp) { defer wg.Done(); e.do(o) }(&ops[i])
		}
		wg.Wait()
		return ops
	}
	winner := func(t *testing.T, ops []raceOp, loser string) int {
		t.Helper()
		w := -1
		for i, o := range ops {
			switch {
			case strings.HasPrefix(o.Outcome, "ok:") && w >= 0:
				t.Fatalf("two winners: %s and %s", ops[w], o)
			case strings.HasPrefix(o.Outcome, "ok:"):
				w = i
			case o.Outcome != loser:
				t.Fatalf("loser answered %s, want %s", o, loser)
			}
		}
		if w < 0 {
			t.Fatalf("no winner among %v", ops)
		}
		return w
	}
	publish := func(t *testing.T, v string) {
		if _, err := relPublish(e.c, raceDomain, relRef{Repo: "src", NS: "race", Pkg: "pkg", Version: v}, "a.bin", raceContent(v, 0)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("publish different bytes", func(t *testing.T) {
		// Two contents only; so the same bytes as the winner are idempotent
		// successes and the test counts winners by content.
		v := "one.publish"
		ops := fire(func(i int) raceOp { return raceOp{Kind: racePublish, Version: v, Content: int8(i % 2)} })
		won := map[int8]int{}
		for _, o := range ops {
			switch o.Outcome {
			case "ok:Published":
				won[o.Content]++
			case "ConflictException":
			default:
				t.Fatalf("publish answered %s", o)
			}
		}
		if len(won) != 1 {
			t.Fatalf("both contents were accepted: %v", won)
		}
		if st := e.observe(t, v); !st.Src.Exists || won[st.Src.Content] == 0 {
			t.Fatalf("final %+v, winners %v", st, won)
		}
	})
	t.Run("delete", func(t *testing.T) {
		v := "one.delete"
		publish(t, v)
		winner(t, fire(func(int) raceOp { return raceOp{Kind: raceDeleteSrc, Version: v} }), "NOT_FOUND")
		if st := e.observe(t, v); st.Src.Exists {
			t.Fatalf("deleted version still there: %+v", st)
		}
	})
	t.Run("guarded status change", func(t *testing.T) {
		v := "one.status"
		publish(t, v)
		targets := []types.PackageVersionStatus{types.PackageVersionStatusUnlisted, types.PackageVersionStatusArchived}
		ops := fire(func(i int) raceOp {
			return raceOp{Kind: raceStatus, Version: v, Expect: types.PackageVersionStatusPublished, Target: targets[i%2]}
		})
		w := winner(t, ops, "MISMATCHED_STATUS")
		if st := e.observe(t, v); st.Src.Status != ops[w].Target {
			t.Fatalf("winner set %s, version is %s", ops[w].Target, st.Src.Status)
		}
	})
	t.Run("dispose", func(t *testing.T) {
		v := "one.dispose"
		publish(t, v)
		winner(t, fire(func(int) raceOp { return raceOp{Kind: raceDispose, Version: v} }), "NOT_ALLOWED")
	})
	t.Run("copy", func(t *testing.T) {
		v := "one.copy"
		publish(t, v)
		winner(t, fire(func(int) raceOp { return raceOp{Kind: raceCopy, Version: v} }), "ALREADY_EXISTS")
		if st := e.observe(t, v); st.Dst != st.Src {
			t.Fatalf("copy: src %+v, dst %+v", st.Src, st.Dst)
		}
	})
}

// TestLinearizabilityChecker makes sure the checker can say no: each
// history below has no valid order.
func TestLinearizabilityChecker(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	pub := func(s, e int, c int8, out string) raceOp {
		return raceOp{Kind: racePublish, Content: c, Start: at(s), End: at(e), Outcome: out}
	}
	del := func(s, e int, out string) raceOp {
		return raceOp{Kind: raceDeleteSrc, Start: at(s), End: at(e), Outcome: out}
	}
	published := func(c int8) raceState {
		return raceState{Src: raceSide{Exists: true, Status: types.PackageVersionStatusPublished, Content: c}}
	}
	cases := []struct {
		name  string
		ops   []raceOp
		final raceState
		want  bool
	}{
		{"two concurrent publishes, one wins", []raceOp{pub(0, 10, 0, "ok:Published"), pub(1, 9, 1, "ConflictException")}, published(0), true},
		{"two winners", []raceOp{pub(0, 10, 0, "ok:Published"), pub(1, 9, 1, "ok:Published")}, published(1), false},
		{"final state from the loser", []raceOp{pub(0, 10, 0, "ok:Published"), pub(1, 9, 1, "ConflictException")}, published(1), false},
		{"delete after publish must find it", []raceOp{pub(0, 1, 0, "ok:Published"), del(2, 3, "NOT_FOUND")}, published(0), false},
		{"overlapping delete may miss it", []raceOp{pub(0, 5, 0, "ok:Published"), del(2, 3, "NOT_FOUND")}, published(0), true},
		{"lost delete", []raceOp{pub(0, 1, 0, "ok:Published"), del(2, 3, "ok:Deleted")}, published(0), false},
		{"two deletes both win", []raceOp{pub(0, 1, 0, "ok:Published"), del(2, 5, "ok:Deleted"), del(3, 4, "ok:Deleted")}, raceState{}, false},
		{"idempotent republish reports the current status", []raceOp{pub(0, 1, 0, "ok:Published"), pub(2, 3, 0, "ok:Unlisted")}, published(0), false},
	}
	for _, c := range cases {
		if got := linearizable(c.ops, c.final); got != c.want {
			t.Errorf("%s: linearizable = %v, want %v", c.name, got, c.want)
		}
	}
}
