package service

import (
	"context"
	"errors"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// CreateDomainInput is CreateDomain's request.
type CreateDomainInput struct {
	Domain        string `json:"domain"`
	EncryptionKey string `json:"encryptionKey"`
	Tags          []Tag  `json:"tags"`
}

// DomainOutput is the answer of CreateDomain, DescribeDomain and DeleteDomain.
type DomainOutput struct {
	Domain DomainDescription `json:"domain"`
}

func (s *Service) describeDomain(tx meta.Tx, d *model.Domain) (DomainDescription, error) {
	repos, size, err := tx.DomainUsage(d.ID)
	if err != nil {
		return DomainDescription{}, err
	}
	return DomainDescription{
		Name: d.Name, Owner: d.Owner, Arn: s.domainARN(d), Status: "Active",
		CreatedTime: ts(d.CreatedTime), EncryptionKey: d.KeyARN(s.cfg.Region),
		RepositoryCount: repos, AssetSizeBytes: size, S3BucketArn: model.AssetBucketARN(s.cfg.Region, d.Owner),
	}, nil
}

// CreateDomain creates a domain in the caller's account.
func (s *Service) CreateDomain(ctx context.Context, c Caller, in CreateDomainInput) (*DomainOutput, error) {
	d := &model.Domain{Name: in.Domain, Owner: c.Account, EncryptionKey: in.EncryptionKey, CreatedTime: s.now()}
	if err := s.authorize(ctx, c, "CreateDomain", s.domainARN(d), c.Account); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out DomainOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateDomain(d); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return model.Conflict(model.ResourceDomain, d.Name, "Domain %s already exists in account %s", d.Name, d.Owner)
			}
			return err
		}
		if err := tx.SetTags(s.domainARN(d), toMetaTags(in.Tags)); err != nil {
			return err
		}
		var err error
		out.Domain, err = s.describeDomain(tx, d)
		return err
	})
	return &out, wrap("create domain", err)
}

// DomainInput names a domain, as the domain operations take it.
type DomainInput struct {
	Domain      string `json:"domain"`
	DomainOwner string `json:"domainOwner"`
}

// DescribeDomain describes a domain, with its repository count and asset size.
func (s *Service) DescribeDomain(ctx context.Context, c Caller, in DomainInput) (*DomainOutput, error) {
	var out DomainOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "DescribeDomain", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		out.Domain, err = s.describeDomain(tx, d)
		return err
	})
	return &out, wrap("describe domain", err)
}

// DeleteDomain deletes a domain that holds no repositories.
func (s *Service) DeleteDomain(ctx context.Context, c Caller, in DomainInput) (*DomainOutput, error) {
	var out DomainOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "DeleteDomain", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		if out.Domain, err = s.describeDomain(tx, d); err != nil {
			return err
		}
		if out.Domain.RepositoryCount > 0 {
			return model.Conflict(model.ResourceDomain, d.Name, "Domain %s cannot be deleted because it contains %d repositories. Delete its repositories first.", d.Name, out.Domain.RepositoryCount)
		}
		out.Domain.Status = "Deleted"
		if err := tx.DeleteTags(s.domainARN(d)); err != nil {
			return err
		}
		if err := s.deletePackageGroupTags(tx, d); err != nil {
			return err
		}
		return tx.DeleteDomain(d.ID)
	})
	return &out, wrap("delete domain", err)
}

// ListDomainsInput is ListDomains' request.
type ListDomainsInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

// ListDomainsOutput is one page of ListDomains.
type ListDomainsOutput struct {
	Domains   []DomainSummary `json:"domains"`
	NextToken string          `json:"nextToken,omitempty"`
}

// ListDomains lists the caller's account's domains by name, a page at a time.
func (s *Service) ListDomains(ctx context.Context, c Caller, in ListDomainsInput) (*ListDomainsOutput, error) {
	if err := s.authorize(ctx, c, "ListDomains", "*", c.Account); err != nil {
		return nil, err
	}
	after, err := decodeToken("domains", in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 100)
	out := ListDomainsOutput{Domains: []DomainSummary{}}
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		ds, err := tx.ListDomains(c.Account, after, limit+1)
		if err != nil {
			return err
		}
		if len(ds) > limit {
			ds = ds[:limit]
			last := ds[limit-1]
			out.NextToken = encodeToken("domains", last.Name+"/"+last.Owner)
		}
		for _, d := range ds {
			out.Domains = append(out.Domains, DomainSummary{Name: d.Name, Owner: d.Owner, Arn: s.domainARN(d), Status: "Active", CreatedTime: ts(d.CreatedTime), EncryptionKey: d.KeyARN(s.cfg.Region)})
		}
		return nil
	})
	return &out, wrap("list domains", err)
}
