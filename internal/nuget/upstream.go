package nuget

import (
	"context"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// nugetConnection is the external connection NuGet reads through. Its
// registry is not reachable from this server, so a miss that would go
// there is answered 502 rather than a 404 that hides the gap.
const nugetConnection = "public:nuget-org"

// mergedEntries is the package as a repository with upstreams shows it:
// for each version the nearest repository's copy, so a version Unlisted
// nearer hides an upstream's Published copy. A chain that holds no
// version and reaches the public connection is a 502.
func (h *Handler) mergedEntries(ctx context.Context, req *endpoint.Request, ref service.PackageRef) (*pkgEntries, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		return nil, err
	}
	merged, conn := service.MergeChain(chain, nugetConnection)
	if merged.Package == nil {
		if conn != "" {
			return nil, &endpoint.UnreachableError{Connection: conn}
		}
		return nil, model.NotFound(model.ResourcePackage, ref.Package, "Package %s not found in repository %s or its upstreams.", ref.Package, ref.Repository)
	}
	return newPkgEntries(merged)
}

// fromUpstream makes a nupkg missing from the repository asked available
// there: found in the nearest repository of the chain holding the
// version, and retained in the repository asked (not the ones between).
func (h *Handler) fromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, file string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	e, _, hasFile, conn := service.NearestCopy(chain, version, file, func(c string) bool { return c == nugetConnection })
	switch {
	case conn != "":
		return &endpoint.UnreachableError{Connection: conn}
	case e == nil || !hasFile:
		return model.NotFound(model.ResourceAsset, file, "%s not found in repository %s or its upstreams.", file, ref.Repository)
	case e.Repo.Repository == ref.Repository:
		return nil // appeared meanwhile
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, e.Repo.Repository, version)
}
