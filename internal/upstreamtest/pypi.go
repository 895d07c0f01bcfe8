package upstreamtest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PyPI is a simple repository API as pypi.org serves it: /simple/ lists
// the projects, /simple/NAME/ a project's files as PEP 691 JSON or PEP 503
// HTML by the Accept header (JSON preferred at equal quality, HTML when
// there is none), each file link with its sha256 (the `#sha256=` fragment,
// the JSON `hashes`), its Requires-Python and, for wheels, the core
// metadata served beside it (PEP 658/714). Files are served under
// /packages/, as files.pythonhosted.org does. A name that is not
// normalized redirects to the normalized one (301), as PyPI does. Pages
// carry an ETag and answer If-None-Match with 304.
type PyPI struct {
	Control

	mu       sync.RWMutex
	projects map[string]*pyProject // by normalized name
	corrupt  map[string]bool       // file names served with wrong bytes
}

type pyProject struct {
	name  string // as the first file's metadata spells it
	files []*pyFile
}

type pyFile struct {
	filename       string
	version        string
	data           []byte
	sha256         string
	requiresPython string
	metadata       []byte // a wheel's METADATA, served as FILE.metadata
	metadataSHA256 string
	uploaded       time.Time
}

// NewPyPI makes an empty index; Add puts files in it.
func NewPyPI() *PyPI {
	return &PyPI{projects: map[string]*pyProject{}, corrupt: map[string]bool{}}
}

// AddFiles adds distribution files (wheels, .tar.gz sdists) read from
// disk.
func (p *PyPI) AddFiles(paths ...string) error {
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := p.Add(filepath.Base(path), b); err != nil {
			return err
		}
	}
	return nil
}

// Add publishes a distribution file; the index lists it from the next
// request on (a version released after a client's first fetch).
func (p *PyPI) Add(filename string, data []byte) error {
	f, project, err := inspectDist(filename, data)
	if err != nil {
		return fmt.Errorf("%s: %w", filename, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := NormalizePyPIName(project)
	pr := p.projects[key]
	if pr == nil {
		pr = &pyProject{name: project}
		p.projects[key] = pr
	}
	for _, old := range pr.files {
		if old.filename == filename {
			return fmt.Errorf("%s is already in the index", filename)
		}
	}
	pr.files = append(pr.files, f)
	sort.Slice(pr.files, func(i, j int) bool { return pr.files[i].filename < pr.files[j].filename })
	return nil
}

// Corrupt makes the index serve different bytes for a file than the hash
// it publishes, as a tampered mirror or a broken transfer would.
func (p *PyPI) Corrupt(filename string) {
	p.mu.Lock()
	p.corrupt[filename] = true
	p.mu.Unlock()
}

// FileSHA256 is the published sha256 of a file, "" when not in the index.
func (p *PyPI) FileSHA256(filename string) string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, pr := range p.projects {
		for _, f := range pr.files {
			if f.filename == filename {
				return f.sha256
			}
		}
	}
	return ""
}

// NormalizePyPIName is PEP 503's normalized project name.
func NormalizePyPIName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// inspectDist reads what the index publishes about a file: its project
// and version (from the file name, as pip reads them), digest,
// Requires-Python and, for a wheel, its METADATA.
func inspectDist(filename string, data []byte) (*pyFile, string, error) {
	f := &pyFile{filename: filename, data: data, uploaded: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	sum := sha256.Sum256(data)
	f.sha256 = hex.EncodeToString(sum[:])
	var project string
	var meta []byte
	var err error
	switch {
	case strings.HasSuffix(filename, ".whl"):
		parts := strings.Split(strings.TrimSuffix(filename, ".whl"), "-")
		if len(parts) < 5 {
			return nil, "", errors.New("not a wheel file name (NAME-VERSION-PY-ABI-PLATFORM.whl)")
		}
		project, f.version = parts[0], parts[1]
		meta, err = wheelMetadata(data)
		f.metadata = meta
		sum := sha256.Sum256(meta)
		f.metadataSHA256 = hex.EncodeToString(sum[:])
	case strings.HasSuffix(filename, ".tar.gz"):
		base := strings.TrimSuffix(filename, ".tar.gz")
		i := strings.LastIndex(base, "-")
		if i <= 0 {
			return nil, "", errors.New("not an sdist file name (NAME-VERSION.tar.gz)")
		}
		project, f.version = base[:i], base[i+1:]
		meta, err = sdistMetadata(data)
	default:
		return nil, "", errors.New("neither a wheel nor a .tar.gz sdist")
	}
	if err != nil {
		return nil, "", err
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(meta))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, "", fmt.Errorf("core metadata: %w", err)
	}
	if n := h.Get("Name"); n != "" {
		if NormalizePyPIName(n) != NormalizePyPIName(project) {
			return nil, "", fmt.Errorf("metadata names %q, file name %q", n, project)
		}
		project = n
	}
	f.requiresPython = h.Get("Requires-Python")
	return f, project, nil
}

// wheelMetadata is the METADATA of a wheel's .dist-info.
func wheelMetadata(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("wheel: %w", err)
	}
	for _, zf := range zr.File {
		dir, base := pathSplit(zf.Name)
		if base == "METADATA" && strings.HasSuffix(dir, ".dist-info") && !strings.Contains(dir, "/") {
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, 16<<20))
		}
	}
	return nil, errors.New("wheel has no .dist-info/METADATA")
}

// sdistMetadata is the PKG-INFO at the top of an sdist.
func sdistMetadata(data []byte) ([]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("sdist: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("sdist has no PKG-INFO: %w", err)
		}
		if dir, base := pathSplit(h.Name); base == "PKG-INFO" && !strings.Contains(dir, "/") {
			return io.ReadAll(io.LimitReader(tr, 16<<20))
		}
	}
}

func pathSplit(name string) (dir, base string) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// Media types of the simple API (PEP 691).
const (
	simpleJSON = "application/vnd.pypi.simple.v1+json"
	simpleHTML = "application/vnd.pypi.simple.v1+html"
)

// ServeHTTP answers the simple API and the files.
func (p *PyPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, p.route)
}

func (p *PyPI) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path := r.URL.Path
	switch {
	case path == "/simple":
		http.Redirect(w, r, "/simple/", http.StatusMovedPermanently)
	case path == "/simple/":
		p.index(w, r)
	case strings.HasPrefix(path, "/simple/"):
		name := strings.TrimPrefix(path, "/simple/")
		if !strings.HasSuffix(name, "/") || strings.Count(name, "/") != 1 || NormalizePyPIName(strings.TrimSuffix(name, "/")) != strings.TrimSuffix(name, "/") {
			// PyPI redirects every spelling to /simple/NORMALIZED/.
			n := NormalizePyPIName(strings.Trim(name, "/"))
			if n == "" || strings.Contains(n, "/") {
				http.NotFound(w, r)
				return
			}
			http.Redirect(w, r, "/simple/"+n+"/", http.StatusMovedPermanently)
			return
		}
		p.project(w, r, strings.TrimSuffix(name, "/"))
	case strings.HasPrefix(path, "/packages/"):
		p.file(w, r, path)
	default:
		http.NotFound(w, r)
	}
}

// negotiate picks the simple API's representation from Accept: the
// highest quality wins, JSON on a tie; "" when nothing offered is
// acceptable (406).
func negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return "text/html"
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		var offer string
		switch mt {
		case simpleJSON, "application/vnd.pypi.simple.latest+json":
			offer = simpleJSON
		case simpleHTML, "application/vnd.pypi.simple.latest+html":
			offer = simpleHTML
		case "text/html", "text/*":
			offer = "text/html"
		case "*/*":
			offer = "text/html"
		default:
			continue
		}
		if q > bestQ || q == bestQ && offer == simpleJSON && best != simpleJSON {
			best, bestQ = offer, q
		}
	}
	if bestQ == 0 {
		return ""
	}
	return best
}

func (p *PyPI) index(w http.ResponseWriter, r *http.Request) {
	ct := negotiate(r.Header.Get("Accept"))
	p.mu.RLock()
	names := make([]string, 0, len(p.projects))
	for _, pr := range p.projects {
		names = append(names, pr.name)
	}
	p.mu.RUnlock()
	sort.Strings(names)
	var body []byte
	switch ct {
	case "":
		http.Error(w, "406 Not Acceptable: "+simpleJSON+" or "+simpleHTML, http.StatusNotAcceptable)
		return
	case simpleJSON:
		type project struct {
			Name string `json:"name"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Projects []project         `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.1"}, Projects: []project{}}
		for _, n := range names {
			doc.Projects = append(doc.Projects, project{n})
		}
		body, _ = json.Marshal(doc)
	default:
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
		for _, n := range names {
			fmt.Fprintf(&b, "    <a href=\"/simple/%s/\">%s</a>\n", html.EscapeString(NormalizePyPIName(n)), html.EscapeString(n))
		}
		b.WriteString("  </body>\n</html>\n")
		body = []byte(b.String())
	}
	serveDoc(w, r, ct, body)
}

func (p *PyPI) project(w http.ResponseWriter, r *http.Request, name string) {
	ct := negotiate(r.Header.Get("Accept"))
	if ct == "" {
		http.Error(w, "406 Not Acceptable: "+simpleJSON+" or "+simpleHTML, http.StatusNotAcceptable)
		return
	}
	p.mu.RLock()
	pr := p.projects[name]
	var files []*pyFile
	var display string
	if pr != nil {
		files, display = append(files, pr.files...), pr.name
	}
	p.mu.RUnlock()
	if pr == nil {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	base := baseURL(r)
	var body []byte
	if ct == simpleJSON {
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python"`
			CoreMetadata   any               `json:"core-metadata"`
			DistInfoMeta   any               `json:"data-dist-info-metadata"`
			Size           int               `json:"size"`
			UploadTime     string            `json:"upload-time"`
			Yanked         bool              `json:"yanked"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Name     string            `json:"name"`
			Versions []string          `json:"versions"`
			Files    []file            `json:"files"`
		}{Meta: map[string]string{"api-version": "1.1"}, Name: name, Versions: []string{}, Files: []file{}}
		seen := map[string]bool{}
		for _, f := range files {
			jf := file{Filename: f.filename, URL: base + f.path(), Hashes: map[string]string{"sha256": f.sha256},
				CoreMetadata: false, DistInfoMeta: false, Size: len(f.data), UploadTime: f.uploaded.Format("2006-01-02T15:04:05.000000Z")}
			if f.requiresPython != "" {
				jf.RequiresPython = &f.requiresPython
			}
			if f.metadata != nil {
				jf.CoreMetadata = map[string]string{"sha256": f.metadataSHA256}
				jf.DistInfoMeta = jf.CoreMetadata
			}
			doc.Files = append(doc.Files, jf)
			if !seen[f.version] {
				seen[f.version] = true
				doc.Versions = append(doc.Versions, f.version)
			}
		}
		body, _ = json.Marshal(doc)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n",
			html.EscapeString(display), html.EscapeString(display))
		for _, f := range files {
			fmt.Fprintf(&b, "    <a href=\"%s#sha256=%s\"", html.EscapeString(base+f.path()), f.sha256)
			if f.requiresPython != "" {
				fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(f.requiresPython))
			}
			if f.metadata != nil {
				fmt.Fprintf(&b, " data-dist-info-metadata=\"sha256=%s\" data-core-metadata=\"sha256=%s\"", f.metadataSHA256, f.metadataSHA256)
			}
			fmt.Fprintf(&b, ">%s</a><br />\n", html.EscapeString(f.filename))
		}
		b.WriteString("  </body>\n</html>\n<!--SERIAL 1-->\n")
		body = []byte(b.String())
	}
	serveDoc(w, r, ct, body)
}

// path is where the file is served: /packages/AB/CD/REST/FILENAME, by
// its digest as on files.pythonhosted.org.
func (f *pyFile) path() string {
	return "/packages/" + f.sha256[:2] + "/" + f.sha256[2:4] + "/" + f.sha256[4:] + "/" + f.filename
}

func (p *PyPI) file(w http.ResponseWriter, r *http.Request, path string) {
	p.mu.RLock()
	var body []byte
	for _, pr := range p.projects {
		for _, f := range pr.files {
			switch path {
			case f.path():
				body = f.data
				if p.corrupt[f.filename] {
					body = corruptCopy(body)
				}
			case f.path() + ".metadata":
				body = f.metadata
			}
		}
	}
	p.mu.RUnlock()
	if body == nil {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// serveDoc answers an index page with a strong ETag, 304 on a match.
func serveDoc(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	sum := sha256.Sum256(append([]byte(ct), body...))
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Vary", "Accept")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	h.Set("Cache-Control", "max-age=600, public")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
