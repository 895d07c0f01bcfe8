package service

import (
	"context"
	"errors"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// ListPackagesInput is ListPackages' request.
type ListPackagesInput struct {
	Domain        string       `json:"domain"`
	DomainOwner   string       `json:"domainOwner"`
	Repository    string       `json:"repository"`
	Format        model.Format `json:"format"`
	Namespace     string       `json:"namespace"`
	PackagePrefix string       `json:"packagePrefix"`
	MaxResults    int          `json:"maxResults"`
	NextToken     string       `json:"nextToken"`
	Publish       string       `json:"publish"`
	Upstream      string       `json:"upstream"`
}

// ListPackagesOutput is one page of ListPackages.
type ListPackagesOutput struct {
	Packages  []PackageSummary `json:"packages"`
	NextToken string           `json:"nextToken,omitempty"`
}

func originOf(p *model.Package) *OriginConfiguration {
	return &OriginConfiguration{Restrictions: p.Origin}
}

// ListPackages lists a repository's packages, filtered by format, namespace, prefix and origin controls.
func (s *Service) ListPackages(ctx context.Context, c Caller, in ListPackagesInput) (*ListPackagesOutput, error) {
	after, err := decodeToken("packages", in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 100)
	out := ListPackagesOutput{Packages: []PackageSummary{}}
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "ListPackages", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		prefix := in.PackagePrefix
		if in.Format != "" {
			prefix = model.NormalizeName(in.Format, prefix)
		}
		ps, err := tx.ListPackages(r.ID, meta.PackageFilter{
			Format: in.Format, NamespacePrefix: in.Namespace, NamePrefix: prefix,
			Publish: in.Publish, Upstream: in.Upstream, After: after, Limit: limit + 1,
		})
		if err != nil {
			return err
		}
		if len(ps) > limit {
			ps = ps[:limit]
			out.NextToken = encodeToken("packages", meta.PackageCursor(ps[limit-1]))
		}
		for _, p := range ps {
			out.Packages = append(out.Packages, PackageSummary{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, OriginConfiguration: originOf(p)})
		}
		return nil
	})
	return &out, wrap("list packages", err)
}

// DescribePackageOutput is DescribePackage's answer.
type DescribePackageOutput struct {
	Package PackageDescription `json:"package"`
}

// DescribePackage describes a package and its origin configuration in one repository.
func (s *Service) DescribePackage(ctx context.Context, c Caller, in PackageRef) (*DescribePackageOutput, error) {
	var out DescribePackageOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, in, "DescribePackage")
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, sc.repo, sc.key)
		if err != nil {
			return err
		}
		out.Package = PackageDescription{Format: p.Key.Format, Namespace: p.Key.Namespace, Name: p.Key.Name, OriginConfiguration: originOf(p)}
		return nil
	})
	return &out, wrap("describe package", err)
}

// DeletePackageOutput is DeletePackage's answer: the package as it was.
type DeletePackageOutput struct {
	DeletedPackage PackageSummary `json:"deletedPackage"`
}

// DeletePackage deletes a package with all its versions and origin configuration.
func (s *Service) DeletePackage(ctx context.Context, c Caller, in PackageRef) (*DeletePackageOutput, error) {
	var out DeletePackageOutput
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, in, "DeletePackage")
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, sc.repo, sc.key)
		if err != nil {
			return err
		}
		pkgID = p.ID
		out.DeletedPackage = PackageSummary{Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, OriginConfiguration: originOf(p)}
		return tx.DeletePackage(p.ID)
	})
	if err == nil {
		s.changed(pkgID)
		s.kickGC() // the versions' bytes may now be unreferenced
	}
	return &out, wrap("delete package", err)
}

// PutPackageOriginConfigurationInput is PutPackageOriginConfiguration's request.
type PutPackageOriginConfigurationInput struct {
	PackageRef
	Restrictions model.OriginRestrictions `json:"restrictions"`
}

// PutPackageOriginConfigurationOutput is PutPackageOriginConfiguration's answer.
type PutPackageOriginConfigurationOutput struct {
	OriginConfiguration OriginConfiguration `json:"originConfiguration"`
}

// PutPackageOriginConfiguration sets a package's publish and upstream controls, creating the package if need be.
func (s *Service) PutPackageOriginConfiguration(ctx context.Context, c Caller, in PutPackageOriginConfigurationInput) (*PutPackageOriginConfigurationOutput, error) {
	for _, v := range []string{in.Restrictions.Publish, in.Restrictions.Upstream} {
		if v != model.Allow && v != model.Block {
			return nil, model.InvalidParameter("Origin restrictions must be ALLOW or BLOCK.")
		}
	}
	var out PutPackageOriginConfigurationOutput
	var pkgID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, in.PackageRef, "PutPackageOriginConfiguration")
		if err != nil {
			return err
		}
		p, err := tx.GetPackage(sc.repo.ID, sc.key)
		switch {
		case errors.Is(err, meta.ErrNotFound):
			// Creating an empty package with restrictions is how users
			// pre-block dependency confusion.
			p = &model.Package{RepositoryID: sc.repo.ID, Key: sc.key, Origin: in.Restrictions}
			err = tx.CreatePackage(p)
		case err == nil:
			err = tx.SetPackageOrigin(p.ID, in.Restrictions)
		}
		if err != nil {
			return err
		}
		pkgID = p.ID
		out.OriginConfiguration = OriginConfiguration{Restrictions: in.Restrictions}
		return nil
	})
	if err == nil {
		s.changed(pkgID)
	}
	return &out, wrap("put package origin configuration", err)
}
