// Package npm serves the npm registry protocol at a repository endpoint,
// /npm/DOMAIN-OWNER/REPO/, as CodeArtifact does, plus npm unpublish
// (which CodeArtifact refuses) mapped onto DeletePackageVersions and
// DeletePackage. Every rule (statuses, permissions, re-publish) is the
// service's; this package speaks npm's protocol and renders packuments,
// which it caches per package generation.
package npm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// assetName is the one asset of an npm package version, as CodeArtifact
// names it.
const assetName = "package.tgz"

// abbrevType is the media type of the abbreviated packument.
const abbrevType = "application/vnd.npm.install-v1+json"

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxPublishBytes bounds a publish request (CodeArtifact: 2 GB).
	MaxPublishBytes int64
	// SpoolMemory is how much of a tarball is held in memory before it
	// spills to a temporary file in SpoolDir.
	SpoolMemory int
	SpoolDir    string
	// NpmjsURL is the public registry behind the public:npmjs external
	// connection (default DefaultNpmjsURL).
	NpmjsURL string
}

// Handler serves npm.
type Handler struct {
	svc    *service.Service
	log    *slog.Logger
	opts   Options
	cache  *doccache.Cache[*rendered]
	public *publicRegistry
}

// New builds the handler over env's service, with its document cache and
// the publiccache of public:npmjs.
func New(env format.Env, opts Options) (*Handler, error) {
	if opts.MaxPublishBytes == 0 {
		opts.MaxPublishBytes = 2 << 30
	}
	if opts.SpoolMemory == 0 {
		opts.SpoolMemory = 8 << 20
	}
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	if opts.NpmjsURL == "" {
		opts.NpmjsURL = env.URL(npmjsConnection)
	}
	pc := env.PublicCache(npmjsConnection)
	pc.Source = opts.NpmjsURL
	public, err := newPublicRegistry(opts.NpmjsURL, pc)
	if err != nil {
		return nil, err
	}
	return &Handler{svc: env.Service, log: log, opts: opts, cache: format.NewDocCache(env, (*rendered).size), public: public}, nil
}

// Endpoint is the handler as the format seam serves it.
func (h *Handler) Endpoint() *format.Endpoint {
	return &format.Endpoint{Serve: h.Serve, Lookups: map[string]service.ExternalLookup{npmjsConnection: h.publicHasVersion}}
}

// Serve routes one authenticated request.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	rest := req.Rest
	switch {
	case rest == "-/ping":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	case strings.HasPrefix(rest, "-/package/"):
		h.packageAPI(w, r, req, strings.TrimPrefix(rest, "-/package/"))
	case rest == "" || strings.HasPrefix(rest, "-/"):
		unsupported(w, rest)
	default:
		h.pkg(w, r, req)
	}
}

// pkg serves /NAME[/...]: packuments, tarballs, publish and unpublish.
func (h *Handler) pkg(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	name, tail, err := splitPackagePath(req.Rest)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ref := req.Repo.Package(model.FormatNpm, name.Scope, name.Name)
	switch {
	case tail == "":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.packument(w, r, req, name, ref)
		case http.MethodPut:
			h.put(w, r, req, name, ref, "")
		case http.MethodDelete:
			endpoint.Errorf(w, http.StatusBadRequest, "Deleting a package needs its revision: DELETE "+name.String()+"/-rev/REV (npm unpublish "+name.String()+" --force does this).")
		default:
			allow(w, r, http.MethodGet, http.MethodHead, http.MethodPut)
		}
	case strings.HasPrefix(tail, "-rev/"):
		rev, err := url.PathUnescape(strings.TrimPrefix(tail, "-rev/"))
		if err != nil || rev == "" || strings.Contains(rev, "/") {
			endpoint.Errorf(w, http.StatusBadRequest, "Invalid revision in "+tail+".")
			return
		}
		switch r.Method {
		case http.MethodPut:
			h.put(w, r, req, name, ref, rev)
		case http.MethodDelete:
			h.deletePackage(w, r, req, ref, rev)
		default:
			allow(w, r, http.MethodPut, http.MethodDelete)
		}
	case strings.HasPrefix(tail, "-/"):
		file, revPart, hasRev := strings.Cut(strings.TrimPrefix(tail, "-/"), "/-rev/")
		version, ok := tarballVersion(name, file)
		if !ok {
			endpoint.Errorf(w, http.StatusNotFound, "Not found: "+file+" is not a tarball of "+name.String()+".")
			return
		}
		switch {
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && !hasRev:
			h.tarball(w, r, req, name, ref, version)
		case r.Method == http.MethodDelete:
			h.deleteTarball(w, r, req, ref, version, revPart)
		default:
			allow(w, r, http.MethodGet, http.MethodHead, http.MethodDelete)
		}
	case !strings.Contains(tail, "/"):
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		spec, err := url.PathUnescape(tail)
		if err != nil {
			endpoint.Errorf(w, http.StatusBadRequest, "Invalid version or tag "+tail+".")
			return
		}
		h.versionDoc(w, r, req, name, ref, spec)
	default:
		endpoint.Errorf(w, http.StatusNotFound, "Not found: "+req.Rest)
	}
}

// tarballVersion reads the version from a tarball file name: NAME-V.tgz,
// also with the scope in front as npm's client spells it at publish.
func tarballVersion(name pkgName, file string) (string, bool) {
	f, err := url.PathUnescape(file)
	if err != nil {
		return "", false
	}
	if name.Scope != "" {
		f = strings.TrimPrefix(f, "@"+name.Scope+"/")
	}
	v, ok := strings.CutPrefix(f, name.Name+"-")
	if !ok {
		return "", false
	}
	v, ok = strings.CutSuffix(v, ".tgz")
	if !ok || !semver.Valid(v) {
		return "", false
	}
	return v, true
}

// wantsAbbrev reports whether the client asked for the abbreviated
// document. npm's install asks for it (falling back to JSON); write
// operations read the full one with ?write=true.
func wantsAbbrev(r *http.Request) bool {
	if r.URL.Query().Get("write") == "true" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), abbrevType)
}

// etag identifies a rendered packument: package, generation and
// representation (weak, as the gzip and plain encodings share it).
func etag(pkgID, gen int64, kind docKind) string {
	return fmt.Sprintf(`W/"npm1-%d-%d-%d"`, pkgID, gen, kind)
}

func (h *Handler) packument(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef) {
	kind := fullDoc
	if wantsAbbrev(r) {
		kind = abbrevDoc
	}
	st, err := h.svc.PackageState(r.Context(), req.Caller, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if st.Sources {
		h.resolvedPackument(w, r, req, name, ref, kind)
		return
	}
	pkgID, gen := st.PkgID, st.Gen
	hdr := w.Header()
	hdr.Set("Vary", "Accept, Accept-Encoding")
	// Always revalidate: a status change must hide a version at once,
	// and revalidation is a cheap 304.
	hdr.Set("Cache-Control", "no-cache")
	if kind == abbrevDoc {
		hdr.Set("Content-Type", abbrevType)
	} else {
		hdr.Set("Content-Type", "application/json")
	}
	tag := etag(pkgID, gen, kind)
	if endpoint.ETagMatch(r.Header.Get("If-None-Match"), tag) {
		hdr.Set("ETag", tag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	doc, err := h.cache.Get(r.Context(), pkgID, kindKey[kind], gen, func(ctx context.Context) (*rendered, int64, error) {
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, 0, err
		}
		body, err := render(view, name, req.Base, kind)
		if err != nil {
			return nil, 0, err
		}
		return newRendered(view.Package.Generation, body), view.Package.Generation, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hdr.Set("ETag", etag(pkgID, doc.gen, kind))
	body := doc.plain
	if endpoint.AcceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		body = doc.gz
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (h *Handler) tarball(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, version string) {
	ac, err := h.svc.OpenAsset(r.Context(), req.Caller, ref, version, assetName)
	if errors.Is(err, model.ErrNotFound) {
		// Not here: the repository's upstreams or external connection
		// may have it, unless the package blocks upstream versions.
		if st, serr := h.svc.PackageState(r.Context(), req.Caller, ref); serr == nil && st.Sources {
			h.tarballFromUpstream(w, r, req, name, ref, version)
			return
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sendTarball(w, r, ac)
}

// serveTarball serves a tarball the repository holds.
func (h *Handler) serveTarball(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef, version string) {
	ac, err := h.svc.OpenAsset(r.Context(), req.Caller, ref, version, assetName)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sendTarball(w, r, ac)
}

func (h *Handler) sendTarball(w http.ResponseWriter, r *http.Request, ac *service.AssetContent) {
	defer ac.Body.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+ac.Asset.Hashes.SHA256+`"`)
	http.ServeContent(w, r, "", ac.Asset.Created, ac.Body)
}

// versionDoc serves /NAME/VERSION and /NAME/TAG: one listed version's
// manifest.
func (h *Handler) versionDoc(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, spec string) {
	st, err := h.svc.PackageState(r.Context(), req.Caller, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var view *service.PackageView
	if st.Sources {
		// The same merged view the packument shows.
		view, err = h.resolveView(r.Context(), req, name, ref)
	} else {
		view, err = h.svc.ViewPackage(r.Context(), req.Caller, ref, service.ViewOptions{})
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	listed := listedVersions(view)
	if v, ok := effectiveTags(view.State, listed)[spec]; ok {
		spec = v
	}
	for _, v := range listed {
		if v.Version == spec {
			doc, err := versionJSON(v.FormatMetadata, name, v.Version, req.Base, fullDoc)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write(doc)
			return
		}
	}
	endpoint.Errorf(w, http.StatusNotFound, fmt.Sprintf("Version or tag %q of %s not found.", spec, name))
}

// put handles PUT /NAME (publish, deprecate) and PUT /NAME/-rev/REV
// (npm unpublish of single versions).
func (h *Handler) put(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, rev string) {
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		endpoint.Errorf(w, http.StatusUnsupportedMediaType, "Content-Encoding "+ce+" is not supported for publishing.")
		return
	}
	if r.ContentLength > h.opts.MaxPublishBytes {
		h.fail(w, r, tooLarge(h.opts.MaxPublishBytes))
		return
	}
	sp := newSpool(h.opts.SpoolDir, h.opts.SpoolMemory)
	defer sp.Close()
	body := &limitBody{r: r.Body, remaining: h.opts.MaxPublishBytes, limit: h.opts.MaxPublishBytes}
	p, err := readPut(body, sp)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(p.doc.Attachments) == 0 {
		h.update(w, r, req, name, ref, rev, p)
		return
	}
	if rev != "" {
		endpoint.Errorf(w, http.StatusBadRequest, "Publish with PUT /"+name.String()+", not to a revision.")
		return
	}
	pub, err := p.publication(name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tgz, err := sp.Reader()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: ref, Version: pub.Version, Metadata: pub.Metadata, State: pub.DistTags,
		Assets: []service.Upload{{Name: assetName, Body: tgz, SHA256: p.sha256}},
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "id": name.String(), "version": pub.Version})
}

func tooLarge(limit int64) error {
	return model.QuotaExceeded(model.ResourcePackageVersion, "", "The request body is larger than the %d bytes an npm publish may send.", limit)
}

// update applies a PUT packument without attachments. npm deprecate PUTs
// the packument it read with "deprecated" set on versions; npm unpublish
// of one version PUTs it to /-rev/REV without that version. Only those
// two changes are made; other edits (dist-tags, descriptions) are not
// npm's to make this way and are ignored.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name pkgName, ref service.PackageRef, rev string, p *putRequest) {
	deps, err := p.deprecations(name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	view, err := h.svc.ViewPackage(r.Context(), req.Caller, ref, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rev != "" && rev != revision(view.Package) {
		endpoint.Errorf(w, http.StatusConflict, "Document update conflict: revision "+rev+" of "+name.String()+" is not current; fetch the package again.")
		return
	}
	known := map[string]*model.Version{}
	for _, v := range view.Versions {
		known[v.Version] = v
	}
	for v := range deps {
		if known[v] == nil {
			endpoint.Errorf(w, http.StatusBadRequest, fmt.Sprintf("Version %s of %s does not exist; new versions are published with npm publish.", v, name))
			return
		}
	}
	// Only a PUT to the current revision removes versions, so a stale or
	// partial document can never delete what its sender did not see.
	var removed []string
	if rev != "" {
		for _, v := range listedVersions(view) {
			if _, ok := deps[v.Version]; !ok {
				removed = append(removed, v.Version)
			}
		}
	}
	if len(removed) > 0 && len(deps) == 0 {
		endpoint.Errorf(w, http.StatusBadRequest, "A document without versions would remove every version of "+name.String()+"; unpublish the package instead (npm unpublish "+name.String()+" --force).")
		return
	}
	changed := false
	for v, msg := range deps {
		if _, ch, err := setDeprecated(known[v].FormatMetadata, msg); err == nil && ch {
			changed = true
		}
	}
	if len(removed) > 0 {
		if err := h.deleteVersions(r.Context(), req.Caller, ref, removed); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if changed {
		err := h.svc.UpdateFormatMetadata(r.Context(), req.Caller, ref, func(version string, doc []byte) ([]byte, error) {
			msg, ok := deps[version]
			if !ok {
				return doc, nil
			}
			out, _, err := setDeprecated(doc, msg)
			if err != nil {
				// A version without an npm manifest has nothing to mark.
				return doc, nil
			}
			return out, nil
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": name.String()})
}

// deleteVersions deletes versions with the API's rules, turning a
// per-version failure into the request's error.
func (h *Handler) deleteVersions(ctx context.Context, c service.Caller, ref service.PackageRef, versions []string) error {
	out, err := h.svc.DeletePackageVersions(ctx, c, service.DeletePackageVersionsInput{PackageRef: ref, Versions: versions})
	if err != nil {
		return err
	}
	if len(out.FailedVersions) == 0 {
		return nil
	}
	vs := make([]string, 0, len(out.FailedVersions))
	for v := range out.FailedVersions {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	for _, v := range vs {
		if f := out.FailedVersions[v]; f.ErrorCode != model.CodeSkipped {
			msg := fmt.Sprintf("Version %s was not deleted (%s): %s", v, f.ErrorCode, f.ErrorMessage)
			if f.ErrorCode == model.CodeNotFound {
				return model.NotFound(model.ResourcePackageVersion, v, "%s", msg)
			}
			return model.Conflict(model.ResourcePackageVersion, v, "%s", msg)
		}
	}
	return model.Conflict(model.ResourcePackageVersion, vs[0], "No version was deleted.")
}

// deletePackage is npm unpublish of a whole package: DELETE /NAME/-rev/REV.
func (h *Handler) deletePackage(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef, rev string) {
	if err := h.checkRev(r, req, ref, rev); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.DeletePackage(r.Context(), req.Caller, ref); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// deleteTarball is the last step of npm unpublish of one version. The
// PUT before it has normally deleted the version already; then the
// answer is 404, which npm takes as done.
func (h *Handler) deleteTarball(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef, version, rev string) {
	if rev != "" {
		if err := h.checkRev(r, req, ref, rev); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.deleteVersions(r.Context(), req.Caller, ref, []string{version}); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// checkRev requires rev to name the package's current state.
func (h *Handler) checkRev(r *http.Request, req *endpoint.Request, ref service.PackageRef, rev string) error {
	pkgID, gen, err := h.svc.PackageGeneration(r.Context(), req.Caller, ref)
	if err != nil {
		return err
	}
	if cur := revision(&model.Package{ID: pkgID, Generation: gen}); rev != cur {
		return model.Conflict(model.ResourcePackage, ref.Package, "Document update conflict: revision %s is not current (%s); fetch the package again.", rev, cur)
	}
	return nil
}

// packageAPI serves /-/package/NAME/dist-tags[/TAG]; the other
// /-/package/ endpoints (access, collaborators) are npmjs features.
func (h *Handler) packageAPI(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rest string) {
	name, tail, err := splitPackagePath(rest)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ref := req.Repo.Package(model.FormatNpm, name.Scope, name.Name)
	switch {
	case tail == "dist-tags":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		view, err := h.svc.ViewPackage(r.Context(), req.Caller, ref, service.ViewOptions{})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, http.StatusOK, effectiveTags(view.State, listedVersions(view)))
	case strings.HasPrefix(tail, "dist-tags/"):
		tag, err := url.PathUnescape(strings.TrimPrefix(tail, "dist-tags/"))
		if err != nil {
			endpoint.Errorf(w, http.StatusBadRequest, "Invalid dist-tag in "+tail+".")
			return
		}
		switch r.Method {
		case http.MethodPut:
			h.setTag(w, r, req, ref, name, tag)
		case http.MethodDelete:
			if tag == "latest" {
				endpoint.Errorf(w, http.StatusBadRequest, "The latest tag cannot be removed; point it at another version with npm dist-tag add.")
				return
			}
			if err := removeDistTag(r.Context(), h.svc, req.Caller, ref, tag); err != nil {
				h.fail(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		default:
			allow(w, r, http.MethodPut, http.MethodDelete)
		}
	default:
		unsupported(w, "-/package/"+tail)
	}
}

// setTag is npm dist-tag add: PUT with the version as a JSON string.
func (h *Handler) setTag(w http.ResponseWriter, r *http.Request, req *endpoint.Request, ref service.PackageRef, name pkgName, tag string) {
	if err := checkTag(tag); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	var version string
	if err != nil || json.Unmarshal(b, &version) != nil {
		endpoint.Errorf(w, http.StatusBadRequest, "The body of a dist-tag PUT is the version as a JSON string, e.g. \"1.0.0\".")
		return
	}
	if !semver.Valid(version) {
		endpoint.Errorf(w, http.StatusBadRequest, fmt.Sprintf("%q is not a valid version.", version))
		return
	}
	if err := addDistTag(r.Context(), h.svc, req.Caller, ref, tag, version); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "id": name.String(), tag: version})
}

// unsupportedFeatures explains the npmjs features this registry, like
// CodeArtifact, does not have.
var unsupportedFeatures = []struct{ prefix, msg string }{
	{"-/v1/search", "npm search is not supported by this registry; list packages with aws codeartifact list-packages."},
	{"-/whoami", "npm whoami is not supported by this registry; use aws sts get-caller-identity."},
	{"-/user/token/", "npm logout is not supported by this registry; tokens from aws codeartifact get-authorization-token expire on their own."},
	{"-/user/", "npm login and adduser are not supported by this registry; get a token with aws codeartifact login --tool npm."},
	{"-/v1/login", "npm login is not supported by this registry; get a token with aws codeartifact login --tool npm."},
	{"-/npm/v1/security/", "npm audit is not supported by this registry."},
	{"-/npm/v1/tokens", "npm token is not supported by this registry; tokens come from aws codeartifact get-authorization-token."},
	{"-/npm/v1/user", "npm profile is not supported by this registry."},
	{"-/org/", "npm org and team are not supported by this registry."},
	{"-/team/", "npm team is not supported by this registry."},
	{"-/npm/v1/hooks", "npm hook is not supported by this registry."},
	{"-/stage/", "Staged publishing is not supported by this registry."},
	{"-/package/", "npm access and owner are not supported by this registry; use repository and domain permissions policies."},
}

func unsupported(w http.ResponseWriter, rest string) {
	for _, f := range unsupportedFeatures {
		if strings.HasPrefix(rest, f.prefix) {
			endpoint.Errorf(w, http.StatusNotFound, f.msg)
			return
		}
	}
	endpoint.Errorf(w, http.StatusNotFound, "Not found: /"+rest+" is not part of the npm registry API this repository serves.")
}

// allow answers 405 unless the method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	endpoint.Errorf(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	return false
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	endpoint.Error(w, r, h.log, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
