package service

import (
	"context"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// ExternalConnectionInput names a repository and one of CodeArtifact's
// public connections (AssociateExternalConnection and
// DisassociateExternalConnection take the same query parameters).
type ExternalConnectionInput struct {
	RepositoryInput
	ExternalConnection string `json:"externalConnection"`
}

// AssociateExternalConnection gives a repository without upstreams its one public connection.
func (s *Service) AssociateExternalConnection(ctx context.Context, c Caller, in ExternalConnectionInput) (*RepositoryOutput, error) {
	if model.ExternalConnectionFormat(in.ExternalConnection) == "" {
		names := make([]string, len(model.ExternalConnections))
		for i, c := range model.ExternalConnections {
			names[i] = c.Name
		}
		return nil, model.InvalidParameter("External connection %s is not supported. Supported connections: %s.", in.ExternalConnection, strings.Join(names, ", "))
	}
	var out RepositoryOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "AssociateExternalConnection", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		switch {
		case slices.Contains(r.ExternalConnections, in.ExternalConnection):
			return model.Conflict(model.ResourceRepository, r.Name, "Repository %s already has external connection %s.", r.Name, in.ExternalConnection)
		case len(r.ExternalConnections) > 0:
			return model.QuotaExceeded(model.ResourceRepository, r.Name, "Repository %s already has external connection %s; one external connection is allowed per repository.", r.Name, r.ExternalConnections[0])
		case len(r.Upstreams) > 0:
			return model.InvalidParameter("Repository %s has upstream repositories; a repository can have upstream repositories or an external connection, not both.", r.Name)
		}
		r.ExternalConnections = []string{in.ExternalConnection}
		if err := tx.UpdateRepository(r); err != nil {
			return err
		}
		out.Repository = s.describeRepo(r)
		return nil
	})
	return &out, wrap("associate external connection", err)
}

// DisassociateExternalConnection removes a repository's public connection and describes the repository after.
func (s *Service) DisassociateExternalConnection(ctx context.Context, c Caller, in ExternalConnectionInput) (*RepositoryOutput, error) {
	var out RepositoryOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, r, err := s.getRepo(tx, ownerOr(in.DomainOwner, c), in.Domain, in.Repository)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "DisassociateExternalConnection", s.repoARN(r), d.Owner); err != nil {
			return err
		}
		if !slices.Contains(r.ExternalConnections, in.ExternalConnection) {
			return model.NotFound(model.ResourceRepository, in.ExternalConnection, "External connection %s is not associated with repository %s.", in.ExternalConnection, r.Name)
		}
		r.ExternalConnections = slices.DeleteFunc(r.ExternalConnections, func(e string) bool { return e == in.ExternalConnection })
		if err := tx.UpdateRepository(r); err != nil {
			return err
		}
		// The repository as it is now, as CodeArtifact answers.
		out.Repository = s.describeRepo(r)
		return nil
	})
	return &out, wrap("disassociate external connection", err)
}
