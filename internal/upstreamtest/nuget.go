package upstreamtest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// nugetFixtures are real packages made by nuget.exe 5.8's `nuget pack`
// from the manifests in testdata/nuget/src (Wharf.Pub.App 1.0.0 depends
// on Wharf.Pub.Lib >= 1.0.0; Lib has 1.0.0, 1.1.0 and 1.2.0; Wharf.Pub.Extra
// 1.0.0 depends on nothing). They are
// checked in, a few kilobytes each, so that tests without Mono can serve
// them; rebuild with `nuget pack X.nuspec -OutputDirectory ..` there.
//
//go:embed testdata/nuget/*.nupkg
var nugetFixtures embed.FS

// NuGetFixture returns a fixture package by file name
// (Wharf.Pub.Lib.1.0.0.nupkg).
func NuGetFixture(name string) ([]byte, error) {
	return nugetFixtures.ReadFile("testdata/nuget/" + name)
}

// NuGet is a NuGet V3 feed laid out as nuget.org's: the service index at
// /v3/index.json; the flat container (PackageBaseAddress/3.0.0) at
// /v3-flatcontainer/ with each package's version list, nupkgs and
// nuspecs; the registration hive (RegistrationsBaseUrl/3.6.0, SemVer 2.0
// versions included) at /v3/registration5-gz-semver2/, gzip-encoded
// whatever the client asks, as nuget.org's gz hives are, with pages
// inlined for packages of at most Inline versions and linked beyond; and
// the catalog leaves the registration's catalog entries link, which alone
// carry packageHash (SHA512, base64), as on nuget.org. Documents carry an
// ETag and answer If-None-Match with 304.
type NuGet struct {
	Control
	// Inline is the most versions whose registration pages are inlined in
	// the index (nuget.org: 128); 0 means 128. Each page holds at most
	// 64 versions.
	Inline int

	mu       sync.RWMutex
	pkgs     map[string][]*nugetVersion // by lowercase id, ascending
	corrupt  map[string]bool            // "id/version", lowercase
	unlisted map[string]bool            // "id/version", lowercase
	commits  map[string]int             // each package's changes, by lowercase id
}

type nugetVersion struct {
	id, version string // as the nuspec says
	data        []byte
	nuspec      []byte
	meta        nugetMeta
	hash        string // SHA512, base64
	published   time.Time
}

// nugetMeta is what the stand-in reads of a nuspec.
type nugetMeta struct {
	ID          string `xml:"metadata>id"`
	Version     string `xml:"metadata>version"`
	Authors     string `xml:"metadata>authors"`
	Description string `xml:"metadata>description"`
	ProjectURL  string `xml:"metadata>projectUrl"`
	Tags        string `xml:"metadata>tags"`
	License     struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"metadata>license"`
	Groups []struct {
		TargetFramework string `xml:"targetFramework,attr"`
		Deps            []struct {
			ID      string `xml:"id,attr"`
			Version string `xml:"version,attr"`
		} `xml:"dependency"`
	} `xml:"metadata>dependencies>group"`
}

// NewNuGet makes an empty feed; Add puts packages in it.
func NewNuGet() *NuGet {
	return &NuGet{pkgs: map[string][]*nugetVersion{}, corrupt: map[string]bool{}, unlisted: map[string]bool{}, commits: map[string]int{}}
}

// nugetVersionSyntax is the normalized versions the stand-in accepts
// (it does not normalize them itself).
var nugetVersionSyntax = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// Add publishes a .nupkg; the feed lists it from the next request on (a
// version released after a client's first fetch).
func (n *NuGet) Add(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("not a nupkg: %w", err)
	}
	var spec []byte
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "/") && strings.HasSuffix(strings.ToLower(f.Name), ".nuspec") {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			var b bytes.Buffer
			_, err = b.ReadFrom(rc)
			rc.Close()
			if err != nil {
				return err
			}
			spec = b.Bytes()
		}
	}
	if spec == nil {
		return errors.New("the nupkg has no .nuspec at its root")
	}
	var m nugetMeta
	if err := xml.Unmarshal(spec, &m); err != nil {
		return fmt.Errorf("nuspec: %w", err)
	}
	if m.ID == "" || !nugetVersionSyntax.MatchString(m.Version) {
		return fmt.Errorf("nuspec: id %q version %q: want an id and a normalized version", m.ID, m.Version)
	}
	sum := sha512.Sum512(data)
	v := &nugetVersion{id: m.ID, version: m.Version, data: data, nuspec: spec, meta: m,
		hash: base64.StdEncoding.EncodeToString(sum[:]), published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	key := strings.ToLower(m.ID)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, old := range n.pkgs[key] {
		if strings.EqualFold(old.version, v.version) {
			return fmt.Errorf("%s %s is already in the feed", m.ID, m.Version)
		}
	}
	vs := append(n.pkgs[key], v)
	sort.Slice(vs, func(i, j int) bool { return compareNuGet(vs[i].version, vs[j].version) < 0 })
	n.pkgs[key] = vs
	n.commits[key]++
	return nil
}

// AddFixtures publishes fixture packages by file name (NuGetFixture).
func (n *NuGet) AddFixtures(names ...string) error {
	for _, name := range names {
		b, err := NuGetFixture(name)
		if err != nil {
			return err
		}
		if err := n.Add(b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Corrupt makes the feed serve different bytes for a version's nupkg
// than the packageHash its catalog entry publishes.
func (n *NuGet) Corrupt(id, version string) {
	n.mu.Lock()
	n.corrupt[strings.ToLower(id+"/"+version)] = true
	n.mu.Unlock()
}

// Unlist marks a version unlisted, as nuget.org's `nuget delete` does:
// listed false and the 1900 published date in its catalog entry; the
// flat container still lists and serves it.
func (n *NuGet) Unlist(id, version string) {
	n.mu.Lock()
	n.unlisted[strings.ToLower(id+"/"+version)] = true
	n.commits[strings.ToLower(id)]++
	n.mu.Unlock()
}

func (n *NuGet) listed(v *nugetVersion) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return !n.unlisted[strings.ToLower(v.id+"/"+v.version)]
}

// PackageHash is the packageHash the feed publishes for a version, ""
// when it has none.
func (n *NuGet) PackageHash(id, version string) string {
	if v := n.find(strings.ToLower(id), strings.ToLower(version)); v != nil {
		return v.hash
	}
	return ""
}

func (n *NuGet) find(idLower, versionLower string) *nugetVersion {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, v := range n.pkgs[idLower] {
		if strings.ToLower(v.version) == versionLower {
			return v
		}
	}
	return nil
}

func (n *NuGet) versions(idLower string) []*nugetVersion {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append([]*nugetVersion(nil), n.pkgs[idLower]...)
}

// Paths of the feed's resources.
const (
	nugetFlat    = "/v3-flatcontainer/"
	nugetReg     = "/v3/registration5-gz-semver2/"
	nugetCatalog = "/v3/catalog0/data/2024.01.02.03.04.05/"
)

// ServeHTTP answers the feed's GETs.
func (n *NuGet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.serve(w, r, n.route)
}

func (n *NuGet) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	base := baseURL(r)
	p := r.URL.Path
	switch {
	case p == "/v3/index.json":
		n.serviceIndex(w, r, base)
	case strings.HasPrefix(p, nugetFlat):
		n.flat(w, r, strings.Split(strings.TrimPrefix(p, nugetFlat), "/"))
	case strings.HasPrefix(p, nugetReg):
		n.registration(w, r, base, strings.Split(strings.TrimPrefix(p, nugetReg), "/"))
	case strings.HasPrefix(p, nugetCatalog):
		n.catalogLeaf(w, r, base, strings.TrimPrefix(p, nugetCatalog))
	default:
		http.NotFound(w, r)
	}
}

func (n *NuGet) serviceIndex(w http.ResponseWriter, r *http.Request, base string) {
	type res struct {
		ID   string `json:"@id"`
		Type string `json:"@type"`
	}
	doc := struct {
		Version   string `json:"version"`
		Resources []res  `json:"resources"`
	}{Version: "3.0.0", Resources: []res{
		{base + nugetFlat, "PackageBaseAddress/3.0.0"},
		{base + nugetReg, "RegistrationsBaseUrl/3.6.0"},
		{base + nugetReg, "RegistrationsBaseUrl/Versioned"},
		{base + "/v3/catalog0/index.json", "Catalog/3.0.0"},
	}}
	n.json(w, r, doc, false)
}

// flat serves {id}/index.json, {id}/{v}/{id}.{v}.nupkg and {id}/{v}/{id}.nuspec.
func (n *NuGet) flat(w http.ResponseWriter, r *http.Request, segs []string) {
	switch {
	case len(segs) == 2 && segs[1] == "index.json":
		vs := n.versions(segs[0])
		if len(vs) == 0 || segs[0] != strings.ToLower(segs[0]) {
			http.NotFound(w, r)
			return
		}
		out := struct {
			Versions []string `json:"versions"`
		}{}
		for _, v := range vs {
			out.Versions = append(out.Versions, strings.ToLower(v.version))
		}
		n.json(w, r, out, false)
	case len(segs) == 3:
		v := n.find(segs[0], segs[1])
		if v == nil || segs[0] != strings.ToLower(segs[0]) || segs[1] != strings.ToLower(segs[1]) {
			http.NotFound(w, r)
			return
		}
		switch segs[2] {
		case segs[0] + "." + segs[1] + ".nupkg":
			b := v.data
			n.mu.RLock()
			bad := n.corrupt[segs[0]+"/"+segs[1]]
			n.mu.RUnlock()
			if bad {
				b = corruptCopy(b)
			}
			serveBytes(w, r, "application/octet-stream", v.published, b)
		case segs[0] + ".nuspec":
			serveBytes(w, r, "text/xml", v.published, v.nuspec)
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// Registration documents, as nuget.org shapes them.
type (
	nugetRegIndex struct {
		ID       string         `json:"@id"`
		Type     []string       `json:"@type"`
		CommitID string         `json:"commitId"`
		Count    int            `json:"count"`
		Items    []nugetRegPage `json:"items"`
	}
	nugetRegPage struct {
		ID       string         `json:"@id"`
		Type     string         `json:"@type"`
		CommitID string         `json:"commitId"`
		Count    int            `json:"count"`
		Items    []nugetRegLeaf `json:"items,omitempty"`
		Parent   string         `json:"parent,omitempty"`
		Lower    string         `json:"lower"`
		Upper    string         `json:"upper"`
	}
	nugetRegLeaf struct {
		ID             string         `json:"@id"`
		Type           string         `json:"@type"`
		CatalogEntry   map[string]any `json:"catalogEntry"`
		PackageContent string         `json:"packageContent"`
		Registration   string         `json:"registration"`
	}
)

// catalogEntry is a version's catalog entry; the registration inlines
// it without the package hash, the catalog leaf has it.
func (n *NuGet) catalogEntry(base string, v *nugetVersion, leaf bool) map[string]any {
	idLower, verLower := strings.ToLower(v.id), strings.ToLower(v.version)
	catURL := base + nugetCatalog + idLower + "." + verLower + ".json"
	var groups []map[string]any
	for _, g := range v.meta.Groups {
		gid := catURL + "#dependencygroup/" + strings.ToLower(g.TargetFramework)
		var deps []map[string]any
		for _, d := range g.Deps {
			rng := d.Version
			if rng != "" && !strings.ContainsAny(rng, "[(") {
				rng = "[" + rng + ", )"
			}
			deps = append(deps, map[string]any{"@id": gid + "/" + strings.ToLower(d.ID), "@type": "PackageDependency",
				"id": d.ID, "range": rng, "registration": base + nugetReg + strings.ToLower(d.ID) + "/index.json"})
		}
		groups = append(groups, map[string]any{"@id": gid, "@type": "PackageDependencyGroup", "targetFramework": g.TargetFramework, "dependencies": deps})
	}
	e := map[string]any{
		"@id": catURL, "@type": "PackageDetails", "authors": v.meta.Authors, "dependencyGroups": groups,
		"description": v.meta.Description, "iconUrl": "", "id": v.id, "language": "", "licenseUrl": "",
		"listed": true, "minClientVersion": "", "packageContent": base + nugetFlat + idLower + "/" + verLower + "/" + idLower + "." + verLower + ".nupkg",
		"projectUrl": v.meta.ProjectURL, "published": v.published.Format(time.RFC3339), "requireLicenseAcceptance": false,
		"summary": "", "tags": strings.Fields(v.meta.Tags), "title": "", "version": v.version,
	}
	if !n.listed(v) {
		e["listed"] = false
		e["published"] = "1900-01-01T00:00:00+00:00"
	}
	if v.meta.License.Type == "expression" {
		e["licenseExpression"] = v.meta.License.Value
		e["licenseUrl"] = "https://licenses.nuget.org/" + v.meta.License.Value
	}
	if leaf {
		e["@type"] = []string{"PackageDetails", "catalog:Permalink"}
		e["packageHash"] = v.hash
		e["packageHashAlgorithm"] = "SHA512"
		e["packageSize"] = len(v.data)
		e["created"] = e["published"]
	}
	return e
}

func (n *NuGet) leaf(base string, v *nugetVersion) nugetRegLeaf {
	idLower, verLower := strings.ToLower(v.id), strings.ToLower(v.version)
	return nugetRegLeaf{ID: base + nugetReg + idLower + "/" + verLower + ".json", Type: "Package",
		CatalogEntry:   n.catalogEntry(base, v, false),
		PackageContent: base + nugetFlat + idLower + "/" + verLower + "/" + idLower + "." + verLower + ".nupkg",
		Registration:   base + nugetReg + idLower + "/index.json"}
}

// registration serves {id}/index.json, {id}/page/{lower}/{upper}.json
// and {id}/{version}.json.
func (n *NuGet) registration(w http.ResponseWriter, r *http.Request, base string, segs []string) {
	if len(segs) < 2 || segs[0] != strings.ToLower(segs[0]) {
		http.NotFound(w, r)
		return
	}
	vs := n.versions(segs[0])
	if len(vs) == 0 {
		http.NotFound(w, r)
		return
	}
	index := base + nugetReg + segs[0] + "/index.json"
	// Every change to the package is a new commit, which the index and
	// its pages name, as on nuget.org: an index changes whenever a page
	// does.
	n.mu.RLock()
	commit := fmt.Sprintf("commit-%d", n.commits[segs[0]])
	n.mu.RUnlock()
	var pages [][]*nugetVersion
	for rest := vs; len(rest) > 0; {
		k := min(64, len(rest))
		pages = append(pages, rest[:k])
		rest = rest[k:]
	}
	inline := n.Inline
	if inline <= 0 {
		inline = 128
	}
	page := func(p []*nugetVersion, withItems bool) nugetRegPage {
		lower, upper := strings.ToLower(p[0].version), strings.ToLower(p[len(p)-1].version)
		pg := nugetRegPage{ID: base + nugetReg + segs[0] + "/page/" + lower + "/" + upper + ".json", Type: "catalog:CatalogPage",
			CommitID: commit, Count: len(p), Lower: lower, Upper: upper}
		if withItems {
			pg.Parent = index
			for _, v := range p {
				pg.Items = append(pg.Items, n.leaf(base, v))
			}
		}
		return pg
	}
	switch {
	case len(segs) == 2 && segs[1] == "index.json":
		doc := nugetRegIndex{ID: index, Type: []string{"catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"}, CommitID: commit, Count: len(pages)}
		for _, p := range pages {
			doc.Items = append(doc.Items, page(p, len(vs) <= inline))
		}
		n.json(w, r, doc, true)
	case len(segs) == 4 && segs[1] == "page":
		for _, p := range pages {
			if pg := page(p, true); pg.Lower == segs[2] && pg.Upper+".json" == segs[3] {
				n.json(w, r, pg, true)
				return
			}
		}
		http.NotFound(w, r)
	case len(segs) == 2 && strings.HasSuffix(segs[1], ".json"):
		v := n.find(segs[0], strings.TrimSuffix(segs[1], ".json"))
		if v == nil {
			http.NotFound(w, r)
			return
		}
		l := n.leaf(base, v)
		n.json(w, r, map[string]any{"@id": l.ID, "@type": []string{"Package", "http://schema.nuget.org/catalog#Permalink"},
			"catalogEntry": l.CatalogEntry["@id"], "listed": l.CatalogEntry["listed"], "packageContent": l.PackageContent,
			"published": l.CatalogEntry["published"], "registration": l.Registration}, true)
	default:
		http.NotFound(w, r)
	}
}

// catalogLeaf serves {id}.{version}.json with the package hash.
func (n *NuGet) catalogLeaf(w http.ResponseWriter, r *http.Request, base, name string) {
	for _, vs := range n.snapshot() {
		for _, v := range vs {
			if strings.ToLower(v.id)+"."+strings.ToLower(v.version)+".json" == name {
				n.json(w, r, n.catalogEntry(base, v, true), false)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (n *NuGet) snapshot() [][]*nugetVersion {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([][]*nugetVersion, 0, len(n.pkgs))
	for _, vs := range n.pkgs {
		out = append(out, vs)
	}
	return out
}

// json answers a document; gz documents are gzip-encoded whatever the
// client accepts, as nuget.org's registration5-gz hives are.
func (n *NuGet) json(w http.ResponseWriter, r *http.Request, doc any, gz bool) {
	b, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		b = buf.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	serveBytes(w, r, "application/json", time.Time{}, b)
}

// compareNuGet orders normalized versions: numeric parts, then a stable
// version above its pre-releases, pre-release labels compared as SemVer
// 2.0 (case-insensitively, as NuGet does).
func compareNuGet(a, b string) int {
	ma, mb := nugetVersionSyntax.FindStringSubmatch(a), nugetVersionSyntax.FindStringSubmatch(b)
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(ma[i])
		y, _ := strconv.Atoi(mb[i])
		if x != y {
			return x - y
		}
	}
	ra, rb := strings.TrimPrefix(ma[4], "-"), strings.TrimPrefix(mb[4], "-")
	switch {
	case ra == rb:
		return 0
	case ra == "":
		return 1
	case rb == "":
		return -1
	}
	pa, pb := strings.Split(strings.ToLower(ra), "."), strings.Split(strings.ToLower(rb), ".")
	for i := 0; i < min(len(pa), len(pb)); i++ {
		x, ex := strconv.Atoi(pa[i])
		y, ey := strconv.Atoi(pb[i])
		switch {
		case ex == nil && ey == nil && x != y:
			return x - y
		case ex == nil && ey != nil:
			return -1
		case ex != nil && ey == nil:
			return 1
		case pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return len(pa) - len(pb)
}
