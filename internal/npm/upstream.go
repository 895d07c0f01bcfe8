package npm

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// npmjsConnection is the one external connection npm reads through.
const npmjsConnection = "public:npmjs"

// DefaultNpmjsURL is the public registry behind public:npmjs.
const DefaultNpmjsURL = "https://registry.npmjs.org"

// maxPublicPackument bounds a public packument read into memory.
const maxPublicPackument = 64 << 20

// errUpstreamUnavailable marks a failure of the public registry (502).
var errUpstreamUnavailable = errors.New("upstream registry unavailable")

// publicDoc is the part of a public packument resolution uses.
type publicDoc struct {
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]string          `json:"time"`
}

// publicRegistry fetches packuments and tarballs from the public npm
// registry. Packuments live in a publiccache (on disk, byte-bounded,
// refreshed in the background so a warm install never waits on the
// registry); concurrent misses for the same tarball share one fetch.
type publicRegistry struct {
	base   string
	client *http.Client
	docs   *publiccache.Cache[*publicDoc]
	flight publiccache.Group[bool]
}

func newPublicRegistry(base string, opts publiccache.Options) (*publicRegistry, error) {
	if base == "" {
		base = DefaultNpmjsURL
	}
	p := &publicRegistry{base: strings.TrimSuffix(base, "/"), client: publiccache.NewClient(npmjsConnection)}
	fetch := publiccache.HTTP(p.client, p.packumentURL, http.Header{"Accept": {"application/json"}}, maxPublicPackument)
	docs, err := publiccache.New(opts, fetch, decodePublicDoc)
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", npmjsConnection, err)
	}
	p.docs = docs
	return p, nil
}

// packumentURL is where the registry serves a package's packument; the
// key is the package name (@scope/name keeps its @, its / is escaped).
func (p *publicRegistry) packumentURL(name string) string {
	return p.base + "/" + strings.Replace(url.PathEscape(name), "%40", "@", 1)
}

// decodePublicDoc refuses a packument that does not decode, so a broken
// answer from the registry is never kept.
func decodePublicDoc(_ string, body []byte) (*publicDoc, error) {
	var d publicDoc
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("packument: %w", err)
	}
	return &d, nil
}

// packument returns the public document for a package, nil when the
// registry does not have it. A need the cached document lacks (a
// version) makes it ask the registry now (publiccache's Lookup).
func (p *publicRegistry) packument(ctx context.Context, name pkgName, need func(*publicDoc) bool) (*publicDoc, error) {
	d, err := p.docs.Lookup(ctx, name.String(), need)
	switch {
	case errors.Is(err, publiccache.ErrNotFound):
		return nil, nil
	case errors.Is(err, publiccache.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", errUpstreamUnavailable, err)
	case err != nil:
		return nil, err
	}
	return d, nil
}

// versionOf returns the packument holding version, asking the registry
// again when the cached one lacks it (published since it was fetched).
// The document is nil when the registry does not have the package, the
// manifest nil when the package lacks the version.
func (p *publicRegistry) versionOf(ctx context.Context, name pkgName, version string) (*publicDoc, json.RawMessage, error) {
	d, err := p.packument(ctx, name, func(d *publicDoc) bool { _, ok := d.Versions[version]; return ok })
	if err != nil || d == nil {
		return d, nil, err
	}
	return d, d.Versions[version], nil
}

// hasVersion reports whether the public registry has a version of the
// package: the service asks it before a publish, to refuse versions
// public:npmjs serves (a 409). It answers within ctx's deadline; the
// fetch goes on past it and fills the cache for the next publish or read.
func (p *publicRegistry) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	d, err := p.packument(ctx, pkgName{Scope: k.Namespace, Name: k.Name}, nil)
	if err != nil || d == nil {
		return false, err
	}
	_, ok := d.Versions[version]
	return ok, nil
}

// publicHasVersion is the service's ExternalLookup for public:npmjs.
func (h *Handler) publicHasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	return h.public.hasVersion(ctx, k, version)
}

// publicDist is a public version's dist object.
type publicDist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"`
	Shasum    string `json:"shasum"`
}

// checkDist verifies a downloaded tarball against the registry's claims:
// the SRI integrity (sha512 or sha1) when given, else the shasum. One of
// them must be present.
func checkDist(d publicDist, sha1Sum, sha512Sum []byte) error {
	if d.Integrity != "" {
		for part := range strings.FieldsSeq(d.Integrity) {
			algo, b64, ok := strings.Cut(part, "-")
			if !ok {
				continue
			}
			want, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				continue
			}
			switch algo {
			case "sha512":
				if string(want) == string(sha512Sum) {
					return nil
				}
				return fmt.Errorf("tarball does not match its integrity %s", part)
			case "sha1":
				if string(want) == string(sha1Sum) {
					return nil
				}
				return fmt.Errorf("tarball does not match its integrity %s", part)
			}
		}
	}
	if d.Shasum != "" {
		if strings.EqualFold(d.Shasum, hex.EncodeToString(sha1Sum)) {
			return nil
		}
		return fmt.Errorf("tarball does not match its shasum %s", d.Shasum)
	}
	return errors.New("the registry gave neither integrity nor shasum for the tarball")
}

// maxPublicTarball bounds a tarball fetched from the registry.
const maxPublicTarball = 1 << 30

// download fetches a tarball, verified against the registry's claims.
func (p *publicRegistry) download(ctx context.Context, d publicDist, dir string) (*publiccache.File, error) {
	f, err := publiccache.Download(ctx, p.client, p.base, d.Tarball, dir, maxPublicTarball)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUpstreamUnavailable, err)
	}
	sha1Sum, _ := hex.DecodeString(f.SHA1)
	sha512Sum, _ := hex.DecodeString(f.SHA512)
	if err := checkDist(d, sha1Sum, sha512Sum); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %w", errUpstreamUnavailable, d.Tarball, err)
	}
	return f, nil
}

// publicVersions turns a public packument into versions as the merged
// view holds them.
func publicVersions(d *publicDoc) []*model.Version {
	out := make([]*model.Version, 0, len(d.Versions))
	for v, raw := range d.Versions {
		t, _ := time.Parse(time.RFC3339, d.Time[v])
		out = append(out, &model.Version{Version: v, Status: model.StatusPublished, PublishedTime: t, FormatMetadata: raw,
			OriginType: model.OriginExternal, OriginExternal: npmjsConnection})
	}
	return out
}

// resolvedPackument serves the packument of a repository with upstreams
// or an external connection: the versions of every repository in the
// resolution chain (the first holding a version wins), dist-tags merged
// with an upstream's tag winning on conflict. It is rendered per request:
// it depends on several packages and possibly the public registry.
func (h *Handler) resolvedPackument(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, kind docKind) {
	view, err := h.resolveView(r.Context(), req, name, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := render(view, name, req.Base, kind)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache")
	if kind == abbrevDoc {
		hdr.Set("Content-Type", abbrevType)
	} else {
		hdr.Set("Content-Type", "application/json")
	}
	hdr.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// resolveView merges the chain into one view. A public registry that
// cannot be reached only fails the request when nothing else has the
// package (an endpoint.UpstreamError, a 502).
func (h *Handler) resolveView(ctx context.Context, req *endpoint.Request, name pkgName, ref service.PackageRef) (*service.PackageView, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		return nil, err
	}
	merged := &service.PackageView{State: map[string]string{}}
	seen := map[string]bool{}
	add := func(vs []*model.Version, tags map[string]string) {
		for _, v := range vs {
			if !seen[v.Version] {
				seen[v.Version] = true
				merged.Versions = append(merged.Versions, v)
			}
		}
		for t, v := range tags {
			merged.State[t] = v // later in the chain is further upstream
		}
	}
	var pubErr error
	for _, e := range chain {
		if e.View != nil {
			if merged.Package == nil {
				merged.Package = e.View.Package
			}
			add(e.View.Versions, e.View.State)
		}
		if e.ExternalConnection != npmjsConnection {
			continue
		}
		d, err := h.public.packument(ctx, name, nil)
		if err != nil {
			h.log.Warn("npm external connection", "connection", e.ExternalConnection, "package", name.String(), "err", err)
			pubErr = err
			continue
		}
		if d != nil {
			add(publicVersions(d), d.DistTags)
		}
	}
	if len(merged.Versions) == 0 {
		if pubErr != nil {
			return nil, &endpoint.UpstreamError{Connection: npmjsConnection, Err: pubErr}
		}
		return nil, model.NotFound(model.ResourcePackage, name.String(), "Package %s not found in repository %s or its upstreams.", name, ref.Repository)
	}
	if merged.Package == nil {
		merged.Package = &model.Package{Key: name.key()}
	}
	return merged, nil
}

// tarballFromUpstream serves a tarball the repository does not hold:
// found in the first repository of the chain that holds the version, or
// fetched through public:npmjs into the repository owning the connection,
// and retained in the repository asked.
func (h *Handler) tarballFromUpstream(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, version string) {
	ctx := r.Context()
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var from string
	found := false
	for i, e := range chain {
		if e.View != nil && hasVersion(e.View, version) {
			found, from = true, e.Repo.Repository
			if i == 0 {
				from = "" // appeared meanwhile: nothing to retain
			}
			break
		}
		if e.ExternalConnection != npmjsConnection {
			continue
		}
		ok, err := h.ingest(ctx, req.Caller, e.Repo.Package(model.FormatNpm, name.Scope, name.Name), name, version)
		if errors.Is(err, errUpstreamUnavailable) {
			err = &endpoint.UpstreamError{Connection: e.ExternalConnection, Err: err}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if ok {
			found, from = true, e.Repo.Repository
			if i == 0 {
				from = ""
			}
			break
		}
	}
	if !found {
		endpoint.Errorf(w, http.StatusNotFound, fmt.Sprintf("Version %s of %s not found in repository %s or its upstreams.", version, name, ref.Repository))
		return
	}
	if from != "" {
		if err := h.svc.RetainVersion(ctx, req.Caller, ref, from, version); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.serveTarball(w, r, req, ref, version)
}

func hasVersion(v *service.PackageView, version string) bool {
	for _, x := range v.Versions {
		if x.Version == version && x.Status.Downloadable() {
			return true
		}
	}
	return false
}

// ingest fetches a version from the public registry into the repository
// owning the connection. It reports false when the registry does not
// have the version. Concurrent misses for the same version share one
// fetch.
func (h *Handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, name pkgName, version string) (bool, error) {
	key := "tgz\x00" + ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + name.String() + "\x00" + version
	return h.public.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		// A fetch that finished just before this miss began already holds
		// the version.
		if ac, err := h.svc.OpenAsset(ctx, c, ref, version, assetName); err == nil {
			ac.Body.Close()
			return true, nil
		}
		d, raw, err := h.public.versionOf(ctx, name, version)
		if err != nil || raw == nil {
			return false, err
		}
		var m struct {
			Dist publicDist `json:"dist"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return false, fmt.Errorf("%w: version %s of %s: %w", errUpstreamUnavailable, version, name, err)
		}
		f, err := h.public.download(ctx, m.Dist, h.opts.SpoolDir)
		if err != nil {
			return false, err
		}
		defer f.Close()
		published, _ := time.Parse(time.RFC3339, d.Time[version])
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: npmjsConnection, Version: version,
			Asset:    service.Upload{Name: assetName, Body: f, SHA256: f.SHA256},
			Metadata: publicMetadata(name, raw), State: tagsOf(d.DistTags, version), Published: published,
		})
		return err == nil, err
	})
}

// publicMetadata is a public version manifest's CodeArtifact metadata;
// the manifest is stored as the registry serves it, less the fields the
// serving registry sets.
func publicMetadata(name pkgName, raw json.RawMessage) *service.VersionMetadata {
	var m versionManifest
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil
	}
	md := &service.VersionMetadata{
		Summary: m.str("description"), HomePage: m.str("homepage"), SourceCodeRepo: repositoryURL(m["repository"]),
		Licenses: licenses(m), Dependencies: dependencies(m), Readme: truncateUTF8(m.str("readme"), maxReadme),
	}
	if name.Scope != "" {
		md.DisplayName = name.String()
	}
	// The dist object is kept (integrity and shasum describe the very
	// bytes stored); the tarball URL is rewritten when served.
	delete(m, "readme")
	delete(m, "_attachments")
	doc, err := json.Marshal(m)
	if err == nil {
		md.FormatMetadata = doc
	}
	return md
}
