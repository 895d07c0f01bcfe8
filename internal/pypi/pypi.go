// Package pypi serves the PyPI repository endpoint,
// {public}/pypi/{domain}-{owner}/{repo}/, as pip and twine use
// CodeArtifact's: the simple repository API under simple/ (PEP 503 HTML
// and PEP 691 JSON), files under files/NAME/VERSION/FILENAME, and the
// legacy upload API (a multipart POST to the endpoint itself).
//
// Parsing (form.go, names.go) and rendering (simple.go) are kept apart
// from HTTP so they can be tested as plain functions.
package pypi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

type handler struct {
	svc    *service.Service
	log    *slog.Logger
	pages  *doccache.Cache[*page]
	public *publicRegistry
}

// Format declares PyPI to the format seam. pip and twine authenticate
// with Basic auth (user "aws", the token as password).
var Format = format.Format{
	Name:   model.FormatPyPI,
	Scheme: endpoint.Basic,
	// The index behind public:pypi (public.go, upstream.go).
	Connections: []format.Connection{{
		Name: pypiConnection, DefaultURL: "https://pypi.org", Flag: "pypi-url", Env: "WHARF_PYPI_URL",
		Usage: "public Python Package Index behind the public:pypi external connection",
	}},
	// Rendered project pages, HTML and JSON.
	CacheBytes: 64 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		public, err := newPublicRegistry(env.URL(pypiConnection), env.PublicCache(pypiConnection))
		if err != nil {
			return nil, err
		}
		h := &handler{svc: env.Service, log: env.Log, pages: format.NewDocCache(env, (*page).size), public: public}
		return &format.Endpoint{Serve: h.serve, Lookups: map[string]service.ExternalLookup{pypiConnection: public.hasVersion}}, nil
	},
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	rest := req.Rest
	if rest == "" {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			endpoint.Errorf(w, http.StatusMethodNotAllowed, "The endpoint itself accepts uploads (POST); pip reads simple/.")
			return
		}
		h.upload(w, r, req)
		return
	}
	if !readMethod(w, r) {
		return
	}
	switch {
	case rest == "simple":
		redirect(w, "simple/")
	case rest == "simple/":
		h.index(w, r, req)
	case strings.HasPrefix(rest, "simple/"):
		h.project(w, r, req, strings.TrimPrefix(rest, "simple/"))
	case strings.HasPrefix(rest, "files/"):
		h.file(w, r, req, strings.TrimPrefix(rest, "files/"))
	default:
		http.NotFound(w, r)
	}
}

func readMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	endpoint.Errorf(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	return false
}

// redirect answers 301 with a relative location, which stays right behind
// proxies that change the host or add a path prefix.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusMovedPermanently)
}

// index serves the root page listing the repository's projects. It is
// small and rarely read (pip never does), so it is rendered each time.
func (h *handler) index(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	keys, err := h.svc.ListPackageKeys(r.Context(), req.Caller, req.Repo, model.FormatPyPI)
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	names := projectNames(keys)
	ct := negotiate(r.Header.Get("Accept"))
	var body []byte
	if ct == typeJSON {
		body = renderIndexJSON(names)
	} else {
		body = renderIndexHTML(names)
	}
	writePage(w, r, ct, body, etag(body))
}

// project serves a project page from the cache, checked against the
// package's current generation on every request.
func (h *handler) project(w http.ResponseWriter, r *http.Request, req *endpoint.Request, escaped string) {
	raw, slash := strings.CutSuffix(escaped, "/")
	name, err := url.PathUnescape(raw)
	if err != nil || name == "" || strings.Contains(name, "/") || !validName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	// PEP 503: the normalized URL is canonical; send others there, as PyPI
	// does. A relative location keeps the client's host and credentials.
	norm := normalize(name)
	switch {
	case norm != name && slash:
		redirect(w, "../"+norm+"/")
		return
	case !slash:
		redirect(w, norm+"/")
		return
	}
	ref := req.Repo.Package(model.FormatPyPI, "", norm)
	st, err := h.svc.PackageState(r.Context(), req.Caller, ref)
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	if st.Sources {
		h.resolvedProject(w, r, req, ref)
		return
	}
	pg, err := h.pages.Get(r.Context(), st.PkgID, "", st.Gen, func(ctx context.Context) (*page, int64, error) {
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
		if err != nil {
			return nil, 0, err
		}
		p, err := buildProject(view)
		if err != nil {
			return nil, 0, err
		}
		return newPage(view.Package.Generation, p), view.Package.Generation, nil
	})
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	ct := negotiate(r.Header.Get("Accept"))
	if ct == typeJSON {
		writePage(w, r, ct, pg.json, pg.jsonETag)
	} else {
		writePage(w, r, ct, pg.html, pg.htmlETag)
	}
}

// writePage answers a simple-API page, or 304 when the client's copy is
// current.
func writePage(w http.ResponseWriter, r *http.Request, ct string, body []byte, tag string) {
	hd := w.Header()
	if ct == typeTextHTML {
		ct += "; charset=utf-8"
	}
	hd.Set("Content-Type", ct)
	hd.Set("Vary", "Accept")
	hd.Set("ETag", tag)
	// Pages change with every upload; clients may keep them but must
	// revalidate, which costs a 304.
	hd.Set("Cache-Control", "private, no-cache")
	if endpoint.ETagMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// file serves files/NAME/VERSION/FILENAME. Published and Unlisted files
// download; anything else is 404.
func (h *handler) file(w http.ResponseWriter, r *http.Request, req *endpoint.Request, escaped string) {
	segs := strings.Split(escaped, "/")
	if len(segs) != 3 {
		http.NotFound(w, r)
		return
	}
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			http.NotFound(w, r)
			return
		}
		segs[i] = u
	}
	ref := req.Repo.Package(model.FormatPyPI, "", segs[0])
	// Not here: the repository's upstreams may have it (retained here on
	// the way), unless the package blocks upstream versions.
	a, err := h.svc.OpenAssetThrough(r.Context(), req.Caller, ref, segs[1], segs[2], func(ctx context.Context) error {
		return h.fileFromUpstream(ctx, req, ref, segs[1], segs[2])
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer a.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("ETag", `"`+a.Asset.Hashes.SHA256+`"`)
	// The same name may come back with other bytes after a delete, so
	// caches revalidate (a 304 by ETag).
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, segs[2], a.Asset.Created, a.Body)
}

// upload handles the legacy upload API: fields first, then the file,
// streamed into Publish without being held in memory and inspected on
// the way (see newInspector): a refusal fails the stream before Publish
// commits, so a refused file leaves no package, version or blob.
func (h *handler) upload(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		endpoint.Errorf(w, http.StatusBadRequest, "An upload must be a multipart/form-data POST: "+err.Error())
		return
	}
	form, part, err := readForm(mr)
	if err != nil {
		formErr(w, err)
		return
	}
	up, err := form.check(part != nil)
	if err != nil {
		formErr(w, err)
		return
	}
	ref := req.Repo.Package(model.FormatPyPI, "", up.name)
	meta, err := h.releaseMetadata(r.Context(), req, ref, up)
	if err != nil {
		endpoint.Error(w, r, h.log, err)
		return
	}
	insp := newInspector(up, os.TempDir())
	defer insp.Close()
	body := newContentReader(part, mr, up, insp)
	_, err = h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: ref, Version: up.version, AddToPublished: true, Metadata: meta,
		Assets: []service.Upload{{Name: up.filename, Body: body, SHA256: up.sha256}},
	})
	switch {
	case body.err != nil:
		formErr(w, body.err)
	case err != nil:
		endpoint.Error(w, r, h.log, err)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("OK\n"))
	}
}

// releaseMetadata returns the metadata to record with an upload. As on
// PyPI, a release's metadata comes from its first file: later files (the
// wheels after the sdist) only add themselves, so re-uploading a file
// changes nothing, its revision included.
func (h *handler) releaseMetadata(ctx context.Context, req *endpoint.Request, ref service.PackageRef, up *upload) (*service.VersionMetadata, error) {
	_, err := h.svc.ViewVersion(ctx, req.Caller, ref, up.version, service.ViewOptions{})
	var me *model.Error
	if errors.As(err, &me) && (me.Kind == model.KindNotFound || me.Kind == model.KindAccessDenied) {
		// A new release (or one Publish will refuse), or a publisher that
		// may not read: Publish decides.
		return up.meta, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func formErr(w http.ResponseWriter, err error) {
	var fe *formError
	if errors.As(err, &fe) {
		endpoint.Errorf(w, fe.status, fe.msg)
		return
	}
	endpoint.Errorf(w, http.StatusBadRequest, err.Error())
}
