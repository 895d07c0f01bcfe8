package upstreamtest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"hash"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DebianMavenRepo is Debian's Maven 2 repository of its Java packages.
const DebianMavenRepo = "/usr/share/maven-repo"

// Maven is a Maven 2 repository over HTTP, as Maven Central serves one:
// the files of a directory tree (symbolic links followed: Debian's jars
// link into /usr/share/java), plus what a real remote repository has and
// Debian's tree lacks: a .sha1, .md5, .sha256 and .sha512 beside every
// file, computed when not on disk, and a maven-metadata.xml per artifact
// (GROUP/ARTIFACT/maven-metadata.xml) listing the versions that have a
// POM, generated when not on disk; and for a plugin group (a directory
// of plugin artifacts: org/apache/maven/plugins) a GROUP/maven-metadata.xml
// listing their prefixes. Files answer If-Modified-Since; a directory or
// anything missing is 404.
type Maven struct {
	Control
	root string

	mu      sync.RWMutex
	added   map[string]addedFile // by path without the leading "/"
	corrupt map[string]bool
}

type addedFile struct {
	data []byte
	at   time.Time
}

// NewMaven serves the repository under root (DebianMavenRepo, say).
func NewMaven(root string) *Maven {
	return &Maven{root: root, added: map[string]addedFile{}, corrupt: map[string]bool{}}
}

// Add publishes an artifact version's files while the repository runs
// (a release after a client's first fetch): files maps extensions
// ("pom", "jar", "sources.jar" for a classifier) to their bytes. The
// artifact's maven-metadata.xml lists it from the next request on.
func (m *Maven) Add(groupID, artifactID, version string, files map[string][]byte) {
	dir := strings.ReplaceAll(groupID, ".", "/") + "/" + artifactID + "/" + version + "/"
	now := time.Now().UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	for ext, b := range files {
		sep := "."
		if strings.Contains(ext, ".") { // a classifier: NAME-VERSION-CLASSIFIER.EXT
			sep = "-"
		}
		m.added[dir+artifactID+"-"+version+sep+ext] = addedFile{data: b, at: now}
	}
}

// Corrupt makes the repository serve different bytes for a file (path
// relative to the root, e.g. "g/a/1.0/a-1.0.jar") than its checksum
// files say.
func (m *Maven) Corrupt(p string) {
	m.mu.Lock()
	m.corrupt[strings.TrimPrefix(p, "/")] = true
	m.mu.Unlock()
}

var checksumExts = map[string]func() hash.Hash{".sha1": sha1.New, ".md5": md5.New, ".sha256": sha256.New, ".sha512": sha512.New}

// ServeHTTP answers GET and HEAD for the repository's files.
func (m *Maven) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.serve(w, r, m.route)
}

func (m *Maven) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	if p == "" || strings.HasSuffix(p, "/") || path.Clean("/"+p) != "/"+p {
		http.NotFound(w, r)
		return
	}
	if ext := path.Ext(p); checksumExts[ext] != nil {
		if _, _, err := m.content(p, true); err != nil {
			// Checksums of the bytes published, not of a corrupted copy.
			if b, at, err := m.content(strings.TrimSuffix(p, ext), false); err == nil {
				h := checksumExts[ext]()
				h.Write(b)
				serveBytes(w, r, "text/plain", at, []byte(hex.EncodeToString(h.Sum(nil))))
				return
			}
		}
	}
	b, at, err := m.content(p, true)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "application/octet-stream"
	switch path.Ext(p) {
	case ".pom", ".xml":
		ct = "text/xml"
	case ".jar":
		ct = "application/java-archive"
	}
	serveBytes(w, r, ct, at, b)
}

// content is a file's bytes and time: added, on disk, or a generated
// maven-metadata.xml; served is true for what goes to the client
// (a corrupted file's wrong bytes).
func (m *Maven) content(p string, served bool) ([]byte, time.Time, error) {
	m.mu.RLock()
	a, added := m.added[p]
	bad := m.corrupt[p]
	m.mu.RUnlock()
	var b []byte
	var at time.Time
	switch {
	case added:
		b, at = a.data, a.at
	default:
		var onDisk bool
		if b, onDisk, at = m.read(p); !onDisk {
			if path.Base(p) != "maven-metadata.xml" {
				return nil, time.Time{}, fs.ErrNotExist
			}
			var err error
			if b, at, err = m.metadata(path.Dir(p)); err != nil {
				if b, at, err = m.pluginGroup(path.Dir(p)); err != nil {
					return nil, time.Time{}, err
				}
			}
		}
	}
	if served && bad {
		b = corruptCopy(b)
	}
	return b, at, nil
}

// read reads a regular file under the root (through symbolic links).
func (m *Maven) read(p string) ([]byte, bool, time.Time) {
	full := filepath.Join(m.root, filepath.FromSlash(p))
	fi, err := os.Stat(full)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false, time.Time{}
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return nil, false, time.Time{}
	}
	return b, true, fi.ModTime()
}

// mavenMetadata is maven-metadata.xml at the artifact level.
type mavenMetadata struct {
	XMLName    xml.Name `xml:"metadata"`
	GroupID    string   `xml:"groupId"`
	ArtifactID string   `xml:"artifactId"`
	Versioning struct {
		Latest      string   `xml:"latest,omitempty"`
		Release     string   `xml:"release,omitempty"`
		Versions    []string `xml:"versions>version"`
		LastUpdated string   `xml:"lastUpdated"`
	} `xml:"versioning"`
}

// metadata generates GROUP/ARTIFACT/maven-metadata.xml from the version
// directories that hold the artifact's POM, on disk or added.
func (m *Maven) metadata(dir string) ([]byte, time.Time, error) {
	artifact := path.Base(dir)
	group := path.Dir(dir)
	if group == "." || artifact == "" {
		return nil, time.Time{}, fs.ErrNotExist
	}
	versions := map[string]time.Time{}
	if ents, err := os.ReadDir(filepath.Join(m.root, filepath.FromSlash(dir))); err == nil {
		for _, e := range ents {
			v := e.Name()
			pom := filepath.Join(m.root, filepath.FromSlash(dir), v, artifact+"-"+v+".pom")
			if fi, err := os.Stat(pom); err == nil {
				versions[v] = fi.ModTime()
			}
		}
	}
	m.mu.RLock()
	for p, a := range m.added {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			v, file, ok := strings.Cut(rest, "/")
			if ok && file == artifact+"-"+v+".pom" {
				versions[v] = a.at
			}
		}
	}
	m.mu.RUnlock()
	if len(versions) == 0 {
		return nil, time.Time{}, fs.ErrNotExist
	}
	var md mavenMetadata
	md.GroupID, md.ArtifactID = strings.ReplaceAll(group, "/", "."), artifact
	var last time.Time
	for v, at := range versions {
		md.Versioning.Versions = append(md.Versioning.Versions, v)
		if at.After(last) {
			last = at
		}
	}
	sort.Slice(md.Versioning.Versions, func(i, j int) bool {
		return CompareMavenVersions(md.Versioning.Versions[i], md.Versioning.Versions[j]) < 0
	})
	vs := md.Versioning.Versions
	md.Versioning.Latest = vs[len(vs)-1]
	for i := len(vs) - 1; i >= 0; i-- {
		if !strings.HasSuffix(vs[i], "-SNAPSHOT") {
			md.Versioning.Release = vs[i]
			break
		}
	}
	md.Versioning.LastUpdated = last.UTC().Format("20060102150405")
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, time.Time{}, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), last, nil
}

// pluginPrefix is the prefix Maven gives a plugin by convention
// (maven-dependency-plugin: dependency; versions-maven-plugin: versions).
func pluginPrefix(artifactID string) string {
	if p, ok := strings.CutPrefix(artifactID, "maven-"); ok {
		if p, ok = strings.CutSuffix(p, "-plugin"); ok && p != "" {
			return p
		}
	}
	if p, ok := strings.CutSuffix(artifactID, "-maven-plugin"); ok && p != "" {
		return p
	}
	return ""
}

// pluginGroup generates a plugin group's GROUP/maven-metadata.xml, as
// Maven Central has one for org.apache.maven.plugins: the prefix of each
// plugin artifact of the group (named by convention, with a version
// holding its POM), which "mvn PREFIX:GOAL" resolves through.
func (m *Maven) pluginGroup(dir string) ([]byte, time.Time, error) {
	names := map[string]bool{}
	if ents, err := os.ReadDir(filepath.Join(m.root, filepath.FromSlash(dir))); err == nil {
		for _, e := range ents {
			names[e.Name()] = true
		}
	}
	m.mu.RLock()
	for p := range m.added {
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			name, _, _ := strings.Cut(rest, "/")
			names[name] = true
		}
	}
	m.mu.RUnlock()
	type plugin struct {
		Prefix     string `xml:"prefix"`
		ArtifactID string `xml:"artifactId"`
	}
	var md struct {
		XMLName xml.Name `xml:"metadata"`
		Plugins []plugin `xml:"plugins>plugin"`
	}
	var last time.Time
	for name := range names {
		prefix := pluginPrefix(name)
		if prefix == "" {
			continue
		}
		if _, at, err := m.metadata(dir + "/" + name); err == nil {
			md.Plugins = append(md.Plugins, plugin{Prefix: prefix, ArtifactID: name})
			if at.After(last) {
				last = at
			}
		}
	}
	if len(md.Plugins) == 0 {
		return nil, time.Time{}, fs.ErrNotExist
	}
	sort.Slice(md.Plugins, func(i, j int) bool { return md.Plugins[i].ArtifactID < md.Plugins[j].ArtifactID })
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, time.Time{}, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), last, nil
}

// serveBytes answers with b, its Last-Modified and a strong ETag.
func serveBytes(w http.ResponseWriter, r *http.Request, ct string, at time.Time, b []byte) {
	sum := sha1.Sum(b)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	http.ServeContent(w, r, "", at, bytes.NewReader(b))
}

// CompareMavenVersions orders versions as Maven's ComparableVersion does
// for the versions found in repositories: items split at '.', '-' and
// digit-letter changes; numbers compare numerically and above any
// qualifier; known qualifiers rank alpha < beta < milestone < rc <
// snapshot < release (ga, final, none) < sp, other words after them in
// alphabetical order; a missing item counts as 0 or release.
func CompareMavenVersions(a, b string) int {
	ia, ib := mavenItems(a), mavenItems(b)
	for i := 0; i < max(len(ia), len(ib)); i++ {
		var x, y mavenItem
		if i < len(ia) {
			x = ia[i]
		} else {
			x = padItem(ib[i])
		}
		if i < len(ib) {
			y = ib[i]
		} else {
			y = padItem(ia[i])
		}
		if c := x.compare(y); c != 0 {
			return c
		}
	}
	return 0
}

type mavenItem struct {
	num   bool
	n     uint64
	rank  int    // qualifiers: see qualifierRank
	other string // an unknown qualifier
}

// padItem is what a shorter version has in place of it.
func padItem(it mavenItem) mavenItem {
	if it.num {
		return mavenItem{num: true}
	}
	return mavenItem{rank: qualifierRank[""]}
}

var qualifierRank = map[string]int{"alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3, "rc": 4, "cr": 4,
	"snapshot": 5, "": 6, "ga": 6, "final": 6, "release": 6, "sp": 7}

func (x mavenItem) compare(y mavenItem) int {
	switch {
	case x.num && y.num:
		switch {
		case x.n < y.n:
			return -1
		case x.n > y.n:
			return 1
		}
		return 0
	case x.num:
		return 1
	case y.num:
		return -1
	}
	if x.rank != y.rank {
		if x.rank < y.rank {
			return -1
		}
		return 1
	}
	return strings.Compare(x.other, y.other)
}

func mavenItems(v string) []mavenItem {
	var out []mavenItem
	add := func(tok string) {
		if tok == "" {
			return
		}
		if n, err := strconv.ParseUint(tok, 10, 64); err == nil {
			out = append(out, mavenItem{num: true, n: n})
			return
		}
		tok = strings.ToLower(tok)
		if r, ok := qualifierRank[tok]; ok {
			out = append(out, mavenItem{rank: r})
			return
		}
		out = append(out, mavenItem{rank: 8, other: tok})
	}
	// Maven drops zeros and release qualifiers that end a list before a
	// '-' or a number-to-word change (1.0-alpha is 1-alpha) and at the end
	// (1.0 is 1).
	segment := 0
	trim := func() {
		for len(out) > segment {
			last := out[len(out)-1]
			if !(last.num && last.n == 0 || !last.num && last.rank == qualifierRank[""]) {
				break
			}
			out = out[:len(out)-1]
		}
		segment = len(out)
	}
	start := 0
	for i := 1; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' || v[i] == '-' {
			add(v[start:i])
			if i < len(v) && v[i] == '-' {
				trim()
			}
			start = i + 1
			continue
		}
		if isDigit(v[i]) != isDigit(v[i-1]) && v[i-1] != '.' && v[i-1] != '-' {
			add(v[start:i])
			if isDigit(v[i-1]) {
				trim()
			}
			start = i
		}
	}
	segment = 0
	trim()
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
