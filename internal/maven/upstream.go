package maven

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// isMavenConnection reports whether an external connection is one of the
// public Maven repositories (public:maven-central, ...).
func isMavenConnection(conn string) bool {
	return model.ExternalConnectionFormat(conn) == model.FormatMaven
}

// source is where a file the repository asked lacks comes from: the
// repository of the chain holding the version (retained from there), after
// a fetch through conn into that repository when conn is set.
type source struct {
	entry *service.ChainEntry
	// version is the copy found, nil when the search reached conn first.
	version *model.Version
	conn    string
}

// findSource finds the nearest repository of the chain holding a
// downloadable copy of the version; that copy wins. When file is not
// empty and the copy lacks it, the search ends there, unless the copy came
// through a Maven connection one of the chain's repositories holds: its
// files arrive one at a time, so the file is fetched through it. A search
// that reaches a Maven connection first fetches through it. SNAPSHOTs are
// never fetched from public repositories (CodeArtifact does not proxy
// them), so for them connections are passed by.
func findSource(chain []service.ChainEntry, p Path, file string) (source, error) {
	snapshot := IsSnapshot(p.Version)
	e, v, hasFile, conn := service.NearestCopy(chain, p.Version, file, func(conn string) bool {
		return !snapshot && isMavenConnection(conn)
	})
	switch {
	case conn != "":
		return source{entry: &chain[connectionOwner(chain, conn)], conn: conn}, nil
	case e == nil && file == "":
		return source{}, model.NotFound(model.ResourcePackageVersion, p.Version, "%s:%s %s not found in the repository or its upstreams.", p.GroupID, p.ArtifactID, p.Version)
	case e == nil:
		return source{}, fileNotFound(p, file)
	case hasFile:
		return source{entry: e, version: v}, nil
	case !snapshot && v.OriginType == model.OriginExternal && isMavenConnection(v.OriginExternal):
		if i := connectionOwner(chain, v.OriginExternal); i >= 0 {
			return source{entry: &chain[i], version: v, conn: v.OriginExternal}, nil
		}
	}
	return source{}, fileNotFound(p, file)
}

// connectionOwner is the index of the first repository of the chain
// holding conn, -1 when none does.
func connectionOwner(chain []service.ChainEntry, conn string) int {
	for i := range chain {
		if chain[i].ExternalConnection == conn {
			return i
		}
	}
	return -1
}

func fileNotFound(p Path, file string) error {
	return model.NotFound(model.ResourceAsset, file, "%s of %s:%s %s not found in the repository or its upstreams.", file, p.GroupID, p.ArtifactID, p.Version)
}

// listing is an artifact's versions as a resolution chain lists them in
// maven-metadata.xml.
type listing struct {
	versions []string
	last     time.Time
	// found is true when a repository or public repository of the chain
	// has the artifact, even with nothing listed.
	found bool
	// unavailable is the failure of a public repository the chain reached.
	unavailable error
	// plugins are the plugin prefixes public repositories list when the
	// path is a plugin group's (the first listing a prefix wins).
	plugins []plugin
}

// listChain lists the artifact's versions along the chain: each version
// as its nearest holder lists it (an Unlisted copy nearer hides an
// upstream's Published one), a Maven connection's public versions merged
// after the versions of the repository holding it, with the latest
// update time. A public repository that cannot be read is passed by (its
// cached metadata is served when there is some).
func (h *Handler) listChain(ctx context.Context, chain []service.ChainEntry, groupID, artifactID string) listing {
	var l listing
	seen := map[string]bool{}
	add := func(v string, listed bool, at time.Time) {
		if seen[v] {
			return
		}
		seen[v] = true
		if listed {
			l.versions = append(l.versions, v)
			if at.After(l.last) {
				l.last = at
			}
		}
	}
	for _, e := range chain {
		if e.View != nil {
			l.found = true
			for _, v := range e.View.Versions {
				add(v.Version, v.Status.Listed(), v.PublishedTime)
			}
		}
		pub := h.public[e.ExternalConnection]
		if pub == nil {
			continue
		}
		m, err := pub.metadata(ctx, groupID, artifactID, false)
		if err != nil {
			h.log.Warn("maven external connection", "connection", e.ExternalConnection, "artifact", artifactKey(groupID, artifactID), "err", err)
			l.unavailable = err
			continue
		}
		if m == nil {
			continue
		}
		l.found = true
		for _, v := range m.versions {
			add(v, true, m.lastUpdated)
		}
		for _, pl := range m.plugins {
			if !slices.ContainsFunc(l.plugins, func(x plugin) bool { return x.Prefix == pl.Prefix }) {
				l.plugins = append(l.plugins, pl)
			}
		}
	}
	return l
}

// resolvedMetadata generates a metadata document for a repository with
// upstreams or an external connection. It spans several packages and
// public repositories, so it is built per request rather than cached by
// one package's generation (the public metadata it merges is cached,
// decoded, by the connection's publiccache).
func (h *Handler) resolvedMetadata(ctx context.Context, req *endpoint.Request, p Path) (*doc, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, h.ref(req, p), service.ViewOptions{WithAssets: p.Kind == KindVersionMetadata})
	if err != nil {
		return nil, err
	}
	if p.Kind == KindVersionMetadata {
		src, err := findSource(chain, p, "")
		if err != nil {
			return nil, err
		}
		v := src.version
		as := src.entry.View.Assets[v.ID]
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
	l := h.listChain(ctx, chain, p.GroupID, p.ArtifactID)
	if len(l.versions) == 0 && len(l.plugins) > 0 {
		// A plugin group's prefixes, as the public repositories list them:
		// what "mvn PREFIX:GOAL" resolves through.
		return newDoc(renderPluginGroup(l.plugins), time.Time{}), nil
	}
	if len(l.versions) == 0 {
		if l.unavailable != nil && !l.found {
			return nil, l.unavailable
		}
		return nil, model.NotFound(model.ResourcePackage, p.ArtifactID, "%s:%s has no published versions in the repository or its upstreams.", p.GroupID, p.ArtifactID)
	}
	return newDoc(RenderArtifactMetadata(p.GroupID, p.ArtifactID, l.versions, l.last), l.last), nil
}

// fromUpstream makes a file missing from the repository asked available
// there when its upstreams or their external connections have it: a
// public file is fetched into the repository holding the connection
// (ingest; a public repository that lacks it passes the search on to the
// rest of the chain), and the version is retained in the repository asked
// (not in the ones between), by reference to the same bytes. It reports false,
// with no error, when the repository has no sources for the package
// (none configured, or upstream=BLOCK).
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
	var src source
	for rest := chain; ; {
		if src, err = findSource(rest, p, p.File); err != nil {
			return true, err
		}
		if src.conn == "" {
			break
		}
		ok, err := h.ingest(ctx, req.Caller, src.entry.Repo.Package(model.FormatMaven, p.GroupID, p.ArtifactID), src.conn, p)
		if err != nil {
			return true, err
		}
		if ok {
			break
		}
		if src.version != nil {
			return true, fileNotFound(p, p.File) // the public copy's repository lacks the file
		}
		// Not in this public repository: the search goes on past it.
		rest = rest[connectionOwner(rest, src.conn)+1:]
	}
	if src.entry.Repo.Repository == ref.Repository {
		return true, nil // appeared meanwhile, or fetched into it
	}
	return true, h.svc.RetainVersion(ctx, req.Caller, ref, src.entry.Repo.Repository, p.Version)
}

// ingest fetches one file of a version from the public repository behind
// conn into the repository owning the connection (ref): verified against
// the repository's checksum, then stored as an asset of the version,
// origin EXTERNAL (the version is created by its first file and completed
// by the others). It reports false when the public repository does not
// have the file. Concurrent misses for the same file share one fetch.
func (h *Handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, conn string, p Path) (bool, error) {
	pub := h.public[conn]
	if pub == nil {
		return false, &endpoint.UpstreamError{Connection: conn, Err: errors.New("no public repository is configured for it")}
	}
	key := ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + p.GroupID + "\x00" + p.ArtifactID + "\x00" + p.Version + "\x00" + p.File
	return pub.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		// A fetch that finished just before this miss began already holds
		// the file.
		if ac, err := h.svc.OpenAsset(ctx, c, ref, p.Version, p.File); err == nil {
			ac.Body.Close()
			return true, nil
		}
		f, err := pub.fetchFile(ctx, p, "")
		if errors.Is(err, publiccache.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, &endpoint.UpstreamError{Connection: conn, Err: err}
		}
		defer f.Close()
		var md *service.VersionMetadata
		if p.IsMainPOM() {
			md = publicPOMMetadata(f, p)
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return false, err
			}
		}
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: conn, Version: p.Version,
			Asset:    service.Upload{Name: p.File, Body: f, SHA256: f.SHA256},
			Metadata: md,
		})
		return err == nil, err
	})
}

// publicPOMMetadata is a public POM's CodeArtifact metadata, nil when the
// POM does not parse or describes another artifact: the registry's bytes
// are still served as they are.
func publicPOMMetadata(r io.Reader, p Path) *service.VersionMetadata {
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil || len(data) > maxDocument {
		return nil
	}
	pom, err := ParsePOM(data)
	if err != nil || pom.CheckCoordinates(p.GroupID, p.ArtifactID, p.Version) != nil {
		return nil
	}
	return pom.Metadata()
}
