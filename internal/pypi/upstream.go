package pypi

import (
	"context"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// pypiConnection is the external connection PyPI reads through. Its
// registry is not reachable from this server, so a miss that would go
// there is answered 502 rather than a 404 that hides the gap.
const pypiConnection = "public:pypi"

// unreachable is a miss that had to go to a public registry this server
// cannot reach.
// mergeChain is the project as the chain shows it: for each version the
// nearest repository's copy (with its files), so a version Unlisted
// nearer hides an upstream's Published copy, as each repository lists
// only what it would list itself. It reports the connection reached, if
// any.
func mergeChain(chain []service.ChainEntry, name string) (*service.PackageView, string) {
	merged, conn := service.MergeChain(chain, pypiConnection)
	if merged.Package == nil {
		merged.Package = &model.Package{Key: model.PackageKey{Format: model.FormatPyPI, Name: name}}
	}
	return merged, conn
}

// resolvedProject serves the project page of a repository with upstreams
// or an external connection. It spans several packages, so it is rendered
// per request rather than cached by one package's generation.
func (h *handler) resolvedProject(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef) {
	chain, err := h.svc.ResolveChain(r.Context(), req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	merged, conn := mergeChain(chain, ref.Package)
	if len(merged.Versions) == 0 {
		if conn != "" {
			endpoint.Error(w, r, h.log, &endpoint.UnreachableError{Connection: conn})
			return
		}
		endpoint.Error(w, r, h.log, model.NotFound(model.ResourcePackage, ref.Package, "Package %s not found in repository %s or its upstreams.", ref.Package, ref.Repository))
		return
	}
	p, err := buildProject(merged)
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	pg := newPage(0, p)
	if negotiate(r.Header.Get("Accept")) == typeJSON {
		writePage(w, r, typeJSON, pg.json, pg.jsonETag)
	} else {
		writePage(w, r, typeTextHTML, pg.html, pg.htmlETag)
	}
}

// fileSource finds where a file missing from the repository asked lives:
// the nearest repository of the chain holding the version (its copy
// wins, so a file it lacks is not looked for further up). It returns that
// repository's name, or an unreachable error when the search reached the
// public connection first, or not found.
func fileSource(chain []service.ChainEntry, ref service.PackageRef, version, filename string) (string, error) {
	version = model.NormalizeVersion(model.FormatPyPI, version)
	e, _, hasFile, conn := service.NearestCopy(chain, version, filename, func(c string) bool { return c == pypiConnection })
	switch {
	case conn != "":
		return "", &endpoint.UnreachableError{Connection: conn}
	case e == nil || !hasFile:
		return "", fileNotFound(ref, version, filename)
	}
	return e.Repo.Repository, nil
}

func fileNotFound(ref service.PackageRef, version, filename string) error {
	return model.NotFound(model.ResourceAsset, filename, "File %s of %s %s not found in repository %s or its upstreams.", filename, ref.Package, version, ref.Repository)
}

// fileFromUpstream makes a file missing from the repository asked
// available there: found in the chain and retained in that repository
// (not in the ones between). It returns nil when the asked repository
// now holds the version.
func (h *handler) fileFromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, filename string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	from, err := fileSource(chain, ref, version, filename)
	if err != nil {
		return err
	}
	if from == ref.Repository {
		return nil // appeared meanwhile
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, from, version)
}
