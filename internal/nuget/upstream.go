package nuget

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// mergedEntries is the package as a repository with upstreams shows it:
// for each version the nearest repository's copy, so a version Unlisted
// nearer hides an upstream's Published copy, and where the chain reaches
// public:nuget-org the feed's versions no repository holds. A feed that
// cannot be read fails the request only when no repository has the
// package (errUpstreamUnavailable, a 502). want, when set, is a version
// (lowercase, normalized) the request names: a cached registration that
// lacks it is fetched again at once.
func (h *Handler) mergedEntries(ctx context.Context, req *endpoint.Request, ref service.PackageRef, want string) (*pkgEntries, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		return nil, err
	}
	merged, conn := service.MergeChain(chain, nugetConnection)
	var local *pkgEntries
	if merged.Package != nil {
		if local, err = newPkgEntries(merged); err != nil {
			return nil, err
		}
	}
	notFound := func() error {
		return model.NotFound(model.ResourcePackage, ref.Package, "Package %s not found in repository %s or its upstreams.", ref.Package, ref.Repository)
	}
	if conn == "" {
		if local == nil {
			return nil, notFound()
		}
		return local, nil
	}
	if want != "" && local != nil && local.find(want) != nil {
		want = "" // a repository has it: the cached registration will do
	}
	pub, err := h.public.registration(ctx, ref.Package, want)
	switch {
	case err != nil && local != nil:
		h.log.Warn("nuget external connection", "connection", conn, "package", ref.Package, "err", err)
		return local, nil
	case err != nil:
		return nil, err
	case pub == nil && local == nil:
		return nil, notFound()
	case pub == nil:
		return local, nil
	}
	return mergePublic(local, pub), nil
}

// mergePublic adds to a chain's versions (ascending, nil when the chain
// has none) the feed's versions none of its repositories holds.
func mergePublic(local *pkgEntries, pub *publicPackage) *pkgEntries {
	if local == nil {
		return &pkgEntries{es: pub.es}
	}
	out := &pkgEntries{es: make([]*entry, 0, len(local.es)+len(pub.es)), bytes: local.bytes}
	i := 0
	for _, p := range pub.es {
		for i < len(local.es) && local.es[i].parsed.Compare(p.parsed) < 0 {
			out.es = append(out.es, local.es[i])
			i++
		}
		if i < len(local.es) && local.es[i].lower() == p.lower() {
			continue // the nearest copy wins
		}
		out.es = append(out.es, p)
	}
	out.es = append(out.es, local.es[i:]...)
	return out
}

// fromUpstream makes a nupkg missing from the repository asked available
// there: found in the nearest repository of the chain holding the
// version, or fetched through public:nuget-org into the repository that
// owns the connection (origin EXTERNAL), and retained in the repository
// asked (not the ones between).
func (h *Handler) fromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, file string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	e, _, hasFile, conn := service.NearestCopy(chain, version, file, func(c string) bool { return c == nugetConnection })
	if conn != "" {
		for i := range chain {
			if chain[i].ExternalConnection == conn {
				e = &chain[i]
				break
			}
		}
		found, err := h.ingest(ctx, req.Caller, e.Repo.Package(model.FormatNuGet, "", ref.Package), version)
		if err != nil {
			return err
		}
		hasFile = found
		if !found {
			e = nil
		}
	}
	switch {
	case e == nil || !hasFile:
		return model.NotFound(model.ResourceAsset, file, "%s not found in repository %s or its upstreams.", file, ref.Repository)
	case e.Repo.Repository == ref.Repository:
		return nil // appeared meanwhile, or ingested here
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, e.Repo.Repository, version)
}

// ingest fetches a version from the public feed into the repository
// owning the connection (ref). It reports false when the feed does not
// have the version. The nupkg is checked against the feed's packageHash
// and read as a push is (its manifest must name the id and version
// asked) before anything is stored. Concurrent misses for the same
// version share one fetch.
func (h *Handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, version string) (bool, error) {
	idLower := ref.Package
	name := assetName(idLower, version)
	key := ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + idLower + "\x00" + version
	return h.public.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		// A fetch that finished just before this miss began already holds
		// the version.
		if ac, err := h.svc.OpenAsset(ctx, c, ref, version, name); err == nil {
			ac.Body.Close()
			return true, nil
		}
		pub, err := h.public.registration(ctx, idLower, version)
		if err != nil || pub == nil || pub.byLower[version] == nil {
			return false, err
		}
		pv := pub.byLower[version]
		f, err := h.public.download(ctx, idLower, pv, h.opts.SpoolDir)
		if err != nil {
			return false, err
		}
		defer f.Close()
		bad := func(err error) (bool, error) {
			return false, fmt.Errorf("%w: %s %s: %w", errUpstreamUnavailable, pv.Doc.ID, pv.Doc.Version, err)
		}
		pkg, err := readNupkg(f, f.Size, nupkgLimits)
		if err != nil {
			return bad(err)
		}
		if strings.ToLower(pkg.Spec.ID) != idLower || strings.ToLower(pkg.Spec.Version.String()) != version {
			return bad(fmt.Errorf("the nupkg's manifest says %s %s", pkg.Spec.ID, pkg.Spec.Version))
		}
		meta, err := metadataOf(pkg)
		if err != nil {
			return false, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: nugetConnection, Version: pkg.Spec.Version.String(),
			Asset:    service.Upload{Name: name, Body: f, SHA256: f.SHA256},
			Metadata: meta, Published: pv.Published,
		})
		return err == nil, err
	})
}

// publicHasVersion is the service's ExternalLookup for public:nuget-org.
func (h *Handler) publicHasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	return h.public.hasVersion(ctx, k, version)
}
