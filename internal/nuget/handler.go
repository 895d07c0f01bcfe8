// Package nuget serves the NuGet V3 protocol at a repository endpoint,
// {public}/nuget/{domain}-{owner}/{repo}/, with the service index at
// v3/index.json as `aws codeartifact login --tool nuget` configures it:
// the flat container (PackageBaseAddress), registration hives
// (RegistrationsBaseUrl under every version alias), search
// (SearchQueryService), push and unlist/relist (PackagePublish).
//
// Statuses show as Decision 8 says: an Unlisted version stays in the
// flat container and downloads, with listed:false in registration and
// absent from search; Archived, Disposed and Deleted versions are absent
// everywhere. `nuget delete` unlists, as on nuget.org.
//
// Reading packages (nupkg.go, nuspec.go, vrange.go) and rendering
// documents (docs.go, search.go) are plain functions, apart from HTTP.
package nuget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Handler serves NuGet.
type Handler struct {
	svc  *service.Service
	log  *slog.Logger
	opts Options
	// docs holds each package's parsed versions ("entries") and the
	// documents rendered from them, by package generation, in the
	// format's document cache.
	docs *doccache.Cache[sized]
	// public is the feed behind public:nuget-org.
	public *publicFeed
}

// pkgEntries is a package's versions as NuGet clients see them.
type pkgEntries struct {
	es    []*entry
	bytes int64
	// gen is the package generation the entries were read at.
	gen int64
}

func (p *pkgEntries) size() int64 { return p.bytes + int64(len(p.es))*256 + 64 }

func newPkgEntries(view *service.PackageView) (*pkgEntries, error) {
	es, err := entries(view)
	if err != nil {
		return nil, err
	}
	p := &pkgEntries{es: es}
	for _, e := range es {
		// The stored document and the strings decoded from it.
		p.bytes += 2 * int64(len(e.v.FormatMetadata))
	}
	return p, nil
}

// find returns the entry of a normalized (lowercase) version.
func (p *pkgEntries) find(versionLower string) *entry {
	for _, e := range p.es {
		if e.lower() == versionLower {
			return e
		}
	}
	return nil
}

// Serve routes one authenticated request.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	rest := req.Rest
	switch {
	case rest == pathIndex:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			b := serviceIndex(req.Base)
			writeDoc(w, r, newRendered(b, etagOf(b)))
		}
	case strings.HasPrefix(rest, pathFlat):
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.flat(w, r, req, strings.TrimPrefix(rest, pathFlat))
		}
	case strings.HasPrefix(rest, pathRegSemVer2):
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.registration(w, r, req, hiveSemVer2, strings.TrimPrefix(rest, pathRegSemVer2))
		}
	case strings.HasPrefix(rest, pathRegistration):
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.registration(w, r, req, hiveSemVer1, strings.TrimPrefix(rest, pathRegistration))
		}
	case rest == pathPublish || rest == pathPublish+"/":
		if allow(w, r, http.MethodPut) {
			h.push(w, r, req)
		}
	case strings.HasPrefix(rest, pathPublish+"/"):
		h.listing(w, r, req, strings.TrimPrefix(rest, pathPublish+"/"))
	case rest == pathSearch:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.search(w, r, req)
		}
	default:
		endpoint.Errorf(w, http.StatusNotFound, "Not found: /"+rest+" is not part of the NuGet V3 API this repository serves; point NuGet at "+req.Base+pathIndex+".")
	}
}

// segments splits an escaped path into unescaped segments.
func segments(escaped string) ([]string, bool) {
	segs := strings.Split(escaped, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || strings.Contains(u, "/") {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// pkgView is a package's versions as this repository shows them, with
// what identifies them for caching.
type pkgView struct {
	ref     service.PackageRef
	idLower string
	pkgID   int64
	gen     int64
	// cacheable is false for a view merged along upstreams, which no
	// single package generation describes.
	cacheable bool
	ents      *pkgEntries
	sources   bool
}

// load reads a package for a read request: its own versions (cached by
// generation) or, where the repository's upstreams or external
// connection may add versions, the versions merged along the chain.
// want is the version (lowercase, normalized) the request names, if any:
// the public feed is asked again at once when its cached registration
// lacks it.
func (h *Handler) load(ctx context.Context, req *endpoint.Request, id, want string) (*pkgView, error) {
	idLower := strings.ToLower(id)
	ref := req.Repo.Package(model.FormatNuGet, "", idLower)
	st, err := h.svc.PackageState(ctx, req.Caller, ref)
	if err != nil {
		return nil, err
	}
	v := &pkgView{ref: ref, idLower: idLower, pkgID: st.PkgID, gen: st.Gen, sources: st.Sources}
	if st.Sources {
		v.ents, err = h.mergedEntries(ctx, req, ref, want)
		return v, err
	}
	ents, err := cachedGet(ctx, h.docs, st.PkgID, "entries", st.Gen, func(ctx context.Context) (*pkgEntries, int64, error) {
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, 0, err
		}
		p, err := newPkgEntries(view)
		if err != nil {
			return nil, 0, err
		}
		p.gen = view.Package.Generation
		return p, p.gen, nil
	})
	if err != nil {
		return nil, err
	}
	v.ents, v.gen, v.cacheable = ents, ents.gen, true
	return v, nil
}

// doc serves a document built from a package view: from the cache when
// the view is the package's own, else built for this request. build
// returns nil when the document does not exist.
func (h *Handler) doc(w http.ResponseWriter, r *http.Request, v *pkgView, name, missing string, build func() []byte) {
	render := func() *rendered {
		if b := build(); b != nil {
			return newRendered(b, etagOf(b))
		}
		return &rendered{}
	}
	var doc *rendered
	if v.cacheable {
		var err error
		doc, err = cachedGet(r.Context(), h.docs, v.pkgID, name, v.gen, func(context.Context) (*rendered, int64, error) {
			return render(), v.gen, nil
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
	} else if b := build(); b == nil {
		doc = &rendered{}
	} else if endpoint.AcceptsGzip(r) {
		doc = newRendered(b, etagOf(b))
	} else {
		// Rendered for this request alone: no gzip copy nobody reads.
		doc = &rendered{plain: b, etag: etagOf(b)}
	}
	if doc.plain == nil {
		endpoint.Errorf(w, http.StatusNotFound, missing)
		return
	}
	writeDoc(w, r, doc)
}

// flat serves the PackageBaseAddress resource: {id}/index.json,
// {id}/{version}/{id}.{version}.nupkg and {id}/{version}/{id}.nuspec.
func (h *Handler) flat(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rest string) {
	segs, ok := segments(rest)
	switch {
	case ok && len(segs) == 2 && segs[1] == "index.json":
		v, err := h.load(r.Context(), req, segs[0], "")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.doc(w, r, v, "flat", fmt.Sprintf("Package %s has no versions in repository %s.", segs[0], req.Repo.Repository), func() []byte {
			if len(v.ents.es) == 0 {
				return nil
			}
			return flatIndex(v.ents.es)
		})
	case ok && len(segs) == 3:
		idLower := strings.ToLower(segs[0])
		version := model.NormalizeVersion(model.FormatNuGet, segs[1])
		file := strings.ToLower(segs[2])
		switch file {
		case assetName(idLower, version):
			h.download(w, r, req, idLower, version)
		case idLower + ".nuspec":
			h.nuspec(w, r, req, idLower, version)
		default:
			endpoint.Errorf(w, http.StatusNotFound, "Not found: "+segs[2]+" is neither "+assetName(idLower, version)+" nor "+idLower+".nuspec.")
		}
	default:
		endpoint.Errorf(w, http.StatusNotFound, "Not found: the flat container serves {id}/index.json, {id}/{version}/{id}.{version}.nupkg and {id}/{version}/{id}.nuspec.")
	}
}

// download serves a nupkg. Published and Unlisted versions download;
// others are 404. A version the repository lacks is looked for along its
// upstreams and retained here, as CodeArtifact does.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, req *endpoint.Request, idLower, version string) {
	ref := req.Repo.Package(model.FormatNuGet, "", idLower)
	name := assetName(idLower, version)
	ac, err := h.svc.OpenAssetThrough(r.Context(), req.Caller, ref, version, name, func(ctx context.Context) error {
		return h.fromUpstream(ctx, req, ref, version, name)
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer ac.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("ETag", `"`+ac.Asset.Hashes.SHA256+`"`)
	// A deleted version may come back with other bytes, so caches
	// revalidate (a 304 by ETag).
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, name, ac.Asset.Created, ac.Body)
}

// nuspec serves a version's manifest as it was pushed.
func (h *Handler) nuspec(w http.ResponseWriter, r *http.Request, req *endpoint.Request, idLower, version string) {
	v, err := h.load(r.Context(), req, idLower, version)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e := v.ents.find(version)
	var b []byte
	if e != nil && e.public {
		// Not fetched yet: the feed's own manifest.
		if b, err = h.public.nuspec(r.Context(), idLower, version); err != nil {
			h.fail(w, r, err)
			return
		}
	} else if e != nil {
		b = []byte(e.doc.Nuspec)
	}
	if len(b) == 0 {
		endpoint.Errorf(w, http.StatusNotFound, fmt.Sprintf("Version %s of %s not found in repository %s.", version, idLower, req.Repo.Repository))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/xml")
	hd.Set("Cache-Control", "private, no-cache")
	tag := etagOf(b)
	hd.Set("ETag", tag)
	if endpoint.ETagMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// registration serves a hive: {id}/index.json, {id}/page/{lower}/{upper}.json
// and {id}/{version}.json.
func (h *Handler) registration(w http.ResponseWriter, r *http.Request, req *endpoint.Request, hv hive, rest string) {
	segs, ok := segments(rest)
	if !ok || len(segs) < 2 {
		endpoint.Errorf(w, http.StatusNotFound, "Not found: a registration hive serves {id}/index.json, {id}/page/{lower}/{upper}.json and {id}/{version}.json.")
		return
	}
	want := ""
	if len(segs) == 2 && segs[1] != "index.json" {
		want = model.NormalizeVersion(model.FormatNuGet, strings.TrimSuffix(segs[1], ".json"))
	}
	v, err := h.load(r.Context(), req, segs[0], want)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := links{base: req.Base, idLower: v.idLower, hive: hv}
	missing := fmt.Sprintf("Package %s has no versions in repository %s.", segs[0], req.Repo.Repository)
	switch {
	case len(segs) == 2 && segs[1] == "index.json":
		h.doc(w, r, v, "reg:"+hv.path, missing, func() []byte {
			es := hv.filter(v.ents.es)
			if len(es) == 0 {
				return nil
			}
			return registrationIndex(l, es)
		})
	case len(segs) == 4 && segs[1] == "page" && strings.HasSuffix(segs[3], ".json"):
		lower, upper := strings.ToLower(segs[2]), strings.ToLower(strings.TrimSuffix(segs[3], ".json"))
		h.doc(w, r, v, "page:"+hv.path+lower+"/"+upper, "No versions of "+segs[0]+" between "+lower+" and "+upper+".", func() []byte {
			return registrationPage(l, hv.filter(v.ents.es), lower, upper)
		})
	case len(segs) == 2 && strings.HasSuffix(segs[1], ".json"):
		version := model.NormalizeVersion(model.FormatNuGet, strings.TrimSuffix(segs[1], ".json"))
		h.doc(w, r, v, "leaf:"+hv.path+version, fmt.Sprintf("Version %s of %s not found.", version, segs[0]), func() []byte {
			e := v.ents.find(version)
			if e == nil || len(hv.filter([]*entry{e})) == 0 {
				return nil
			}
			return registrationLeaf(l, e)
		})
	default:
		endpoint.Errorf(w, http.StatusNotFound, "Not found: a registration hive serves {id}/index.json, {id}/page/{lower}/{upper}.json and {id}/{version}.json.")
	}
}

// search serves SearchQueryService: listed versions only, so Unlisted
// versions never show.
func (h *Handler) search(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	q, err := parseSearch(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	keys, err := h.svc.ListPackageKeys(r.Context(), req.Caller, req.Repo, model.FormatNuGet)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cands := make([]*candidate, 0, len(keys))
	for _, k := range keys {
		if q.packageID != "" && k.Name != q.packageID {
			continue
		}
		v, err := h.load(r.Context(), req, k.Name, "")
		var me *model.Error
		if errors.As(err, &me) && me.Kind == model.KindNotFound {
			continue // deleted meanwhile
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		cands = append(cands, newCandidate(k.Name, v.ents.es))
	}
	b := search(req.Base, q, cands)
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// writeDoc answers a JSON document, gzipped when the client takes it, or
// 304 when the client's copy is current.
func writeDoc(w http.ResponseWriter, r *http.Request, doc *rendered) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Vary", "Accept-Encoding")
	// Documents change with every push and status change; clients may
	// keep them but must revalidate, which costs a 304.
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("ETag", doc.etag)
	if endpoint.ETagMatch(r.Header.Get("If-None-Match"), doc.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := doc.plain
	if endpoint.AcceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = doc.gz
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagOf is a strong validator from the content, the same on every
// replica.
func etagOf(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:16]) + `"`
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

// fail answers err: a failure of the public feed 502 naming the
// connection, a refusal 400 with its message, anything else by the
// endpoint's mapping (internal errors logged, not shown).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUpstreamUnavailable) {
		// A public nupkg the feed served refused on reading is the feed's
		// failure, not the client's.
		endpoint.Error(w, r, h.log, &endpoint.UpstreamError{Connection: nugetConnection, Err: err})
		return
	}
	if isRefusal(err) {
		msg := strings.TrimSuffix(err.Error(), ".")
		endpoint.Errorf(w, http.StatusBadRequest, strings.ToUpper(msg[:1])+msg[1:]+".")
		return
	}
	endpoint.Error(w, r, h.log, err)
}
