package nuget

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
)

// The public feed behind public:nuget-org, read as NuGet's clients read
// it: the service index names the flat container (PackageBaseAddress/3.0.0)
// and the registration hive (RegistrationsBaseUrl/3.6.0, the SemVer 2.0
// hive, preferred). A package's registration (its index and any page not
// inlined) is the one metadata document kept per package: it lists every
// version, listed or not, with the catalog fields the documents Wharf
// serves show, so the flat-container index and the registration Wharf
// serves are both merged from it (asking the flat container's index as
// well would double the requests and could disagree with it).
//
// Integrity: nuget.org publishes a package's SHA512 (packageHash,
// base64, with packageHashAlgorithm) only in its catalog leaf, which the
// registration's catalog entry links (@id). A download fetches that one
// small document, unless the catalog entry carries the hash itself (some
// feeds inline it), and compares before anything is retained.

// nugetConnection is the external connection NuGet reads through.
const nugetConnection = "public:nuget-org"

// Bounds on what is read from the public feed.
const (
	maxPublicDoc   = 64 << 20 // a registration with all its pages
	maxCatalogLeaf = 4 << 20
	maxPublicNupkg = 1 << 30
)

// errUpstreamUnavailable marks a failure of the public feed (502).
var errUpstreamUnavailable = errors.New("upstream registry unavailable")

// Keys of the feed's documents in the publiccache.
const (
	keyServices     = "index"
	keyRegistration = "registration/" // + lowercase id
	keyNuspec       = "nuspec/"       // + lowercase id "/" lowercase version
)

// feedDoc is one decoded document of the feed; one field is set.
type feedDoc struct {
	services *feedServices
	pkg      *publicPackage
	nuspec   []byte
}

// feedServices is what Wharf uses of the service index, as stored.
type feedServices struct {
	Flat         string `json:"flat"`              // ends in "/"
	Registration string `json:"registration"`      // ends in "/"
	Catalog      string `json:"catalog,omitempty"` // the catalog's directory, ends in "/"
}

// publicVersion is a version as the feed's registration describes it, in
// the compact form kept on disk.
type publicVersion struct {
	Doc           versionDoc `json:"doc"`
	Listed        bool       `json:"listed"`
	Published     time.Time  `json:"published"`
	Catalog       string     `json:"catalog,omitempty"` // the catalog leaf's URL
	Hash          string     `json:"hash,omitempty"`    // packageHash, when the entry carries it
	HashAlgorithm string     `json:"hashAlgorithm,omitempty"`
}

// publicPackage is a decoded registration: shared by every request and
// read-only.
type publicPackage struct {
	es      []*entry // ascending
	byLower map[string]*publicVersion
}

// publicFeed reads the public feed through one publiccache (service
// index, registrations, nuspecs); concurrent misses for one nupkg share
// one download.
type publicFeed struct {
	index  string // the service index's URL
	client *http.Client
	docs   *publiccache.Cache[*feedDoc]
	flight publiccache.Group[bool]
}

func newPublicFeed(index string, opts publiccache.Options) (*publicFeed, error) {
	p := &publicFeed{index: index, client: publiccache.NewClient(nugetConnection)}
	docs, err := publiccache.New(opts, p.fetch, decodeFeedDoc)
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", nugetConnection, err)
	}
	p.docs = docs
	return p, nil
}

// get asks the feed for one document.
func (p *publicFeed) get(ctx context.Context, u string, prev publiccache.Validators, max int64) (publiccache.Response, error) {
	return publiccache.HTTP(p.client, func(string) string { return u }, http.Header{"Accept": {"application/json"}}, max)(ctx, "", prev)
}

// fetch is the publiccache's FetchFunc: the service index and nuspecs
// as the feed serves them, a registration gathered from its index and
// pages into the compact form decodeFeedDoc reads.
func (p *publicFeed) fetch(ctx context.Context, key string, prev publiccache.Validators) (publiccache.Response, error) {
	if key == keyServices {
		resp, err := p.get(ctx, p.index, prev, maxPublicDoc)
		if err != nil || resp.NotModified {
			return resp, err
		}
		if resp.NotFound {
			return resp, fmt.Errorf("no service index at %s", p.index)
		}
		s, err := parseServiceIndex(p.index, resp.Body)
		if err != nil {
			return resp, err
		}
		resp.Body, _ = json.Marshal(s)
		return resp, nil
	}
	svc, err := p.services(ctx)
	if err != nil {
		return publiccache.Response{}, err
	}
	if rest, ok := strings.CutPrefix(key, keyNuspec); ok {
		id, version, _ := strings.Cut(rest, "/")
		return p.get(ctx, svc.Flat+url.PathEscape(id)+"/"+url.PathEscape(version)+"/"+url.PathEscape(id)+".nuspec", prev, maxPublicDoc)
	}
	id := strings.TrimPrefix(key, keyRegistration)
	resp, err := p.get(ctx, svc.Registration+url.PathEscape(id)+"/index.json", prev, maxPublicDoc)
	if err != nil || resp.NotModified || resp.NotFound {
		return resp, err
	}
	vs, err := p.gatherRegistration(ctx, svc, resp.Body)
	if err != nil {
		return resp, fmt.Errorf("registration of %s: %w", id, err)
	}
	resp.Body, _ = json.Marshal(vs)
	return resp, nil
}

// services returns the feed's service index.
func (p *publicFeed) services(ctx context.Context) (*feedServices, error) {
	d, err := p.docs.Get(ctx, keyServices)
	if err != nil {
		return nil, err
	}
	return d.services, nil
}

// Registration documents as nuget.org serves them (what Wharf reads).
type (
	feedRegIndex struct {
		Items []feedRegPage `json:"items"`
	}
	feedRegPage struct {
		ID    string        `json:"@id"`
		Items []feedRegLeaf `json:"items"`
		Count int           `json:"count"`
	}
	feedRegLeaf struct {
		CatalogEntry *feedCatalogEntry `json:"catalogEntry"`
	}
	feedCatalogEntry struct {
		ID                       string      `json:"@id"`
		PackageID                string      `json:"id"`
		Version                  string      `json:"version"`
		Authors                  flexString  `json:"authors"`
		Title                    string      `json:"title"`
		Description              string      `json:"description"`
		Summary                  string      `json:"summary"`
		Tags                     flexString  `json:"tags"`
		Language                 string      `json:"language"`
		ProjectURL               string      `json:"projectUrl"`
		IconURL                  string      `json:"iconUrl"`
		LicenseURL               string      `json:"licenseUrl"`
		LicenseExpression        string      `json:"licenseExpression"`
		RequireLicenseAcceptance bool        `json:"requireLicenseAcceptance"`
		MinClientVersion         string      `json:"minClientVersion"`
		Listed                   *bool       `json:"listed"`
		Published                string      `json:"published"`
		DependencyGroups         []feedGroup `json:"dependencyGroups"`
		PackageHash              string      `json:"packageHash"`
		PackageHashAlgorithm     string      `json:"packageHashAlgorithm"`
	}
	feedGroup struct {
		TargetFramework string `json:"targetFramework"`
		Dependencies    []struct {
			ID    string `json:"id"`
			Range string `json:"range"`
		} `json:"dependencies"`
	}
)

// flexString reads a string, or a list of strings that some feeds send
// for authors and tags (joined with spaces).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*f = flexString(strings.Join(l, " "))
	return nil
}

// parseServiceIndex finds the resources Wharf uses, preferring the
// types NuGet's clients prefer.
func parseServiceIndex(indexURL string, body []byte) (*feedServices, error) {
	var idx struct {
		Resources []struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return nil, fmt.Errorf("service index %s: %w", indexURL, err)
	}
	find := func(types ...string) string {
		for _, t := range types {
			for _, r := range idx.Resources {
				if r.Type == t && r.ID != "" {
					return r.ID
				}
			}
		}
		return ""
	}
	dir := func(s string) string {
		if s != "" && !strings.HasSuffix(s, "/") {
			s += "/"
		}
		return s
	}
	s := &feedServices{
		Flat: dir(find("PackageBaseAddress/3.0.0")),
		Registration: dir(find("RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned", "RegistrationsBaseUrl/3.4.0",
			"RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl")),
	}
	if c := find("Catalog/3.0.0"); c != "" {
		s.Catalog = c[:strings.LastIndex(c, "/")+1]
	}
	if s.Flat == "" || s.Registration == "" {
		return nil, fmt.Errorf("service index %s names no PackageBaseAddress/3.0.0 or RegistrationsBaseUrl", indexURL)
	}
	for _, u := range []string{s.Flat, s.Registration, s.Catalog} {
		if pu, err := url.Parse(u); u != "" && (err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "") {
			return nil, fmt.Errorf("service index %s: resource %q is not an http(s) URL", indexURL, u)
		}
	}
	return s, nil
}

// gatherRegistration reads every version of a registration index,
// fetching the pages it does not inline (they must lie in the hive).
func (p *publicFeed) gatherRegistration(ctx context.Context, svc *feedServices, body []byte) ([]publicVersion, error) {
	var idx feedRegIndex
	if err := json.Unmarshal(body, &idx); err != nil {
		return nil, err
	}
	var out []publicVersion
	for _, pg := range idx.Items {
		items := pg.Items
		if items == nil && pg.Count > 0 {
			if !strings.HasPrefix(pg.ID, svc.Registration) {
				return nil, fmt.Errorf("page %q is outside %s", pg.ID, svc.Registration)
			}
			resp, err := p.get(ctx, pg.ID, publiccache.Validators{}, maxPublicDoc)
			if err != nil {
				return nil, err
			}
			if resp.NotFound {
				return nil, fmt.Errorf("page %s: not found", pg.ID)
			}
			var page feedRegPage
			if err := json.Unmarshal(resp.Body, &page); err != nil {
				return nil, fmt.Errorf("page %s: %w", pg.ID, err)
			}
			items = page.Items
		}
		for _, l := range items {
			pv, err := publicVersionOf(l.CatalogEntry)
			if err != nil {
				return nil, err
			}
			out = append(out, pv)
		}
	}
	return out, nil
}

// publicVersionOf turns a catalog entry into the compact form.
func publicVersionOf(ce *feedCatalogEntry) (publicVersion, error) {
	if ce == nil || ce.PackageID == "" || ce.Version == "" {
		return publicVersion{}, errors.New("a registration leaf without a catalog entry naming its id and version")
	}
	v, err := model.ParseNuGetVersion(ce.Version)
	if err != nil {
		return publicVersion{}, fmt.Errorf("version %q of %s: %w", ce.Version, ce.PackageID, err)
	}
	published, _ := time.Parse(time.RFC3339, ce.Published)
	listed := published.Year() != 1900 // what older feeds say of unlisted versions
	if ce.Listed != nil {
		listed = *ce.Listed
	}
	d := versionDoc{
		ID: ce.PackageID, Version: v.String(), SemVer2: v.IsSemVer2(), Title: ce.Title, Authors: string(ce.Authors),
		Description: ce.Description, Summary: ce.Summary, Tags: string(ce.Tags), Language: ce.Language,
		ProjectURL: ce.ProjectURL, IconURL: ce.IconURL, LicenseURL: ce.LicenseURL, LicenseExpression: ce.LicenseExpression,
		RequireLicenseAcceptance: ce.RequireLicenseAcceptance, MinClientVersion: ce.MinClientVersion,
	}
	for _, g := range ce.DependencyGroups {
		gd := groupDoc{TargetFramework: g.TargetFramework}
		for _, dep := range g.Dependencies {
			gd.Dependencies = append(gd.Dependencies, depDoc{ID: dep.ID, Range: dep.Range})
		}
		d.DependencyGroups = append(d.DependencyGroups, gd)
	}
	return publicVersion{Doc: d, Listed: listed, Published: published, Catalog: ce.ID, Hash: ce.PackageHash, HashAlgorithm: ce.PackageHashAlgorithm}, nil
}

// decodeFeedDoc decodes a stored document by its key, refusing one that
// does not decode so a broken answer from the feed is never kept.
func decodeFeedDoc(key string, body []byte) (*feedDoc, error) {
	switch {
	case key == keyServices:
		var s feedServices
		if err := json.Unmarshal(body, &s); err != nil || s.Flat == "" || s.Registration == "" {
			return nil, fmt.Errorf("service index: %v", err)
		}
		return &feedDoc{services: &s}, nil
	case strings.HasPrefix(key, keyNuspec):
		if _, err := parseNuspec("package.nuspec", body); err != nil {
			return nil, fmt.Errorf("nuspec %s: %w", key, err)
		}
		return &feedDoc{nuspec: body}, nil
	case strings.HasPrefix(key, keyRegistration):
		var vs []publicVersion
		if err := json.Unmarshal(body, &vs); err != nil {
			return nil, fmt.Errorf("registration %s: %w", key, err)
		}
		return &feedDoc{pkg: newPublicPackage(vs)}, nil
	}
	return nil, fmt.Errorf("unknown document %q", key)
}

// newPublicPackage builds the entries the documents Wharf serves show
// for public versions, once per fetched registration.
func newPublicPackage(vs []publicVersion) *publicPackage {
	p := &publicPackage{byLower: make(map[string]*publicVersion, len(vs))}
	for i := range vs {
		pv := &vs[i]
		parsed, err := model.ParseNuGetVersion(pv.Doc.Version)
		if err != nil {
			continue
		}
		lower := strings.ToLower(parsed.String())
		if _, dup := p.byLower[lower]; dup {
			continue
		}
		p.byLower[lower] = pv
		st := model.StatusPublished
		if !pv.Listed {
			st = model.StatusUnlisted
		}
		doc := pv.Doc
		p.es = append(p.es, &entry{
			v: &model.Version{Version: lower, DisplayName: doc.ID, Status: st, PublishedTime: pv.Published,
				OriginType: model.OriginExternal, OriginExternal: nugetConnection},
			doc: &doc, parsed: parsed, public: true,
		})
	}
	slices.SortStableFunc(p.es, func(a, b *entry) int { return a.parsed.Compare(b.parsed) })
	return p
}

// publicErr maps the cache's errors: not found is a nil document, a
// failure of the feed errUpstreamUnavailable.
func publicErr(err error) error {
	if errors.Is(err, publiccache.ErrUnavailable) {
		return fmt.Errorf("%w: %w", errUpstreamUnavailable, err)
	}
	return err
}

// registration returns a package's public versions, nil when the feed
// does not have the package. A want the cached registration lacks (a
// lowercase normalized version) makes it ask the feed again now; when
// the feed cannot be asked, that is its failure, not a missing version.
func (p *publicFeed) registration(ctx context.Context, idLower, want string) (*publicPackage, error) {
	var need func(*feedDoc) bool
	if want != "" {
		need = func(d *feedDoc) bool { return d.pkg.byLower[want] != nil }
	}
	d, err := p.docs.Lookup(ctx, keyRegistration+idLower, need)
	if errors.Is(err, publiccache.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, publicErr(err)
	}
	return d.pkg, nil
}

// nuspec returns a public version's manifest, nil when the feed does
// not have it.
func (p *publicFeed) nuspec(ctx context.Context, idLower, versionLower string) ([]byte, error) {
	d, err := p.docs.Get(ctx, keyNuspec+idLower+"/"+versionLower)
	if errors.Is(err, publiccache.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, publicErr(err)
	}
	return d.nuspec, nil
}

// hasVersion reports whether the feed has a version of the package: the
// service asks it before a push, to refuse versions public:nuget-org
// serves (409). It answers within ctx's deadline; the fetch goes on past
// it and fills the cache for the next push or read.
func (p *publicFeed) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	pkg, err := p.registration(ctx, strings.ToLower(k.Name), "")
	if err != nil || pkg == nil {
		return false, err
	}
	return pkg.byLower[model.NormalizeVersion(model.FormatNuGet, version)] != nil, nil
}

// packageHash is what the feed publishes as a version's digest: the
// catalog entry's own packageHash, else its catalog leaf's (nuget.org's
// case), which must lie in the feed's catalog (or on the service
// index's host when the index names no catalog).
func (p *publicFeed) packageHash(ctx context.Context, svc *feedServices, pv *publicVersion) (algo, hash string, err error) {
	if pv.Hash != "" {
		return pv.HashAlgorithm, pv.Hash, nil
	}
	within := svc.Catalog
	if within == "" {
		u, err := url.Parse(p.index)
		if err != nil {
			return "", "", err
		}
		within = u.Scheme + "://" + u.Host + "/"
	}
	if pv.Catalog == "" || !strings.HasPrefix(pv.Catalog, within) {
		return "", "", fmt.Errorf("the feed publishes no packageHash for %s %s (catalog entry %q)", pv.Doc.ID, pv.Doc.Version, pv.Catalog)
	}
	resp, err := p.get(ctx, pv.Catalog, publiccache.Validators{}, maxCatalogLeaf)
	if err != nil {
		return "", "", err
	}
	if resp.NotFound {
		return "", "", fmt.Errorf("catalog leaf %s: not found", pv.Catalog)
	}
	var leaf struct {
		Hash      string `json:"packageHash"`
		Algorithm string `json:"packageHashAlgorithm"`
	}
	if err := json.Unmarshal(resp.Body, &leaf); err != nil {
		return "", "", fmt.Errorf("catalog leaf %s: %w", pv.Catalog, err)
	}
	if leaf.Hash == "" {
		return "", "", fmt.Errorf("catalog leaf %s has no packageHash", pv.Catalog)
	}
	return leaf.Algorithm, leaf.Hash, nil
}

// checkHash compares a downloaded nupkg with the packageHash the feed
// publishes (SHA512 unless the algorithm says SHA256).
func checkHash(algo, hash string, f *publiccache.File) error {
	want, err := base64.StdEncoding.DecodeString(hash)
	if err != nil {
		return fmt.Errorf("packageHash %q is not base64", hash)
	}
	var got string
	switch strings.ToUpper(algo) {
	case "", "SHA512":
		got = f.SHA512
	case "SHA256":
		got = f.SHA256
	default:
		return fmt.Errorf("packageHashAlgorithm %q is not one Wharf checks", algo)
	}
	if hex.EncodeToString(want) != got {
		return fmt.Errorf("the nupkg does not match its packageHash (%s)", strings.ToUpper(algo))
	}
	return nil
}

// download fetches a public version's nupkg from the flat container,
// verified against the feed's packageHash. Every failure wraps
// errUpstreamUnavailable.
func (p *publicFeed) download(ctx context.Context, idLower string, pv *publicVersion, dir string) (*publiccache.File, error) {
	fail := func(err error) (*publiccache.File, error) {
		return nil, fmt.Errorf("%w: %s %s: %w", errUpstreamUnavailable, pv.Doc.ID, pv.Doc.Version, err)
	}
	svc, err := p.services(ctx)
	if err != nil {
		return fail(err)
	}
	algo, hash, err := p.packageHash(ctx, svc, pv)
	if err != nil {
		return fail(err)
	}
	v := strings.ToLower(pv.Doc.Version)
	u := svc.Flat + url.PathEscape(idLower) + "/" + url.PathEscape(v) + "/" + url.PathEscape(idLower+"."+v) + ".nupkg"
	f, err := publiccache.Download(ctx, p.client, svc.Flat, u, dir, maxPublicNupkg)
	if err != nil {
		return fail(err)
	}
	if err := checkHash(algo, hash, f); err != nil {
		f.Close()
		return fail(fmt.Errorf("%s: %w", u, err))
	}
	return f, nil
}
