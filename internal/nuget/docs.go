package nuget

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Paths under the endpoint. Clients only follow the service index, so
// these are Wharf's choice; the index advertises each under every @type
// alias NuGet clients look for.
const (
	pathIndex        = "v3/index.json"
	pathFlat         = "v3/flatcontainer/"
	pathRegistration = "v3/registration/"         // SemVer 1.0.0 versions only
	pathRegSemVer2   = "v3/registration-semver2/" // every version
	pathPublish      = "v3/package"
	pathSearch       = "v3/search"
)

// pageSize is how many versions one registration page holds, and
// inlineMax the most versions whose pages are inlined in the index;
// beyond that each page is its own document (nuget.org's numbers: a
// client installing one version of a package with thousands reads one
// small index and one page).
const (
	pageSize  = 64
	inlineMax = 128
)

// unlistedPublished is the published date nuget.org gives unlisted
// versions; older clients read "unlisted" from it.
var unlistedPublished = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

type resource struct {
	ID      string `json:"@id"`
	Type    string `json:"@type"`
	Comment string `json:"comment,omitempty"`
}

// serviceIndex renders {base}v3/index.json.
func serviceIndex(base string) []byte {
	var rs []resource
	add := func(path, comment string, types ...string) {
		for _, t := range types {
			rs = append(rs, resource{ID: base + path, Type: t, Comment: comment})
		}
	}
	add(pathFlat, "Base URL of where NuGet packages are stored, in the format {@id}{id-lower}/{version-lower}/{id-lower}.{version-lower}.nupkg",
		"PackageBaseAddress/3.0.0")
	add(pathRegSemVer2, "Base URL of package metadata (registration), SemVer 2.0.0 versions included",
		"RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned")
	add(pathRegistration, "Base URL of package metadata (registration), SemVer 1.0.0 versions only",
		"RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.4.0")
	add(pathPublish, "Push (PUT), unlist (DELETE {@id}/{id}/{version}) and relist (POST {@id}/{id}/{version})",
		"PackagePublish/2.0.0")
	add(pathSearch, "Query endpoint of the search service",
		"SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0")
	b, _ := json.Marshal(struct {
		Version   string     `json:"version"`
		Resources []resource `json:"resources"`
	}{"3.0.0", rs})
	return b
}

// entry is one version of a package as the documents show it.
type entry struct {
	v      *model.Version
	doc    *versionDoc
	parsed model.NuGetVersion
	// public is a version the public feed lists and no repository of
	// the chain holds yet (its nuspec is the feed's).
	public bool
}

func (e *entry) lower() string { return strings.ToLower(e.doc.Version) }

// listed reports whether resolvers and search may choose the version.
func (e *entry) listed() bool { return e.v.Status == model.StatusPublished }

// entries reads a view's versions that NuGet clients may fetch
// (Published and Unlisted), ascending by NuGet precedence. A version
// whose stored version does not parse as NuGet's is left out: no NuGet
// client could ask for it.
func entries(view *service.PackageView) ([]*entry, error) {
	out := make([]*entry, 0, len(view.Versions))
	for _, v := range view.Versions {
		if !v.Status.Downloadable() {
			continue
		}
		d, err := decodeDoc(v, view.Package.Key.Name)
		if err != nil {
			return nil, err
		}
		p, err := model.ParseNuGetVersion(d.Version)
		if err != nil {
			if p, err = model.ParseNuGetVersion(v.Version); err != nil {
				continue
			}
			d.Version = p.String()
		}
		out = append(out, &entry{v: v, doc: d, parsed: p})
	}
	slices.SortStableFunc(out, func(a, b *entry) int { return a.parsed.Compare(b.parsed) })
	return out, nil
}

// flatIndex renders {flat}{id}/index.json: every downloadable version,
// Unlisted ones too (the flat container is a download directory; restore
// resolves pinned versions through it), lowercase and normalized.
func flatIndex(es []*entry) []byte {
	vs := make([]string, len(es))
	for i, e := range es {
		vs[i] = e.lower()
	}
	b, _ := json.Marshal(struct {
		Versions []string `json:"versions"`
	}{vs})
	return b
}

// hive is one registration hive: where it lives and which versions it
// shows.
type hive struct {
	path    string
	semVer2 bool
}

var (
	hiveSemVer1 = hive{path: pathRegistration}
	hiveSemVer2 = hive{path: pathRegSemVer2, semVer2: true}
)

// filter returns the versions the hive shows.
func (h hive) filter(es []*entry) []*entry {
	if h.semVer2 {
		return es
	}
	out := make([]*entry, 0, len(es))
	for _, e := range es {
		if !e.doc.SemVer2 && !e.parsed.IsSemVer2() {
			out = append(out, e)
		}
	}
	return out
}

// links builds a package's URLs.
type links struct {
	base, idLower string
	hive          hive
}

func (l links) index() string { return l.base + l.hive.path + l.idLower + "/index.json" }
func (l links) leaf(e *entry) string {
	return l.base + l.hive.path + l.idLower + "/" + e.lower() + ".json"
}
func (l links) content(e *entry) string {
	return l.base + pathFlat + l.idLower + "/" + e.lower() + "/" + assetName(l.idLower, e.lower())
}
func (l links) page(lower, upper string) string {
	return l.base + l.hive.path + l.idLower + "/page/" + strings.ToLower(lower) + "/" + strings.ToLower(upper) + ".json"
}
func (l links) registration(idLower string) string {
	return l.base + l.hive.path + idLower + "/index.json"
}

type regIndex struct {
	ID    string    `json:"@id"`
	Type  []string  `json:"@type"`
	Count int       `json:"count"`
	Items []regPage `json:"items"`
}

type regPage struct {
	ID     string    `json:"@id"`
	Type   string    `json:"@type"`
	Count  int       `json:"count"`
	Items  []regLeaf `json:"items,omitempty"`
	Parent string    `json:"parent,omitempty"`
	Lower  string    `json:"lower"`
	Upper  string    `json:"upper"`
}

type regLeaf struct {
	ID             string        `json:"@id"`
	Type           string        `json:"@type"`
	CatalogEntry   *catalogEntry `json:"catalogEntry"`
	PackageContent string        `json:"packageContent"`
	Registration   string        `json:"registration"`
}

type catalogEntry struct {
	ID                       string         `json:"@id"`
	Type                     string         `json:"@type"`
	Authors                  string         `json:"authors"`
	DependencyGroups         []catalogGroup `json:"dependencyGroups"`
	Description              string         `json:"description"`
	IconURL                  string         `json:"iconUrl"`
	PackageID                string         `json:"id"`
	Language                 string         `json:"language"`
	LicenseExpression        string         `json:"licenseExpression"`
	LicenseURL               string         `json:"licenseUrl"`
	Listed                   bool           `json:"listed"`
	MinClientVersion         string         `json:"minClientVersion"`
	PackageContent           string         `json:"packageContent"`
	ProjectURL               string         `json:"projectUrl"`
	Published                string         `json:"published"`
	RequireLicenseAcceptance bool           `json:"requireLicenseAcceptance"`
	Summary                  string         `json:"summary"`
	Tags                     []string       `json:"tags"`
	Title                    string         `json:"title"`
	Version                  string         `json:"version"`
}

type catalogGroup struct {
	ID              string       `json:"@id"`
	Type            string       `json:"@type"`
	TargetFramework string       `json:"targetFramework,omitempty"`
	Dependencies    []catalogDep `json:"dependencies,omitempty"`
}

type catalogDep struct {
	ID           string `json:"@id"`
	Type         string `json:"@type"`
	PackageID    string `json:"id"`
	Range        string `json:"range"`
	Registration string `json:"registration"`
}

// published is the leaf's published date: nuget.org's 1900 for Unlisted.
func published(e *entry) string {
	t := e.v.PublishedTime
	if !e.listed() {
		t = unlistedPublished
	}
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

// splitTags reads the nuspec's space-separated tags (some packages use
// commas).
func splitTags(s string) []string {
	out := []string{}
	for t := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' || r == '\n' || r == '\r' }) {
		out = append(out, t)
	}
	return out
}

func (l links) leafOf(e *entry) regLeaf {
	d := e.doc
	leafURL := l.leaf(e)
	ce := &catalogEntry{
		ID: leafURL + "#catalogEntry", Type: "PackageDetails", Authors: d.Authors, DependencyGroups: []catalogGroup{},
		Description: d.Description, IconURL: d.IconURL, PackageID: d.ID, Language: d.Language,
		LicenseExpression: d.LicenseExpression, LicenseURL: d.LicenseURL, Listed: e.listed(),
		MinClientVersion: d.MinClientVersion, PackageContent: l.content(e), ProjectURL: d.ProjectURL,
		Published: published(e), RequireLicenseAcceptance: d.RequireLicenseAcceptance, Summary: d.Summary,
		Tags: splitTags(d.Tags), Title: d.Title, Version: d.Version,
	}
	for _, g := range d.DependencyGroups {
		gid := leafURL + "#dependencygroup"
		if g.TargetFramework != "" {
			gid += "/" + strings.ToLower(g.TargetFramework)
		}
		cg := catalogGroup{ID: gid, Type: "PackageDependencyGroup", TargetFramework: g.TargetFramework}
		for _, dep := range g.Dependencies {
			depLower := strings.ToLower(dep.ID)
			cg.Dependencies = append(cg.Dependencies, catalogDep{
				ID: gid + "/" + depLower, Type: "PackageDependency", PackageID: dep.ID, Range: dep.Range,
				Registration: l.registration(depLower),
			})
		}
		ce.DependencyGroups = append(ce.DependencyGroups, cg)
	}
	return regLeaf{ID: leafURL, Type: "Package", CatalogEntry: ce, PackageContent: l.content(e), Registration: l.index()}
}

// pages splits versions into registration pages.
func pages(es []*entry) [][]*entry {
	var out [][]*entry
	for len(es) > 0 {
		n := min(pageSize, len(es))
		out = append(out, es[:n])
		es = es[n:]
	}
	return out
}

func (l links) pageOf(es []*entry, inline bool) regPage {
	lower, upper := es[0].doc.Version, es[len(es)-1].doc.Version
	p := regPage{Type: "catalog:CatalogPage", Count: len(es), Lower: lower, Upper: upper}
	if !inline {
		p.ID = l.page(lower, upper)
		return p
	}
	p.ID = l.index() + "#page/" + lower + "/" + upper
	p.Parent = l.index()
	p.Items = make([]regLeaf, len(es))
	for i, e := range es {
		p.Items[i] = l.leafOf(e)
	}
	return p
}

// registrationIndex renders a hive's {id}/index.json from the versions
// the hive shows (at least one): pages inlined for packages with up to
// inlineMax versions, linked beyond.
func registrationIndex(l links, es []*entry) []byte {
	ps := pages(es)
	inline := len(es) <= inlineMax
	idx := regIndex{ID: l.index(), Type: []string{"catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"}, Count: len(ps)}
	for _, p := range ps {
		idx.Items = append(idx.Items, l.pageOf(p, inline))
	}
	b, _ := json.Marshal(idx)
	return b
}

// registrationPage renders the page document for lower..upper (as in
// the page's URL): the versions between them, inclusive, as they are now.
// Reading the range rather than looking up a page keeps a client whose
// index predates a publish (NuGet caches documents for 30 minutes)
// working when the page boundaries have moved. It returns nil when no
// version is in the range.
func registrationPage(l links, es []*entry, lower, upper string) []byte {
	lo, err1 := model.ParseNuGetVersion(lower)
	hi, err2 := model.ParseNuGetVersion(upper)
	if err1 != nil || err2 != nil {
		return nil
	}
	var in []*entry
	for _, e := range es {
		if e.parsed.Compare(lo) >= 0 && e.parsed.Compare(hi) <= 0 {
			in = append(in, e)
		}
	}
	if len(in) == 0 {
		return nil
	}
	doc := l.pageOf(in, true)
	doc.ID = l.page(lower, upper)
	b, _ := json.Marshal(doc)
	return b
}

// registrationLeaf renders a hive's {id}/{version}.json.
func registrationLeaf(l links, e *entry) []byte {
	leaf := l.leafOf(e)
	b, _ := json.Marshal(struct {
		ID             string        `json:"@id"`
		Type           []string      `json:"@type"`
		CatalogEntry   *catalogEntry `json:"catalogEntry"`
		Listed         bool          `json:"listed"`
		PackageContent string        `json:"packageContent"`
		Published      string        `json:"published"`
		Registration   string        `json:"registration"`
	}{leaf.ID, []string{"Package", "http://schema.nuget.org/catalog#Permalink"}, leaf.CatalogEntry, e.listed(),
		leaf.PackageContent, published(e), leaf.Registration})
	return b
}
