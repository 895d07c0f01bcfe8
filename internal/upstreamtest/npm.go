package upstreamtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// NpmOrigin is the registry whose URLs fixture packuments carry.
const NpmOrigin = "https://registry.npmjs.org"

// Npm is an npm registry over a fixture directory of real packuments and
// tarballs, fetched once from the registry:
//
//	DIR/packuments/NAME.json    the full document (Accept: application/json)
//	DIR/abbreviated/NAME.json   the install document (Accept: application/vnd.npm.install-v1+json), optional
//	DIR/tarballs/NAME/-/FILE    the tarballs
//
// with NAME path-escaped in file names (PackumentFile, TarballFile).
// Tarball URLs in the documents, which point at NpmOrigin, are rewritten
// to the stand-in's own address as they are served. Packuments carry an
// ETag and Last-Modified and answer conditional requests with 304, as
// the registry does.
type Npm struct {
	Control
	dir string

	mu      sync.RWMutex
	corrupt map[string]bool
}

// NewNpm serves the fixture in dir.
func NewNpm(dir string) *Npm {
	return &Npm{dir: dir, corrupt: map[string]bool{}}
}

// PackumentFile is where a fixture keeps a package's full document
// (abbreviated: its install document).
func PackumentFile(dir, name string, abbreviated bool) string {
	sub := "packuments"
	if abbreviated {
		sub = "abbreviated"
	}
	return filepath.Join(dir, sub, url.PathEscape(name)+".json")
}

// TarballFile is where a fixture keeps a tarball, by the file name in its
// URL.
func TarballFile(dir, name, file string) string {
	return filepath.Join(dir, "tarballs", url.PathEscape(name), "-", file)
}

// Corrupt makes the registry serve different bytes for a tarball (by its
// URL path, /NAME/-/FILE) than its packument's integrity says.
func (n *Npm) Corrupt(path string) {
	n.mu.Lock()
	n.corrupt[path] = true
	n.mu.Unlock()
}

// ServeHTTP answers packument and tarball GETs.
func (n *Npm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.serve(w, r, n.route)
}

// npmError answers in the registry's error shape.
func npmError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}

func (n *Npm) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		npmError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	// /NAME, /@SCOPE%2fNAME (decoded to /@SCOPE/NAME), /NAME/-/FILE.tgz
	p := strings.TrimPrefix(r.URL.Path, "/")
	name, file, isTarball := strings.Cut(p, "/-/")
	if !validNpmName(name) || isTarball && (file == "" || strings.Contains(file, "/")) {
		npmError(w, http.StatusNotFound, "Not found")
		return
	}
	if isTarball {
		path := TarballFile(n.dir, name, file)
		b, err := os.ReadFile(path)
		fi, serr := os.Stat(path)
		if err != nil || serr != nil {
			npmError(w, http.StatusNotFound, "Not found")
			return
		}
		n.mu.RLock()
		bad := n.corrupt["/"+name+"/-/"+file]
		n.mu.RUnlock()
		if bad {
			b = corruptCopy(b)
		}
		w.Header().Set("Cache-Control", "public, immutable, max-age=31557600")
		serveBytes(w, r, "application/octet-stream", fi.ModTime(), b)
		return
	}
	abbrev := strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json")
	path := PackumentFile(n.dir, name, abbrev)
	fi, err := os.Stat(path)
	if err != nil && abbrev {
		abbrev, path = false, PackumentFile(n.dir, name, false)
		fi, err = os.Stat(path)
	}
	if err != nil {
		npmError(w, http.StatusNotFound, "Not found")
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		npmError(w, http.StatusInternalServerError, err.Error())
		return
	}
	b = bytes.ReplaceAll(b, []byte(NpmOrigin+"/"), []byte(baseURL(r)+"/"))
	ct := "application/json"
	if abbrev {
		ct = "application/vnd.npm.install-v1+json"
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Vary", "Accept, Accept-Encoding")
	serveBytes(w, r, ct, fi.ModTime(), b)
}

// validNpmName accepts NAME and @SCOPE/NAME made of URL-safe characters.
func validNpmName(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return false
	}
	if scope, rest, ok := strings.Cut(name, "/"); ok {
		if !strings.HasPrefix(scope, "@") || len(scope) < 2 || rest == "" || strings.Contains(rest, "/") {
			return false
		}
	}
	return url.PathEscape(strings.ReplaceAll(name, "/", "")) == strings.ReplaceAll(name, "/", "")
}
