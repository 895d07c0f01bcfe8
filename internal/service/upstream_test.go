package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func createRepo(t *testing.T, s *Service, name string, ups ...string) {
	t.Helper()
	in := CreateRepositoryInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: name}}
	for _, u := range ups {
		in.Upstreams = append(in.Upstreams, UpstreamRepositoryInfo{RepositoryName: u})
	}
	if _, err := s.CreateRepository(context.Background(), admin, in); err != nil {
		t.Fatal(err)
	}
}

func chainNames(t *testing.T, s *Service, repo string) []string {
	t.Helper()
	ref := genericRef("lib")
	ref.DomainOwner = admin.Account
	ref.Repository = repo
	chain, err := s.ResolveChain(context.Background(), admin, ref, ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range chain {
		out = append(out, e.Repo.Repository)
	}
	return out
}

func publishIn(t *testing.T, s *Service, repo, version string, content []byte) {
	t.Helper()
	ref := genericRef("lib")
	ref.DomainOwner = admin.Account
	ref.Repository = repo
	if _, err := s.Publish(context.Background(), admin, PublishRequest{Ref: ref, Version: version,
		Assets: []Upload{{Name: "a.txt", Body: bytes.NewReader(content)}}}); err != nil {
		t.Fatal(err)
	}
}

// TestResolveChainOrder: depth-first in priority order, each repository
// once, at most 25, and a package with upstream=BLOCK ends its branch.
func TestResolveChainOrder(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	createRepo(t, s, "u11")
	createRepo(t, s, "u21")
	createRepo(t, s, "u1", "u11")
	createRepo(t, s, "u2", "u11", "u21")
	createRepo(t, s, "d", "u1", "u2")
	if got, want := chainNames(t, s, "d"), []string{"d", "u1", "u11", "u2", "u21"}; !slices.Equal(got, want) {
		t.Errorf("chain = %v, want %v", got, want)
	}

	// A line of 30 repositories: the search stops after 25.
	createRepo(t, s, "line29")
	for i := 28; i >= 0; i-- {
		createRepo(t, s, fmt.Sprintf("line%d", i), fmt.Sprintf("line%d", i+1))
	}
	if got := chainNames(t, s, "line0"); len(got) != 25 || got[24] != "line24" {
		t.Errorf("chain of 30 searched %d: %v", len(got), got)
	}

	// upstream=BLOCK on lib in u1 hides u11 behind it, not u2's branch.
	ref := genericRef("lib")
	ref.DomainOwner = admin.Account
	ref.Repository = "u1"
	if _, err := s.PutPackageOriginConfiguration(ctx, admin, PutPackageOriginConfigurationInput{PackageRef: ref,
		Restrictions: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}); err != nil {
		t.Fatal(err)
	}
	if got, want := chainNames(t, s, "d"), []string{"d", "u1", "u2", "u11", "u21"}; !slices.Equal(got, want) {
		t.Errorf("chain with u1 blocking = %v, want %v", got, want)
	}
}

// TestRetainVersion: a version found upstream is recorded in the
// repository asked with its origin and the same bytes; the new package
// gets publish=BLOCK, upstream=ALLOW; a blocked package refuses.
func TestRetainVersion(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	createRepo(t, s, "up")
	createRepo(t, s, "down", "up")
	createRepo(t, s, "fenced", "up")
	content := []byte("upstream bytes")
	publishIn(t, s, "up", "1.0.0", content)

	ref := genericRef("lib")
	ref.DomainOwner = admin.Account
	ref.Repository = "down"
	if err := s.RetainVersion(ctx, admin, ref, "up", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetainVersion(ctx, admin, ref, "up", "1.0.0"); err != nil {
		t.Errorf("retaining twice: %v", err)
	}
	view, err := s.ViewPackage(ctx, admin, ref, ViewOptions{WithAssets: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Versions) != 1 {
		t.Fatalf("down holds %d versions", len(view.Versions))
	}
	v := view.Versions[0]
	if v.OriginType != model.OriginInternal || v.OriginRepository != "up" || view.Package.Origin != model.DefaultOriginForUpstream {
		t.Errorf("retained %+v in package %+v", v, view.Package)
	}
	if as := view.Assets[v.ID]; len(as) != 1 || as[0].Hashes.SHA256 != sha(content) {
		t.Errorf("retained assets %+v", as)
	}
	if err := s.RetainVersion(ctx, admin, ref, "up", "2.0.0"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("retaining a version upstream lacks: %v", err)
	}

	fenced := genericRef("lib")
	fenced.DomainOwner = admin.Account
	fenced.Repository = "fenced"
	if _, err := s.PutPackageOriginConfiguration(ctx, admin, PutPackageOriginConfigurationInput{PackageRef: fenced,
		Restrictions: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RetainVersion(ctx, admin, fenced, "up", "1.0.0"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("retaining into upstream=BLOCK: %v, want not found", err)
	}
	if view, err := s.ViewPackage(ctx, admin, fenced, ViewOptions{}); err != nil || len(view.Versions) != 0 {
		t.Errorf("blocked package took a version: %v %+v", err, view)
	}
	if st, err := s.PackageState(ctx, admin, fenced); err != nil || !st.Found || st.Sources {
		t.Errorf("PackageState of a blocked package = %+v, %v; want found without sources", st, err)
	}
}

// denyReads refuses ReadFromRepository on the named repositories of
// domain dom (their ARN and their packages' ARNs) to every caller.
type denyReads map[string]bool

func (d denyReads) Authorize(ctx context.Context, c Caller, action, arn, account string) error {
	if action == "ReadFromRepository" {
		for repo := range d {
			if strings.HasSuffix(arn, ":repository/dom/"+repo) || strings.Contains(arn, ":package/dom/"+repo+"/") {
				return accessDenied(c, action, arn)
			}
		}
	}
	return SameAccount{}.Authorize(ctx, c, action, arn, account)
}

// TestCopyWalksAsResolution: CopyPackageVersions with includeFromUpstream
// finds its sources along the chain a read of the source repository
// walks (ResolveChain), no further: an upstream the caller may not read
// from is skipped, and a package blocking upstream versions ends its
// branch.
func TestCopyWalksAsResolution(t *testing.T) {
	s, _ := newTestServiceWith(t, denyReads{"hidden": true})
	ctx := context.Background()
	createRepo(t, s, "hidden")
	createRepo(t, s, "open")
	createRepo(t, s, "behind")
	createRepo(t, s, "src", "hidden", "open")
	createRepo(t, s, "fence", "behind")
	createRepo(t, s, "dst")
	// hidden is nearer than open but unreadable: its 1.0 must not win,
	// and its 2.0 is not there to be copied.
	publishIn(t, s, "hidden", "1.0", []byte("hidden one"))
	publishIn(t, s, "hidden", "2.0", []byte("hidden two"))
	publishIn(t, s, "open", "1.0", []byte("open one"))
	publishIn(t, s, "behind", "1.0", []byte("behind one"))
	fence := genericRef("lib")
	fence.Repository = "fence"
	if _, err := s.PutPackageOriginConfiguration(ctx, admin, PutPackageOriginConfigurationInput{PackageRef: fence,
		Restrictions: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, from string
		chain      []string // what resolution from the source walks
		ok         map[string]string
		failed     map[string]model.ErrorCode
	}{
		{"an unreadable upstream is skipped", "src", []string{"src", "open"},
			map[string]string{"1.0": "open one"}, map[string]model.ErrorCode{"2.0": model.CodeNotFound}},
		{"upstream=BLOCK ends the branch", "fence", []string{"fence"},
			map[string]string{}, map[string]model.ErrorCode{"1.0": model.CodeNotFound, "2.0": model.CodeNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chainNames(t, s, tt.from); !slices.Equal(got, tt.chain) {
				t.Fatalf("resolution from %s walks %v, want %v", tt.from, got, tt.chain)
			}
			out, err := s.CopyPackageVersions(ctx, admin, CopyPackageVersionsInput{Domain: "dom", SourceRepository: tt.from, DestinationRepository: "dst",
				Format: model.FormatGeneric, Namespace: "ns", Package: "lib", Versions: []string{"1.0", "2.0"}, IncludeFromUpstream: true, AllowOverwrite: true})
			if err != nil {
				t.Fatal(err)
			}
			failed := map[string]model.ErrorCode{}
			for v, e := range out.FailedVersions {
				failed[v] = e.ErrorCode
			}
			if len(out.SuccessfulVersions) != len(tt.ok) || !maps.Equal(failed, tt.failed) {
				t.Fatalf("copied %v, failed %v; want %v copied, %v failed", out.SuccessfulVersions, out.FailedVersions, tt.ok, tt.failed)
			}
			dst := genericRef("lib")
			dst.Repository = "dst"
			for v, content := range tt.ok {
				ac, err := s.GetPackageVersionAsset(ctx, admin, GetPackageVersionAssetInput{VersionRef: VersionRef{PackageRef: dst, PackageVersion: v}, Asset: "a.txt"})
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(ac.Body)
				ac.Body.Close()
				if err != nil || string(got) != content {
					t.Errorf("dst %s holds %q (%v), want %q", v, got, err, content)
				}
			}
		})
	}
}

// TestIngestExternalFilesOneByOne: a public version's files arrive one
// request at a time. Each completes the version ingested through the
// connection (a new revision), a repository that retained the version
// earlier gains the file when it retains again, and a version that did not
// come through the connection, or is no longer Published, is left alone.
func TestIngestExternalFilesOneByOne(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	createRepo(t, s, "store")
	createRepo(t, s, "team", "store")
	if _, err := s.AssociateExternalConnection(ctx, admin, ExternalConnectionInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: "public:npmjs"}); err != nil {
		t.Fatal(err)
	}
	ingest := func(version, file, content string) {
		t.Helper()
		mustDo(t, s.IngestExternal(ctx, admin, IngestRequest{Ref: npmRef("store"), Connection: "public:npmjs", Version: version,
			Asset: Upload{Name: file, Body: strings.NewReader(content)}}))
	}
	files := func(repo, version string) (names []string, revision string) {
		t.Helper()
		view, err := s.ViewPackage(ctx, admin, npmRef(repo), ViewOptions{WithAssets: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range view.Versions {
			if v.Version == version {
				for _, a := range view.Assets[v.ID] {
					names = append(names, a.Name)
				}
				return names, v.Revision
			}
		}
		t.Fatalf("%s holds no %s", repo, version)
		return nil, ""
	}

	ingest("1.0.0", "a.tgz", "first file")
	_, rev1 := files("store", "1.0.0")
	mustDo(t, s.RetainVersion(ctx, admin, npmRef("team"), "store", "1.0.0"))
	ingest("1.0.0", "b.tgz", "second file")
	names, rev2 := files("store", "1.0.0")
	if !slices.Equal(names, []string{"a.tgz", "b.tgz"}) || rev2 == rev1 {
		t.Errorf("store after the second file: %v revision %s (was %s)", names, rev2, rev1)
	}
	ingest("1.0.0", "b.tgz", "second file") // a concurrent fetch losing
	if names, rev := files("store", "1.0.0"); len(names) != 2 || rev != rev2 {
		t.Errorf("ingesting a file twice: %v revision %s", names, rev)
	}
	if names, _ := files("team", "1.0.0"); !slices.Equal(names, []string{"a.tgz"}) {
		t.Errorf("team before retaining again: %v", names)
	}
	mustDo(t, s.RetainVersion(ctx, admin, npmRef("team"), "store", "1.0.0"))
	if names, rev := files("team", "1.0.0"); !slices.Equal(names, []string{"a.tgz", "b.tgz"}) || rev != rev2 {
		t.Errorf("team after retaining again: %v revision %s, want %s", names, rev, rev2)
	}

	// Unlisted in store: a file arriving later is not added.
	setStatus(t, s, npmRef("store"), "1.0.0", model.StatusUnlisted)
	ingest("1.0.0", "c.tgz", "third file")
	if names, _ := files("store", "1.0.0"); len(names) != 2 {
		t.Errorf("an Unlisted version gained a file: %v", names)
	}
}

// TestIngestExternalMergesFormatMetadata: a file completing a version
// ingested through the connection merges its part into the version's
// format metadata (RubyGems lists each platform gem there), and a
// retained copy completed later takes the source's format metadata with
// the file.
func TestIngestExternalMergesFormatMetadata(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	createRepo(t, s, "store")
	createRepo(t, s, "team", "store")
	if _, err := s.AssociateExternalConnection(ctx, admin, ExternalConnectionInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: "public:npmjs"}); err != nil {
		t.Fatal(err)
	}
	ingest := func(file string) {
		t.Helper()
		mustDo(t, s.IngestExternal(ctx, admin, IngestRequest{Ref: npmRef("store"), Connection: "public:npmjs", Version: "1.0.0",
			Asset:    Upload{Name: file, Body: strings.NewReader("content of " + file)},
			Metadata: &VersionMetadata{FormatMetadata: []byte(`["` + file + `"]`)},
			MergeFormatMetadata: func(cur []byte) ([]byte, error) {
				var files []string
				if err := json.Unmarshal(cur, &files); err != nil {
					return nil, err
				}
				return json.Marshal(append(files, file))
			}}))
	}
	doc := func(repo string) string {
		t.Helper()
		view, err := s.ViewPackage(ctx, admin, npmRef(repo), ViewOptions{})
		if err != nil || len(view.Versions) != 1 {
			t.Fatalf("%s: %+v %v", repo, view, err)
		}
		return string(view.Versions[0].FormatMetadata)
	}
	ingest("a.tgz")
	mustDo(t, s.RetainVersion(ctx, admin, npmRef("team"), "store", "1.0.0"))
	ingest("b.tgz")
	if got, want := doc("store"), `["a.tgz","b.tgz"]`; got != want {
		t.Errorf("store format metadata = %s, want %s", got, want)
	}
	if got := doc("team"); got != `["a.tgz"]` {
		t.Errorf("team before retaining again = %s", got)
	}
	mustDo(t, s.RetainVersion(ctx, admin, npmRef("team"), "store", "1.0.0"))
	if got, want := doc("team"), `["a.tgz","b.tgz"]`; got != want {
		t.Errorf("team after retaining again = %s, want %s", got, want)
	}
}
