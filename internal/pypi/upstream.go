package pypi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// mergeChain is the project as part of the chain shows it: for each
// version the nearest repository's copy (with its files), so a version
// Unlisted nearer hides an upstream's Published copy, as each repository
// lists only what it would list itself. It reports the connection
// reached, if any.
func mergeChain(chain []service.ChainEntry, name string) (*service.PackageView, string) {
	merged, conn := service.MergeChain(chain, pypiConnection)
	if merged.Package == nil {
		merged.Package = &model.Package{Key: model.PackageKey{Format: model.FormatPyPI, Name: name}}
	}
	return merged, conn
}

// connectionAt is the index of the first repository of the chain whose
// external connection is public:pypi, -1 when none is.
func connectionAt(chain []service.ChainEntry) int {
	return slices.IndexFunc(chain, func(e service.ChainEntry) bool { return e.ExternalConnection == pypiConnection })
}

// mergeProject is the project page of a resolution: the chain's versions
// (the nearest copy wins) with the public index's merged in where the
// connection sits in the chain, so repositories nearer than the
// connection's (its own included) win over the index, and the index over
// repositories further on. A version that came through the connection
// and lacks some of the index's files lists them too: they are fetched
// when first asked for. pub is nil when the index was not read. It
// reports whether any repository or the index has the project (a page of
// Unlisted versions only is empty but found).
func mergeProject(chain []service.ChainEntry, pub *publicProject, name string) (*project, bool, error) {
	near, far := chain, []service.ChainEntry(nil)
	if k := connectionAt(chain); k >= 0 {
		near, far = chain[:k+1], chain[k+1:]
	}
	nv, _ := mergeChain(near, name)
	p, err := buildProject(nv)
	if err != nil {
		return nil, false, err
	}
	found := len(nv.Versions) > 0
	seen := map[string]bool{}
	for _, v := range nv.Versions {
		seen[keyOf(v.Version)] = true
	}
	listed := map[string]bool{}
	for _, v := range p.Versions {
		listed[v] = true
	}
	if pub != nil {
		held := map[string]bool{}
		for _, f := range p.Files {
			held[f.Filename] = true
		}
		for _, v := range nv.Versions {
			if v.Status == model.StatusPublished && v.OriginType == model.OriginExternal && v.OriginExternal == pypiConnection {
				for _, i := range pub.byKey[keyOf(v.Version)] {
					if f := pub.Files[i]; !held[f.Filename] {
						p.Files = append(p.Files, publicDistFile(f, v.Version))
					}
				}
			}
		}
		for _, f := range pub.Files {
			if seen[f.key] {
				continue
			}
			if !listed[f.Version] {
				listed[f.Version] = true
				p.Versions = append(p.Versions, f.Version)
			}
			p.Files = append(p.Files, publicDistFile(f, f.Version))
		}
		for k := range pub.byKey {
			seen[k] = true
		}
		found = found || len(pub.Files) > 0
	}
	if len(far) > 0 {
		fv, _ := mergeChain(far, name)
		fv.Versions = slices.DeleteFunc(slices.Clone(fv.Versions), func(v *model.Version) bool { return seen[keyOf(v.Version)] })
		found = found || len(fv.Versions) > 0
		fp, err := buildProject(fv)
		if err != nil {
			return nil, false, err
		}
		p.Versions = append(p.Versions, fp.Versions...)
		p.Files = append(p.Files, fp.Files...)
	}
	slices.SortFunc(p.Files, func(a, b distFile) int { return strings.Compare(a.Filename, b.Filename) })
	return p, found, nil
}

// keyOf is a version's PEP 440 key, or the version itself when it is not
// a PEP 440 version (an upload from before the checks).
func keyOf(v string) string {
	if k, ok := versionKey(v); ok {
		return k
	}
	return v
}

// publicDistFile is a public file as Wharf's page links it: under
// version, Wharf's spelling of it.
func publicDistFile(f publicFile, version string) distFile {
	return distFile{Filename: f.Filename, Version: version, SHA256: f.SHA256, RequiresPython: f.RequiresPython,
		Size: f.Size, Uploaded: f.Uploaded, Yanked: f.Yanked, YankedReason: f.YankedReason}
}

// resolvedProject serves the project page of a repository with upstreams
// or an external connection. It spans several packages and possibly the
// public index, so it is rendered per request (only the form asked for).
// An index that cannot be read only fails the request when nothing else
// has the project.
func (h *handler) resolvedProject(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef) {
	ctx := r.Context()
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	var pub *publicProject
	var pubErr error
	if connectionAt(chain) >= 0 {
		pub, pubErr = h.public.project(ctx, ref.Package, nil)
		if pubErr != nil {
			h.log.Warn("pypi external connection", "connection", pypiConnection, "package", ref.Package, "err", pubErr)
		}
	}
	p, found, err := mergeProject(chain, pub, ref.Package)
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	if !found {
		if pubErr != nil {
			h.fail(w, r, pubErr)
			return
		}
		endpoint.Error(w, r, h.log, model.NotFound(model.ResourcePackage, ref.Package, "Package %s not found in repository %s or its upstreams.", ref.Package, ref.Repository))
		return
	}
	if ct := negotiate(r.Header.Get("Accept")); ct == typeJSON {
		body := renderProjectJSON(p)
		writePage(w, r, ct, body, etag(body))
	} else {
		body := renderProjectHTML(p)
		writePage(w, r, ct, body, etag(body))
	}
}

// fail answers err: a failure of the public index (it wraps
// publiccache.ErrUnavailable) is a 502 naming the connection, anything
// else as the endpoint maps it.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, publiccache.ErrUnavailable) {
		err = &endpoint.UpstreamError{Connection: pypiConnection, Err: err}
	}
	endpoint.Error(w, r, h.log, err)
}

func fileNotFound(ref service.PackageRef, version, filename string) error {
	return model.NotFound(model.ResourceAsset, filename, "File %s of %s %s not found in repository %s or its upstreams.", filename, ref.Package, version, ref.Repository)
}

// fileFromUpstream makes a file missing from the repository asked
// available there. The nearest repository of the chain holding the
// version decides: its copy with the file is retained in the repository
// asked (not in the ones between); a copy that came through public:pypi
// but lacks the file, or no copy before the connection, has the file
// fetched through the connection into the repository owning it first.
// It returns nil when the asked repository now holds the file.
func (h *handler) fileFromUpstream(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version, filename string) error {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	version = model.NormalizeVersion(model.FormatPyPI, version)
	e, v, hasFile, conn := service.NearestCopy(chain, version, filename, func(c string) bool { return c == pypiConnection })
	from := ""
	switch {
	case e != nil && hasFile:
		from = e.Repo.Repository
	case e != nil && v.Status == model.StatusPublished && v.OriginType == model.OriginExternal && v.OriginExternal == pypiConnection,
		e == nil && conn != "":
		k := connectionAt(chain)
		if k < 0 || (e == nil && holdsVersion(chain[:k+1], version)) {
			// Another spelling of the version is held nearer: its copy
			// wins.
			return fileNotFound(ref, version, filename)
		}
		owner := chain[k].Repo
		ok, err := h.ingest(ctx, req.Caller, owner.Package(model.FormatPyPI, "", ref.Package), ref.Package, version, filename)
		if err != nil {
			return err
		}
		if !ok {
			return fileNotFound(ref, version, filename)
		}
		from = owner.Repository
	default:
		return fileNotFound(ref, version, filename)
	}
	if from == ref.Repository {
		return nil
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, from, version)
}

// holdsVersion reports whether a repository of chain holds version under
// any spelling PEP 440 finds equal.
func holdsVersion(chain []service.ChainEntry, version string) bool {
	k := keyOf(version)
	for _, e := range chain {
		if e.View != nil && slices.ContainsFunc(e.View.Versions, func(v *model.Version) bool { return keyOf(v.Version) == k }) {
			return true
		}
	}
	return false
}

// ingest fetches one file of a version from the public index into the
// repository owning the connection (ref), verified against the sha256
// the index gives. It reports false when the index does not list the
// file under that version. Concurrent misses for the same file share one
// fetch.
func (h *handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, name, version, filename string) (bool, error) {
	key := ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + name + "\x00" + version + "\x00" + filename
	return h.public.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		// A fetch that finished just before this miss began already holds
		// the file.
		if a, err := h.svc.OpenAsset(ctx, c, ref, version, filename); err == nil {
			a.Body.Close()
			return true, nil
		}
		f, err := h.public.fileOf(ctx, name, filename)
		if err != nil || f == nil || f.key != keyOf(version) {
			return false, err
		}
		got, err := h.public.download(ctx, f, "")
		if err != nil {
			return false, err
		}
		defer got.Close()
		md, err := h.publicMetadata(got, f)
		if err != nil {
			return false, err
		}
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: pypiConnection, Version: version,
			Asset:    service.Upload{Name: filename, Body: got, SHA256: got.SHA256},
			Metadata: md, Published: f.Uploaded,
		})
		return err == nil, err
	})
}

// publicMetadata is the metadata a public file gives its version (the
// version's first file ingested decides, as on PyPI): its core metadata
// when it can be read, and at least the Requires-Python the index gives,
// which the project page needs. The file is rewound for storing.
func (h *handler) publicMetadata(got *publiccache.File, f *publicFile) (*service.VersionMetadata, error) {
	md, err := distMetadata(got.File, got.Size, f.Filename)
	if _, serr := got.Seek(0, io.SeekStart); serr != nil {
		return nil, serr
	}
	if err != nil {
		// The bytes are the index's (their sha256 matched): serve them,
		// with what the index says.
		h.log.Info("pypi: public file without readable core metadata", "file", f.Filename, "err", err)
		md = &service.VersionMetadata{}
	}
	var fm formatMetadata
	if len(md.FormatMetadata) > 0 {
		if err := json.Unmarshal(md.FormatMetadata, &fm); err != nil {
			return nil, err
		}
	}
	if fm.RequiresPython == "" {
		fm.RequiresPython = f.RequiresPython
	}
	b, err := json.Marshal(fm)
	if err != nil {
		return nil, err
	}
	md.FormatMetadata = b
	return md, nil
}
