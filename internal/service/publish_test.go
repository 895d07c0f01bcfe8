package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func cargoRef(name string) PackageRef {
	return PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatCargo, Package: name}
}

func publishCrate(ctx context.Context, s *Service, name, version string) error {
	_, err := s.Publish(ctx, admin, PublishRequest{Ref: cargoRef(name), Version: version,
		Metadata: &VersionMetadata{DisplayName: name},
		Assets:   []Upload{{Name: model.NormalizeName(model.FormatCargo, name) + "-" + version + ".crate", Body: bytes.NewReader([]byte(name + version))}}})
	return err
}

func TestPublishNameCollisions(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	if err := publishCrate(ctx, s, "Foo-Bar", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := publishCrate(ctx, s, "serde", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want error
	}{
		{"Foo-Bar", nil},               // the same crate, a new version
		{"foo_bar", model.ErrConflict}, // '-' against '_', another package key
		{"FOO_BAR", model.ErrConflict}, // and case
		{"foo-bar", model.ErrConflict}, // same key, other spelling
		{"Foo-Bar-x", nil},             // shares the prefix only
		{"Serde", model.ErrConflict},   // no separator: the case check alone
		{"serde_json", nil},            // a different name
	}
	for i, tt := range tests {
		err := publishCrate(ctx, s, tt.name, "2.0."+string(rune('0'+i)))
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("publish %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Other formats have no such rule.
	for _, name := range []string{"a-b", "a_b"} {
		if _, err := s.Publish(ctx, admin, PublishRequest{Ref: genericRef(name), Version: "1", Assets: []Upload{{Name: "x", Body: bytes.NewReader([]byte("x"))}}}); err != nil {
			t.Errorf("generic %s: %v", name, err)
		}
	}
}

// finishingReader fills in metadata at its end, as a format's inspector
// does when the checksum or readme come from the bytes.
type finishingReader struct {
	r    io.Reader
	meta *VersionMetadata
}

func (f *finishingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		f.meta.Readme = "read at the end"
	}
	return n, err
}

func TestPublishReadsMetadataAfterBodies(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	md := &VersionMetadata{DisplayName: "late"}
	_, err := s.Publish(ctx, admin, PublishRequest{Ref: cargoRef("late"), Version: "1.0.0", Metadata: md,
		Assets: []Upload{{Name: "late-1.0.0.crate", Body: &finishingReader{r: bytes.NewReader([]byte("bytes")), meta: md}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.GetPackageVersionReadme(ctx, admin, VersionRef{PackageRef: cargoRef("late"), PackageVersion: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Readme != "read at the end" {
		t.Fatalf("readme = %q: Publish read the metadata before the body's end", out.Readme)
	}
}
