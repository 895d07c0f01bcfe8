package backup

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

var admin = service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"}

func ref(pkg string) service.PackageRef {
	return service.PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatGeneric, Namespace: "ns", Package: pkg}
}

// openData opens a data directory as wharf serve does.
func openData(t *testing.T, dir string) (*service.Service, *sqlite.Store) {
	t.Helper()
	m, err := sqlite.Open(context.Background(), filepath.Join(dir, dbFile), sqlite.Exclusive())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(filepath.Join(dir, blobsDir))
	if err != nil {
		t.Fatal(err)
	}
	return service.New(m, b, nil, service.Config{GCGrace: time.Nanosecond, BlobLease: time.Nanosecond}), m
}

func publish(t *testing.T, s *service.Service, pkg, version, content string) {
	t.Helper()
	if _, err := s.Publish(context.Background(), admin, service.PublishRequest{Ref: ref(pkg), Version: version,
		Assets: []service.Upload{{Name: "a.txt", Body: strings.NewReader(content)}}}); err != nil {
		t.Fatal(err)
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := openData(t, dir)
	if _, err := s.CreateDomain(ctx, admin, service.CreateDomainInput{Domain: "dom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"}}); err != nil {
		t.Fatal(err)
	}
	publish(t, s, "p", "1.0", "one")
	publish(t, s, "p", "2.0", "two")
	os.WriteFile(filepath.Join(dir, "admin-credentials.json"), []byte("{}"), 0o600)

	to := filepath.Join(t.TempDir(), "backup")
	m, err := Backup(ctx, dir, to)
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs != 2 || m.Bytes != 6 || len(m.Files) != 1 {
		t.Errorf("manifest %+v", m)
	}
	// After the backup: the original moves on and collects its garbage.
	if _, err := s.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: ref("p"), Versions: []string{"1.0"}}); err != nil {
		t.Fatal(err)
	}
	publish(t, s, "p", "3.0", "three")
	if _, err := s.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := Backup(ctx, dir, to); err == nil {
		t.Error("a backup into a non-empty directory was taken")
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, to, restored); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, to, restored); err == nil {
		t.Error("a restore into a non-empty directory was made")
	}
	if _, err := Restore(ctx, dir, filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a data directory was restored as a backup")
	}
	r, _ := openData(t, restored)
	out, err := r.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: ref("p")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range out.Versions {
		got = append(got, v.Version)
	}
	if strings.Join(got, ",") != "1.0,2.0" {
		t.Errorf("restored versions %v, want 1.0,2.0", got)
	}
	for v, want := range map[string]string{"1.0": "one", "2.0": "two"} {
		a, err := r.GetPackageVersionAsset(ctx, admin, service.GetPackageVersionAssetInput{VersionRef: service.VersionRef{PackageRef: ref("p"), PackageVersion: v}, Asset: "a.txt"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(a.Body)
		a.Body.Close()
		if string(b) != want {
			t.Errorf("%s: %q, want %q", v, b, want)
		}
	}
}

// Blobs leased by a backup survive the collector however their versions
// go, and a blob whose bytes were damaged is refused on restore.
func TestBackupLeasesAndVerifies(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, m := openData(t, dir)
	s.CreateDomain(ctx, admin, service.CreateDomainInput{Domain: "dom"})
	s.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "repo"}})
	publish(t, s, "p", "1.0", "one")
	leased, err := m.LeaseReferencedBlobs(ctx, time.Now().Add(time.Hour))
	if err != nil || len(leased) != 1 {
		t.Fatal(leased, err)
	}
	s.DeletePackageVersions(ctx, admin, service.DeletePackageVersionsInput{PackageRef: ref("p"), Versions: []string{"1.0"}})
	if _, err := s.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ := fs.New(filepath.Join(dir, blobsDir))
	if _, _, err := b.Stat(ctx, blob.Digest(leased[0])); err != nil {
		t.Fatalf("leased blob collected: %v", err)
	}
	if err := m.ReleaseBlobs(ctx, leased); err != nil {
		t.Fatal(err)
	}
	s.CollectGarbage(ctx)
	if _, _, err := b.Stat(ctx, blob.Digest(leased[0])); err == nil {
		t.Fatal("released blob not collected")
	}

	publish(t, s, "p", "2.0", "two")
	to := filepath.Join(t.TempDir(), "backup")
	if _, err := Backup(ctx, dir, to); err != nil {
		t.Fatal(err)
	}
	// Damage the backup's copy: restore refuses it.
	err = filepath.Walk(filepath.Join(to, blobsDir), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			return os.WriteFile(p, bytes.ToUpper([]byte("two")), 0o600)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, to, filepath.Join(t.TempDir(), "r")); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("restore of damaged bytes: %v", err)
	}
}
