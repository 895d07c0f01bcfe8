package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// maxUpstreams is CodeArtifact's limit of direct upstreams per repository.
const maxUpstreams = 10

// RepositoryInput names a repository, as the repository operations take it.
type RepositoryInput struct {
	Domain      string `json:"domain"`
	DomainOwner string `json:"domainOwner"`
	Repository  string `json:"repository"`
}

// CreateRepositoryInput is CreateRepository's request.
type CreateRepositoryInput struct {
	RepositoryInput
	Description string                   `json:"description"`
	Upstreams   []UpstreamRepositoryInfo `json:"upstreams"`
	Tags        []Tag                    `json:"tags"`
}

// UpdateRepositoryInput is UpdateRepository's request; nil members stay as they are.
type UpdateRepositoryInput struct {
	RepositoryInput
	Description *string                   `json:"description"`
	Upstreams   *[]UpstreamRepositoryInfo `json:"upstreams"`
}

// RepositoryOutput is the answer of the operations that describe one repository.
type RepositoryOutput struct {
	Repository RepositoryDescription `json:"repository"`
}

func (s *Service) describeRepo(r *model.Repository) RepositoryDescription {
	out := RepositoryDescription{
		Name: r.Name, AdministratorAccount: r.AdministratorAccount, DomainName: r.DomainName, DomainOwner: r.DomainOwner,
		Arn: s.repoARN(r), Description: r.Description, CreatedTime: ts(r.CreatedTime),
		Upstreams: []UpstreamRepositoryInfo{}, ExternalConnections: []ExternalConnectionInfo{},
	}
	for _, u := range r.Upstreams {
		out.Upstreams = append(out.Upstreams, UpstreamRepositoryInfo{RepositoryName: u})
	}
	for _, e := range r.ExternalConnections {
		out.ExternalConnections = append(out.ExternalConnections, ExternalConnectionInfo{ExternalConnectionName: e, PackageFormat: string(model.ExternalConnectionFormat(e)), Status: "Available"})
	}
	return out
}

// setUpstreams validates a new upstream list for r (which must not create
// a cycle) and authorizes associating each upstream with it.
func (s *Service) setUpstreams(ctx context.Context, tx meta.Tx, c Caller, d *model.Domain, r *model.Repository, ups []UpstreamRepositoryInfo) error {
	if len(ups) > maxUpstreams {
		return model.QuotaExceeded(model.ResourceRepository, r.Name, "A repository can have at most %d upstream repositories.", maxUpstreams)
	}
	names := make([]string, 0, len(ups))
	for _, u := range ups {
		if slices.Contains(names, u.RepositoryName) {
			return model.InvalidParameter("Upstream repository %s is listed more than once.", u.RepositoryName)
		}
		if u.RepositoryName == r.Name {
			return model.InvalidParameter("A repository cannot be its own upstream.")
		}
		up, err := tx.GetRepository(d.ID, u.RepositoryName)
		if errors.Is(err, meta.ErrNotFound) {
			return repoNotFound(d.Name, u.RepositoryName)
		}
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "AssociateWithDownstreamRepository", s.repoARN(up), d.Owner); err != nil {
			return err
		}
		names = append(names, u.RepositoryName)
	}
	// r reaches itself through the new list iff some upstream's closure
	// contains r.
	seen := map[string]bool{}
	var walk func(name string) (bool, error)
	walk = func(name string) (bool, error) {
		if name == r.Name {
			return true, nil
		}
		if seen[name] {
			return false, nil
		}
		seen[name] = true
		up, err := tx.GetRepository(d.ID, name)
		if err != nil {
			return false, err
		}
		for _, next := range up.Upstreams {
			if cyc, err := walk(next); cyc || err != nil {
				return cyc, err
			}
		}
		return false, nil
	}
	for _, n := range names {
		cyc, err := walk(n)
		if err != nil {
			return err
		}
		if cyc {
			return model.InvalidParameter("Adding upstream repository %s would create a cycle of upstream repositories.", n)
		}
	}
	r.Upstreams = names
	return nil
}

// CreateRepository creates a repository in a domain, with its upstreams.
func (s *Service) CreateRepository(ctx context.Context, c Caller, in CreateRepositoryInput) (*RepositoryOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out RepositoryOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		r := &model.Repository{DomainID: d.ID, DomainName: d.Name, DomainOwner: d.Owner, Name: in.Repository, Description: in.Description,
			AdministratorAccount: c.Account, CreatedTime: s.now()}
		if err := s.authorize(ctx, c, "CreateRepository", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		if err := s.setUpstreams(ctx, tx, c, d, r, in.Upstreams); err != nil {
			return err
		}
		if err := tx.CreateRepository(r); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return model.Conflict(model.ResourceRepository, r.Name, "Repository %s already exists in domain %s", r.Name, d.Name)
			}
			return err
		}
		if err := tx.SetTags(s.repoARN(r), toMetaTags(in.Tags)); err != nil {
			return err
		}
		out.Repository = s.describeRepo(r)
		return nil
	})
	return &out, wrap("create repository", err)
}

// DescribeRepository describes a repository.
func (s *Service) DescribeRepository(ctx context.Context, c Caller, in RepositoryInput) (*RepositoryOutput, error) {
	var out RepositoryOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "DescribeRepository", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		out.Repository = s.describeRepo(r)
		return nil
	})
	return &out, wrap("describe repository", err)
}

// UpdateRepository changes a repository's description and replaces its upstreams.
func (s *Service) UpdateRepository(ctx context.Context, c Caller, in UpdateRepositoryInput) (*RepositoryOutput, error) {
	var out RepositoryOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "UpdateRepository", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.Upstreams != nil {
			if len(*in.Upstreams) > 0 && len(r.ExternalConnections) > 0 {
				return model.InvalidParameter("A repository with an external connection cannot have upstream repositories.")
			}
			if err := s.setUpstreams(ctx, tx, c, d, r, *in.Upstreams); err != nil {
				return err
			}
		}
		if err := tx.UpdateRepository(r); err != nil {
			return err
		}
		out.Repository = s.describeRepo(r)
		return nil
	})
	return &out, wrap("update repository", err)
}

// DeleteRepository deletes a repository with its packages, and drops it from others' upstreams.
func (s *Service) DeleteRepository(ctx context.Context, c Caller, in RepositoryInput) (*RepositoryOutput, error) {
	var out RepositoryOutput
	var touched []int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "DeleteRepository", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		// Downstream repositories lose it from their upstream lists rather
		// than pointing at nothing.
		down, err := tx.Downstreams(d.ID, r.Name)
		if err != nil {
			return err
		}
		for _, name := range down {
			dr, err := tx.GetRepository(d.ID, name)
			if err != nil {
				return err
			}
			dr.Upstreams = slices.DeleteFunc(dr.Upstreams, func(u string) bool { return u == r.Name })
			if err := tx.UpdateRepository(dr); err != nil {
				return err
			}
		}
		pkgs, err := tx.ListPackages(r.ID, meta.PackageFilter{})
		if err != nil {
			return err
		}
		for _, p := range pkgs {
			touched = append(touched, p.ID)
		}
		if err := tx.DeleteTags(s.repoARN(r)); err != nil {
			return err
		}
		out.Repository = s.describeRepo(r)
		return tx.DeleteRepository(r.ID)
	})
	if err == nil {
		s.changed(touched...)
		s.kickGC() // the repository's bytes may now be unreferenced
	}
	return &out, wrap("delete repository", err)
}

// ListRepositoriesInput is ListRepositories' request.
type ListRepositoriesInput struct {
	RepositoryPrefix string `json:"repositoryPrefix"`
	MaxResults       int    `json:"maxResults"`
	NextToken        string `json:"nextToken"`
}

// ListRepositoriesInDomainInput is ListRepositoriesInDomain's request.
type ListRepositoriesInDomainInput struct {
	Domain               string `json:"domain"`
	DomainOwner          string `json:"domainOwner"`
	AdministratorAccount string `json:"administratorAccount"`
	RepositoryPrefix     string `json:"repositoryPrefix"`
	MaxResults           int    `json:"maxResults"`
	NextToken            string `json:"nextToken"`
}

// ListRepositoriesOutput is one page of ListRepositories or ListRepositoriesInDomain.
type ListRepositoriesOutput struct {
	Repositories []RepositorySummary `json:"repositories"`
	NextToken    string              `json:"nextToken,omitempty"`
}

func (s *Service) listRepos(tx meta.Tx, kind string, f meta.RepositoryFilter, token string, max int) (*ListRepositoriesOutput, error) {
	after, err := decodeToken(kind, token)
	if err != nil {
		return nil, err
	}
	limit := pageSize(max, 100)
	f.After, f.Limit = after, limit+1
	rs, err := tx.ListRepositories(f)
	if err != nil {
		return nil, err
	}
	out := &ListRepositoriesOutput{Repositories: []RepositorySummary{}}
	if len(rs) > limit {
		rs = rs[:limit]
		out.NextToken = encodeToken(kind, fmt.Sprintf("%s/%d", rs[limit-1].Name, rs[limit-1].ID))
	}
	for _, r := range rs {
		out.Repositories = append(out.Repositories, RepositorySummary{
			Name: r.Name, AdministratorAccount: r.AdministratorAccount, DomainName: r.DomainName, DomainOwner: r.DomainOwner,
			Arn: s.repoARN(r), Description: r.Description, CreatedTime: ts(r.CreatedTime),
		})
	}
	return out, nil
}

// ListRepositories lists the repositories the caller's account administers.
func (s *Service) ListRepositories(ctx context.Context, c Caller, in ListRepositoriesInput) (*ListRepositoriesOutput, error) {
	if err := s.authorize(ctx, c, "ListRepositories", "*", c.Account); err != nil {
		return nil, err
	}
	var out *ListRepositoriesOutput
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		out, err = s.listRepos(tx, "repositories", meta.RepositoryFilter{AdministratorAccount: c.Account, Prefix: in.RepositoryPrefix}, in.NextToken, in.MaxResults)
		return err
	})
	return out, wrap("list repositories", err)
}

// ListRepositoriesInDomain lists a domain's repositories.
func (s *Service) ListRepositoriesInDomain(ctx context.Context, c Caller, in ListRepositoriesInDomainInput) (*ListRepositoriesOutput, error) {
	var out *ListRepositoriesOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "ListRepositoriesInDomain", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		out, err = s.listRepos(tx, "repositories-in-domain", meta.RepositoryFilter{DomainID: d.ID, AdministratorAccount: in.AdministratorAccount, Prefix: in.RepositoryPrefix}, in.NextToken, in.MaxResults)
		return err
	})
	return out, wrap("list repositories in domain", err)
}

// GetRepositoryEndpointInput is GetRepositoryEndpoint's request.
type GetRepositoryEndpointInput struct {
	RepositoryInput
	Format       model.Format `json:"format"`
	EndpointType string       `json:"endpointType"`
}

// GetRepositoryEndpointOutput is GetRepositoryEndpoint's answer.
type GetRepositoryEndpointOutput struct {
	RepositoryEndpoint string `json:"repositoryEndpoint"`
}

// EndpointPath is the path of a repository's endpoint for a format,
// relative to the public URL: /FORMAT/DOMAIN-OWNER/REPO/.
func EndpointPath(f model.Format, domain, owner, repo string) string {
	return "/" + string(f) + "/" + url.PathEscape(domain+"-"+owner) + "/" + url.PathEscape(repo) + "/"
}

// GetRepositoryEndpoint returns the URL a format's package manager uses for a repository.
func (s *Service) GetRepositoryEndpoint(ctx context.Context, c Caller, in GetRepositoryEndpointInput) (*GetRepositoryEndpointOutput, error) {
	var out GetRepositoryEndpointOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "GetRepositoryEndpoint", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		out.RepositoryEndpoint = s.cfg.PublicURL + EndpointPath(in.Format, d.Name, d.Owner, r.Name)
		return nil
	})
	return &out, wrap("get repository endpoint", err)
}
