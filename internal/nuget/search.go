package nuget

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxTake is the most results one search page returns (nuget.org's
// limit).
const maxTake = 1000

// searchQuery is a SearchQueryService request.
type searchQuery struct {
	terms      []string // lowercase, each must match
	packageID  string   // packageid:X, exact (lowercase)
	idTerms    []string // id:X, in the id (lowercase)
	skip, take int
	prerelease bool
	semVer2    bool
	// packageType filters by declared package type (SearchQueryService
	// 3.5.0), lowercase; "" for any.
	packageType string
}

// parseSearch reads q, skip, take, prerelease, semVerLevel and
// packageType.
func parseSearch(v url.Values) (*searchQuery, error) {
	q := &searchQuery{take: 20}
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"skip", &q.skip, 1 << 30}, {"take", &q.take, maxTake}} {
		s := v.Get(f.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, refuse("%s must be a non-negative integer, not %q", f.name, s)
		}
		*f.dst = min(n, f.max)
	}
	q.prerelease = strings.EqualFold(v.Get("prerelease"), "true")
	q.packageType = strings.ToLower(strings.TrimSpace(v.Get("packageType")))
	if lvl := v.Get("semVerLevel"); lvl != "" {
		major, _, _ := strings.Cut(lvl, ".")
		n, err := strconv.Atoi(major)
		if err != nil {
			return nil, refuse("semVerLevel must be a version such as 2.0.0, not %q", lvl)
		}
		q.semVer2 = n >= 2
	}
	for _, t := range strings.Fields(strings.ToLower(v.Get("q"))) {
		switch {
		case strings.HasPrefix(t, "packageid:"):
			q.packageID = strings.TrimPrefix(t, "packageid:")
		case strings.HasPrefix(t, "id:"):
			if s := strings.TrimPrefix(t, "id:"); s != "" {
				q.idTerms = append(q.idTerms, s)
			}
		default:
			q.terms = append(q.terms, t)
		}
	}
	return q, nil
}

// candidate is one package's versions a search may show: the listed
// ones (Published), ascending.
type candidate struct {
	idLower string
	listed  []*entry
}

func newCandidate(idLower string, es []*entry) *candidate {
	c := &candidate{idLower: idLower}
	for _, e := range es {
		if e.listed() {
			c.listed = append(c.listed, e)
		}
	}
	return c
}

// visible returns the versions the query lets through, ascending.
func (q *searchQuery) visible(c *candidate) []*entry {
	var out []*entry
	for _, e := range c.listed {
		if (!q.prerelease && e.parsed.IsPrerelease()) || (!q.semVer2 && (e.doc.SemVer2 || e.parsed.IsSemVer2())) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// matches applies the query's terms to the package's latest visible
// version: every term in its id, title, description, summary, tags or
// authors.
func (q *searchQuery) matches(idLower string, latest *versionDoc) bool {
	if q.packageID != "" && idLower != q.packageID {
		return false
	}
	if q.packageType != "" && !slices.ContainsFunc(packageTypes(latest), func(t string) bool { return strings.ToLower(t) == q.packageType }) {
		return false
	}
	for _, t := range q.idTerms {
		if !strings.Contains(idLower, t) {
			return false
		}
	}
	if len(q.terms) == 0 {
		return true
	}
	text := strings.ToLower(strings.Join([]string{latest.ID, latest.Title, latest.Description, latest.Summary, latest.Tags, latest.Authors}, "\n"))
	for _, t := range q.terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}

type searchResult struct {
	TotalHits int           `json:"totalHits"`
	Data      []searchEntry `json:"data"`
}

type searchEntry struct {
	ID             string          `json:"@id"`
	Type           string          `json:"@type"`
	Registration   string          `json:"registration"`
	PackageID      string          `json:"id"`
	Version        string          `json:"version"`
	Description    string          `json:"description"`
	Summary        string          `json:"summary"`
	Title          string          `json:"title"`
	IconURL        string          `json:"iconUrl"`
	LicenseURL     string          `json:"licenseUrl"`
	ProjectURL     string          `json:"projectUrl"`
	Tags           []string        `json:"tags"`
	Authors        []string        `json:"authors"`
	Owners         []string        `json:"owners"`
	TotalDownloads int64           `json:"totalDownloads"`
	Verified       bool            `json:"verified"`
	PackageTypes   []packageType   `json:"packageTypes"`
	Versions       []searchVersion `json:"versions"`
}

type packageType struct {
	Name string `json:"name"`
}

type searchVersion struct {
	Version   string `json:"version"`
	Downloads int64  `json:"downloads"`
	ID        string `json:"@id"`
}

type hit struct {
	c       *candidate
	visible []*entry
	rank    int // 0 exact id, 1 id prefix, 2 other
}

// search runs q over the candidates and renders the result page.
// Download counts are not kept, so they are 0.
func search(base string, q *searchQuery, cands []*candidate) []byte {
	var hits []hit
	var terms string
	if len(q.terms) == 1 {
		terms = q.terms[0]
	}
	for _, c := range cands {
		vis := q.visible(c)
		if len(vis) == 0 || !q.matches(c.idLower, vis[len(vis)-1].doc) {
			continue
		}
		h := hit{c: c, visible: vis, rank: 2}
		switch {
		case terms != "" && c.idLower == terms:
			h.rank = 0
		case terms != "" && strings.HasPrefix(c.idLower, terms):
			h.rank = 1
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.c.idLower, b.c.idLower))
	})
	res := searchResult{TotalHits: len(hits), Data: []searchEntry{}}
	if q.skip < len(hits) {
		hits = hits[q.skip:]
	} else {
		hits = nil
	}
	hits = hits[:min(len(hits), q.take)]
	hv := hiveSemVer1
	if q.semVer2 {
		hv = hiveSemVer2
	}
	for _, h := range hits {
		l := links{base: base, idLower: h.c.idLower, hive: hv}
		latest := h.visible[len(h.visible)-1].doc
		se := searchEntry{
			ID: l.index(), Type: "Package", Registration: l.index(), PackageID: latest.ID, Version: latest.Version,
			Description: latest.Description, Summary: latest.Summary, Title: latest.Title, IconURL: latest.IconURL,
			LicenseURL: latest.LicenseURL, ProjectURL: latest.ProjectURL, Tags: splitTags(latest.Tags),
			Authors: splitAuthors(latest.Authors), Owners: []string{},
		}
		for _, t := range packageTypes(latest) {
			se.PackageTypes = append(se.PackageTypes, packageType{Name: t})
		}
		for _, e := range h.visible {
			se.Versions = append(se.Versions, searchVersion{Version: e.doc.Version, ID: l.leaf(e)})
		}
		res.Data = append(res.Data, se)
	}
	b, _ := json.Marshal(res)
	return b
}

// packageTypes are a version's declared package types; a package that
// declares none is a "Dependency".
func packageTypes(d *versionDoc) []string {
	if len(d.PackageTypes) == 0 {
		return []string{"Dependency"}
	}
	return d.PackageTypes
}

// splitAuthors reads the nuspec's comma-separated authors.
func splitAuthors(s string) []string {
	out := []string{}
	for a := range strings.SplitSeq(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
