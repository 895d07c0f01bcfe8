package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func TestDeletePackageVersions(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "del", "repo")
	pkg := func(name string) pkgRef { return genericPkg(c, "del", "repo", "ns", name) }

	t.Run("success", func(t *testing.T) {
		p := pkg("ok")
		r1 := aws.ToString(p.mustPublish(t, "1.0", "a", []byte("one"), false).VersionRevision)
		r2 := aws.ToString(p.mustPublish(t, "2.0", "a", []byte("two"), false).VersionRevision)
		p.mustPublish(t, "3.0", "a", []byte("three"), false)
		out, err := p.deleteVersions([]string{"1.0", "2.0", "1.0"}, "")
		if err != nil {
			t.Fatal(err)
		}
		wantResults(t, "delete", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
			"1.0": {Revision: r1, Status: "Deleted"}, "2.0": {Revision: r2, Status: "Deleted"},
		})
		if out.FailedVersions == nil || out.SuccessfulVersions == nil {
			t.Errorf("maps missing from the response: %+v", out)
		}
		for _, v := range []string{"1.0", "2.0"} {
			_, err := p.describe(v)
			wantNotFound(t, err, "package-version", v)
			_, _, err = p.download(v, "a", "")
			asErr[*types.ResourceNotFoundException](t, err)
		}
		if got := p.versions(t, ""); len(got) != 1 || got["3.0"].Status != types.PackageVersionStatusPublished {
			t.Errorf("left after delete: %v", got)
		}
		// Deleting the rest leaves an empty package, still describable.
		if _, err := p.deleteVersions([]string{"3.0"}, ""); err != nil {
			t.Fatal(err)
		}
		if got := p.versions(t, ""); len(got) != 0 {
			t.Errorf("versions left: %v", got)
		}
	})

	t.Run("not found skips the others", func(t *testing.T) {
		p := pkg("nf")
		r1 := aws.ToString(p.mustPublish(t, "1.0", "a", []byte("one"), false).VersionRevision)
		p.mustPublish(t, "2.0", "a", []byte("two"), false)
		out, err := p.deleteVersions([]string{"1.0", "9.9", "2.0"}, "")
		if err != nil {
			t.Fatal(err)
		}
		wantResults(t, "delete with a missing version", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
			"9.9": {Code: "NOT_FOUND", Message: "version 9.9 not found"}, "1.0": skipped("1.0"), "2.0": skipped("2.0"),
		})
		if d := p.mustDescribe(t, "1.0"); aws.ToString(d.Revision) != r1 || d.Status != types.PackageVersionStatusPublished {
			t.Errorf("1.0 changed by a failed batch: %+v", *d)
		}
		p.mustDownload(t, "2.0", "a", []byte("two"))
	})

	t.Run("expected status", func(t *testing.T) {
		p := pkg("st")
		r1 := aws.ToString(p.mustPublish(t, "1.0", "a", []byte("one"), false).VersionRevision)
		p.mustPublish(t, "2.0", "a", []byte("two"), false)
		if _, err := p.updateStatus([]string{"2.0"}, nil, "", types.PackageVersionStatusUnlisted); err != nil {
			t.Fatal(err)
		}
		out, err := p.deleteVersions([]string{"1.0", "2.0"}, types.PackageVersionStatusUnlisted)
		if err != nil {
			t.Fatal(err)
		}
		wantResults(t, "delete expecting Unlisted", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
			"1.0": {Code: "MISMATCHED_STATUS", Message: "current status: Published, expected status: Unlisted"}, "2.0": skipped("2.0"),
		})
		if got := p.versions(t, ""); len(got) != 2 || got["2.0"].Status != types.PackageVersionStatusUnlisted {
			t.Errorf("versions after refused delete: %v", got)
		}
		out, err = p.deleteVersions([]string{"1.0"}, types.PackageVersionStatusPublished)
		if err != nil {
			t.Fatal(err)
		}
		wantResults(t, "delete expecting Published", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
			"1.0": {Revision: r1, Status: "Deleted"},
		})
	})

	t.Run("every status is deletable", func(t *testing.T) {
		p := pkg("any")
		revs := map[string]string{}
		revs["archived"] = aws.ToString(p.mustPublish(t, "archived", "a", []byte("ar"), false).VersionRevision)
		revs["disposed"] = aws.ToString(p.mustPublish(t, "disposed", "a", []byte("di"), false).VersionRevision)
		revs["unfinished"] = aws.ToString(p.mustPublish(t, "unfinished", "a", []byte("un"), true).VersionRevision)
		revs["unlisted"] = aws.ToString(p.mustPublish(t, "unlisted", "a", []byte("ul"), false).VersionRevision)
		if _, err := p.updateStatus([]string{"archived"}, nil, "", types.PackageVersionStatusArchived); err != nil {
			t.Fatal(err)
		}
		if _, err := p.updateStatus([]string{"unlisted"}, nil, "", types.PackageVersionStatusUnlisted); err != nil {
			t.Fatal(err)
		}
		if _, err := p.dispose([]string{"disposed"}, nil, ""); err != nil {
			t.Fatal(err)
		}
		out, err := p.deleteVersions([]string{"archived", "disposed", "unfinished", "unlisted"}, "")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]result{}
		for v, r := range revs {
			want[v] = result{Revision: r, Status: "Deleted"}
		}
		wantResults(t, "delete every status", flatten(out.SuccessfulVersions, out.FailedVersions), want)
		for _, st := range []types.PackageVersionStatus{"", types.PackageVersionStatusArchived, types.PackageVersionStatusDisposed, types.PackageVersionStatusUnfinished} {
			if got := p.versions(t, st); len(got) != 0 {
				t.Errorf("status %q still lists %v", st, got)
			}
		}
	})

	t.Run("re-publish after delete", func(t *testing.T) {
		p := pkg("again")
		old := p.mustPublish(t, "1.0", "a", []byte("old content"), false)
		if _, err := p.deleteVersions([]string{"1.0"}, ""); err != nil {
			t.Fatal(err)
		}
		fresh := p.mustPublish(t, "1.0", "a", []byte("new content"), false)
		if aws.ToString(fresh.VersionRevision) == aws.ToString(old.VersionRevision) {
			t.Error("re-published version kept the deleted revision")
		}
		checkAsset(t, *fresh.Asset, "a", []byte("new content"))
		ga := p.mustDownload(t, "1.0", "a", []byte("new content"))
		if aws.ToString(ga.PackageVersionRevision) != aws.ToString(fresh.VersionRevision) {
			t.Errorf("download revision %s, want %s", aws.ToString(ga.PackageVersionRevision), aws.ToString(fresh.VersionRevision))
		}
	})

	t.Run("namespace rules", func(t *testing.T) {
		for _, f := range []types.PackageFormat{types.PackageFormatGeneric, types.PackageFormatMaven, types.PackageFormatSwift} {
			_, err := pkgRef{c: c, domain: "del", repo: "repo", format: f, name: "x"}.deleteVersions([]string{"1"}, "")
			ve := asErr[*types.ValidationException](t, err)
			if !strings.Contains(aws.ToString(ve.Message), "namespace") {
				t.Errorf("%s without namespace: %q does not mention the namespace", f, aws.ToString(ve.Message))
			}
		}
		for _, f := range []types.PackageFormat{types.PackageFormatPypi, types.PackageFormatNuget, types.PackageFormatRuby, types.PackageFormatCargo} {
			withNS := pkgRef{c: c, domain: "del", repo: "repo", format: f, ns: "acme", name: "x"}
			_, err := withNS.deleteVersions([]string{"1"}, "")
			asErr[*types.ValidationException](t, err)
			// Without a namespace the request is valid: an unknown package
			// is not found, a known one reports the version per version.
			bare := pkgRef{c: c, domain: "del", repo: "repo", format: f, name: "x" + string(f)}
			_, err = bare.deleteVersions([]string{"1"}, "")
			wantNotFound(t, err, "package", "x"+string(f))
			if _, err := bare.setOrigin(types.AllowPublishAllow, types.AllowUpstreamBlock); err != nil {
				t.Fatal(err)
			}
			// 1.0.0 is its own normalized form in every format (NuGet
			// reads "1" as 1.0.0).
			out, err := bare.deleteVersions([]string{"1.0.0"}, "")
			if err != nil {
				t.Fatalf("%s without namespace: %v", f, err)
			}
			wantResults(t, string(f), flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{"1.0.0": {Code: "NOT_FOUND", Message: "version 1.0.0 not found"}})
		}
		// npm: both scoped and unscoped are fine.
		for _, ns := range []string{"", "scope"} {
			_, err := pkgRef{c: c, domain: "del", repo: "repo", format: types.PackageFormatNpm, ns: ns, name: "x"}.deleteVersions([]string{"1"}, "")
			wantNotFound(t, err, "package", "x")
		}
	})

	t.Run("more than 100 versions", func(t *testing.T) {
		p := pkg("many")
		p.mustPublish(t, "v0", "a", []byte("zero"), false)
		vs := make([]string, 101)
		for i := range vs {
			vs[i] = fmt.Sprintf("v%d", i)
		}
		_, err := p.deleteVersions(vs, "")
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed,
			"at 'versions' failed to satisfy constraint: Member must have length less than or equal to 100")
		p.mustDownload(t, "v0", "a", []byte("zero"))
		// 100 is fine.
		out, err := p.deleteVersions(vs[:100], "")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.FailedVersions) != 100 || out.FailedVersions["v0"].ErrorCode != types.PackageVersionErrorCodeSkipped ||
			out.FailedVersions["v99"].ErrorCode != types.PackageVersionErrorCodeNotFound {
			t.Errorf("100 versions: %d failed, v0 %+v", len(out.FailedVersions), out.FailedVersions["v0"])
		}
	})

	t.Run("missing parents", func(t *testing.T) {
		p := pkg("parent")
		p.mustPublish(t, "1.0", "a", []byte("p"), false)
		_, err := genericPkg(c, "nodomain", "repo", "ns", "parent").deleteVersions([]string{"1.0"}, "")
		wantNotFound(t, err, "domain", "nodomain")
		_, err = genericPkg(c, "del", "norepo", "ns", "parent").deleteVersions([]string{"1.0"}, "")
		wantNotFound(t, err, "repository", "norepo")
		_, err = genericPkg(c, "del", "repo", "ns", "nopkg").deleteVersions([]string{"1.0"}, "")
		wantNotFound(t, err, "package", "nopkg")
		_, err = genericPkg(c, "del", "repo", "other-ns", "parent").deleteVersions([]string{"1.0"}, "")
		wantNotFound(t, err, "package", "parent")
		_, err = c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("del"), DomainOwner: aws.String("999988887777"),
			Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("parent"), Versions: []string{"1.0"}})
		wantNotFound(t, err, "domain", "del")
		if httpStatus(err) != 404 {
			t.Errorf("status %d, want 404", httpStatus(err))
		}
		// The caller's own account as domainOwner is the same domain.
		out, err := c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{Domain: aws.String("del"), DomainOwner: aws.String(testAccount),
			Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("parent"), Versions: []string{"1.0"}})
		if err != nil || out.SuccessfulVersions["1.0"].Status != types.PackageVersionStatusDeleted {
			t.Errorf("delete with explicit owner: %v %+v", err, out)
		}
	})

	t.Run("bad expected status", func(t *testing.T) {
		p := pkg("badexp")
		p.mustPublish(t, "1.0", "a", []byte("x"), false)
		_, err := p.deleteVersions([]string{"1.0"}, "Gone")
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "expectedStatus")
		p.mustDescribe(t, "1.0")
	})
}

// TestConcurrentDeletes: goroutines delete overlapping sets of versions;
// every version is deleted exactly once across all responses, each
// successful batch was all-or-nothing, and the final state agrees.
func TestConcurrentDeletes(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "race", "repo")
	p := genericPkg(c, "race", "repo", "ns", "pkg")
	const n = 40
	revs := map[string]string{}
	all := make([]string, n)
	for i := range n {
		all[i] = fmt.Sprintf("1.%d", i)
		revs[all[i]] = aws.ToString(p.mustPublish(t, all[i], "a", []byte(all[i]), false).VersionRevision)
	}
	wins := deleteContested(t, []pkgRef{p}, all, revs, 8, 10, 7)
	for _, v := range all {
		if wins[v] != 1 {
			t.Errorf("version %s deleted %d times", v, wins[v])
		}
	}
	if got := p.versions(t, ""); len(got) != 0 {
		t.Errorf("versions left: %v", got)
	}
}

// TestPublishRacesDelete: a publish of new bytes into a version racing its
// delete ends in one of the two consistent outcomes, never in a version
// without its bytes or with the old ones.
func TestPublishRacesDelete(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "prd", "repo")
	p := genericPkg(c, "prd", "repo", "ns", "pkg")
	outcomes := map[string]int{}
	for i := range 30 {
		v := fmt.Sprintf("1.%d", i)
		oldC, newC := []byte("old "+v), bytes.Repeat([]byte("new "+v), 1+i%3*10000)
		p.mustPublish(t, v, "a", oldC, false)
		var pubErr, delErr error
		var del *ca.DeletePackageVersionsOutput
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, pubErr = p.publish(v, "a", newC, false) }()
		go func() {
			defer wg.Done()
			// Stagger the delete so both orders happen.
			time.Sleep(time.Duration(i%5) * time.Millisecond)
			del, delErr = p.deleteVersions([]string{v}, "")
		}()
		wg.Wait()
		if delErr != nil {
			t.Fatalf("delete %s: %v", v, delErr)
		}
		if del.SuccessfulVersions[v].Status != types.PackageVersionStatusDeleted {
			t.Fatalf("delete %s did not succeed: %+v", v, flatten(del.SuccessfulVersions, del.FailedVersions))
		}
		switch {
		case pubErr == nil:
			// Delete first, then the publish created the version anew.
			outcomes["delete then publish"]++
			p.mustDownload(t, v, "a", newC)
			if d := p.mustDescribe(t, v); d.Status != types.PackageVersionStatusPublished {
				t.Errorf("%s status %s", v, d.Status)
			}
		default:
			// The publish met the old bytes (409); the delete then removed
			// the version.
			asErr[*types.ConflictException](t, pubErr)
			outcomes["publish refused then delete"]++
			_, err := p.describe(v)
			wantNotFound(t, err, "package-version", v)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func TestUpdatePackageVersionsStatus(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "upd", "repo")
	p := genericPkg(c, "upd", "repo", "ns", "pkg")
	revs := map[string]string{}
	for _, v := range []string{"1", "2", "3"} {
		revs[v] = aws.ToString(p.mustPublish(t, v, "a", []byte("content "+v), false).VersionRevision)
	}
	revs["u"] = aws.ToString(p.mustPublish(t, "u", "a", []byte("unfinished"), true).VersionRevision)

	out, err := p.updateStatus([]string{"1", "2"}, nil, "", types.PackageVersionStatusUnlisted)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "to Unlisted", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"1": {Revision: revs["1"], Status: "Unlisted"}, "2": {Revision: revs["2"], Status: "Unlisted"},
	})
	p.mustDownload(t, "1", "a", []byte("content 1")) // Unlisted stays downloadable

	// Archived: hidden by default, not downloadable, restorable.
	if _, err := p.updateStatus([]string{"2"}, nil, types.PackageVersionStatusUnlisted, types.PackageVersionStatusArchived); err != nil {
		t.Fatal(err)
	}
	_, _, err = p.download("2", "a", "")
	asErr[*types.ResourceNotFoundException](t, err)
	if got := p.versions(t, ""); len(got) != 3 || got["2"].Status != "" {
		t.Errorf("default listing with 2 Archived = %v", got)
	}
	if got := p.versions(t, types.PackageVersionStatusArchived); len(got) != 1 || got["2"].Status != types.PackageVersionStatusArchived {
		t.Errorf("Archived listing = %v", got)
	}
	out, err = p.updateStatus([]string{"2"}, nil, "", types.PackageVersionStatusPublished)
	if err != nil || out.SuccessfulVersions["2"].Status != types.PackageVersionStatusPublished {
		t.Fatalf("restore from Archived: %v %+v", err, out)
	}
	p.mustDownload(t, "2", "a", []byte("content 2"))

	// versionRevisions: a stale revision fails that version and skips the
	// rest; nothing changes.
	out, err = p.updateStatus([]string{"1", "3"}, map[string]string{"1": revs["1"], "3": revs["1"]}, "", types.PackageVersionStatusArchived)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "stale revision", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"3": {Code: "MISMATCHED_REVISION", Message: "current revision: " + revs["3"] + ", expected revision: " + revs["1"]},
		"1": skipped("1"),
	})
	if d := p.mustDescribe(t, "1"); d.Status != types.PackageVersionStatusUnlisted {
		t.Errorf("1 changed by a failed batch: %s", d.Status)
	}
	out, err = p.updateStatus([]string{"1", "3"}, map[string]string{"1": revs["1"], "3": revs["3"]}, "", types.PackageVersionStatusArchived)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "matching revisions", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"1": {Revision: revs["1"], Status: "Archived"}, "3": {Revision: revs["3"], Status: "Archived"},
	})

	// expectedStatus mismatch.
	out, err = p.updateStatus([]string{"1", "2"}, nil, types.PackageVersionStatusArchived, types.PackageVersionStatusPublished)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "expected Archived", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"2": {Code: "MISMATCHED_STATUS", Message: "current status: Published, expected status: Archived"}, "1": skipped("1"),
	})

	// Unfinished -> Published.
	out, err = p.updateStatus([]string{"u"}, nil, types.PackageVersionStatusUnfinished, types.PackageVersionStatusPublished)
	if err != nil || out.SuccessfulVersions["u"].Status != types.PackageVersionStatusPublished {
		t.Fatalf("Unfinished -> Published: %v %+v", err, out)
	}
	p.mustDownload(t, "u", "a", []byte("unfinished"))

	// Disposed -> anything: NOT_ALLOWED, the others SKIPPED.
	if _, err := p.dispose([]string{"3"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	for _, target := range []types.PackageVersionStatus{types.PackageVersionStatusPublished, types.PackageVersionStatusUnlisted, types.PackageVersionStatusArchived} {
		out, err = p.updateStatus([]string{"3", "2"}, nil, "", target)
		if err != nil {
			t.Fatal(err)
		}
		got := flatten(out.SuccessfulVersions, out.FailedVersions)
		if got["3"].Code != "NOT_ALLOWED" || got["2"] != skipped("2") || len(got) != 2 {
			t.Errorf("Disposed -> %s: %+v", target, got)
		}
	}
	if d := p.mustDescribe(t, "3"); d.Status != types.PackageVersionStatusDisposed {
		t.Errorf("3 left Disposed: %s", d.Status)
	}

	// Targets that UpdatePackageVersionsStatus may not set.
	for _, target := range []types.PackageVersionStatus{types.PackageVersionStatusUnfinished, types.PackageVersionStatusDisposed, types.PackageVersionStatusDeleted} {
		_, err = p.updateStatus([]string{"2"}, nil, "", target)
		asErr[*types.ValidationException](t, err)
	}
	if d := p.mustDescribe(t, "2"); d.Status != types.PackageVersionStatusPublished {
		t.Errorf("2 changed by refused targets: %s", d.Status)
	}
	// A revision for a version not in versions is refused.
	_, err = p.updateStatus([]string{"2"}, map[string]string{"1": revs["1"]}, "", types.PackageVersionStatusUnlisted)
	asErr[*types.ValidationException](t, err)
	_, err = genericPkg(c, "upd", "repo", "ns", "nopkg").updateStatus([]string{"1"}, nil, "", types.PackageVersionStatusArchived)
	wantNotFound(t, err, "package", "nopkg")
}

// TestDisposePackageVersions: disposing removes the bytes for good and
// keeps the metadata. The server runs with a short GC grace and interval
// (WHARF_GC_GRACE, WHARF_GC_INTERVAL) so the collection is observable.
func TestDisposePackageVersions(t *testing.T) {
	t.Setenv("WHARF_GC_GRACE", "1ms")
	t.Setenv("WHARF_GC_INTERVAL", "200ms")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "disp", "repo")
	p := genericPkg(c, "disp", "repo", "ns", "pkg")
	gone := []byte("bytes that will be disposed")
	shared := []byte("bytes another version still uses")
	p.mustPublish(t, "1.0", "a.bin", gone, true)
	p.mustPublish(t, "1.0", "b.bin", shared, false)
	p.mustPublish(t, "2.0", "b.bin", shared, false)
	r3 := aws.ToString(p.mustPublish(t, "3.0", "c.bin", []byte("three"), false).VersionRevision)
	if files := blobFiles(t, s.DataDir); !files[sha256Hex(gone)] || !files[sha256Hex(shared)] {
		t.Fatalf("blobs before dispose: %v", files)
	}
	d1 := p.mustDescribe(t, "1.0")

	// A stale revision refuses the whole batch.
	out, err := p.dispose([]string{"1.0", "3.0"}, map[string]string{"1.0": "c3RhbGU=", "3.0": r3}, "")
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "dispose with a stale revision", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"1.0": {Code: "MISMATCHED_REVISION", Message: "current revision: " + aws.ToString(d1.Revision) + ", expected revision: c3RhbGU="},
		"3.0": skipped("3.0"),
	})
	out, err = p.dispose([]string{"1.0"}, map[string]string{"1.0": aws.ToString(d1.Revision)}, types.PackageVersionStatusPublished)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "dispose", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"1.0": {Revision: aws.ToString(d1.Revision), Status: "Disposed"},
	})

	// The assets are gone, the metadata is not.
	_, _, err = p.download("1.0", "a.bin", "")
	asErr[*types.ResourceNotFoundException](t, err)
	_, _, err = p.download("1.0", "b.bin", "")
	asErr[*types.ResourceNotFoundException](t, err)
	d := p.mustDescribe(t, "1.0")
	if d.Status != types.PackageVersionStatusDisposed || aws.ToString(d.Revision) != aws.ToString(d1.Revision) || !d.PublishedTime.Equal(*d1.PublishedTime) {
		t.Errorf("disposed version = %+v", *d)
	}
	if got := p.versions(t, types.PackageVersionStatusDisposed); len(got) != 1 || got["1.0"].Status != types.PackageVersionStatusDisposed {
		t.Errorf("Disposed listing = %v", got)
	}
	// Decision 9: a Disposed version lists no assets, and still names
	// itself and its revision.
	la, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String("disp"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String("1.0"), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if la.Assets == nil || len(la.Assets) != 0 || la.NextToken != nil || aws.ToString(la.Version) != "1.0" || aws.ToString(la.VersionRevision) != aws.ToString(d1.Revision) {
		t.Errorf("ListPackageVersionAssets of a Disposed version = assets %+v nextToken %v version %q revision %q, want no assets",
			la.Assets, aws.ToString(la.NextToken), aws.ToString(la.Version), aws.ToString(la.VersionRevision))
	}
	// Bytes shared with a live version stay.
	p.mustDownload(t, "2.0", "b.bin", shared)

	// The collector removes the disposed bytes from the blob store and
	// keeps the shared ones.
	deadline := time.Now().Add(10 * time.Second)
	for blobFiles(t, s.DataDir)[sha256Hex(gone)] {
		if time.Now().After(deadline) {
			t.Fatalf("disposed blob %s still in %s/blobs after 10s", sha256Hex(gone), s.DataDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !blobFiles(t, s.DataDir)[sha256Hex(shared)] {
		t.Error("GC removed bytes a live version uses")
	}
	p.mustDownload(t, "2.0", "b.bin", shared)

	// Disposed again: NOT_ALLOWED; then deletable.
	out, err = p.dispose([]string{"1.0", "3.0"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := flatten(out.SuccessfulVersions, out.FailedVersions); got["1.0"].Code != "NOT_ALLOWED" || got["3.0"] != skipped("3.0") {
		t.Errorf("dispose a Disposed version: %+v", got)
	}
	_, err = p.dispose([]string{"1.0"}, nil, "Nope")
	asErr[*types.ValidationException](t, err)
	del, err := p.deleteVersions([]string{"1.0"}, types.PackageVersionStatusDisposed)
	if err != nil || del.SuccessfulVersions["1.0"].Status != types.PackageVersionStatusDeleted {
		t.Fatalf("delete Disposed: %v %+v", err, del)
	}
	// The same bytes published again are stored again.
	p.mustPublish(t, "1.0", "a.bin", gone, false)
	p.mustDownload(t, "1.0", "a.bin", gone)
	if _, err := os.Stat(s.DataDir); err != nil {
		t.Fatal(err)
	}
	_, err = genericPkg(c, "disp", "repo", "ns", "nopkg").dispose([]string{"1"}, nil, "")
	wantNotFound(t, err, "package", "nopkg")
}

func TestCopyPackageVersions(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "cp", "src", "dst")
	src := genericPkg(c, "cp", "src", "ns", "pkg")
	dst := genericPkg(c, "cp", "dst", "ns", "pkg")
	content := map[string][]byte{"1.0": []byte("one"), "2.0": []byte("two"), "3.0": []byte("three")}
	revs := map[string]string{}
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		revs[v] = aws.ToString(src.mustPublish(t, v, "f.bin", content[v], false).VersionRevision)
	}
	src.mustPublish(t, "u", "f.bin", []byte("u"), true)
	copyIn := func(versions []string, vrevs map[string]string, overwrite bool) (*ca.CopyPackageVersionsOutput, error) {
		return c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: aws.String("cp"), SourceRepository: aws.String("src"),
			DestinationRepository: aws.String("dst"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("pkg"),
			Versions: versions, VersionRevisions: vrevs, AllowOverwrite: aws.Bool(overwrite)})
	}

	out, err := copyIn([]string{"1.0", "2.0"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, "copy", flatten(out.SuccessfulVersions, out.FailedVersions), map[string]result{
		"1.0": {Revision: revs["1.0"], Status: "Published"}, "2.0": {Revision: revs["2.0"], Status: "Published"},
	})
	for _, v := range []string{"1.0", "2.0"} {
		dst.mustDownload(t, v, "f.bin", content[v])
		d := dst.mustDescribe(t, v)
		if aws.ToString(d.Revision) != revs[v] || d.Status != types.PackageVersionStatusPublished {
			t.Errorf("copied %s = %+v", v, *d)
		}
	}
	la, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String("cp"), Repository: aws.String("dst"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String("2.0")})
	if err != nil || len(la.Assets) != 1 {
		t.Fatalf("assets of the copy: %v %+v", err, la)
	}
	checkAsset(t, la.Assets[0], "f.bin", content["2.0"])

	// Already there: ALREADY_EXISTS per version, others still copied.
	out, err = copyIn([]string{"1.0", "3.0"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got := flatten(out.SuccessfulVersions, out.FailedVersions)
	if got["1.0"].Code != "ALREADY_EXISTS" || got["3.0"] != (result{Revision: revs["3.0"], Status: "Published"}) {
		t.Errorf("copy onto an existing version: %+v", got)
	}
	dst.mustDownload(t, "3.0", "f.bin", content["3.0"])

	// allowOverwrite replaces the destination's version.
	if _, err := dst.deleteVersions([]string{"1.0"}, ""); err != nil {
		t.Fatal(err)
	}
	dst.mustPublish(t, "1.0", "other.bin", []byte("dst's own"), false)
	out, err = copyIn([]string{"1.0"}, nil, true)
	if err != nil || out.SuccessfulVersions["1.0"].Status != types.PackageVersionStatusPublished {
		t.Fatalf("overwrite: %v %+v", err, out)
	}
	dst.mustDownload(t, "1.0", "f.bin", content["1.0"])
	_, _, err = dst.download("1.0", "other.bin", "")
	wantNotFound(t, err, "asset", "other.bin")

	// versionRevisions: right and wrong.
	if _, err := dst.deleteVersions([]string{"2.0", "3.0"}, ""); err != nil {
		t.Fatal(err)
	}
	out, err = copyIn(nil, map[string]string{"2.0": revs["2.0"], "3.0": revs["2.0"]}, false)
	if err != nil {
		t.Fatal(err)
	}
	got = flatten(out.SuccessfulVersions, out.FailedVersions)
	if got["2.0"] != (result{Revision: revs["2.0"], Status: "Published"}) || got["3.0"].Code != "MISMATCHED_REVISION" {
		t.Errorf("copy by revisions: %+v", got)
	}
	_, err = dst.describe("3.0")
	wantNotFound(t, err, "package-version", "3.0")

	// Missing and uncopyable versions; Archived keeps its status.
	if _, err := src.updateStatus([]string{"3.0"}, nil, "", types.PackageVersionStatusArchived); err != nil {
		t.Fatal(err)
	}
	out, err = copyIn([]string{"3.0", "9.9", "u"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got = flatten(out.SuccessfulVersions, out.FailedVersions)
	if got["3.0"] != (result{Revision: revs["3.0"], Status: "Archived"}) || got["9.9"].Code != "NOT_FOUND" || got["u"].Code != "NOT_ALLOWED" {
		t.Errorf("copy of Archived, missing and Unfinished: %+v", got)
	}
	if d := dst.mustDescribe(t, "3.0"); d.Status != types.PackageVersionStatusArchived {
		t.Errorf("copied Archived version is %s", d.Status)
	}

	// Request errors.
	_, err = copyIn([]string{"1.0"}, map[string]string{"1.0": revs["1.0"]}, false)
	asErr[*types.ValidationException](t, err)
	_, err = copyIn(nil, nil, false)
	asErr[*types.ValidationException](t, err)
	_, err = c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: aws.String("cp"), SourceRepository: aws.String("src"),
		DestinationRepository: aws.String("nope"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("pkg"), Versions: []string{"1.0"}})
	wantNotFound(t, err, "repository", "nope")
	_, err = c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: aws.String("cp"), SourceRepository: aws.String("src"),
		DestinationRepository: aws.String("dst"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("nopkg"), Versions: []string{"1.0"}})
	wantNotFound(t, err, "package", "nopkg")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	_, err = copyIn(many, nil, false)
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "versions")
}

// TestCopyFromUpstreamAsResolution: CopyPackageVersions with
// includeFromUpstream takes each version from the chain a read of the
// source repository by the same caller walks: an upstream the caller may
// not read from (a repository policy denies it ReadFromRepository) is
// skipped, whoever else may read it, and a package with upstream=BLOCK in
// the source ends the search there.
func TestCopyFromUpstreamAsResolution(t *testing.T) {
	s := StartServerWith(t, ServerOptions{Args: []string{"--identity-refresh", "100ms"}})
	admin := s.Client()
	Setup(t, admin, "cpu", "hidden", "open", "dst", "dst2", "dst3")
	for _, r := range []struct {
		name string
		ups  []string
	}{{"src", []string{"hidden", "open"}}, {"fence", []string{"open"}}} {
		in := &ca.CreateRepositoryInput{Domain: aws.String("cpu"), Repository: aws.String(r.name)}
		for _, u := range r.ups {
			in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
		}
		if _, err := admin.CreateRepository(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	hidden := genericPkg(admin, "cpu", "hidden", "ns", "lib")
	open := genericPkg(admin, "cpu", "open", "ns", "lib")
	hidden.mustPublish(t, "1.0", "f", []byte("hidden 1.0"), false)
	hidden.mustPublish(t, "2.0", "f", []byte("hidden 2.0"), false)
	open.mustPublish(t, "1.0", "f", []byte("open 1.0"), false)
	if _, err := genericPkg(admin, "cpu", "fence", "ns", "lib").setOrigin(types.AllowPublishAllow, types.AllowUpstreamBlock); err != nil {
		t.Fatal(err)
	}

	copier := newUser(t, s, nil, acctA, "copier", allow("codeartifact:*"))
	if _, err := admin.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: aws.String("cpu"), Repository: aws.String("hidden"),
		PolicyDocument: resourcePolicy(stmt("Deny", []string{copier.arn}, "codeartifact:ReadFromRepository"))}); err != nil {
		t.Fatal(err)
	}
	copyAs := func(c *ca.Client, from, to string) map[string]result {
		t.Helper()
		var out *ca.CopyPackageVersionsOutput
		eventually(t, "copy as "+from, func() (err error) {
			out, err = c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: aws.String("cpu"), SourceRepository: aws.String(from),
				DestinationRepository: aws.String(to), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("lib"),
				Versions: []string{"1.0", "2.0"}, IncludeFromUpstream: aws.Bool(true)})
			return err
		})
		got := flatten(out.SuccessfulVersions, out.FailedVersions)
		for v, r := range got { // revisions are random; keep outcomes
			r.Revision, r.Message = "", ""
			got[v] = r
		}
		return got
	}
	published := result{Status: "Published"}

	// The copier cannot read hidden: 1.0 comes from open, 2.0 is not found.
	wantResults(t, "copier from src", copyAs(copier.c, "src", "dst"), map[string]result{"1.0": published, "2.0": {Code: "NOT_FOUND"}})
	genericPkg(admin, "cpu", "dst", "ns", "lib").mustDownload(t, "1.0", "f", []byte("open 1.0"))
	// The administrator can: hidden is nearer and wins.
	wantResults(t, "admin from src", copyAs(admin, "src", "dst2"), map[string]result{"1.0": published, "2.0": published})
	genericPkg(admin, "cpu", "dst2", "ns", "lib").mustDownload(t, "1.0", "f", []byte("hidden 1.0"))

	// fence's package blocks upstream versions: nothing is taken from open.
	wantResults(t, "from a blocked package", copyAs(admin, "fence", "dst2"), map[string]result{"1.0": {Code: "NOT_FOUND"}, "2.0": {Code: "NOT_FOUND"}})
	if _, err := genericPkg(admin, "cpu", "fence", "ns", "lib").setOrigin(types.AllowPublishAllow, types.AllowUpstreamAllow); err != nil {
		t.Fatal(err)
	}
	wantResults(t, "from the package unblocked", copyAs(admin, "fence", "dst3"), map[string]result{"1.0": published, "2.0": {Code: "NOT_FOUND"}})
	genericPkg(admin, "cpu", "dst3", "ns", "lib").mustDownload(t, "1.0", "f", []byte("open 1.0"))
}

// TestDeletesFreeBytesPromptly: every kind of delete hands the bytes it
// orphans to the collector at once, not at its next scheduled run (an
// hour away here).
func TestDeletesFreeBytesPromptly(t *testing.T) {
	t.Setenv("WHARF_GC_GRACE", "1ms")
	t.Setenv("WHARF_GC_INTERVAL", "1h")
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "free", "repo", "doomed")
	waitGone := func(what string, content []byte) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for blobFiles(t, s.DataDir)[sha256Hex(content)] {
			if time.Now().After(deadline) {
				t.Errorf("%s: its bytes are still in the blob store after 5s", what)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	kept := []byte("kept by a live version")
	genericPkg(c, "free", "repo", "ns", "keeper").mustPublish(t, "1", "k", kept, false)

	v := genericPkg(c, "free", "repo", "ns", "byversion")
	vb := []byte("deleted by DeletePackageVersions")
	v.mustPublish(t, "1", "a", vb, false)
	if _, err := v.deleteVersions([]string{"1"}, ""); err != nil {
		t.Fatal(err)
	}
	waitGone("DeletePackageVersions", vb)

	p := genericPkg(c, "free", "repo", "ns", "bypackage")
	pb := []byte("deleted by DeletePackage")
	p.mustPublish(t, "1", "a", pb, false)
	if _, err := c.DeletePackage(ctx, &ca.DeletePackageInput{Domain: aws.String("free"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("bypackage")}); err != nil {
		t.Fatal(err)
	}
	waitGone("DeletePackage", pb)

	r := genericPkg(c, "free", "doomed", "ns", "byrepo")
	rb := []byte("deleted by DeleteRepository")
	r.mustPublish(t, "1", "a", rb, false)
	if _, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("free"), Repository: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	waitGone("DeleteRepository", rb)

	if !blobFiles(t, s.DataDir)[sha256Hex(kept)] {
		t.Error("the collector removed bytes a live version uses")
	}
	genericPkg(c, "free", "repo", "ns", "keeper").mustDownload(t, "1", "k", kept)
	dd, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("free")})
	if err != nil {
		t.Fatal(err)
	}
	if dd.Domain.AssetSizeBytes != int64(len(kept)) || dd.Domain.RepositoryCount != 1 {
		t.Errorf("domain after deletes: assetSizeBytes %d repositoryCount %d, want %d and 1", dd.Domain.AssetSizeBytes, dd.Domain.RepositoryCount, len(kept))
	}
}

// deleteContested runs `workers` goroutines, spread over the given package
// references (one per replica), each deleting `overlap` overlapping batches
// of three and then every version alone in its own order, so each version
// is certainly contested. Every answer must be all-or-nothing with only
// NOT_FOUND/SKIPPED failures and the published revisions; it returns how
// many times each version was reported deleted.
func deleteContested(t *testing.T, refs []pkgRef, versions []string, revs map[string]string, workers, overlap int, seed uint64) map[string]int {
	t.Helper()
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for g := range workers {
		p := refs[g%len(refs)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), seed))
			var batches [][]string
			for range overlap {
				i := rng.IntN(len(versions) - 2)
				batches = append(batches, versions[i:i+3])
			}
			for _, i := range rng.Perm(len(versions)) {
				batches = append(batches, []string{versions[i]})
			}
			for _, b := range batches {
				out, err := p.deleteVersions(b, "")
				if err != nil {
					t.Errorf("delete %v: %v", b, err)
					return
				}
				if len(out.SuccessfulVersions) > 0 && len(out.FailedVersions) > 0 {
					t.Errorf("batch %v partly applied: %+v", b, flatten(out.SuccessfulVersions, out.FailedVersions))
				}
				for v, e := range out.FailedVersions {
					if e.ErrorCode != types.PackageVersionErrorCodeNotFound && e.ErrorCode != types.PackageVersionErrorCodeSkipped {
						t.Errorf("version %s: %s %s", v, e.ErrorCode, aws.ToString(e.ErrorMessage))
					}
				}
				mu.Lock()
				for v, r := range out.SuccessfulVersions {
					wins[v]++
					if aws.ToString(r.Revision) != revs[v] || r.Status != types.PackageVersionStatusDeleted {
						t.Errorf("version %s: %+v", v, r)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return wins
}
