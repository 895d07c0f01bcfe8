package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Origin rules applied while resolving and publishing: which repositories
// a package's versions may enter from upstream repositories and external
// connections, and the 409 for publishing a version upstream already has.
//
// Decisions (CodeArtifact's user guide, package group origin controls):
//   - INTERNAL_UPSTREAM governs the repository that retains a version from
//     its upstreams: the repository asked. Intermediate repositories of a
//     chain retain nothing, so an ALLOW_SPECIFIC_REPOSITORIES list need only
//     name the repositories clients read from.
//   - EXTERNAL_UPSTREAM governs the repository that ingests a version
//     through its external connection: the one owning the connection,
//     whether it is the repository asked or one of its upstreams.
//   - Package-level upstream=BLOCK and the group's effective mode are both
//     checked; a block in either wins. A package's block also ends its
//     repository's branch of the chain, as it always did.
//   - Publishing a version the repository lacks is a 409 when the
//     resolution chain, as a read by the same caller would walk it, holds
//     the version downloadable in another repository, or when a registry
//     behind a reachable external connection has it. Registries are asked
//     through the lookup their format registered (SetExternalLookup), for
//     at most externalLookupTimeout; a registry that fails or is slow does
//     not fail the publish (fail open: publishing must not depend on a
//     public registry being up).

// externalLookupTimeout bounds the wait for a public registry's answer
// at publish time. The lookup itself may go on and fill the format's
// cache for later publishes and reads.
var externalLookupTimeout = 2 * time.Second

// ExternalLookup reports whether the public registry behind an external
// connection has a version of a package.
type ExternalLookup func(ctx context.Context, k model.PackageKey, version string) (bool, error)

// SetExternalLookup registers how to ask the registry behind connection
// whether it has a version, for the publish rule above. Formats register
// theirs when they are built; a connection without one is judged by the
// versions already ingested through it.
func (s *Service) SetExternalLookup(connection string, f ExternalLookup) {
	s.lookups.Store(connection, f)
}

// originGate decides whether versions of one package may enter a
// repository of one domain from upstream repositories or an external
// connection: the one home of that decision, used by resolution
// (ResolveChain, PackageState, and walkChain wherever it walks), by
// retention and ingestion, and by the publish rule. It loads the domain's groups once, when first needed.
type originGate struct {
	tx     meta.Tx
	d      *model.Domain
	key    model.PackageKey
	loaded bool
	set    *model.GroupSet
	group  *model.PackageGroup
}

func (s *Service) newOriginGate(tx meta.Tx, d *model.Domain, k model.PackageKey) *originGate {
	return &originGate{tx: tx, d: d, key: k}
}

// blocked says why versions of the package may not enter r from source t
// (RestrictionInternalUpstream: retained from r's upstream repositories;
// RestrictionExternalUpstream: ingested through r's external connection),
// or "" when they may. p is r's package, nil when r has none.
func (g *originGate) blocked(r *model.Repository, p *model.Package, t model.OriginRestrictionType) (string, error) {
	if p != nil && p.Origin.Upstream == model.Block {
		return fmt.Sprintf("Package %s in repository %s blocks versions from upstream (upstream=BLOCK).", model.DisplayName(g.key), r.Name), nil
	}
	if !g.loaded {
		gs, err := g.tx.ListPackageGroups(g.d.ID, "", g.key.Format)
		if err != nil {
			return "", err
		}
		if g.set, err = model.NewGroupSet(gs); err != nil {
			return "", err
		}
		g.group, _ = g.set.Associated(g.key)
		g.loaded = true
	}
	if g.group == nil {
		return "", nil
	}
	from := "upstream repositories"
	if t == model.RestrictionExternalUpstream {
		from = "external connections"
	}
	mode, owner := g.set.Effective(g.group, t)
	switch mode {
	case model.ModeBlock:
		return fmt.Sprintf("Versions of package %s from %s cannot enter repository %s: blocked by the origin configuration of package group %s (%s=BLOCK).",
			model.DisplayName(g.key), from, r.Name, owner.Pattern, t), nil
	case model.ModeAllowSpecificRepo:
		ok, err := g.tx.AllowedRepository(owner.ID, t, r.ID)
		if err != nil || ok {
			return "", err
		}
		return fmt.Sprintf("Versions of package %s from %s cannot enter repository %s: blocked by the origin configuration of package group %s (%s=ALLOW_SPECIFIC_REPOSITORIES, and %s is not an allowed repository).",
			model.DisplayName(g.key), from, r.Name, owner.Pattern, t, r.Name), nil
	}
	return "", nil
}

// chainStep is one repository of a resolution walk.
type chainStep struct {
	repo *model.Repository
	pkg  *model.Package // nil when the repository has no such package
	// external is the connection the package's versions may be ingested
	// through into repo, "" when repo has none or the gate refuses.
	external string
}

// walkChain visits the resolution chain of package k from the repository
// first: depth-first in priority order, each repository once, at most
// maxResolveRepos. It is the one walk of a chain: package reads
// (ResolveChain), the publish rule (upstreamVersion) and
// CopyPackageVersions (findForCopy) all use it. Upstreams the caller may
// not read from are skipped. The origin gate
// prunes it: nothing upstream is searched when first may not retain
// versions from its upstreams, a package blocking upstream versions ends
// its repository's branch, and a connection is dropped where ingestion is
// refused. visit returns true to stop the walk.
func (s *Service) walkChain(ctx context.Context, tx meta.Tx, c Caller, d *model.Domain, first *model.Repository, k model.PackageKey, visit func(chainStep) (bool, error)) error {
	gate := s.newOriginGate(tx, d, k)
	visited := map[string]bool{}
	stopped := false
	var walk func(r *model.Repository) error
	walk = func(r *model.Repository) error {
		if stopped || visited[r.Name] || len(visited) >= maxResolveRepos {
			return nil
		}
		visited[r.Name] = true
		step := chainStep{repo: r}
		p, err := tx.GetPackage(r.ID, k)
		switch {
		case err == nil:
			step.pkg = p
		case !errors.Is(err, meta.ErrNotFound):
			return err
		}
		if len(r.ExternalConnections) > 0 {
			why, err := gate.blocked(r, step.pkg, model.RestrictionExternalUpstream)
			if err != nil {
				return err
			}
			if why == "" {
				step.external = r.ExternalConnections[0]
			}
		}
		if stopped, err = visit(step); err != nil || stopped {
			return err
		}
		if len(r.Upstreams) == 0 || (step.pkg != nil && step.pkg.Origin.Upstream == model.Block) {
			return nil
		}
		if r == first {
			// Only the repository asked retains what is found upstream.
			if why, err := gate.blocked(r, step.pkg, model.RestrictionInternalUpstream); err != nil || why != "" {
				return err
			}
		}
		for _, name := range r.Upstreams {
			up, err := tx.GetRepository(d.ID, name)
			if errors.Is(err, meta.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := s.authorize(ctx, c, "ReadFromRepository", s.repoARN(up), d.Owner); errors.Is(err, model.ErrAccessDenied) {
				continue
			} else if err != nil {
				return err
			}
			if err := walk(up); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(first)
}

// externalSource is a reachable external connection and the repository
// owning it.
type externalSource struct {
	repo, connection string
}

// upstreamVersion applies the publish rule's metadata half: a version
// sc's repository lacks (its package p, nil when it has none) must not be
// downloadable anywhere else along the chain a read would walk. It also
// returns the external connections that chain reaches, for the registry
// half (checkExternalVersion), which must run outside any transaction.
func (s *Service) upstreamVersion(ctx context.Context, tx meta.Tx, c Caller, sc *pkgScope, version string) ([]externalSource, error) {
	var conns []externalSource
	var conflict error
	err := s.walkChain(ctx, tx, c, sc.domain, sc.repo, sc.key, func(st chainStep) (bool, error) {
		if st.external != "" {
			conns = append(conns, externalSource{st.repo.Name, st.external})
		}
		if st.repo == sc.repo || st.pkg == nil {
			return false, nil
		}
		// The summary row decides it; readme and manifest can be large.
		vs, err := tx.GetVersions(st.pkg.ID, []string{version})
		if err != nil {
			return false, err
		}
		if v := vs[version]; v == nil || !v.Status.Downloadable() {
			return false, nil
		}
		conflict = upstreamConflict(sc, version, fmt.Sprintf("exists in upstream repository %s", st.repo.Name))
		return true, nil
	})
	if err == nil {
		err = conflict
	}
	return conns, err
}

func upstreamConflict(sc *pkgScope, version, where string) error {
	return model.Conflict(model.ResourcePackageVersion, version,
		"Package version %s of %s %s and cannot be published to repository %s, whose package %s takes versions from upstream. Publish another version, or block upstream versions of the package in %s (upstream=BLOCK).",
		version, model.DisplayName(sc.key), where, sc.repo.Name, model.DisplayName(sc.key), sc.repo.Name)
}

// checkExternalVersion is the publish rule's registry half: a 409 when
// the registry behind a reachable connection has the version. A registry
// that fails or does not answer in time lets the publish through.
func (s *Service) checkExternalVersion(ctx context.Context, sc *pkgScope, conns []externalSource, version string) error {
	for _, src := range conns {
		f, ok := s.lookups.Load(src.connection)
		if !ok || model.ExternalConnectionFormat(src.connection) != sc.key.Format {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, externalLookupTimeout)
		found, err := f.(ExternalLookup)(lctx, sc.key, version)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("publish: external connection lookup failed; allowing the publish", "connection", src.connection,
				"package", model.DisplayName(sc.key), "version", version, "err", err)
			continue
		}
		if found {
			return upstreamConflict(sc, version, fmt.Sprintf("is available from external connection %s of repository %s", src.connection, src.repo))
		}
	}
	return nil
}
