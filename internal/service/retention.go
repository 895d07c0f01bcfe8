package service

import (
	"context"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// WharfDomain resolves a domain for one of Wharf's own operations
// (retention rules) and authorizes action, an IAM action with its
// service prefix ("wharf:PutRetentionRule"), on the domain's ARN with the
// same policies as CodeArtifact's operations.
func (s *Service) WharfDomain(ctx context.Context, c Caller, owner, domain, action string) (*model.Domain, error) {
	if domain == "" {
		return nil, model.InvalidParameter("A domain is required.")
	}
	owner = ownerOr(owner, c)
	var d *model.Domain
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		d, err = s.getDomain(tx, owner, domain)
		return err
	})
	if err != nil {
		return nil, wrap(action, err)
	}
	if err := s.authorize(ctx, c, action, s.domainARN(d), d.Owner); err != nil {
		return nil, err
	}
	return d, nil
}

// ApplyRetention changes the status of versions of one package for a
// retention rule, through the same checks and transaction as
// DeletePackageVersions, DisposePackageVersions and
// UpdatePackageVersionsStatus (authorized as those operations for c).
// Every version is guarded by its expected status and revision, deletes
// included, so a version changed or published again since the rule
// evaluated it is never touched.
func (s *Service) ApplyRetention(ctx context.Context, c Caller, ref PackageRef, op model.BatchOp, target model.Status, expected model.Status, revisions map[string]string) (*BatchOutput, error) {
	versions := make([]string, 0, len(revisions))
	for v := range revisions {
		versions = append(versions, v)
	}
	action := map[model.BatchOp]string{model.OpDelete: "DeletePackageVersions", model.OpDispose: "DisposePackageVersions", model.OpUpdateStatus: "UpdatePackageVersionsStatus"}[op]
	out, err := s.runBatch(ctx, c, ref, action, model.Batch{Op: op, Versions: versions, Revisions: revisions, Expected: expected, Target: target})
	if err == nil {
		s.log.InfoContext(ctx, "retention", "action", action, "caller", c.ARN, "domain", ref.Domain, "repository", ref.Repository,
			"format", ref.Format, "namespace", ref.Namespace, "package", ref.Package, "succeeded", len(out.SuccessfulVersions), "failed", len(out.FailedVersions))
	}
	return out, err
}
