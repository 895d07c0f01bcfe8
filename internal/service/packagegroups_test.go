package service

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// ListAssociatedPackages fills pages across several store batches, skips
// packages of other groups between them, and resumes exactly where a page
// ended.
func TestListAssociatedPackagesAcrossBatches(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	defer func(n int) { associationScan = n }(associationScan)
	associationScan = 3

	var want []string
	for i := range 20 {
		ns := "mine"
		if i%3 == 0 {
			ns = "mine.sub" // in the more specific group below
		}
		name := fmt.Sprintf("p%02d", i)
		ref := PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatGeneric, Namespace: ns, Package: name}
		if _, err := s.PutPackageOriginConfiguration(ctx, admin, PutPackageOriginConfigurationInput{PackageRef: ref,
			Restrictions: model.DefaultOriginForPublish}); err != nil {
			t.Fatal(err)
		}
		if ns == "mine" {
			want = append(want, name)
		}
	}
	for _, p := range []string{"/generic/mine~", "/generic/mine.sub/*"} {
		if _, err := s.CreatePackageGroup(ctx, admin, CreatePackageGroupInput{PackageGroupInput: PackageGroupInput{Domain: "dom", PackageGroup: p}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []int{1, 2, 4, 5, 13, 100} {
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			out, err := s.ListAssociatedPackages(ctx, admin, ListAssociatedPackagesInput{
				PackageGroupInput: PackageGroupInput{Domain: "dom", PackageGroup: "/generic/mine~"}, MaxResults: size, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Packages) > size || pages > len(want) {
				t.Fatalf("size %d: page %d has %d packages", size, pages, len(out.Packages))
			}
			for _, p := range out.Packages {
				if p.Namespace != "mine" || p.AssociationType != model.AssociationStrong {
					t.Errorf("size %d: listed %+v", size, p)
				}
				got = append(got, p.Package)
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("size %d: %v, want %v", size, got, want)
		}
	}
	// A token from one group's listing is refused by another's.
	out, err := s.ListAssociatedPackages(ctx, admin, ListAssociatedPackagesInput{
		PackageGroupInput: PackageGroupInput{Domain: "dom", PackageGroup: "/generic/mine~"}, MaxResults: 1})
	if err != nil || out.NextToken == "" {
		t.Fatal(out, err)
	}
	_, err = s.ListAssociatedPackages(ctx, admin, ListAssociatedPackagesInput{
		PackageGroupInput: PackageGroupInput{Domain: "dom", PackageGroup: "/generic/mine.sub/*"}, NextToken: out.NextToken})
	if !isKind(err, model.KindValidation) {
		t.Errorf("foreign token: %v", err)
	}
}

func isKind(err error, k model.Kind) bool {
	e := model.AsError(err)
	return err != nil && e.Kind == k
}
