package service

import (
	"bytes"
	"context"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// Every operation that can leave bytes unreferenced must wake the
// collector, or they stay on disk until its next scheduled run.
func TestDeletesKickGC(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	drain := func() {
		select {
		case <-s.gc:
		default:
		}
	}
	kicked := func() bool {
		select {
		case <-s.gc:
			return true
		default:
			return false
		}
	}
	mustPublish := func(pkg, repo string) {
		t.Helper()
		ref := genericRef(pkg)
		ref.Repository = repo
		content := []byte(pkg + "@" + repo)
		if _, err := s.Publish(ctx, admin, PublishRequest{Ref: ref, Version: "1", Assets: []Upload{{Name: "a", Body: bytes.NewReader(content), SHA256: sha(content)}}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		prep func()
		op   func() error
	}{
		{"DeletePackageVersions", func() { mustPublish("v", "repo") }, func() error {
			_, err := s.DeletePackageVersions(ctx, admin, DeletePackageVersionsInput{PackageRef: genericRef("v"), Versions: []string{"1"}})
			return err
		}},
		{"DisposePackageVersions", func() { mustPublish("d", "repo") }, func() error {
			_, err := s.DisposePackageVersions(ctx, admin, DisposePackageVersionsInput{PackageRef: genericRef("d"), Versions: []string{"1"}})
			return err
		}},
		{"DeletePackage", func() { mustPublish("p", "repo") }, func() error {
			_, err := s.DeletePackage(ctx, admin, genericRef("p"))
			return err
		}},
		{"CopyPackageVersions overwrite", func() { mustPublish("c", "repo"); mustPublish("c", "other") }, func() error {
			_, err := s.CopyPackageVersions(ctx, admin, CopyPackageVersionsInput{Domain: "dom", SourceRepository: "repo", DestinationRepository: "other",
				Format: model.FormatGeneric, Namespace: "ns", Package: "c", Versions: []string{"1"}, AllowOverwrite: true})
			return err
		}},
		{"DeleteRepository", func() { mustPublish("r", "other") }, func() error {
			_, err := s.DeleteRepository(ctx, admin, RepositoryInput{Domain: "dom", Repository: "other"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prep()
			drain()
			if err := tt.op(); err != nil {
				t.Fatal(err)
			}
			if !kicked() {
				t.Errorf("%s did not wake the garbage collector", tt.name)
			}
		})
	}
}
