// Package swift serves the Swift package registry at a repository
// endpoint, /swift/DOMAIN-OWNER/REPO/, as SwiftPM's Registry.md
// (SE-0292, SE-0378, SE-0391) specifies and CodeArtifact provides it:
// the login probe, release lists, release metadata, manifests, source
// archives, identifier lookup by repository URL and publishing.
//
// A package's scope is its namespace and, like its name, is stored
// lowercased; releases are SemVer 2.0.0 versions. Each release keeps its
// source archive ({name}-{version}.zip) and its manifests (Package.swift
// and every Package@swift-X.swift) as assets, and the publisher's
// metadata, signatures and manifest tools versions as format metadata.
// Unlisted releases are left out of release lists but still download;
// Archived, Disposed and Deleted ones are gone (Decision 8). Reads go
// through the repository's upstreams, and a release whose files are
// fetched from one is retained (Swift has no external connection).
//
// Protocol parsing (protocol.go, form.go, sourcearchive.go, metadata.go,
// identifiers.go) is kept apart from HTTP handling (this file,
// publish.go) so it can be tested and fuzzed as plain functions.
package swift

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// handler serves the registry.
type handler struct {
	svc  *service.Service
	log  *slog.Logger
	opts Options
}

// serve routes one authenticated request.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	w.Header().Set("Content-Version", apiVersion)
	rt, err := parseRoute(req.Rest)
	if err != nil {
		var re *routeError
		errors.As(err, &re)
		writeProblem(w, re.status, re.detail)
		return
	}
	switch rt.kind {
	case routeLogin:
		// Mount authenticated the request: the credentials are good.
		if allow(w, r, http.MethodPost) {
			w.WriteHeader(http.StatusOK)
		}
	case routeIdentifiers:
		if allow(w, r, http.MethodGet, http.MethodHead) && h.accept(w, r, mediaJSON) {
			h.identifiers(w, r, req)
		}
	case routeList:
		if allow(w, r, http.MethodGet, http.MethodHead) && h.accept(w, r, mediaJSON) {
			h.list(w, r, req, rt)
		}
	case routeRelease:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if h.accept(w, r, mediaJSON) {
				h.release(w, r, req, rt)
			}
		case http.MethodPut:
			if h.accept(w, r, mediaJSON) {
				h.publish(w, r, req, rt)
			}
		default:
			allow(w, r, http.MethodGet, http.MethodHead, http.MethodPut)
		}
	case routeArchive:
		if allow(w, r, http.MethodGet, http.MethodHead) && h.accept(w, r, mediaZip) {
			h.archive(w, r, req, rt)
		}
	case routeManifest:
		if allow(w, r, http.MethodGet, http.MethodHead) && h.accept(w, r, mediaSwift) {
			h.manifest(w, r, req, rt)
		}
	}
}

// allow answers 405 to a method the route does not take.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeProblem(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; use "+strings.Join(methods, " or "))
	return false
}

// accept applies the API version and media type rules (Registry.md 3.5).
func (h *handler) accept(w http.ResponseWriter, r *http.Request, want string) bool {
	if st, detail := negotiate(r.Header.Get("Accept"), want); st != 0 {
		writeProblem(w, st, detail)
		return false
	}
	return true
}

// fail answers a service error as a problem.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	endpoint.ErrorBody(w, r, h.log, err, writeProblem)
}

// releaseURL is the location of a release (or, without version, of the
// package), under the identifiers as stored: lowercase.
func releaseURL(req *endpoint.Request, scope, name, version string) string {
	u := req.Base + model.NormalizeNamespace(model.FormatSwift, scope) + "/" + model.NormalizeName(model.FormatSwift, name)
	if version != "" {
		u += "/" + version
	}
	return u
}

// pkgView is a package as the registry shows it: the releases a client
// may fetch (Published and Unlisted) and, among them, those it lists
// (Published), both in descending precedence.
type pkgView struct {
	all, listed []*model.Version
	// from names, for a release found in an upstream repository, the
	// repository holding its nearest copy.
	from map[string]string
}

// loadPackage reads the package's releases: the repository's own or,
// for a repository with upstreams, each release's nearest copy along the
// upstream chain (as npm, pip and Maven see them). A package with no
// release a client may fetch is not found.
func (h *handler) loadPackage(r *http.Request, req *endpoint.Request, rt route) (*pkgView, error) {
	ref := req.Repo.Package(model.FormatSwift, rt.scope, rt.name)
	st, err := h.svc.PackageState(r.Context(), req.Caller, ref)
	if err != nil {
		return nil, err
	}
	pv := &pkgView{from: map[string]string{}}
	if !st.Sources {
		view, err := h.svc.ViewPackage(r.Context(), req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, err
		}
		pv.all = view.Versions
	} else {
		chain, err := h.svc.ResolveChain(r.Context(), req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, e := range chain {
			if e.View == nil {
				continue
			}
			for _, v := range e.View.Versions {
				if seen[v.Version] {
					continue
				}
				seen[v.Version] = true
				pv.all = append(pv.all, v)
				if e.Repo.Repository != req.Repo.Repository {
					pv.from[v.Version] = e.Repo.Repository
				}
			}
		}
	}
	pv.all = slices.DeleteFunc(pv.all, func(v *model.Version) bool { return !v.Status.Downloadable() })
	if len(pv.all) == 0 {
		return nil, model.NotFound(model.ResourcePackage, rt.name, "package %s.%s has no releases in repository %s", rt.scope, rt.name, req.Repo.Repository)
	}
	slices.SortFunc(pv.all, func(a, b *model.Version) int { return semver.CompareStrings(b.Version, a.Version) })
	for _, v := range pv.all {
		if v.Status == model.StatusPublished {
			pv.listed = append(pv.listed, v)
		}
	}
	return pv, nil
}

// retain makes a release found upstream the repository's own before its
// files are served, as CodeArtifact retains what a client fetches
// through an upstream.
func (h *handler) retain(r *http.Request, req *endpoint.Request, rt route, pv *pkgView) error {
	from, ok := pv.from[rt.version]
	if !ok {
		return nil
	}
	return h.svc.RetainVersion(r.Context(), req.Caller, req.Repo.Package(model.FormatSwift, rt.scope, rt.name), from, rt.version)
}

// find returns a fetchable release by exact version.
func (pv *pkgView) find(version string) *model.Version {
	for _, v := range pv.all {
		if v.Version == version {
			return v
		}
	}
	return nil
}

func releaseNotFound(rt route) error {
	return model.NotFound(model.ResourcePackageVersion, rt.version, "release %s of %s.%s not found", rt.version, rt.scope, rt.name)
}

// list serves the package's releases (Registry.md 4.1), highest
// precedence first, with latest-version and the latest release's source
// repositories as Link entries.
func (h *handler) list(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rt route) {
	pv, err := h.loadPackage(r, req, rt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"releases":{`)
	for i, v := range pv.listed {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(v.Version)
		u, _ := json.Marshal(map[string]string{"url": releaseURL(req, rt.scope, rt.name, v.Version)})
		b.Write(k)
		b.WriteByte(':')
		b.Write(u)
	}
	b.WriteString("}}")
	var links []link
	if len(pv.listed) > 0 {
		latest := pv.listed[0]
		links = append(links, link{url: releaseURL(req, rt.scope, rt.name, latest.Version), rel: "latest-version"})
		for i, u := range parseReleaseDoc(latest.FormatMetadata).repositoryURLs() {
			if !linkSafe(u) {
				continue
			}
			rel := "alternate"
			if i == 0 {
				rel = "canonical"
			}
			links = append(links, link{url: u, rel: rel})
		}
	}
	if len(links) > 0 {
		w.Header().Set("Link", formatLinks(links))
	}
	writeJSON(w, http.StatusOK, b.Bytes())
}

// releaseInfo is the body of a release's metadata (Registry.md 4.2).
type releaseInfo struct {
	ID          string         `json:"id"`
	Version     string         `json:"version"`
	Resources   []resource     `json:"resources"`
	Metadata    map[string]any `json:"metadata"`
	PublishedAt string         `json:"publishedAt,omitempty"`
}

// resource is a release resource; the source archive is the only one.
type resource struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Checksum string   `json:"checksum"`
	Signing  *signing `json:"signing,omitempty"`
}

// release serves a release's metadata, with latest-version,
// successor-version and predecessor-version links among the listed
// releases.
func (h *handler) release(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rt route) {
	pv, err := h.loadPackage(r, req, rt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := pv.find(rt.version)
	if v == nil {
		h.fail(w, r, releaseNotFound(rt))
		return
	}
	doc := parseReleaseDoc(v.FormatMetadata)
	info := releaseInfo{
		ID:        model.NormalizeNamespace(model.FormatSwift, rt.scope) + "." + model.NormalizeName(model.FormatSwift, rt.name),
		Version:   v.Version,
		Resources: []resource{{Name: "source-archive", Type: typeZip, Checksum: doc.Checksum, Signing: doc.Signing}},
		Metadata:  doc.Metadata,
	}
	if !v.PublishedTime.IsZero() {
		// Whole seconds: SwiftPM decodes dates with Foundation's ISO 8601
		// strategy, which refuses fractional seconds.
		info.PublishedAt = v.PublishedTime.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	body, err := json.Marshal(info)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var links []link
	if len(pv.listed) > 0 {
		links = append(links, link{url: releaseURL(req, rt.scope, rt.name, pv.listed[0].Version), rel: "latest-version"})
	}
	// Neighbours by precedence among the listed releases, wherever this
	// release (listed or not) falls between them.
	var successor, predecessor *model.Version
	for _, o := range pv.listed {
		c := semver.CompareStrings(o.Version, v.Version)
		if c > 0 {
			successor = o // the last one above is the nearest
		}
		if c < 0 && predecessor == nil {
			predecessor = o
		}
	}
	if successor != nil {
		links = append(links, link{url: releaseURL(req, rt.scope, rt.name, successor.Version), rel: "successor-version"})
	}
	if predecessor != nil {
		links = append(links, link{url: releaseURL(req, rt.scope, rt.name, predecessor.Version), rel: "predecessor-version"})
	}
	if len(links) > 0 {
		w.Header().Set("Link", formatLinks(links))
	}
	writeJSON(w, http.StatusOK, body)
}

// archiveAsset is the asset name of a release's source archive.
func archiveAsset(name, version string) string {
	return model.NormalizeName(model.FormatSwift, name) + "-" + version + ".zip"
}

// archive serves a release's source archive (Registry.md 4.4) with
// Content-Length, a SHA-256 Digest, range support and, for a signed
// release, its signature headers.
func (h *handler) archive(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rt route) {
	pv, err := h.loadPackage(r, req, rt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := pv.find(rt.version)
	if v == nil {
		h.fail(w, r, releaseNotFound(rt))
		return
	}
	if err := h.retain(r, req, rt, pv); err != nil {
		h.fail(w, r, err)
		return
	}
	ref := req.Repo.Package(model.FormatSwift, rt.scope, rt.name)
	a, err := h.svc.OpenAsset(r.Context(), req.Caller, ref, rt.version, archiveAsset(rt.name, rt.version))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer a.Body.Close()
	display := v.DisplayName
	if display == "" {
		display = rt.name
	}
	hd := w.Header()
	hd.Set("Content-Type", typeZip)
	hd.Set("Content-Disposition", `attachment; filename="`+display+"-"+v.Version+`.zip"`)
	if sum, err := hex.DecodeString(a.Asset.Hashes.SHA256); err == nil {
		hd.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum))
	}
	if s := parseReleaseDoc(v.FormatMetadata).Signing; s != nil {
		hd.Set("X-Swift-Package-Signature-Format", s.SignatureFormat)
		hd.Set("X-Swift-Package-Signature", s.SignatureBase64Encoded)
	}
	hd.Set("ETag", `"`+a.Asset.Hashes.SHA256+`"`)
	// A deleted release may be published again with other bytes, so
	// caches revalidate (a 304 by ETag) rather than keep it for good.
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", a.Asset.Created, a.Body)
}

// manifest serves Package.swift, or with ?swift-version=X the release's
// Package@swift-X.swift (303 to Package.swift when it has none), with a
// Link entry per version-specific manifest (Registry.md 4.3).
func (h *handler) manifest(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rt route) {
	pv, err := h.loadPackage(r, req, rt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := pv.find(rt.version)
	if v == nil {
		h.fail(w, r, releaseNotFound(rt))
		return
	}
	doc := parseReleaseDoc(v.FormatMetadata)
	base := releaseURL(req, rt.scope, rt.name, v.Version) + "/" + manifestName
	file := manifestName
	if q := r.URL.Query(); q.Has("swift-version") {
		sv := q.Get("swift-version")
		if !validSwiftVersion(sv) {
			writeProblem(w, http.StatusBadRequest, "invalid swift-version "+strconvQuote(sv)+": want a Swift version such as 5.9")
			return
		}
		file = pickManifest(doc.Manifests, sv)
		if file == "" {
			// No manifest for that Swift version: the unqualified one
			// serves it (Registry.md 4.3.1).
			w.Header().Set("Location", base)
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	} else if len(doc.Manifests) > 0 {
		links := make([]link, 0, len(doc.Manifests))
		for _, m := range doc.Manifests {
			links = append(links, link{url: base + "?swift-version=" + m.SwiftVersion, rel: "alternate",
				params: [][2]string{{"filename", m.Filename}, {"swift-tools-version", m.ToolsVersion}}})
		}
		w.Header().Set("Link", formatLinks(links))
	}
	ref := req.Repo.Package(model.FormatSwift, rt.scope, rt.name)
	err = h.retain(r, req, rt, pv)
	var a *service.AssetContent
	if err == nil {
		a, err = h.svc.OpenAsset(r.Context(), req.Caller, ref, rt.version, file)
	}
	if err != nil {
		w.Header().Del("Link")
		h.fail(w, r, err)
		return
	}
	defer a.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", typeSwift)
	hd.Set("Content-Disposition", `attachment; filename="`+file+`"`)
	hd.Set("ETag", `"`+a.Asset.Hashes.SHA256+`"`)
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", a.Asset.Created, a.Body)
}

// pickManifest finds the version-specific manifest for a swift-version
// query: the one named for that Swift version (Package@swift-5.9.swift
// for "5.9" or "5.9.0"), else one declaring it as its tools version,
// which is what SwiftPM actually asks for (RegistryPackageContainer sends
// the tools version it read from the alternate link, as MAJOR.MINOR.PATCH).
// It returns "" when there is none.
func pickManifest(ms []manifestRef, sv string) string {
	for _, m := range ms {
		if m.SwiftVersion == sv {
			return m.Filename
		}
	}
	for _, m := range ms {
		if versionKey(m.SwiftVersion) == versionKey(sv) {
			return m.Filename
		}
	}
	for _, m := range ms {
		if versionKey(m.ToolsVersion) == versionKey(sv) {
			return m.Filename
		}
	}
	return ""
}

// identifiers serves the identifiers of the packages whose releases name
// a repository URL (Registry.md 4.5), compared as SwiftPM compares
// package locations. Only this repository's own packages are searched.
func (h *handler) identifiers(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	target := r.URL.Query().Get("url")
	if strings.TrimSpace(target) == "" {
		writeProblem(w, http.StatusBadRequest, "the url query parameter is required: identifiers?url=https://github.com/mona/LinkedList")
		return
	}
	want := canonicalLocation(target)
	keys, err := h.svc.ListPackageKeys(r.Context(), req.Caller, req.Repo, model.FormatSwift)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids := []string{}
	for _, k := range keys {
		view, err := h.svc.ViewPackage(r.Context(), req.Caller, req.Repo.Package(model.FormatSwift, k.Namespace, k.Name), service.ViewOptions{})
		if errors.Is(err, model.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if packageHasLocation(view, want) {
			ids = append(ids, k.Namespace+"."+k.Name)
		}
	}
	if len(ids) == 0 {
		writeProblem(w, http.StatusNotFound, "no package in this repository names "+target+" among its repositoryURLs")
		return
	}
	slices.Sort(ids)
	body, _ := json.Marshal(map[string][]string{"identifiers": ids})
	writeJSON(w, http.StatusOK, body)
}

// packageHasLocation reports whether a fetchable release of the package
// names the canonical location among its repositoryURLs.
func packageHasLocation(view *service.PackageView, want string) bool {
	for _, v := range view.Versions {
		if !v.Status.Downloadable() {
			continue
		}
		for _, u := range parseReleaseDoc(v.FormatMetadata).repositoryURLs() {
			if canonicalLocation(u) == want {
				return true
			}
		}
	}
	return false
}
