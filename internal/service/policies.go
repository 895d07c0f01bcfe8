package service

import (
	"context"
	"errors"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
)

// Domain and repository permissions policies: the six operations.
//
// A Put or Delete given a policyRevision applies only if the stored policy
// has that revision (optimistic locking); otherwise it is a
// ConflictException and nothing changes. Without a revision, Put replaces
// whatever is there. Put and Delete are authorized under every policy
// that applies, the target's own included, so an explicit Deny stops its
// principal from lifting it; only the root of the resource's account is
// judged without the policy it replaces or deletes (see
// RequestInfo.WritesPolicyOf), so a policy that locks everyone out can
// always be repaired, as a root user can always repair an S3 bucket
// policy.

// ResourcePolicy is CodeArtifact's ResourcePolicy structure.
type ResourcePolicy struct {
	ResourceArn string `json:"resourceArn"`
	Revision    string `json:"revision"`
	Document    string `json:"document"`
}

// PolicyOutput is the result of every permissions-policy operation.
type PolicyOutput struct {
	Policy *ResourcePolicy `json:"policy"`
}

// PutDomainPermissionsPolicyInput is PutDomainPermissionsPolicy's request.
type PutDomainPermissionsPolicyInput struct {
	Domain         string  `json:"domain"`
	DomainOwner    string  `json:"domainOwner"`
	PolicyRevision *string `json:"policyRevision"`
	PolicyDocument string  `json:"policyDocument"`
}

// DeleteDomainPermissionsPolicyInput is DeleteDomainPermissionsPolicy's request.
type DeleteDomainPermissionsPolicyInput struct {
	Domain         string  `json:"domain"`
	DomainOwner    string  `json:"domainOwner"`
	PolicyRevision *string `json:"policyRevision"`
}

// PutRepositoryPermissionsPolicyInput is PutRepositoryPermissionsPolicy's request.
type PutRepositoryPermissionsPolicyInput struct {
	Domain         string  `json:"domain"`
	DomainOwner    string  `json:"domainOwner"`
	Repository     string  `json:"repository"`
	PolicyRevision *string `json:"policyRevision"`
	PolicyDocument string  `json:"policyDocument"`
}

// DeleteRepositoryPermissionsPolicyInput is DeleteRepositoryPermissionsPolicy's request.
type DeleteRepositoryPermissionsPolicyInput struct {
	Domain         string  `json:"domain"`
	DomainOwner    string  `json:"domainOwner"`
	Repository     string  `json:"repository"`
	PolicyRevision *string `json:"policyRevision"`
}

// policyTx returns the transaction's resource-policy methods.
func policyTx(tx meta.Tx) (meta.ResourcePolicies, error) {
	if r, ok := tx.(*recordingTx); ok {
		tx = r.Tx
	}
	rp, ok := tx.(meta.ResourcePolicies)
	if !ok {
		return nil, errors.New("the metadata store does not keep resource policies")
	}
	return rp, nil
}

// policyTarget is a resolved domain or repository.
type policyTarget struct {
	id           meta.PolicyTarget
	arn, account string
	kind, name   string // resource type and id for errors
}

func (s *Service) domainPolicyTarget(tx meta.Tx, c Caller, domain, owner string) (*policyTarget, error) {
	d, err := s.getDomain(tx, ownerOr(owner, c), domain)
	if err != nil {
		return nil, err
	}
	return &policyTarget{id: meta.PolicyTarget{DomainID: d.ID}, arn: s.domainARN(d), account: d.Owner, kind: model.ResourceDomain, name: d.Name}, nil
}

func (s *Service) repoPolicyTarget(tx meta.Tx, c Caller, domain, owner, repo string) (*policyTarget, error) {
	d, r, err := s.getRepo(tx, ownerOr(owner, c), domain, repo)
	if err != nil {
		return nil, err
	}
	return &policyTarget{id: meta.PolicyTarget{DomainID: d.ID, RepositoryID: r.ID}, arn: s.repoARN(r), account: d.Owner, kind: model.ResourceRepository, name: r.Name}, nil
}

func (t *policyTarget) out(p *meta.ResourcePolicy) *PolicyOutput {
	return &PolicyOutput{Policy: &ResourcePolicy{ResourceArn: t.arn, Revision: p.Revision, Document: p.Document}}
}

func (t *policyTarget) noPolicy() error {
	return model.NotFound(t.kind, t.name, "No resource policy is attached to %s %s.", t.kind, t.name)
}

func (t *policyTarget) checkRevision(cur *meta.ResourcePolicy, want *string) error {
	if want == nil {
		return nil
	}
	if cur == nil {
		return model.Conflict(t.kind, t.name, "The resource policy of %s %s has no revision %s: it has no policy.", t.kind, t.name, *want)
	}
	if cur.Revision != *want {
		return model.Conflict(t.kind, t.name, "The resource policy of %s %s has revision %s, not %s. Get the current policy and retry.", t.kind, t.name, cur.Revision, *want)
	}
	return nil
}

// policiesChanged tells an authorizer that caches policies to reload.
func (s *Service) policiesChanged(ctx context.Context) {
	if n, ok := s.authz.(interface{ PoliciesChanged(context.Context) }); ok {
		n.PoliciesChanged(ctx)
	}
}

func checkPolicyDocument(doc string) error {
	if _, err := policy.ParseResource(doc); err != nil {
		return model.InvalidParameter("Invalid policy document: %v", err)
	}
	return nil
}

type resolveTarget func(tx meta.Tx) (*policyTarget, error)

func (s *Service) putPolicy(ctx context.Context, c Caller, action string, resolve resolveTarget, revision *string, doc string) (*PolicyOutput, error) {
	if err := checkPolicyDocument(doc); err != nil {
		return nil, err
	}
	var out *PolicyOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		t, err := resolve(tx)
		if err != nil {
			return err
		}
		if err := s.authorize(writingPolicyOf(ctx, t.arn), c, action, t.arn, t.account); err != nil {
			return err
		}
		rp, err := policyTx(tx)
		if err != nil {
			return err
		}
		cur, err := rp.GetResourcePolicy(t.id)
		if errors.Is(err, meta.ErrNotFound) {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := t.checkRevision(cur, revision); err != nil {
			return err
		}
		p := &meta.ResourcePolicy{Document: doc, Revision: newRevision(), Updated: s.now()}
		if err := rp.PutResourcePolicy(t.id, p); err != nil {
			return err
		}
		out = t.out(p)
		return nil
	})
	if err != nil {
		return nil, wrap("put permissions policy", err)
	}
	s.policiesChanged(ctx)
	return out, nil
}

// existingPolicy resolves the target, authorizes action on it (as a
// write of its policy when write is set) and loads its current policy,
// which must exist.
func (s *Service) existingPolicy(ctx context.Context, tx meta.Tx, c Caller, action string, resolve resolveTarget, write bool) (*policyTarget, meta.ResourcePolicies, *meta.ResourcePolicy, error) {
	t, err := resolve(tx)
	if err != nil {
		return nil, nil, nil, err
	}
	actx := ctx
	if write {
		actx = writingPolicyOf(ctx, t.arn)
	}
	if err := s.authorize(actx, c, action, t.arn, t.account); err != nil {
		return nil, nil, nil, err
	}
	rp, err := policyTx(tx)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := rp.GetResourcePolicy(t.id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, nil, t.noPolicy()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return t, rp, p, nil
}

func (s *Service) getPolicy(ctx context.Context, c Caller, action string, resolve resolveTarget) (*PolicyOutput, error) {
	var out *PolicyOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		t, _, p, err := s.existingPolicy(ctx, tx, c, action, resolve, false)
		if err != nil {
			return err
		}
		out = t.out(p)
		return nil
	})
	return out, wrap("get permissions policy", err)
}

func (s *Service) deletePolicy(ctx context.Context, c Caller, action string, resolve resolveTarget, revision *string) (*PolicyOutput, error) {
	var out *PolicyOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		t, rp, cur, err := s.existingPolicy(ctx, tx, c, action, resolve, true)
		if err != nil {
			return err
		}
		if err := t.checkRevision(cur, revision); err != nil {
			return err
		}
		if err := rp.DeleteResourcePolicy(t.id); err != nil {
			return err
		}
		out = t.out(cur)
		return nil
	})
	if err != nil {
		return nil, wrap("delete permissions policy", err)
	}
	s.policiesChanged(ctx)
	return out, nil
}

// PutDomainPermissionsPolicy sets a domain's resource policy.
func (s *Service) PutDomainPermissionsPolicy(ctx context.Context, c Caller, in PutDomainPermissionsPolicyInput) (*PolicyOutput, error) {
	return s.putPolicy(ctx, c, "PutDomainPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.domainPolicyTarget(tx, c, in.Domain, in.DomainOwner)
	}, in.PolicyRevision, in.PolicyDocument)
}

// GetDomainPermissionsPolicy returns a domain's resource policy.
func (s *Service) GetDomainPermissionsPolicy(ctx context.Context, c Caller, in DomainInput) (*PolicyOutput, error) {
	return s.getPolicy(ctx, c, "GetDomainPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.domainPolicyTarget(tx, c, in.Domain, in.DomainOwner)
	})
}

// DeleteDomainPermissionsPolicy removes a domain's resource policy.
func (s *Service) DeleteDomainPermissionsPolicy(ctx context.Context, c Caller, in DeleteDomainPermissionsPolicyInput) (*PolicyOutput, error) {
	return s.deletePolicy(ctx, c, "DeleteDomainPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.domainPolicyTarget(tx, c, in.Domain, in.DomainOwner)
	}, in.PolicyRevision)
}

// PutRepositoryPermissionsPolicy sets a repository's resource policy.
func (s *Service) PutRepositoryPermissionsPolicy(ctx context.Context, c Caller, in PutRepositoryPermissionsPolicyInput) (*PolicyOutput, error) {
	return s.putPolicy(ctx, c, "PutRepositoryPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.repoPolicyTarget(tx, c, in.Domain, in.DomainOwner, in.Repository)
	}, in.PolicyRevision, in.PolicyDocument)
}

// GetRepositoryPermissionsPolicy returns a repository's resource policy.
func (s *Service) GetRepositoryPermissionsPolicy(ctx context.Context, c Caller, in RepositoryInput) (*PolicyOutput, error) {
	return s.getPolicy(ctx, c, "GetRepositoryPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.repoPolicyTarget(tx, c, in.Domain, in.DomainOwner, in.Repository)
	})
}

// DeleteRepositoryPermissionsPolicy removes a repository's resource policy.
func (s *Service) DeleteRepositoryPermissionsPolicy(ctx context.Context, c Caller, in DeleteRepositoryPermissionsPolicyInput) (*PolicyOutput, error) {
	return s.deletePolicy(ctx, c, "DeleteRepositoryPermissionsPolicy", func(tx meta.Tx) (*policyTarget, error) {
		return s.repoPolicyTarget(tx, c, in.Domain, in.DomainOwner, in.Repository)
	}, in.PolicyRevision)
}
