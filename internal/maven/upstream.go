package maven

import (
	"context"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// isMavenConnection reports whether an external connection is one of the
// public Maven repositories (public:maven-central, ...). None of them is
// reachable from this server, so a miss that would go there answers 502
// rather than a 404 that hides the gap.
func isMavenConnection(conn string) bool {
	return model.ExternalConnectionFormat(conn) == model.FormatMaven
}

// unreachable is a miss that had to go to a public repository this server
// cannot reach.
// versionSource finds the nearest repository of the chain holding a
// downloadable copy of version; that copy wins, so when file is not empty
// and the copy lacks it, the search ends there. It returns the entry, or
// an unreachable error when the search reached a public connection
// first, or not found.
func versionSource(chain []service.ChainEntry, p Path, file string) (*service.ChainEntry, *model.Version, error) {
	e, v, hasFile, conn := service.NearestCopy(chain, p.Version, file, isMavenConnection)
	switch {
	case conn != "":
		return nil, nil, &endpoint.UnreachableError{Connection: conn}
	case e == nil && file == "":
		return nil, nil, model.NotFound(model.ResourcePackageVersion, p.Version, "%s:%s %s not found in the repository or its upstreams.", p.GroupID, p.ArtifactID, p.Version)
	case e == nil || !hasFile:
		return nil, nil, fileNotFound(p, file)
	}
	return e, v, nil
}

func fileNotFound(p Path, file string) error {
	return model.NotFound(model.ResourceAsset, file, "%s of %s:%s %s not found in the repository or its upstreams.", file, p.GroupID, p.ArtifactID, p.Version)
}

// listedInChain is the versions the chain lists for maven-metadata.xml,
// each version as its nearest repository lists it (an Unlisted copy
// nearer hides an upstream's Published one), with the latest publish
// time, and the public connection reached, if any.
func listedInChain(chain []service.ChainEntry) ([]string, time.Time, string) {
	seen := map[string]bool{}
	var listed []string
	var last time.Time
	conn := ""
	for _, e := range chain {
		if conn == "" && isMavenConnection(e.ExternalConnection) {
			conn = e.ExternalConnection
		}
		if e.View == nil {
			continue
		}
		for _, v := range e.View.Versions {
			if seen[v.Version] {
				continue
			}
			seen[v.Version] = true
			if v.Status.Listed() {
				listed = append(listed, v.Version)
				if v.PublishedTime.After(last) {
					last = v.PublishedTime
				}
			}
		}
	}
	return listed, last, conn
}

// resolvedMetadata generates a metadata document for a repository with
// upstreams or an external connection. It spans several packages, so it
// is built per request rather than cached by one package's generation.
func (h *Handler) resolvedMetadata(ctx context.Context, req *endpoint.Request, p Path) (*doc, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, h.ref(req, p), service.ViewOptions{WithAssets: true})
	if err != nil {
		return nil, err
	}
	if p.Kind == KindVersionMetadata {
		e, v, err := versionSource(chain, p, "")
		if err != nil {
			return nil, err
		}
		as := e.View.Assets[v.ID]
		files := make([]SnapshotFile, len(as))
		var last time.Time
		for i, a := range as {
			files[i] = SnapshotFile{Name: a.Name, Updated: a.Created}
			if a.Created.After(last) {
				last = a.Created
			}
		}
		return newDoc(RenderSnapshotMetadata(p.GroupID, p.ArtifactID, v.Version, files), last), nil
	}
	listed, last, conn := listedInChain(chain)
	if len(listed) == 0 {
		if conn != "" {
			return nil, &endpoint.UnreachableError{Connection: conn}
		}
		return nil, model.NotFound(model.ResourcePackage, p.ArtifactID, "%s:%s has no published versions in the repository or its upstreams.", p.GroupID, p.ArtifactID)
	}
	return newDoc(RenderArtifactMetadata(p.GroupID, p.ArtifactID, listed, last), last), nil
}

// fromUpstream makes a file missing from the repository asked available
// there when its upstreams have it: the whole version is retained in that
// repository (not in the ones between), by reference to the same bytes.
// It reports false, with no error, when the repository has no sources for
// the package (none configured, or upstream=BLOCK).
func (h *Handler) fromUpstream(ctx context.Context, req *endpoint.Request, p Path) (bool, error) {
	ref := h.ref(req, p)
	st, err := h.svc.PackageState(ctx, req.Caller, ref)
	if err != nil || !st.Sources {
		return false, nil
	}
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return true, err
	}
	e, _, err := versionSource(chain, p, p.File)
	if err != nil {
		return true, err
	}
	if e.Repo.Repository == ref.Repository {
		return true, nil // appeared meanwhile
	}
	return true, h.svc.RetainVersion(ctx, req.Caller, ref, e.Repo.Repository, p.Version)
}
