package upstreamtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
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
// the registry does. AddVersion publishes a version while it runs.
type Npm struct {
	Control
	dir string

	mu      sync.RWMutex
	corrupt map[string]bool
	added   map[string][]npmAdded // by package name, in the order added
	files   map[string][]byte     // added tarballs by URL path, /NAME/-/FILE
}

// npmAdded is a version published while the stand-in runs.
type npmAdded struct {
	version  string
	manifest json.RawMessage
	at       time.Time
}

// NewNpm serves the fixture in dir.
func NewNpm(dir string) *Npm {
	return &Npm{dir: dir, corrupt: map[string]bool{}, added: map[string][]npmAdded{}, files: map[string][]byte{}}
}

// AddVersion publishes a version of a package, as the registry shows a
// release: its manifest (as in a packument's versions, its dist.tarball
// at NpmOrigin/NAME/-/FILE) joins the package's documents, becomes the
// latest dist-tag and changes their ETag and Last-Modified, and its
// tarball is served. The package need not be in the fixture.
func (n *Npm) AddVersion(name string, manifest, tarball []byte) error {
	var m struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Dist    struct {
			Tarball string `json:"tarball"`
		} `json:"dist"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return fmt.Errorf("manifest of %s: %w", name, err)
	}
	file, ok := strings.CutPrefix(m.Dist.Tarball, NpmOrigin+"/"+name+"/-/")
	switch {
	case !validNpmName(name) || m.Name != name:
		return fmt.Errorf("manifest names %q, not %q", m.Name, name)
	case m.Version == "":
		return errors.New("manifest has no version")
	case !ok || file == "" || strings.Contains(file, "/"):
		return fmt.Errorf("dist.tarball %q is not under %s/%s/-/", m.Dist.Tarball, NpmOrigin, name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.added[name] = append(n.added[name], npmAdded{version: m.Version, manifest: manifest, at: time.Now().UTC().Truncate(time.Second)})
	n.files["/"+name+"/-/"+file] = tarball
	return nil
}

// withAdded merges the versions added while running into a package's
// document (b, nil when the fixture lacks the package) and returns it
// with its modification time.
func (n *Npm) withAdded(name string, b []byte, mod time.Time) ([]byte, time.Time, error) {
	n.mu.RLock()
	added := n.added[name]
	n.mu.RUnlock()
	if len(added) == 0 {
		return b, mod, nil
	}
	doc := map[string]json.RawMessage{}
	if b != nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, mod, fmt.Errorf("packument of %s: %w", name, err)
		}
	}
	versions := map[string]json.RawMessage{}
	tags := map[string]string{}
	times := map[string]string{}
	for k, v := range map[string]any{"versions": &versions, "dist-tags": &tags, "time": &times} {
		if raw, ok := doc[k]; ok {
			if err := json.Unmarshal(raw, v); err != nil {
				return nil, mod, fmt.Errorf("packument of %s: %s: %w", name, k, err)
			}
		}
	}
	for _, a := range added {
		versions[a.version] = a.manifest
		tags["latest"] = a.version
		times[a.version] = a.at.Format(time.RFC3339)
		if a.at.After(mod) {
			mod = a.at
		}
	}
	times["modified"] = mod.UTC().Format(time.RFC3339)
	doc["name"], _ = json.Marshal(name)
	doc["versions"], _ = json.Marshal(versions)
	doc["dist-tags"], _ = json.Marshal(tags)
	if _, abbrev := doc["modified"]; abbrev {
		doc["modified"], _ = json.Marshal(times["modified"])
	} else {
		doc["time"], _ = json.Marshal(times)
	}
	out, err := json.Marshal(doc)
	return out, mod, err
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
		n.mu.RLock()
		b, added := n.files["/"+name+"/-/"+file]
		bad := n.corrupt["/"+name+"/-/"+file]
		n.mu.RUnlock()
		var mod time.Time
		if !added {
			path := TarballFile(n.dir, name, file)
			var err error
			b, err = os.ReadFile(path)
			fi, serr := os.Stat(path)
			if err != nil || serr != nil {
				npmError(w, http.StatusNotFound, "Not found")
				return
			}
			mod = fi.ModTime()
		}
		if bad {
			b = corruptCopy(b)
		}
		w.Header().Set("Cache-Control", "public, immutable, max-age=31557600")
		serveBytes(w, r, "application/octet-stream", mod, b)
		return
	}
	abbrev := strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json")
	path := PackumentFile(n.dir, name, abbrev)
	fi, err := os.Stat(path)
	if err != nil && abbrev {
		abbrev, path = false, PackumentFile(n.dir, name, false)
		fi, err = os.Stat(path)
	}
	var b []byte
	var mod time.Time
	if err == nil {
		mod = fi.ModTime()
		if b, err = os.ReadFile(path); err != nil {
			npmError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	b, mod, merr := n.withAdded(name, b, mod)
	if merr != nil {
		npmError(w, http.StatusInternalServerError, merr.Error())
		return
	}
	if b == nil {
		npmError(w, http.StatusNotFound, "Not found")
		return
	}
	b = bytes.ReplaceAll(b, []byte(NpmOrigin+"/"), []byte(baseURL(r)+"/"))
	ct := "application/json"
	if abbrev {
		ct = "application/vnd.npm.install-v1+json"
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Vary", "Accept, Accept-Encoding")
	serveBytes(w, r, ct, mod, b)
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
