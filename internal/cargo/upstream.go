package cargo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// cratesIOConnection is the external connection Cargo reads through. Its
// registry is not reachable from this server, so a miss that would go
// there is answered 502 rather than a 404 that hides the gap.
const cratesIOConnection = "public:crates-io"

// mergeChain is the crate as the chain shows it: for each version the
// nearest repository's copy, so a version yanked nearer shows yanked
// even if an upstream has it listed. It reports the connection reached,
// if any.
func mergeChain(chain []service.ChainEntry, name string) (*service.PackageView, string) {
	merged, conn := service.MergeChain(chain, cratesIOConnection)
	if merged.Package == nil {
		merged.Package = &model.Package{Key: model.PackageKey{Format: model.FormatCargo, Name: name}}
	}
	return merged, conn
}

// resolvedIndex serves the index file of a repository with upstreams or
// an external connection. It spans several packages, so it is rendered
// per request (its ETag is its content's) rather than cached by one
// package's generation.
func (h *handler) resolvedIndex(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef) {
	chain, err := h.svc.ResolveChain(r.Context(), req.Caller, ref, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	merged, conn := mergeChain(chain, ref.Package)
	body, err := renderIndex(merged)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(body) == 0 {
		if conn != "" {
			h.fail(w, r, &endpoint.UnreachableError{Connection: conn})
			return
		}
		h.fail(w, r, model.NotFound(model.ResourcePackage, ref.Package, "Crate %s not found in repository %s or its upstreams.", ref.Package, ref.Repository))
		return
	}
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	hdr := w.Header()
	hdr.Set("Cache-Control", "private, no-cache")
	hdr.Set("ETag", tag)
	if endpoint.ETagMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, r, http.StatusOK, "text/plain; charset=utf-8", body)
}

// crateFromUpstream makes a .crate missing from the repository asked
// available there: found in the nearest repository of the chain holding
// the version (its copy wins) and retained in the repository asked. A
// search that reaches the public connection first is a 502.
func (h *handler) crateFromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, asset string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	e, _, hasFile, conn := service.NearestCopy(chain, version, asset, func(c string) bool { return c == cratesIOConnection })
	switch {
	case conn != "":
		return &endpoint.UnreachableError{Connection: conn}
	case e == nil || !hasFile:
		return model.NotFound(model.ResourceAsset, asset, "Crate %s %s not found in repository %s or its upstreams.", ref.Package, version, ref.Repository)
	case e.Repo.Repository == ref.Repository:
		return nil // retained meanwhile
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, e.Repo.Repository, version)
}
