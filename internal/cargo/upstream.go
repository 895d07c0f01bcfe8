package cargo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// resolvedIndex serves the index file of a repository with upstreams or
// an external connection: for each version the nearest copy, the public
// registry's lines standing where its connection is in the chain (so a
// version yanked nearer shows yanked even if crates.io has it listed,
// and crates.io's yanked flag holds for the versions no repository has).
// It spans several packages and the registry, so it is rendered per
// request (its ETag is its content's) from the shared, already decoded
// public file. A registry that cannot be read fails the request only
// when nothing else has the crate (502).
func (h *handler) resolvedIndex(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef) {
	ctx := r.Context()
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	withPublic := make([]service.ChainEntry, 0, len(chain)+1)
	var pubErr error
	var public *publicDoc
	for _, e := range chain {
		withPublic = append(withPublic, e)
		if e.ExternalConnection != cratesIOConnection {
			continue
		}
		d, err := h.public.index(ctx, ref.Package, nil)
		if err != nil {
			h.log.Warn("cargo external connection", "connection", e.ExternalConnection, "crate", ref.Package, "err", err)
			pubErr = err
			continue
		}
		if d != nil {
			public = d
			withPublic = append(withPublic, service.ChainEntry{Repo: e.Repo, View: d.view})
		}
	}
	merged, _ := service.MergeChain(withPublic, cratesIOConnection)
	if public != nil {
		yankFetched(merged, public)
	}
	if merged.Package == nil {
		merged.Package = &model.Package{Key: model.PackageKey{Format: model.FormatCargo, Name: ref.Package}}
	}
	body, err := renderIndex(merged)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(body) == 0 {
		if pubErr != nil {
			h.fail(w, r, pubErr)
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

// yankFetched shows yanked the versions crates.io has yanked whose
// nearest copy is one fetched from it and still Published: the copy is a
// cache of crates.io's version, and crates.io's yank holds for it (a copy
// Unlisted nearer shows yanked anyway). The views are the request's own;
// the version is copied, not changed in place.
func yankFetched(merged *service.PackageView, public *publicDoc) {
	for i, v := range merged.Versions {
		l := public.lines[v.Version]
		if l == nil || l.version.Status != model.StatusUnlisted || v.Status != model.StatusPublished ||
			v.OriginType != model.OriginExternal || v.OriginExternal != cratesIOConnection {
			continue
		}
		yanked := *v
		yanked.Status = model.StatusUnlisted
		merged.Versions[i] = &yanked
	}
}

// crateFromUpstream makes a .crate missing from the repository asked
// available there: found in the nearest repository of the chain holding
// the version (its copy wins), or fetched through public:crates-io into
// the repository owning the connection when the search reaches it
// first, and retained in the repository asked.
func (h *handler) crateFromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, asset string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	e, _, hasFile, conn := service.NearestCopy(chain, version, asset, func(c string) bool { return c == cratesIOConnection })
	notFound := model.NotFound(model.ResourceAsset, asset, "Crate %s %s not found in repository %s or its upstreams.", ref.Package, version, ref.Repository)
	switch {
	case conn != "":
	case e == nil || !hasFile:
		// A version has one file, named for it: a copy that lacks it is
		// no copy to complete.
		return notFound
	case e.Repo.Repository == ref.Repository:
		return nil // retained meanwhile
	default:
		return h.svc.RetainVersion(ctx, req.Caller, ref, e.Repo.Repository, version)
	}
	from := connectionRepo(chain)
	found, err := h.ingest(ctx, req.Caller, from.Package(model.FormatCargo, "", ref.Package), version)
	switch {
	case err != nil:
		return err
	case !found:
		return notFound
	case from.Repository == ref.Repository:
		return nil
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, from.Repository, version)
}

// connectionRepo is the repository of the chain holding public:crates-io.
func connectionRepo(chain []service.ChainEntry) service.RepoRef {
	for _, e := range chain {
		if e.ExternalConnection == cratesIOConnection {
			return e.Repo
		}
	}
	return service.RepoRef{}
}

// ingest fetches a version from the public registry into the repository
// owning the connection (ref), after checking the .crate against its
// index line's cksum and as a publish checks one. It reports false when
// the registry does not have the version. Concurrent misses for one
// version share one fetch.
func (h *handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, version string) (bool, error) {
	key := ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + model.NormalizeName(model.FormatCargo, ref.Package) + "\x00" + version
	return h.public.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		asset := assetName(ref.Package, version)
		// A fetch that finished just before this miss began already holds
		// the version.
		if ac, err := h.svc.OpenAsset(ctx, c, ref, version, asset); err == nil {
			ac.Body.Close()
			return true, nil
		}
		l, err := h.public.line(ctx, ref.Package, version)
		if err != nil || l == nil {
			return false, err
		}
		f, err := h.public.download(ctx, l, "")
		if err != nil {
			return false, err
		}
		defer f.Close()
		facts, err := checkCrate(f, l.name, l.vers, "", true)
		if err != nil {
			return false, fmt.Errorf("%w: %s %s: %w", publiccache.ErrUnavailable, l.name, l.vers, refusal(err))
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		md := &service.VersionMetadata{DisplayName: l.name, Readme: facts.readme, Dependencies: l.version.Dependencies, FormatMetadata: l.version.FormatMetadata}
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: cratesIOConnection, Version: l.vers,
			Asset: service.Upload{Name: asset, Body: f, SHA256: f.SHA256}, Metadata: md,
		})
		return err == nil, err
	})
}
