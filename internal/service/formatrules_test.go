package service

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// hookCall is one call of a format hook, as recorded.
type hookCall struct {
	hook     string
	pkgs     []int64
	versions []string
	status   model.Status
}

// recordingRules are rules for the generic format that record their
// calls, keep a "mark" state entry to show they write inside the
// operation's transaction, and fail when fail is set.
func recordingRules(calls *[]hookCall, fail *error) FormatRules {
	return FormatRules{
		State: true,
		VersionsDeleted: func(tx StateTx, pkgID int64, versions []string) error {
			*calls = append(*calls, hookCall{hook: "deleted", pkgs: []int64{pkgID}, versions: versions})
			if err := tx.SetPackageState(pkgID, "mark", "deleted"); err != nil {
				return err
			}
			return *fail
		},
		VersionsCopied: func(tx StateTx, from, to int64, versions []string) error {
			*calls = append(*calls, hookCall{hook: "copied", pkgs: []int64{from, to}, versions: versions})
			return tx.SetPackageState(to, "mark", "copied")
		},
		StatusChanged: func(tx StateTx, pkgID int64, versions []string, st model.Status) error {
			*calls = append(*calls, hookCall{hook: "status", pkgs: []int64{pkgID}, versions: versions, status: st})
			return *fail
		},
		DisplayVersion: func(state map[string]string) string { return state["display"] },
	}
}

// ownedRef names the domain owner, as package-manager reads need.
func ownedRef(pkg string) PackageRef {
	ref := genericRef(pkg)
	ref.DomainOwner = admin.Account
	return ref
}

func TestFormatRules(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	var calls []hookCall
	var fail error
	s.SetFormatRules(model.FormatGeneric, recordingRules(&calls, &fail))
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		if _, err := s.Publish(ctx, admin, PublishRequest{Ref: genericRef("p"), Version: v, State: map[string]string{"display": "1.0"},
			Assets: []Upload{{Name: "a", Body: bytes.NewReader([]byte(v))}}}); err != nil {
			t.Fatal(err)
		}
	}
	view := func(repo string) *PackageView {
		t.Helper()
		ref := ownedRef("p")
		ref.Repository = repo
		v, err := s.ViewPackage(ctx, admin, ref, ViewOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	display := func() string {
		t.Helper()
		out, err := s.ListPackageVersions(ctx, admin, ListPackageVersionsInput{PackageRef: genericRef("p")})
		if err != nil {
			t.Fatal(err)
		}
		return out.DefaultDisplayVersion
	}
	pkgID := view("repo").Package.ID
	if st := view("repo").State; !reflect.DeepEqual(st, map[string]string{"display": "1.0"}) {
		t.Fatalf("state after publish: %v", st)
	}
	if d := display(); d != "1.0" {
		t.Errorf("default display version %q, want the one the state names", d)
	}

	// A status change is told, with the versions sorted.
	if _, err := s.UpdatePackageVersionsStatus(ctx, admin, UpdatePackageVersionsStatusInput{PackageRef: genericRef("p"), Versions: []string{"2.0", "1.0"}, TargetStatus: model.StatusArchived}); err != nil {
		t.Fatal(err)
	}
	if want := (hookCall{hook: "status", pkgs: []int64{pkgID}, versions: []string{"1.0", "2.0"}, status: model.StatusArchived}); !reflect.DeepEqual(calls, []hookCall{want}) {
		t.Errorf("after archiving: %+v, want %+v", calls, want)
	}
	// The named version is no longer Published: the newest one is shown.
	if d := display(); d != "3.0" {
		t.Errorf("default display version %q with 1.0 archived, want 3.0", d)
	}
	calls = nil
	if _, err := s.DisposePackageVersions(ctx, admin, DisposePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"2.0"}}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].status != model.StatusDisposed || !reflect.DeepEqual(calls[0].versions, []string{"2.0"}) {
		t.Errorf("after disposing: %+v", calls)
	}

	// A hook's error fails the operation and rolls its change back.
	calls, fail = nil, errors.New("hook refused")
	if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"3.0"}}); !errors.Is(err, fail) {
		t.Fatalf("delete with a failing hook: %v", err)
	}
	if v := view("repo"); len(v.Versions) != 1 || v.State["mark"] != "" { // 3.0, the one downloadable version
		t.Fatalf("a failed hook left %d versions and state %v", len(v.Versions), v.State)
	}
	fail = nil
	calls = nil
	if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"3.0"}}); err != nil {
		t.Fatal(err)
	}
	if want := (hookCall{hook: "deleted", pkgs: []int64{pkgID}, versions: []string{"3.0"}}); !reflect.DeepEqual(calls, []hookCall{want}) {
		t.Errorf("after deleting: %+v, want %+v", calls, want)
	}
	if st := view("repo").State; st["mark"] != "deleted" {
		t.Errorf("state after the delete hook: %v", st)
	}

	// Copies are told per source package.
	calls = nil
	if _, err := s.CopyPackageVersions(ctx, admin, CopyPackageVersionsInput{Domain: "dom", SourceRepository: "repo", DestinationRepository: "other",
		Format: model.FormatGeneric, Namespace: "ns", Package: "p", Versions: []string{"1.0"}}); err != nil {
		t.Fatal(err)
	}
	dst := view("other")
	if want := (hookCall{hook: "copied", pkgs: []int64{pkgID, dst.Package.ID}, versions: []string{"1.0"}}); !reflect.DeepEqual(calls, []hookCall{want}) {
		t.Errorf("after copying: %+v, want %+v", calls, want)
	}
	if dst.State["mark"] != "copied" {
		t.Errorf("destination state %v", dst.State)
	}
}

func TestEditPackageState(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	var calls []hookCall
	var fail error
	s.SetFormatRules(model.FormatGeneric, recordingRules(&calls, &fail))
	if _, err := publish(ctx, s, "p", "1.0", "a", []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := publish(ctx, s, "p", "2.0", "a", []byte("two"), true); err != nil {
		t.Fatal(err)
	}
	_, gen0, err := s.PackageGeneration(ctx, admin, ownedRef("p"))
	if err != nil {
		t.Fatal(err)
	}
	set := func(key, version string) error {
		return s.EditPackageState(ctx, admin, genericRef("p"), func(e *StateEdit) error {
			if _, err := e.DownloadableVersion(version); err != nil {
				return err
			}
			return e.Set(key, version)
		})
	}
	cases := []struct {
		key, version string
		kind         model.Kind
	}{
		{"stable", "1.0", ""},
		{"next", "2.0", model.KindNotFound}, // Unfinished
		{"old", "0.1", model.KindNotFound},
	}
	for _, c := range cases {
		err := set(c.key, c.version)
		if got := model.AsError(err).Kind; (c.kind == "" && err != nil) || (c.kind != "" && got != c.kind) {
			t.Errorf("set %s=%s: %v, want kind %q", c.key, c.version, err, c.kind)
		}
	}
	v, err := s.ViewPackage(ctx, admin, ownedRef("p"), ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.State, map[string]string{"stable": "1.0"}) || v.Package.Generation <= gen0 {
		t.Errorf("state %v at generation %d (was %d)", v.State, v.Package.Generation, gen0)
	}
	if err := s.EditPackageState(ctx, admin, genericRef("p"), func(e *StateEdit) error { return e.Delete("stable") }); err != nil {
		t.Fatal(err)
	}
	if err := s.EditPackageState(ctx, admin, genericRef("missing"), func(e *StateEdit) error { return nil }); model.AsError(err).Kind != model.KindNotFound {
		t.Errorf("editing a missing package: %v", err)
	}
	// Finishing unfinished versions is a status change.
	if err := s.FinishVersions(ctx, admin, genericRef("p"), []string{"1.0", "2.0"}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].status != model.StatusPublished || !reflect.DeepEqual(calls[0].versions, []string{"2.0"}) {
		t.Errorf("FinishVersions told %+v, want 2.0 Published", calls)
	}
	if v, _ := s.ViewPackage(ctx, admin, ownedRef("p"), ViewOptions{}); len(v.State) != 0 {
		t.Errorf("state after delete: %v", v.State)
	}
}
