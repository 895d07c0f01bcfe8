package upstreamtest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

// DebianCargoRegistry is where Debian's librust-*-dev packages put the
// crates they ship, one NAME-VERSION directory each, as published on
// crates.io (normalized Cargo.toml included).
const DebianCargoRegistry = "/usr/share/cargo/registry"

// Cargo is a sparse registry as index.crates.io and static.crates.io
// serve it: /config.json names the download base, /{index path} (1/a,
// 2/ab, 3/a/abc, ab/cd/abcd...) is a crate's index file, one JSON line
// per version with its dependencies, features and cksum (the .crate's
// sha256), and /crates/{crate}/{version}/download serves the .crate.
// Index files carry an ETag and answer If-None-Match with 304.
type Cargo struct {
	Control

	mu      sync.RWMutex
	crates  map[string][]*cargoVersion // by lowercased name, in publish order
	corrupt map[string]bool            // name/version served with wrong bytes
}

type cargoVersion struct {
	name, vers string
	line       map[string]any // the index line, yanked aside
	yanked     bool
	data       []byte
}

// NewCargo makes an empty registry; AddCrate and AddDir put crates in it.
func NewCargo() *Cargo {
	return &Cargo{crates: map[string][]*cargoVersion{}, corrupt: map[string]bool{}}
}

// AddDir packages a crate's source directory (such as one under
// DebianCargoRegistry) and publishes it; version, when not empty,
// replaces the version its Cargo.toml gives (a release made after a
// client's first fetch). It returns the crate's name and version.
func (c *Cargo) AddDir(dir, version string) (string, string, error) {
	name, vers, data, err := CrateFromDir(dir, version)
	if err != nil {
		return "", "", err
	}
	return name, vers, c.AddCrate(data)
}

// AddCrate publishes a .crate: its index line is made from the
// Cargo.toml inside, as crates.io makes it at publish. The index lists
// it from the next request on.
func (c *Cargo) AddCrate(data []byte) error {
	manifest, err := crateManifest(data)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	line, name, vers, err := cargoIndexLine(manifest, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(name)
	for _, v := range c.crates[key] {
		if v.vers == vers {
			return fmt.Errorf("%s %s is already in the registry", name, vers)
		}
	}
	c.crates[key] = append(c.crates[key], &cargoVersion{name: name, vers: vers, line: line, data: data})
	return nil
}

// Corrupt makes the registry serve different bytes for a .crate than
// the cksum its index line gives.
func (c *Cargo) Corrupt(name, version string) {
	c.mu.Lock()
	c.corrupt[strings.ToLower(name)+"/"+version] = true
	c.mu.Unlock()
}

// Yank sets a version's yanked flag, as cargo yank does on crates.io.
func (c *Cargo) Yank(name, version string, yanked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.crates[strings.ToLower(name)] {
		if v.vers == version {
			v.yanked = yanked
		}
	}
}

// CrateFromDir packages a crate's sources as cargo package does: a
// gzipped tar of NAME-VERSION/..., regular files only, in name order,
// with fixed times so the same sources always make the same bytes.
// Debian's additions (debian/, .pc/, .cargo-checksum.json) are left out.
// version, when not empty, replaces the [package] version in Cargo.toml.
func CrateFromDir(dir, version string) (name, vers string, data []byte, err error) {
	manifest, err := os.ReadFile(filepath.Join(dir, "Cargo.toml"))
	if err != nil {
		return "", "", nil, err
	}
	if version != "" {
		if manifest, err = setPackageVersion(manifest, version); err != nil {
			return "", "", nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	var pkg struct {
		Package struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
		} `toml:"package"`
	}
	if _, err := toml.Decode(string(manifest), &pkg); err != nil {
		return "", "", nil, fmt.Errorf("%s/Cargo.toml: %w", dir, err)
	}
	name, vers = pkg.Package.Name, pkg.Package.Version
	if name == "" || vers == "" {
		return "", "", nil, fmt.Errorf("%s/Cargo.toml names no package and version", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && (rel == "debian" || rel == ".pc" || rel == "target"):
			return filepath.SkipDir
		case d.Type().IsRegular() && rel != ".cargo-checksum.json":
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", "", nil, err
	}
	sort.Strings(files)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, rel := range files {
		body := manifest
		if rel != "Cargo.toml" {
			if body, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
				return "", "", nil, err
			}
		}
		hd := &tar.Header{Name: name + "-" + vers + "/" + rel, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(1, 0), Format: tar.FormatGNU}
		if err := tw.WriteHeader(hd); err != nil {
			return "", "", nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return "", "", nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return "", "", nil, err
	}
	if err := zw.Close(); err != nil {
		return "", "", nil, err
	}
	return name, vers, b.Bytes(), nil
}

// setPackageVersion rewrites the version line of Cargo.toml's [package]
// table.
func setPackageVersion(manifest []byte, version string) ([]byte, error) {
	var out bytes.Buffer
	section, done := "", false
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			section = t
		}
		if k, _, ok := strings.Cut(t, "="); ok && !done && section == "[package]" && strings.TrimSpace(k) == "version" {
			line, done = fmt.Sprintf("version = %q", version), true
		}
		out.WriteString(line + "\n")
	}
	if !done {
		return nil, errors.New("no [package] version line in Cargo.toml")
	}
	return out.Bytes(), sc.Err()
}

// crateManifest is the Cargo.toml of a .crate.
func crateManifest(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf(".crate: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf(".crate has no Cargo.toml: %w", err)
		}
		if dir, base := pathSplit(h.Name); base == "Cargo.toml" && dir != "" && !strings.Contains(dir, "/") {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}

// cargoIndexLine is the index line crates.io writes for a published
// Cargo.toml: every dependency (normal, dev, build, per target) with its
// requirement, features, optional, default_features, target, kind and,
// for a renamed one, package; the features, with those using the dep: or
// ?/ syntax apart in features2 (index format v2); links and
// rust_version.
func cargoIndexLine(manifest []byte, cksum string) (line map[string]any, name, vers string, err error) {
	var m struct {
		Package struct {
			Name        string `toml:"name"`
			Version     string `toml:"version"`
			Links       string `toml:"links"`
			RustVersion string `toml:"rust-version"`
		} `toml:"package"`
		Dependencies      map[string]any            `toml:"dependencies"`
		DevDependencies   map[string]any            `toml:"dev-dependencies"`
		BuildDependencies map[string]any            `toml:"build-dependencies"`
		Target            map[string]map[string]any `toml:"target"`
		Features          map[string][]string       `toml:"features"`
	}
	if _, err := toml.Decode(string(manifest), &m); err != nil {
		return nil, "", "", fmt.Errorf("parse Cargo.toml: %w", err)
	}
	name, vers = m.Package.Name, m.Package.Version
	if name == "" || vers == "" {
		return nil, "", "", errors.New("no package name and version in Cargo.toml")
	}
	deps := []map[string]any{}
	add := func(table map[string]any, kind string, target any) error {
		for key, spec := range table {
			d := map[string]any{"name": key, "req": "*", "features": []string{}, "optional": false, "default_features": true, "target": target, "kind": kind}
			switch s := spec.(type) {
			case string:
				d["req"] = s
			case map[string]any:
				if v, ok := s["version"].(string); ok {
					d["req"] = v
				}
				if fs, ok := s["features"].([]any); ok {
					list := []string{}
					for _, f := range fs {
						list = append(list, fmt.Sprint(f))
					}
					d["features"] = list
				}
				if o, ok := s["optional"].(bool); ok {
					d["optional"] = o
				}
				for _, k := range []string{"default-features", "default_features"} {
					if o, ok := s[k].(bool); ok {
						d["default_features"] = o
					}
				}
				if p, ok := s["package"].(string); ok {
					d["package"] = p
				}
				if r, ok := s["registry-index"].(string); ok {
					d["registry"] = r
				}
			default:
				return fmt.Errorf("dependency %s: %T", key, spec)
			}
			deps = append(deps, d)
		}
		return nil
	}
	for _, t := range []struct {
		table map[string]any
		kind  string
	}{{m.Dependencies, "normal"}, {m.DevDependencies, "dev"}, {m.BuildDependencies, "build"}} {
		if err := add(t.table, t.kind, nil); err != nil {
			return nil, "", "", err
		}
	}
	for cfg, tables := range m.Target {
		for section, kind := range map[string]string{"dependencies": "normal", "dev-dependencies": "dev", "build-dependencies": "build"} {
			if table, ok := tables[section].(map[string]any); ok {
				if err := add(table, kind, cfg); err != nil {
					return nil, "", "", err
				}
			}
		}
	}
	sort.SliceStable(deps, func(i, j int) bool {
		return fmt.Sprint(deps[i]["name"], deps[i]["kind"], deps[i]["target"]) < fmt.Sprint(deps[j]["name"], deps[j]["kind"], deps[j]["target"])
	})
	features, features2 := map[string][]string{}, map[string][]string{}
	for f, list := range m.Features {
		if list == nil {
			list = []string{}
		}
		v2 := false
		for _, x := range list {
			v2 = v2 || strings.HasPrefix(x, "dep:") || strings.Contains(x, "?/")
		}
		if v2 {
			features2[f] = list
		} else {
			features[f] = list
		}
	}
	line = map[string]any{"name": name, "vers": vers, "deps": deps, "cksum": cksum, "features": features, "links": nil, "v": 1}
	if len(features2) > 0 {
		line["features2"], line["v"] = features2, 2
	}
	if m.Package.Links != "" {
		line["links"] = m.Package.Links
	}
	if m.Package.RustVersion != "" {
		line["rust_version"] = m.Package.RustVersion
	}
	return line, name, vers, nil
}

// ServeHTTP answers config.json, index files and downloads.
func (c *Cargo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.serve(w, r, c.route)
}

// cargoError answers in the registry's error shape.
func cargoError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"errors\":[{\"detail\":%q}]}\n", msg)
}

func (c *Cargo) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		cargoError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	if p == "config.json" {
		body, _ := json.Marshal(map[string]string{"dl": baseURL(r) + "/crates", "api": baseURL(r)})
		w.Header().Set("Cache-Control", "public, max-age=600")
		serveIndexDoc(w, r, "application/json", body)
		return
	}
	if rest, ok := strings.CutPrefix(p, "crates/"); ok {
		segs := strings.Split(rest, "/")
		if len(segs) != 3 || segs[2] != "download" {
			cargoError(w, http.StatusNotFound, "Not Found")
			return
		}
		c.download(w, r, segs[0], segs[1])
		return
	}
	i := strings.LastIndexByte(p, '/')
	name := p[i+1:]
	if name == "" || name != strings.ToLower(name) || cargoIndexPath(name) != p {
		cargoError(w, http.StatusNotFound, "Not Found")
		return
	}
	c.mu.RLock()
	var body []byte
	for _, v := range c.crates[name] {
		l := make(map[string]any, len(v.line)+1)
		for k, x := range v.line {
			l[k] = x
		}
		l["yanked"] = v.yanked
		b, _ := json.Marshal(l)
		body = append(append(body, b...), '\n')
	}
	c.mu.RUnlock()
	if body == nil {
		cargoError(w, http.StatusNotFound, "Not Found")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	serveIndexDoc(w, r, "text/plain", body)
}

func (c *Cargo) download(w http.ResponseWriter, r *http.Request, name, vers string) {
	key := strings.ToLower(name)
	c.mu.RLock()
	var body []byte
	for _, v := range c.crates[key] {
		if v.vers == vers {
			body = v.data
		}
	}
	if c.corrupt[key+"/"+vers] {
		body = corruptCopy(body)
	}
	c.mu.RUnlock()
	if body == nil {
		cargoError(w, http.StatusNotFound, "Not Found")
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// cargoIndexPath is where a sparse index keeps a lowercased crate name's
// file.
func cargoIndexPath(n string) string {
	switch len(n) {
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	default:
		return n[:2] + "/" + n[2:4] + "/" + n
	}
}

// serveIndexDoc answers a document with a strong ETag, 304 on a match.
func serveIndexDoc(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
