// Package ruby serves the RubyGems repository endpoint,
// {public}/ruby/{domain}-{owner}/{repo}/, as `gem` and Bundler use
// CodeArtifact's: gem push (POST api/v1/gems), the compact index's
// info/NAME files (gem install up to RubyGems 3.5.18), the dependency API
// (api/v1/dependencies, Marshal; Bundler), quick/Marshal.4.8 gemspecs and
// gems/ downloads. What CodeArtifact does not serve (the /versions file,
// specs.4.8.gz and the other full indexes, gem yank, owners, search)
// answers 404, which sends Bundler to the dependency API.
//
// Reading uploads (gem.go, spec.go) and writing documents (index.go,
// quick.go, marshal.go) are plain functions apart from HTTP.
package ruby

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Options tune the handler; zero values take the defaults.
type Options struct {
	// MaxGemBytes bounds one pushed .gem (CodeArtifact's asset limit,
	// 5 GB).
	MaxGemBytes int64
	// SpoolDir holds pushed gems while they are checked.
	SpoolDir string
}

// maxDependencyGems is how many gems one dependency API call may name,
// as on rubygems.org (Bundler asks for at most 50 at a time).
const maxDependencyGems = 200

// maxParallelReads bounds the gems of one dependency API call read at
// the same time.
const maxParallelReads = 8

// maxNameSplits bounds the names tried when a file name is split into
// gem name and version: "a-b-1.0.gem" may be gem a-b or gem a.
const maxNameSplits = 8

type handler struct {
	svc    *service.Service
	log    *slog.Logger
	opts   Options
	cache  *doccache.Cache[*gemIndex]
	public *publicRegistry
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	rest := req.Rest
	switch {
	case rest == "":
		// RubyGems up to 3.5.18 probes the source with a HEAD before it
		// reads info/ files.
		if readMethod(w, r) {
			textResponse(w, r, http.StatusOK, "This is a RubyGems repository endpoint.\n")
		}
	case rest == "api/v1/gems":
		h.push(w, r, req)
	case rest == "api/v1/dependencies":
		if readMethod(w, r) {
			h.dependencies(w, r, req)
		}
	case strings.HasPrefix(rest, "info/"):
		if readMethod(w, r) {
			h.info(w, r, req, strings.TrimPrefix(rest, "info/"))
		}
	case strings.HasPrefix(rest, "quick/Marshal.4.8/") && strings.HasSuffix(rest, ".gemspec.rz"):
		if readMethod(w, r) {
			h.quick(w, r, req, strings.TrimSuffix(strings.TrimPrefix(rest, "quick/Marshal.4.8/"), ".gemspec.rz"))
		}
	case strings.HasPrefix(rest, "gems/") && strings.HasSuffix(rest, ".gem"):
		if readMethod(w, r) {
			h.download(w, r, req, strings.TrimSuffix(strings.TrimPrefix(rest, "gems/"), ".gem"))
		}
	case rest == "api/v1/gems/yank":
		textError(w, http.StatusNotFound, "gem yank is not supported, as in CodeArtifact. Hide a version from installs with UpdatePackageVersionsStatus (Unlisted), or remove it with DeletePackageVersions.")
	default:
		textError(w, http.StatusNotFound, "Not found: this RubyGems endpoint serves gem push (api/v1/gems), info/NAME, api/v1/dependencies, quick/Marshal.4.8/ and gems/, as CodeArtifact does; /versions and the specs indexes are not supported.")
	}
}

func readMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	textError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	return false
}

// textError answers as rubygems.org does: a plain-text message, which
// gem and Bundler print.
func textError(w http.ResponseWriter, status int, msg string) {
	textResponse(w, nil, status, msg+"\n")
}

func textResponse(w http.ResponseWriter, r *http.Request, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r == nil || r.Method != http.MethodHead {
		io.WriteString(w, body)
	}
}

// fail answers a service error as endpoint.ErrorBody does, its message
// as text.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	endpoint.ErrorBody(w, r, h.log, err, textError)
}

// gemName unescapes and checks a gem name from a path.
func gemName(escaped string) (string, bool) {
	name, err := url.PathUnescape(escaped)
	return name, err == nil && model.CheckGemName(name) == nil
}

func gemNotFound(name string) error {
	return model.NotFound(model.ResourcePackage, name, "Gem %s was not found in this repository.", name)
}

// cachedIndex returns the index of a package of a repository without
// sources at its current generation.
func (h *handler) cachedIndex(ctx context.Context, req *endpoint.Request, ref service.PackageRef, st service.PackageState) (*gemIndex, error) {
	return h.cache.Get(ctx, st.PkgID, "", st.Gen, func(ctx context.Context) (*gemIndex, int64, error) {
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, 0, err
		}
		idx, err := buildIndex(view)
		if err != nil {
			return nil, 0, err
		}
		return idx, idx.gen, nil
	})
}

// info serves the compact index's info/NAME: the Published versions,
// with the validators Bundler checks (ETag as the body's MD5,
// Repr-Digest and Digest as its SHA-256) and byte ranges for its
// incremental updates. A gem with nothing Published is "---" alone, as
// on rubygems.org; an unknown gem is 404.
func (h *handler) info(w http.ResponseWriter, r *http.Request, req *endpoint.Request, escaped string) {
	name, ok := gemName(escaped)
	if !ok {
		textError(w, http.StatusNotFound, "Not found: "+escaped+" is not a gem name.")
		return
	}
	idx, err := h.readIndex(r.Context(), req, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("ETag", idx.etag)
	hd.Set("Repr-Digest", idx.reprDigest)
	hd.Set("Digest", idx.digest)
	// A status change must show at once: clients keep the file but
	// revalidate, which costs a 304 or the missing bytes.
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(idx.info))
}

// dependencies serves the dependency API: a Marshal array of one hash
// per Published gem of the named gems. Unknown names are left out; the
// bare call (Bundler's probe) is an empty 200.
func (h *handler) dependencies(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	param := r.URL.Query().Get("gems")
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Cache-Control", "private, no-cache")
	if param == "" {
		hd.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	seen := map[string]bool{}
	var names []string
	for n := range strings.SplitSeq(param, ",") {
		if n = strings.TrimSpace(n); n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) > maxDependencyGems {
		textError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Too many gems: the dependency API takes at most %d names per request.", maxDependencyGems))
		return
	}
	names = slices.DeleteFunc(names, func(n string) bool { return model.CheckGemName(n) != nil })
	idxs := make([]*gemIndex, len(names))
	errs := make([]error, len(names))
	// The gems of one call are read side by side: through a public
	// connection each may wait on the registry the first time.
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallelReads)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			idxs[i], errs[i] = h.readIndex(r.Context(), req, name)
		}()
	}
	wg.Wait()
	entries := []any{}
	for i, idx := range idxs {
		if errors.Is(errs[i], model.ErrNotFound) {
			continue
		}
		if errs[i] != nil {
			h.fail(w, r, errs[i])
			return
		}
		entries = append(entries, idx.dependencyEntries()...)
	}
	body := marshalDump(entries)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// lookup finds the index holding the file a name (FULL_NAME without
// extension) names, in its releases or, for a repository with
// public:ruby-gems-org, its public gems. The gem name ends at a "-"
// before a digit, but names may hold "-2fa" too, so each such split is
// tried, shortest name first.
func (h *handler) lookup(ctx context.Context, req *endpoint.Request, escaped string) (idx *gemIndex, name, full string, err error) {
	full, err = url.PathUnescape(escaped)
	if err != nil {
		return nil, "", "", gemNotFound(escaped)
	}
	tries := 0
	for i := 1; i+1 < len(full) && tries < maxNameSplits; i++ {
		if full[i] != '-' || full[i+1] < '0' || full[i+1] > '9' {
			continue
		}
		name := full[:i]
		if model.CheckGemName(name) != nil {
			continue
		}
		tries++
		idx, err := h.readIndex(ctx, req, name)
		if errors.Is(err, model.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", "", err
		}
		if idx.files[full] != nil || idx.public[full] != nil {
			return idx, name, full, nil
		}
		if !idx.viaConn {
			continue
		}
		// A file the cached info lacks (released since it was fetched,
		// pinned in a Gemfile.lock) makes Wharf ask the registry now.
		g, err := h.public.gem(ctx, name, full)
		if err != nil {
			return nil, "", "", &endpoint.UpstreamError{Connection: rubyGemsConnection, Err: err}
		}
		if g == nil {
			continue
		}
		if idx, err = h.readIndex(ctx, req, name); err != nil {
			return nil, "", "", err
		}
		if idx.files[full] != nil || idx.public[full] != nil {
			return idx, name, full, nil
		}
	}
	return nil, "", "", model.NotFound(model.ResourceAsset, full, "%s was not found in this repository.", full)
}

// quick serves quick/Marshal.4.8/FULL_NAME.gemspec.rz for Published and
// Unlisted gems. The gemspec of a gem only the public registry has is
// made from the gem, which is fetched (and ingested) first.
func (h *handler) quick(w http.ResponseWriter, r *http.Request, req *endpoint.Request, escaped string) {
	idx, name, full, err := h.lookup(r.Context(), req, escaped)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rel := idx.files[full]
	if rel == nil {
		rel, err = h.fetchRelease(r.Context(), req, name, idx.public[full])
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	body := rel.quickSpec()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// fetchRelease brings a public gem into the repository asked and returns
// its release there.
func (h *handler) fetchRelease(ctx context.Context, req *endpoint.Request, name string, g *publicGem) (*release, error) {
	if err := h.fetchUpstream(ctx, req, name, g.version, g.full+".gem"); err != nil {
		return nil, err
	}
	idx, err := h.readIndex(ctx, req, name)
	if err != nil {
		return nil, err
	}
	if rel := idx.files[g.full]; rel != nil {
		return rel, nil
	}
	return nil, model.NotFound(model.ResourceAsset, g.full, "%s was not found in this repository.", g.full)
}

// download serves gems/FULL_NAME.gem for Published and Unlisted gems: the
// repository's own copy, else the nearest upstream's or the public
// registry's, retained first.
func (h *handler) download(w http.ResponseWriter, r *http.Request, req *endpoint.Request, escaped string) {
	ctx := r.Context()
	idx, name, full, err := h.lookup(ctx, req, escaped)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var version, file string
	if rel := idx.files[full]; rel != nil {
		version, file = rel.version, rel.gem.File
	} else {
		g := idx.public[full]
		version, file = g.version, g.full+".gem"
	}
	ref := req.Repo.Package(model.FormatRuby, "", name)
	ac, err := h.svc.OpenAsset(ctx, req.Caller, ref, version, file)
	if errors.Is(err, model.ErrNotFound) && idx.resolved {
		if err = h.fetchUpstream(ctx, req, name, version, file); err == nil {
			ac, err = h.svc.OpenAsset(ctx, req.Caller, ref, version, file)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer ac.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("ETag", `"`+ac.Asset.Hashes.SHA256+`"`)
	// The same name may come back with other bytes after a delete, so
	// caches revalidate (a 304 by ETag).
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, file, ac.Asset.Created, ac.Body)
}

// push handles gem push: the body is the .gem. It is spooled to a
// temporary file while its SHA-256 is taken, read whole (readGem), and
// only then published from the file with that digest, so a refused gem
// stores nothing.
func (h *handler) push(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		textError(w, http.StatusMethodNotAllowed, "gem push POSTs a .gem here; other methods are not supported.")
		return
	}
	body := &sourceReader{r: http.MaxBytesReader(w, r.Body, h.opts.MaxGemBytes)}
	f, sum, err := spool(h.opts.SpoolDir, body)
	if f != nil {
		defer func() {
			f.Close()
			os.Remove(f.Name())
		}()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(body.err, &tooLarge):
		textError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The gem is larger than the maximum of %d bytes.", h.opts.MaxGemBytes))
		return
	case body.err != nil:
		textError(w, http.StatusBadRequest, "The upload ended before the whole gem arrived.")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	spec, err := readGem(f)
	if err != nil {
		if isRefusal(err) {
			textError(w, http.StatusUnprocessableEntity, "Wharf cannot process this gem: "+err.Error()+".")
			return
		}
		h.fail(w, r, err)
		return
	}
	if spec.Date == "" {
		// RubyGems reads a spec without a date as dated today.
		spec.Date = time.Now().UTC().Format(time.DateOnly)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		h.fail(w, r, fmt.Errorf("rewind spooled gem: %w", err))
		return
	}
	ref := req.Repo.Package(model.FormatRuby, "", spec.Name)
	rel := gemRelease{File: spec.fileName(), SHA256: sum, Spec: spec}
	meta, err := h.versionMetadata(r.Context(), req, ref, spec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: ref, Version: spec.Version, AddToPublished: true, Metadata: meta,
		Assets:              []service.Upload{{Name: rel.File, Body: f, SHA256: sum}},
		MergeFormatMetadata: func(cur []byte) ([]byte, error) { return mergeRelease(cur, rel) },
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	title := spec.Version
	if p, ok := spec.platform(); ok {
		title += "-" + p.String()
	}
	textResponse(w, r, http.StatusOK, fmt.Sprintf("Successfully registered gem: %s (%s)", spec.Name, title))
}

// versionMetadata returns the descriptive metadata to record with a
// push: the first gem of a version sets it; a platform gem pushed later
// only adds itself, so an identical re-push changes nothing, its revision
// included.
func (h *handler) versionMetadata(ctx context.Context, req *endpoint.Request, ref service.PackageRef, spec *gemSpec) (*service.VersionMetadata, error) {
	_, err := h.svc.ViewVersion(ctx, req.Caller, ref, spec.Version, service.ViewOptions{})
	var me *model.Error
	if errors.As(err, &me) && (me.Kind == model.KindNotFound || me.Kind == model.KindAccessDenied) {
		// A new version (or one Publish will refuse), or a publisher that
		// may not read: Publish decides.
		return versionMetadata(spec), nil
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// spool copies r into a temporary file in dir, returning the file at its
// start (also
// when the copy failed part way, for the caller to remove) and the
// content's SHA-256. The caller tells r's failures (the client's) from
// the file's (the server's) by wrapping r in a sourceReader.
func spool(dir string, r io.Reader) (*os.File, string, error) {
	f, err := os.CreateTemp(dir, "wharf-gem-*")
	if err != nil {
		return nil, "", fmt.Errorf("spool gem: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		return f, "", fmt.Errorf("spool gem: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return f, "", fmt.Errorf("spool gem: %w", err)
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}
