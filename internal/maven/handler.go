package maven

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/doccache"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/format"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// maxDocument bounds the POMs and metadata documents read into memory.
const maxDocument = 16 << 20

// Handler serves the Maven repository endpoint.
type Handler struct {
	svc  *service.Service
	log  *slog.Logger
	docs *doccache.Cache[*doc]
	// public are the public repositories behind the Maven connections,
	// by connection name.
	public map[string]*publicRepo
}

// New returns a handler over env's service, with its metadata cache and
// a publiccache per Maven connection.
func New(env format.Env) (*Handler, error) {
	h := &Handler{svc: env.Service, log: env.Log, docs: format.NewDocCache(env, (*doc).size), public: map[string]*publicRepo{}}
	for _, c := range connections {
		p, err := newPublicRepo(c.Name, env.URL(c.Name), env.PublicCache(c.Name))
		if err != nil {
			return nil, err
		}
		h.public[c.Name] = p
	}
	return h, nil
}

// Endpoint is the handler as the format seam serves it, with the lookup
// the service asks before a publish for each connection.
func (h *Handler) Endpoint() *format.Endpoint {
	ep := &format.Endpoint{Serve: h.Serve, Lookups: map[string]service.ExternalLookup{}}
	for name, p := range h.public {
		ep.Lookups[name] = p.hasVersion
	}
	return ep
}

// connections are CodeArtifact's five public Maven repositories.
var connections = []format.Connection{
	{Name: "public:maven-central", DefaultURL: "https://repo1.maven.org/maven2", Flag: "maven-central-url", Env: "WHARF_MAVEN_CENTRAL_URL",
		Usage: "Maven Central behind the public:maven-central external connection"},
	{Name: "public:maven-googleandroid", DefaultURL: "https://dl.google.com/android/maven2", Flag: "maven-google-url", Env: "WHARF_MAVEN_GOOGLE_URL",
		Usage: "Google's Android Maven repository behind the public:maven-googleandroid external connection"},
	{Name: "public:maven-gradleplugins", DefaultURL: "https://plugins.gradle.org/m2", Flag: "maven-gradle-plugins-url", Env: "WHARF_MAVEN_GRADLE_PLUGINS_URL",
		Usage: "the Gradle plugin portal behind the public:maven-gradleplugins external connection"},
	{Name: "public:maven-commonsware", DefaultURL: "https://repo.commonsware.com", Flag: "maven-commonsware-url", Env: "WHARF_MAVEN_COMMONSWARE_URL",
		Usage: "CommonsWare's Android repository behind the public:maven-commonsware external connection"},
	{Name: "public:maven-clojars", DefaultURL: "https://repo.clojars.org", Flag: "maven-clojars-url", Env: "WHARF_MAVEN_CLOJARS_URL",
		Usage: "Clojars behind the public:maven-clojars external connection"},
}

// Format declares Maven to the format seam: {public}/maven/{domain}-{owner}/{repo}/,
// with Basic auth, as Maven sends credentials only after a Basic
// challenge.
var Format = format.Format{
	Name:   model.FormatMaven,
	Scheme: endpoint.Basic,
	// Each proxies its public Maven 2 repository (public.go, upstream.go).
	Connections: connections,
	// Generated maven-metadata.xml documents with their checksums.
	CacheBytes: 32 << 20,
	New: func(env format.Env) (*format.Endpoint, error) {
		h, err := New(env)
		if err != nil {
			return nil, err
		}
		return h.Endpoint(), nil
	},
}

// Serve handles one authenticated request.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	p, perr := ParsePath(req.Rest)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if perr != nil {
			pathError(w, perr, http.StatusNotFound)
			return
		}
		h.get(w, r, req, p)
	case http.MethodPut:
		if perr != nil {
			pathError(w, perr, http.StatusBadRequest)
			return
		}
		h.put(w, r, req, p)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		endpoint.Errorf(w, http.StatusMethodNotAllowed, "The Maven repository accepts GET, HEAD and PUT.")
	}
}

// pathError answers a path that is not a Maven path: unsafe ones are
// always 400, the others status.
func pathError(w http.ResponseWriter, err error, status int) {
	var pe *PathError
	if errors.As(err, &pe) && pe.Unsafe {
		status = http.StatusBadRequest
	}
	endpoint.Errorf(w, status, err.Error())
}

func (h *Handler) ref(req *endpoint.Request, p Path) service.PackageRef {
	return req.Repo.Package(model.FormatMaven, p.GroupID, p.ArtifactID)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, req *endpoint.Request, p Path) {
	ctx := r.Context()
	switch p.Kind {
	case KindArtifactMetadata, KindVersionMetadata:
		d, err := h.metadata(ctx, req, p)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if p.Checksum != "" {
			serveChecksum(w, r, hashOf(d.hashes, p.Checksum), d.modified)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("ETag", `"`+d.hashes.SHA256+`"`)
		http.ServeContent(w, r, "", d.modified, bytes.NewReader(d.body))
	default:
		if p.Checksum != "" {
			a, err := h.asset(ctx, req, p, false)
			if errors.Is(err, model.ErrNotFound) {
				if ok, uerr := h.fromUpstream(ctx, req, p); ok {
					err = uerr
					if err == nil {
						a, err = h.asset(ctx, req, p, false)
					}
				}
			}
			if err != nil {
				h.fail(w, r, err)
				return
			}
			serveChecksum(w, r, hashOf(a.Hashes, p.Checksum), a.Created)
			return
		}
		ac, err := h.svc.OpenAsset(ctx, req.Caller, h.ref(req, p), p.Version, p.File)
		if errors.Is(err, model.ErrNotFound) {
			// Not here: the repository's upstreams may have it (retained
			// here on the way), unless the package blocks upstream versions.
			if ok, uerr := h.fromUpstream(ctx, req, p); ok {
				err = uerr
				if err == nil {
					ac, err = h.svc.OpenAsset(ctx, req.Caller, h.ref(req, p), p.Version, p.File)
				}
			}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		defer ac.Body.Close()
		hd := w.Header()
		hd.Set("Content-Type", contentType(p.Extension))
		hd.Set("ETag", `"`+ac.Asset.Hashes.SHA256+`"`)
		// Repository managers' checksum headers; newer Maven resolvers
		// read them instead of fetching the .sha1.
		hd.Set("X-Checksum-Sha1", ac.Asset.Hashes.SHA1)
		hd.Set("X-Checksum-Md5", ac.Asset.Hashes.MD5)
		hd.Set("X-Checksum-Sha256", ac.Asset.Hashes.SHA256)
		http.ServeContent(w, r, "", ac.Asset.Created, ac.Body)
	}
}

// fail answers an error with its status (502, naming the connection, for
// a public repository that could not be read).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	endpoint.Error(w, r, h.log, err)
}

// asset finds a stored file's record, for its checksums.
func (h *Handler) asset(ctx context.Context, req *endpoint.Request, p Path, includeUnfinished bool) (*model.Asset, error) {
	vv, err := h.svc.ViewVersion(ctx, req.Caller, h.ref(req, p), p.Version, service.ViewOptions{IncludeUnfinished: includeUnfinished})
	if err != nil {
		return nil, err
	}
	for _, a := range vv.Assets {
		if a.Name == p.File {
			return a, nil
		}
	}
	return nil, model.NotFound(model.ResourceAsset, p.File, "Asset %s not found in %s:%s %s", p.File, p.GroupID, p.ArtifactID, p.Version)
}

// metadata returns the generated document a metadata path names, from
// the cache when it was built from the package's current Generation.
func (h *Handler) metadata(ctx context.Context, req *endpoint.Request, p Path) (*doc, error) {
	ref := h.ref(req, p)
	st, err := h.svc.PackageState(ctx, req.Caller, ref)
	if err != nil {
		return nil, err
	}
	if st.Sources {
		return h.resolvedMetadata(ctx, req, p)
	}
	key := ""
	if p.Kind == KindVersionMetadata {
		key = p.Version
	}
	return h.docs.Get(ctx, st.PkgID, key, st.Gen, func(ctx context.Context) (*doc, int64, error) {
		if p.Kind == KindVersionMetadata {
			vv, err := h.svc.ViewVersion(ctx, req.Caller, ref, p.Version, service.ViewOptions{})
			if err != nil {
				return nil, 0, err
			}
			files := make([]SnapshotFile, len(vv.Assets))
			var last time.Time
			for i, a := range vv.Assets {
				files[i] = SnapshotFile{Name: a.Name, Updated: a.Created}
				if a.Created.After(last) {
					last = a.Created
				}
			}
			return newDoc(RenderSnapshotMetadata(p.GroupID, p.ArtifactID, vv.Version.Version, files), last), vv.Package.Generation, nil
		}
		view, err := h.svc.ViewPackage(ctx, req.Caller, ref, service.ViewOptions{})
		if err != nil {
			return nil, 0, err
		}
		var listed []string
		var last time.Time
		for _, v := range view.Versions {
			if v.Status.Listed() {
				listed = append(listed, v.Version)
				if v.PublishedTime.After(last) {
					last = v.PublishedTime
				}
			}
		}
		if len(listed) == 0 {
			return nil, 0, model.NotFound(model.ResourcePackage, p.ArtifactID, "%s:%s has no published versions.", p.GroupID, p.ArtifactID)
		}
		return newDoc(RenderArtifactMetadata(p.GroupID, p.ArtifactID, listed, last), last), view.Package.Generation, nil
	})
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request, req *endpoint.Request, p Path) {
	ctx := r.Context()
	ref := h.ref(req, p)
	switch {
	case p.Checksum != "":
		sum, err := readChecksum(r.Body, p.Checksum)
		if err != nil {
			endpoint.Errorf(w, http.StatusBadRequest, err.Error())
			return
		}
		if p.Kind != KindFile {
			// The client's checksum is of the document it uploaded, which
			// is not kept: metadata is served as generated, with its own.
			w.WriteHeader(http.StatusCreated)
			return
		}
		a, err := h.asset(ctx, req, p, true)
		if err != nil {
			endpoint.Error(w, r, h.log, err)
			return
		}
		if got := hashOf(a.Hashes, p.Checksum); got != sum {
			endpoint.Errorf(w, http.StatusBadRequest, fmt.Sprintf("The %s checksum %s does not match the stored %s (%s).", p.Checksum, sum, p.File, got))
			return
		}
		w.WriteHeader(http.StatusCreated)
	case p.Kind == KindArtifactMetadata || p.Kind == KindVersionMetadata:
		data, ok := readDocument(w, r)
		if !ok {
			return
		}
		m, err := ParseMetadata(data)
		if err != nil {
			endpoint.Errorf(w, http.StatusBadRequest, err.Error())
			return
		}
		if p.Kind == KindArtifactMetadata && m.IsGroupLevel() {
			// A plugin group's prefix list: nothing Wharf records.
			w.WriteHeader(http.StatusCreated)
			return
		}
		if err := m.Check(p); err != nil {
			endpoint.Errorf(w, http.StatusBadRequest, err.Error())
			return
		}
		var finish []string
		if p.Kind == KindArtifactMetadata {
			finish = m.Versions()
		}
		// A version-level document finishes nothing, but the call still
		// checks the caller may put metadata on the package.
		if err := h.svc.FinishVersions(ctx, req.Caller, ref, finish); err != nil {
			endpoint.Error(w, r, h.log, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	default:
		var body io.Reader = r.Body
		var md *service.VersionMetadata
		var checked *archive.CheckedReader
		switch {
		case p.IsMainPOM():
			data, ok := readDocument(w, r)
			if !ok {
				return
			}
			pom, err := ParsePOM(data)
			if err == nil {
				err = pom.CheckCoordinates(p.GroupID, p.ArtifactID, p.Version)
			}
			if err != nil {
				endpoint.Errorf(w, http.StatusBadRequest, err.Error())
				return
			}
			md, body = pom.Metadata(), bytes.NewReader(data)
		case p.Extension == "pom":
			// A classified POM is kept, not read, but must still be XML.
			data, ok := readDocument(w, r)
			if !ok {
				return
			}
			if err := checkWellFormed(data); err != nil {
				endpoint.Errorf(w, http.StatusBadRequest, fmt.Sprintf("%s is not well-formed XML: %v.", p.File, err))
				return
			}
			body = bytes.NewReader(data)
		case isJavaArchive(p.Extension):
			// Inspected on its way into the store: a refusal fails the
			// stream before Publish commits, so nothing is kept.
			checked = archive.NewCheckedReader(r.Body, archive.NewZipInspector(os.TempDir(), checkJavaArchive))
			defer checked.Close()
			body = checked
		}
		_, err := h.svc.Publish(ctx, req.Caller, service.PublishRequest{
			Ref: ref, Version: p.Version,
			Assets: []service.Upload{{Name: p.File, Body: body}},
			// Complete only once maven-metadata.xml lists the version.
			Unfinished: true,
			// Classifiers, signatures and new SNAPSHOT builds join a
			// finished version; changed bytes of a file are still a 409.
			AddToPublished: true,
			Metadata:       md,
		})
		if checked != nil && archive.IsRefusal(checked.Err()) {
			endpoint.Errorf(w, http.StatusBadRequest, fmt.Sprintf("%s is not a valid %s archive: %v.", p.File, p.Extension, checked.Err()))
			return
		}
		if err != nil {
			endpoint.Error(w, r, h.log, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}
}

// javaArchiveLimits bound the inspection of a jar, war, ear or aar.
// Duplicate entries are allowed, unlike in wheels: the JDK reads such
// archives (the first entry wins) and build tools' "include" duplicate
// strategies write them, so refusing them would break real builds.
var javaArchiveLimits = func() archive.Limits {
	l := archive.DefaultLimits
	l.AllowDuplicates = true
	return l
}()

// isJavaArchive reports whether a file extension names a zip the JVM
// or Android tooling opens (classifiers such as -sources and -javadoc
// keep the extension).
func isJavaArchive(ext string) bool {
	switch ext {
	case "jar", "war", "ear", "aar":
		return true
	}
	return false
}

// checkJavaArchive refuses a file that is not a sound zip within bounds,
// inflating every entry through bounded readers.
func checkJavaArchive(r io.ReaderAt, size int64) error {
	_, err := archive.InspectZip(r, size, javaArchiveLimits, nil)
	return err
}

// readDocument reads a POM or metadata upload, answering 413 when it is
// too large to be one.
func readDocument(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxDocument+1))
	if err != nil {
		endpoint.Errorf(w, http.StatusBadRequest, "Reading the upload failed: "+err.Error())
		return nil, false
	}
	if len(data) > maxDocument {
		endpoint.Errorf(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is larger than %d bytes.", path.Base(r.URL.Path), maxDocument))
		return nil, false
	}
	return data, true
}

var checksumLen = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// readChecksum reads an uploaded checksum file: the hex digest, optionally
// followed by a file name as sha1sum writes it.
func readChecksum(r io.Reader, algo string) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return "", fmt.Errorf("reading the checksum failed: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return "", fmt.Errorf("the %s checksum file is empty", algo)
	}
	sum := strings.ToLower(fields[0])
	if len(sum) != checksumLen[algo] || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a %s checksum", fields[0], algo)
	}
	return sum, nil
}

// hashOf picks the digest a checksum extension names.
func hashOf(h model.Hashes, algo string) string {
	switch algo {
	case "md5":
		return h.MD5
	case "sha1":
		return h.SHA1
	case "sha256":
		return h.SHA256
	default:
		return h.SHA512
	}
}

func serveChecksum(w http.ResponseWriter, r *http.Request, sum string, modified time.Time) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeContent(w, r, "", modified, strings.NewReader(sum))
}

func contentType(ext string) string {
	// "jar.asc" is a signature, "tar.gz" an archive: the last part decides.
	switch ext[strings.LastIndexByte(ext, '.')+1:] {
	case "jar", "war", "ear", "aar":
		return "application/java-archive"
	case "pom", "xml":
		return "application/xml"
	case "asc":
		return "application/pgp-signature"
	case "module", "json":
		return "application/json"
	case "zip":
		return "application/zip"
	default:
		return "application/octet-stream"
	}
}
