package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/token"
)

var admin = Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIDADMIN"}

// newTestService builds a service on real stores in a temp dir. The GC
// grace is zero so collection is observable at once.
func newTestService(t *testing.T) (*Service, blob.Store) {
	t.Helper()
	return newTestServiceWith(t, nil)
}

// newTestServiceWith is newTestService with an authorizer of the test's
// own (nil: SameAccount).
func newTestServiceWith(t *testing.T, az Authorizer) (*Service, blob.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, b, az, Config{GCGrace: time.Nanosecond, PublicURL: "http://wharf.test"})
	s.SetTokenIssuer(token.NewIssuer([]byte("0123456789abcdef0123456789abcdef")))
	if _, err := s.CreateDomain(ctx, admin, CreateDomainInput{Domain: "dom"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"repo", "other"} {
		if _, err := s.CreateRepository(ctx, admin, CreateRepositoryInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: r}}); err != nil {
			t.Fatal(err)
		}
	}
	return s, b
}

func genericRef(pkg string) PackageRef {
	return PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatGeneric, Namespace: "ns", Package: pkg}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func publish(ctx context.Context, s *Service, pkg, version, asset string, content []byte, unfinished bool) (*PublishResult, error) {
	return s.Publish(ctx, admin, PublishRequest{Ref: genericRef(pkg), Version: version, Unfinished: unfinished,
		Assets: []Upload{{Name: asset, Body: bytes.NewReader(content), SHA256: sha(content)}}})
}

func TestPublishRules(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	if _, err := publish(ctx, s, "p", "1.0", "a", []byte("one"), true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version string
		asset   string
		content []byte
		unfin   bool
		want    error // nil, or a sentinel kind
		status  model.Status
	}{
		{"second asset into unfinished", "1.0", "b", []byte("two"), true, nil, model.StatusUnfinished},
		{"identical re-upload is idempotent", "1.0", "a", []byte("one"), true, nil, model.StatusUnfinished},
		{"different bytes conflict", "1.0", "a", []byte("changed"), true, model.ErrConflict, ""},
		{"finishing publishes", "1.0", "c", []byte("three"), false, nil, model.StatusPublished},
		{"new asset into published conflicts", "1.0", "d", []byte("four"), false, model.ErrConflict, ""},
		{"identical re-upload into published", "1.0", "c", []byte("three"), false, nil, model.StatusPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := publish(ctx, s, "p", tt.version, tt.asset, tt.content, tt.unfin)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Publish = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status {
				t.Errorf("status = %s, want %s", res.Status, tt.status)
			}
		})
	}

	// A digest that does not match the bytes stores nothing.
	_, err := s.Publish(ctx, admin, PublishRequest{Ref: genericRef("p"), Version: "2.0",
		Assets: []Upload{{Name: "x", Body: bytes.NewReader([]byte("abc")), SHA256: sha([]byte("xyz"))}}})
	if !errors.Is(err, model.ErrValidation) {
		t.Fatalf("mismatched SHA256: %v", err)
	}
	if _, err := s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: genericRef("p"), PackageVersion: "2.0"}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("version after failed publish: %v", err)
	}

	// Archived versions refuse publishes; publish=BLOCK refuses them all.
	if _, err := s.UpdatePackageVersionsStatus(ctx, admin, UpdatePackageVersionsStatusInput{PackageRef: genericRef("p"), Versions: []string{"1.0"}, TargetStatus: model.StatusArchived}); err != nil {
		t.Fatal(err)
	}
	if _, err := publish(ctx, s, "p", "1.0", "c", []byte("three"), false); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("publish into Archived: %v", err)
	}
	if _, err := s.PutPackageOriginConfiguration(ctx, admin, PutPackageOriginConfigurationInput{PackageRef: genericRef("p"), Restrictions: model.OriginRestrictions{Publish: model.Block, Upstream: model.Allow}}); err != nil {
		t.Fatal(err)
	}
	if _, err := publish(ctx, s, "p", "3.0", "a", []byte("new"), false); !errors.Is(err, model.ErrAccessDenied) {
		t.Fatalf("publish with publish=BLOCK: %v", err)
	}
}

// Disposed and deleted versions' bytes are collected; bytes still used by
// another version are not.
func TestGarbageCollection(t *testing.T) {
	ctx := context.Background()
	s, b := newTestService(t)
	shared, only := []byte("shared bytes"), []byte("only in 1.0")
	for _, v := range []string{"1.0", "2.0"} {
		if _, err := publish(ctx, s, "p", v, "shared", shared, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := publish(ctx, s, "p", "1.0", "only", only, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DisposePackageVersions(ctx, admin, DisposePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"1.0"}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.CollectGarbage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != 1 || st.DeletedBytes != int64(len(only)) {
		t.Fatalf("GC = %+v, want the one unshared blob", st)
	}
	if _, _, err := b.Stat(ctx, blob.Digest(sha(only))); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("disposed blob still stored: %v", err)
	}
	if _, _, err := b.Stat(ctx, blob.Digest(sha(shared))); err != nil {
		t.Fatalf("shared blob removed: %v", err)
	}
	// The disposed version is still described, its asset no longer served.
	d, err := s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: genericRef("p"), PackageVersion: "1.0"})
	if err != nil || d.PackageVersion.Status != model.StatusDisposed {
		t.Fatalf("disposed version: %+v, %v", d, err)
	}
	if _, err := s.GetPackageVersionAsset(ctx, admin, GetPackageVersionAssetInput{VersionRef: VersionRef{PackageRef: genericRef("p"), PackageVersion: "1.0"}, Asset: "only"}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("asset of disposed version: %v", err)
	}
	if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"2.0"}}); err != nil {
		t.Fatal(err)
	}
	if st, err = s.CollectGarbage(ctx); err != nil || st.Deleted != 1 {
		t.Fatalf("GC after delete = %+v, %v", st, err)
	}
}

// A collector running flat out never removes bytes that a concurrent
// publish of the same content is about to commit.
func TestGarbageCollectionRacesPublish(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	content := []byte("contended content")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.CollectGarbage(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 30; i++ {
		v := fmt.Sprintf("1.%d", i)
		if _, err := publish(ctx, s, "p", v, "a", content, false); err != nil {
			t.Fatal(err)
		}
		// Delete it again at once, so the blob keeps becoming garbage.
		if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{v}}); err != nil {
			t.Fatal(err)
		}
		if _, err := publish(ctx, s, "p", "keep", "a", content, false); err != nil {
			t.Fatal(err)
		}
		a, err := s.GetPackageVersionAsset(ctx, admin, GetPackageVersionAssetInput{VersionRef: VersionRef{PackageRef: genericRef("p"), PackageVersion: "keep"}, Asset: "a"})
		if err != nil {
			t.Fatalf("round %d: committed asset unreadable: %v", i, err)
		}
		a.Body.Close()
		if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{"keep"}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// Concurrent batches over the same versions never both succeed for one.
func TestConcurrentDeletesOneWinner(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	var versions []string
	for i := 0; i < 20; i++ {
		v := fmt.Sprintf("1.%d", i)
		versions = append(versions, v)
		if _, err := publish(ctx, s, "p", v, "a", []byte(v), false); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < len(versions); i++ {
				batch := []string{versions[i], versions[(i+w)%len(versions)]}
				out, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: batch})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for v := range out.SuccessfulVersions {
					wins[v]++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	for _, v := range versions {
		if wins[v] != 1 {
			t.Errorf("version %s deleted %d times", v, wins[v])
		}
	}
}

func TestAuthenticateToken(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	out, err := s.GetAuthorizationToken(ctx, admin, GetAuthorizationTokenInput{Domain: "dom"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Authenticate(ctx, out.AuthorizationToken, "dom", admin.Account)
	if err != nil || c != admin {
		t.Fatalf("Authenticate = %+v, %v", c, err)
	}
	if _, err := s.Authenticate(ctx, out.AuthorizationToken, "otherdom", admin.Account); !errors.Is(err, ErrBadToken) {
		t.Fatalf("token used on another domain: %v", err)
	}
	for _, d := range []int64{1, 899, 43201} {
		if _, err := s.GetAuthorizationToken(ctx, admin, GetAuthorizationTokenInput{Domain: "dom", DurationSeconds: &d}); !errors.Is(err, model.ErrValidation) {
			t.Errorf("duration %d: %v", d, err)
		}
	}
}

// A kick after a delete removes the bytes the delete left behind but does
// not walk every stored blob looking for orphans; the interval's run does.
func TestKickedGCSkipsOrphanSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, b, nil, Config{GCGrace: time.Nanosecond, BlobLease: time.Nanosecond})
	if _, err := s.CreateDomain(ctx, admin, CreateDomainInput{Domain: "dom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRepository(ctx, admin, CreateRepositoryInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "repo"}}); err != nil {
		t.Fatal(err)
	}
	orphan := []byte("bytes a crashed upload left")
	if _, err := b.Put(ctx, bytes.NewReader(orphan), blob.Digest(sha(orphan)), -1); err != nil {
		t.Fatal(err)
	}
	versions := []string{"1.0", "2.0"}
	for _, v := range versions {
		if _, err := publish(ctx, s, "p", v, "a", []byte("bytes of "+v), false); err != nil {
			t.Fatal(err)
		}
	}
	gcCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.RunGC(gcCtx, time.Hour) }()
	defer func() { stop(); <-done }()
	// Collections run one after another: once the second delete's bytes
	// are gone, the run the first delete kicked has finished, sweep and all.
	for _, v := range versions {
		if _, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("p"), Versions: []string{v}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if _, _, err := b.Stat(ctx, blob.Digest(sha([]byte("bytes of "+v)))); errors.Is(err, blob.ErrNotFound) {
				break
			}
			if i == 1000 {
				t.Fatalf("the kicked collection never removed the bytes of deleted %s", v)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, _, err := b.Stat(ctx, blob.Digest(sha(orphan))); err != nil {
		t.Fatalf("a kick swept the orphan: %v", err)
	}
	st, err := s.CollectGarbage(ctx)
	if err != nil || st.Orphans != 1 {
		t.Fatalf("full collection = %+v, %v; want the orphan swept", st, err)
	}
}

// TestPublishMergeFormatMetadata: concurrent publishes of different
// assets into one version each add their entry to the version's format
// metadata, none lost; an identical re-publish whose merge returns the
// same document leaves the revision alone.
func TestPublishMergeFormatMetadata(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	add := func(entry string) func([]byte) ([]byte, error) {
		return func(cur []byte) ([]byte, error) {
			if bytes.Contains(cur, []byte("["+entry+"]")) {
				return cur, nil
			}
			return append(append([]byte{}, cur...), "["+entry+"]"...), nil
		}
	}
	pub := func(asset string) (*PublishResult, error) {
		content := []byte("bytes of " + asset)
		return s.Publish(ctx, admin, PublishRequest{Ref: genericRef("m"), Version: "1.0", AddToPublished: true, MergeFormatMetadata: add(asset),
			Assets: []Upload{{Name: asset, Body: bytes.NewReader(content), SHA256: sha(content)}}})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := pub(fmt.Sprintf("a%d", i)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var v *model.Version
	s.meta.View(ctx, func(tx meta.Tx) error {
		p, err := tx.GetPackage(mustRepoID(t, s), model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "m"})
		if err != nil {
			return err
		}
		v, err = tx.GetVersion(p.ID, "1.0")
		return err
	})
	for i := range 8 {
		if !bytes.Contains(v.FormatMetadata, fmt.Appendf(nil, "[a%d]", i)) {
			t.Errorf("format metadata %q lost entry a%d", v.FormatMetadata, i)
		}
	}
	res, err := pub("a3")
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != v.Revision {
		t.Errorf("an identical re-publish changed the revision: %s -> %s", v.Revision, res.Revision)
	}
}

func mustRepoID(t *testing.T, s *Service) int64 {
	t.Helper()
	var id int64
	err := s.meta.View(context.Background(), func(tx meta.Tx) error {
		_, r, err := s.getRepo(tx, admin.Account, "dom", "repo")
		if err == nil {
			id = r.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPublishSwiftVersionRule: CodeArtifact takes only SemVer 2.0
// versions for Swift, whatever path the publish comes by, and a refusal
// stores nothing.
func TestPublishSwiftVersionRule(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	ref := PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatSwift, Namespace: "mona", Package: "LinkedList"}
	content := []byte("zip bytes")
	publish := func(v string) error {
		_, err := s.Publish(ctx, admin, PublishRequest{Ref: ref, Version: v, Assets: []Upload{{Name: "linkedlist-" + v + ".zip", Body: bytes.NewReader(content)}}})
		return err
	}
	for _, v := range []string{"1.0", "v1.0.0", "1.0.0.0", "01.0.0"} {
		err := publish(v)
		if e := model.AsError(err); err == nil || e.Kind != model.KindValidation {
			t.Errorf("publish %q: %v, want a validation error", v, err)
		}
	}
	if _, err := s.ViewPackage(ctx, admin, ref, ViewOptions{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("refused publishes left a package: %v", err)
	}
	if err := publish("1.0.0-beta.1+build.5"); err != nil {
		t.Fatalf("SemVer version refused: %v", err)
	}
}

// TestPublishRefuseExisting: with RefuseExisting even a byte-identical
// re-publish is a conflict that changes nothing, metadata included.
func TestPublishRefuseExisting(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	ref := PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatSwift, Namespace: "mona", Package: "linkedlist"}
	content := []byte("zip bytes")
	publish := func(summary string) (*PublishResult, error) {
		return s.Publish(ctx, admin, PublishRequest{Ref: ref, Version: "1.0.0", RefuseExisting: true, Metadata: &VersionMetadata{Summary: summary},
			Assets: []Upload{{Name: "linkedlist-1.0.0.zip", Body: bytes.NewReader(content)}}})
	}
	first, err := publish("first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish("second"); model.AsError(err).Kind != model.KindConflict {
		t.Fatalf("re-publish: %v, want a conflict", err)
	}
	d, err := s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: ref, PackageVersion: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if d.PackageVersion.Summary != "first" || d.PackageVersion.Revision != first.Revision {
		t.Fatalf("refused re-publish changed the version: %+v", d.PackageVersion)
	}
}
