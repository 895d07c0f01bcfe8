// Package cargo serves Cargo's sparse registry protocol (cargo 1.74+) at
// a repository endpoint, {public}/cargo/{domain}-{owner}/{repo}/, as
// CodeArtifact does: config.json (with auth-required, so cargo sends its
// token everywhere), the index files at their path scheme with ETags,
// and the web API's publish, yank, unyank and download.
//
// Every rule (statuses, permissions, re-publish, name collisions) is the
// service's; this package speaks cargo's protocol. Parsing the publish
// body (publish.go) and checking the .crate (crate.go) are plain
// functions apart from HTTP; index files (index.go) are rendered from
// each version's stored index entry and cached per package generation
// in the format's document cache (format.go, cache.go).
package cargo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxCrateBytes bounds a published .crate (default 512 MiB, what a
	// crate may unpack to at most).
	MaxCrateBytes int64
}

// handler serves one Wharf's Cargo endpoints.
type handler struct {
	svc   *service.Service
	log   *slog.Logger
	opts  Options
	cache *doccache.Cache[*indexDoc]
	// public reads the sparse index behind public:crates-io.
	public *publicRegistry
	// renders counts index renders, for tests that a warm GET has none.
	renders func()
}

// newHandler builds the handler of a format being installed, its index
// files in the format's document cache and the public registry's in the
// publiccache of public:crates-io.
func newHandler(env format.Env, opts Options) (*handler, error) {
	if opts.MaxCrateBytes == 0 {
		opts.MaxCrateBytes = crateLimits.MaxUnpacked
	}
	public, err := newPublicRegistry(env.URL(cratesIOConnection), env.PublicCache(cratesIOConnection))
	if err != nil {
		return nil, err
	}
	return &handler{svc: env.Service, log: env.Log, opts: opts, cache: format.NewDocCache(env, (*indexDoc).size), public: public, renders: func() {}}, nil
}

// endpoint is the handler as the format seam serves it, with the lookup
// that refuses publishing a version crates.io serves.
func (h *handler) endpoint() *format.Endpoint {
	return &format.Endpoint{Serve: h.serve, Lookups: map[string]service.ExternalLookup{cratesIOConnection: h.public.hasVersion}}
}

// serve routes one authenticated request.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	rest := req.Rest
	switch {
	case rest == "config.json":
		if h.allow(w, r, http.MethodGet, http.MethodHead) {
			h.config(w, r, req)
		}
	case rest == "api/v1/crates/new":
		if h.allow(w, r, http.MethodPut) {
			h.publish(w, r, req)
		}
	case strings.HasPrefix(rest, "api/"):
		h.api(w, r, req, strings.TrimPrefix(rest, "api/"))
	case rest == "me":
		endpoint.CargoBody(w, http.StatusNotFound, "There is no login page: cargo's credential-provider gets a token with aws codeartifact get-authorization-token.")
	default:
		name, ok := parseIndexPath(rest)
		if !ok {
			endpoint.CargoBody(w, http.StatusNotFound, "Not found: /"+rest+" is not part of the Cargo registry this repository serves.")
			return
		}
		if h.allow(w, r, http.MethodGet, http.MethodHead) {
			h.index(w, r, req, name)
		}
	}
}

// config serves config.json. Downloads and the API live under the
// endpoint itself: {dl}/{crate}/{version}/download and {api}/api/v1/....
func (h *handler) config(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	body, err := encodeJSON(map[string]any{
		"dl": req.Base + "api/v1/crates", "api": strings.TrimSuffix(req.Base, "/"), "auth-required": true,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeBody(w, r, http.StatusOK, "application/json", body)
}

// etag names a rendered index file by package and generation, which
// changes with every publish and status change; weak, as the gzip and
// plain encodings share it.
func etag(pkgID, gen int64) string { return fmt.Sprintf(`W/"cargo1-%d-%d"`, pkgID, gen) }

// index serves a crate's index file. A warm request reads the package's
// state (the lookup an npm packument costs) and answers 304 or the
// cached file; a repository with upstreams merges what its chain holds.
func (h *handler) index(w http.ResponseWriter, r *http.Request, req *endpoint.Request, name string) {
	ref := req.Repo.Package(model.FormatCargo, "", name)
	st, err := h.svc.PackageState(r.Context(), req.Caller, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if st.Sources {
		h.resolvedIndex(w, r, req, ref)
		return
	}
	pkgID, gen := st.PkgID, st.Gen
	hdr := w.Header()
	// Cargo revalidates every file it uses; a status change must show at
	// once, and revalidation is a cheap 304.
	hdr.Set("Cache-Control", "private, no-cache")
	hdr.Set("Vary", "Accept-Encoding")
	if tag := etag(pkgID, gen); endpoint.ETagMatch(r.Header.Get("If-None-Match"), tag) {
		hdr.Set("ETag", tag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	doc, err := h.cache.Get(r.Context(), pkgID, "", gen, func(ctx context.Context) (*indexDoc, int64, error) {
		h.renders()
		// Shared by concurrent requests: the cache does not cancel ctx
		// when one client goes away.
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, 0, err
		}
		body, err := renderIndex(view)
		if err != nil {
			return nil, 0, err
		}
		return newIndexDoc(view.Package.Generation, body), view.Package.Generation, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(doc.plain) == 0 {
		endpoint.CargoBody(w, http.StatusNotFound, fmt.Sprintf("Crate %s has no version that can be installed from repository %s.", name, req.Repo.Repository))
		return
	}
	hdr.Set("ETag", etag(pkgID, doc.gen))
	body := doc.plain
	if endpoint.AcceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		body = doc.gz
	}
	writeBody(w, r, http.StatusOK, "text/plain; charset=utf-8", body)
}

// api serves the web API under api/ other than publish.
func (h *handler) api(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rest string) {
	segs := strings.Split(rest, "/")
	switch {
	case rest == "v1/crates":
		endpoint.CargoBody(w, http.StatusNotFound, "cargo search is not supported by this registry, as in CodeArtifact; list crates with aws codeartifact list-packages --format cargo.")
	case len(segs) == 4 && segs[0] == "v1" && segs[1] == "crates" && segs[3] == "owners":
		endpoint.CargoBody(w, http.StatusNotFound, "cargo owner is not supported by this registry, as in CodeArtifact; control access with repository and domain permissions policies.")
	case len(segs) == 5 && segs[0] == "v1" && segs[1] == "crates":
		crate, version, ok := crateVersion(segs[2], segs[3])
		if !ok {
			endpoint.CargoBody(w, http.StatusNotFound, "Not found: no crate "+segs[2]+" version "+segs[3]+".")
			return
		}
		switch segs[4] {
		case "download":
			if h.allow(w, r, http.MethodGet, http.MethodHead) {
				h.download(w, r, req, crate, version)
			}
		case "yank":
			if h.allow(w, r, http.MethodDelete) {
				h.setYanked(w, r, req, crate, version, true)
			}
		case "unyank":
			if h.allow(w, r, http.MethodPut) {
				h.setYanked(w, r, req, crate, version, false)
			}
		default:
			endpoint.CargoBody(w, http.StatusNotFound, "Not found: /api/"+rest+" is not part of the Cargo registry API this repository serves.")
		}
	default:
		endpoint.CargoBody(w, http.StatusNotFound, "Not found: /api/"+rest+" is not part of the Cargo registry API this repository serves.")
	}
}

// crateVersion reads the crate and version segments of an API path.
func crateVersion(c, v string) (string, string, bool) {
	version, err := url.PathUnescape(v)
	if err != nil || model.CheckCrateName(c) != nil {
		return "", "", false
	}
	if _, ok := semver.Parse(version); !ok {
		return "", "", false
	}
	return c, version, true
}

// assetName is a crate version's one asset, named for the crate as it is
// stored (lowercase), so a download finds it however cargo spells the
// crate.
func assetName(crate, version string) string {
	return model.NormalizeName(model.FormatCargo, crate) + "-" + version + ".crate"
}

// download serves a .crate. Published and Unlisted (yanked) versions
// download; anything else is 404. A version only an upstream holds is
// retained in the repository asked on the way.
func (h *handler) download(w http.ResponseWriter, r *http.Request, req *endpoint.Request, crate, version string) {
	ref := req.Repo.Package(model.FormatCargo, "", crate)
	asset := assetName(crate, version)
	ac, err := h.svc.OpenAssetThrough(r.Context(), req.Caller, ref, version, asset, func(ctx context.Context) error {
		return h.crateFromUpstream(ctx, req, ref, version, asset)
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer ac.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/gzip")
	hd.Set("ETag", `"`+ac.Asset.Hashes.SHA256+`"`)
	// The same version may come back with other bytes after a delete.
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", ac.Asset.Created, ac.Body)
}

// publish handles PUT api/v1/crates/new: the metadata is checked first,
// then the .crate streams into the store through checkCrate, which fails
// the stream (so nothing is stored) unless the crate is sound and agrees
// with the metadata. The index shows the version as soon as Publish
// returns, before this answer, so cargo's polling finds it at once.
func (h *handler) publish(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		endpoint.CargoBody(w, http.StatusUnsupportedMediaType, "Content-Encoding "+ce+" is not supported for publishing.")
		return
	}
	meta, crate, err := readPublish(r.Body, h.opts.MaxCrateBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	md := meta.metadata()
	self := "sparse+" + req.Base
	insp := archive.NewStreamInspector(func(rd io.Reader) error {
		facts, err := checkCrate(rd, meta.Name, meta.Vers, deref(meta.ReadmeFile), md.Readme == "")
		if err != nil {
			return err
		}
		line, err := marshalEntry(meta.entry(facts.cksum, self))
		if err != nil {
			return err
		}
		// Publish reads the metadata only once the bytes are in.
		md.FormatMetadata = line
		if md.Readme == "" {
			md.Readme = facts.readme
		}
		return nil
	})
	body := archive.NewCheckedReader(crate, insp)
	defer body.Close()
	_, err = h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: req.Repo.Package(model.FormatCargo, "", meta.Name), Version: meta.Vers, Metadata: md,
		Assets: []service.Upload{{Name: assetName(meta.Name, meta.Vers), Body: body}},
	})
	switch {
	case crate.Err() != nil:
		h.fail(w, r, crate.Err())
	case body.Err() != nil:
		h.fail(w, r, refusal(body.Err()))
	case err != nil:
		h.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"warnings": map[string][]string{"invalid_categories": {}, "invalid_badges": {}, "other": {}}})
	}
}

// setYanked is cargo yank (yank) and cargo yank --undo: Published to
// Unlisted and back, through UpdatePackageVersionsStatus with the
// expected status, so a version archived meanwhile is never revived.
// Yanking a yanked version (or unyanking a listed one) changes nothing
// and succeeds, as on crates.io.
func (h *handler) setYanked(w http.ResponseWriter, r *http.Request, req *endpoint.Request, crate, version string, yank bool) {
	ref := req.Repo.Package(model.FormatCargo, "", crate)
	vv, err := h.svc.ViewVersion(r.Context(), req.Caller, ref, version, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	from, to := model.StatusPublished, model.StatusUnlisted
	if !yank {
		from, to = to, from
	}
	if vv.Version.Status != to {
		out, err := h.svc.UpdatePackageVersionsStatus(r.Context(), req.Caller, service.UpdatePackageVersionsStatusInput{
			PackageRef: ref, Versions: []string{version}, ExpectedStatus: from, TargetStatus: to,
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if f, failed := out.FailedVersions[version]; failed {
			h.fail(w, r, model.Conflict(model.ResourcePackageVersion, version, "Version %s of %s was not changed (%s): %s", version, crate, f.ErrorCode, f.ErrorMessage))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// allow answers 405 unless the method is one of methods.
func (h *handler) allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	endpoint.CargoBody(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	return false
}

// fail answers err in cargo's error shape; a failure to read the public
// registry (nothing cached to serve instead) is a 502.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, publiccache.ErrUnavailable) {
		err = &endpoint.UpstreamError{Connection: cratesIOConnection, Err: err}
	}
	endpoint.ErrorBody(w, r, h.log, err, endpoint.CargoBody)
}

// encodeJSON encodes without escaping <, > and &, which URLs and version
// requirements hold.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return b.Bytes(), nil
}

// writeJSON answers with v, which is only ever maps of strings, bools and
// string slices: encoding them cannot fail.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := encodeJSON(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeBody answers a GET or HEAD with a complete body.
func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
