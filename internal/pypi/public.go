package pypi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
)

// pypiConnection is the external connection PyPI reads through.
const pypiConnection = "public:pypi"

// maxPublicPage bounds a project page read from the registry (PyPI's
// largest JSON pages are a few MB).
const maxPublicPage = 64 << 20

// maxPublicFile bounds a distribution file fetched from the registry.
const maxPublicFile = 1 << 30

// pythonHosted is where pypi.org's index points for files.
const pythonHosted = "https://files.pythonhosted.org"

// publicAccept asks for PEP 691 JSON and takes PEP 503 HTML from an index
// that has only that (as pip asks).
const publicAccept = typeJSON + ", " + typeTextHTML + ";q=0.1"

// publicFile is one file of a public project page.
type publicFile struct {
	Filename string
	URL      string // absolute, without fragment
	SHA256   string // lowercase hex
	// Version is the file's version as its name spells it; every file of
	// one PEP 440 version carries the same spelling (the first file's).
	Version        string
	RequiresPython string
	Yanked         bool
	YankedReason   string
	// CoreMetadata is the sha256 of the PEP 658 metadata file the index
	// serves beside the file ("" when it serves none).
	CoreMetadata string
	Size         int64 // 0 when the index does not say
	Uploaded     time.Time
	// key is Version's PEP 440 key, kept so that merging a page into
	// every request's answer runs no version parsing.
	key string
}

// publicProject is a decoded public project page: the files Wharf can
// offer (a file name and version Wharf accepts, a sha256 to verify it
// against, a URL on an allowed host), sorted by name. It is shared by
// every request once decoded: read-only.
type publicProject struct {
	Files []publicFile
	// byKey maps a version's PEP 440 key to its files' indexes.
	byKey map[string][]int
}

// file returns the named file, nil when the page does not list it.
func (p *publicProject) file(filename string) *publicFile {
	i, ok := slices.BinarySearchFunc(p.Files, filename, func(f publicFile, n string) int { return strings.Compare(f.Filename, n) })
	if !ok {
		return nil
	}
	return &p.Files[i]
}

// hasVersion reports whether the page lists a file of version (PEP 440
// equality).
func (p *publicProject) hasVersion(version string) bool {
	k, ok := versionKey(version)
	return ok && len(p.byKey[k]) > 0
}

// publicRegistry reads project pages and files from the index behind
// public:pypi. Pages live in a publiccache (on disk, byte-bounded,
// refreshed in the background); concurrent misses for one file share one
// fetch.
type publicRegistry struct {
	base   string
	client *http.Client
	// fileBases are the only places files are fetched from, each a
	// scheme and host: the index's own host, and files.pythonhosted.org
	// for pypi.org.
	fileBases []string
	docs      *publiccache.Cache[*publicProject]
	flight    publiccache.Group[bool]
}

func newPublicRegistry(base string, opts publiccache.Options) (*publicRegistry, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q: want an http or https URL", pypiConnection, base)
	}
	// pip users know an index by its simple/ URL: take that too.
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/simple")
	p := &publicRegistry{base: base,
		client:    publiccache.NewClient(pypiConnection),
		fileBases: fileBases(u)}
	fetch := publiccache.HTTP(p.client, p.pageURL, http.Header{"Accept": {publicAccept}}, maxPublicPage)
	docs, err := publiccache.New(opts, fetch, func(key string, body []byte) (*publicProject, error) {
		return decodePublicPage(p.pageURL(key), key, body, p.fileBases)
	})
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", pypiConnection, err)
	}
	p.docs = docs
	return p, nil
}

// fileBases is where an index at u may point for files.
func fileBases(u *url.URL) []string {
	bases := []string{u.Scheme + "://" + u.Host}
	if strings.EqualFold(u.Hostname(), "pypi.org") {
		bases = append(bases, pythonHosted)
	}
	return bases
}

// pageURL is a project's page on the index; the key is the normalized
// name.
func (p *publicRegistry) pageURL(name string) string {
	return p.base + "/simple/" + url.PathEscape(name) + "/"
}

// project returns the public page of a project (normalized name), nil
// when the index does not have it. refetch asks the index now (a caller
// that found the cached page lacks a file). A failure wraps
// publiccache.ErrUnavailable.
func (p *publicRegistry) project(ctx context.Context, name string, need func(*publicProject) bool) (*publicProject, error) {
	d, err := p.docs.Lookup(ctx, name, need)
	if errors.Is(err, publiccache.ErrNotFound) {
		return nil, nil
	}
	return d, err
}

// fileOf returns the public file, asking the index again when the cached
// page lacks it (released since it was fetched); nil when the index does
// not list it.
func (p *publicRegistry) fileOf(ctx context.Context, name, filename string) (*publicFile, error) {
	d, err := p.project(ctx, name, func(d *publicProject) bool { return d.file(filename) != nil })
	if err != nil || d == nil {
		return nil, err
	}
	return d.file(filename), nil
}

// hasVersion reports whether the index has a version of the package: the
// service asks it before a publish, to refuse versions public:pypi
// serves (a 409). The cache answers within ctx's deadline while its
// fetch goes on past it, filling the cache for the next publish or read.
func (p *publicRegistry) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	d, err := p.project(ctx, normalize(k.Name), nil)
	if err != nil || d == nil {
		return false, err
	}
	return d.hasVersion(version), nil
}

// download fetches a file from an allowed host and checks it against
// the sha256 the index gave before anything keeps it. Every failure
// wraps publiccache.ErrUnavailable (a 502).
func (p *publicRegistry) download(ctx context.Context, f *publicFile, dir string) (*publiccache.File, error) {
	u, err := url.Parse(f.URL)
	if err != nil || !onBase(u, p.fileBases) {
		return nil, fmt.Errorf("%w: %s is not on a host the index may point to (%s)", publiccache.ErrUnavailable, f.URL, strings.Join(p.fileBases, ", "))
	}
	got, err := publiccache.Download(ctx, p.client, u.Scheme+"://"+u.Host, f.URL, dir, maxPublicFile)
	if err != nil {
		return nil, err
	}
	if got.SHA256 != f.SHA256 {
		got.Close()
		return nil, fmt.Errorf("%w: %s: sha256 %s, the index gives %s", publiccache.ErrUnavailable, f.URL, got.SHA256, f.SHA256)
	}
	return got, nil
}

// decodePublicPage decodes a project page, PEP 691 JSON or PEP 503 HTML
// (told apart by their first byte: a stored page keeps no Content-Type),
// resolving links against pageURL. Files Wharf cannot offer are left
// out: no sha256 to verify them by, a host outside bases, a name that
// is not a distribution of project (normalized) or not one Wharf stores.
func decodePublicPage(pageURL, project string, body []byte, bases []string) (*publicProject, error) {
	page, err := url.Parse(pageURL)
	if err != nil {
		return nil, err
	}
	var raw []publicFile
	trimmed := strings.TrimLeft(string(body[:min(len(body), 512)]), " \t\r\n\ufeff")
	if strings.HasPrefix(trimmed, "{") {
		raw, err = decodeJSONPage(body)
	} else {
		raw, err = decodeHTMLPage(string(body))
	}
	if err != nil {
		return nil, err
	}
	p := &publicProject{byKey: map[string][]int{}}
	spelling := map[string]string{}
	seen := map[string]bool{}
	for _, f := range raw {
		u, err := page.Parse(f.URL)
		if err != nil || !onBase(u, bases) {
			continue
		}
		u.Fragment, u.RawFragment = "", ""
		f.URL = u.String()
		f.SHA256 = strings.ToLower(f.SHA256)
		if !isSHA256(f.SHA256) || seen[f.Filename] || model.CheckAssetName(model.FormatPyPI, f.Filename) != nil {
			continue
		}
		v, ok := fileVersion(project, f.Filename)
		if !ok || model.CheckSafeName("packageVersion", v) != nil {
			continue
		}
		k, _ := versionKey(v)
		if s, ok := spelling[k]; ok {
			v = s
		} else {
			spelling[k] = v
		}
		f.Version, f.key = v, k
		seen[f.Filename] = true
		p.Files = append(p.Files, f)
	}
	slices.SortFunc(p.Files, func(a, b publicFile) int { return strings.Compare(a.Filename, b.Filename) })
	for i, f := range p.Files {
		p.byKey[f.key] = append(p.byKey[f.key], i)
	}
	return p, nil
}

// onBase reports whether u lies under one of bases (scheme and host).
func onBase(u *url.URL, bases []string) bool {
	s := u.Scheme + "://" + u.Host
	return slices.ContainsFunc(bases, func(b string) bool { return strings.EqualFold(b, s) })
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// decodeJSONPage reads a PEP 691 page (with PEP 700's size and
// upload-time when given).
func decodeJSONPage(body []byte) ([]publicFile, error) {
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python"`
			Yanked         json.RawMessage   `json:"yanked"`
			CoreMetadata   json.RawMessage   `json:"core-metadata"`
			DistInfoMeta   json.RawMessage   `json:"dist-info-metadata"`
			Size           int64             `json:"size"`
			UploadTime     string            `json:"upload-time"`
		} `json:"files"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("project page: %w", err)
	}
	if major, _, _ := strings.Cut(doc.Meta.APIVersion, "."); major != "1" {
		return nil, fmt.Errorf("project page: simple API version %q, want 1.x", doc.Meta.APIVersion)
	}
	out := make([]publicFile, 0, len(doc.Files))
	for _, jf := range doc.Files {
		f := publicFile{Filename: jf.Filename, URL: jf.URL, SHA256: jf.Hashes["sha256"], Size: jf.Size}
		if jf.RequiresPython != nil {
			f.RequiresPython = *jf.RequiresPython
		}
		f.Yanked, f.YankedReason = jsonYanked(jf.Yanked)
		meta := jf.CoreMetadata
		if len(meta) == 0 {
			meta = jf.DistInfoMeta // PEP 658's first name for it
		}
		f.CoreMetadata = jsonMetadataHash(meta)
		if t, err := time.Parse(time.RFC3339Nano, jf.UploadTime); err == nil {
			f.Uploaded = t
		}
		out = append(out, f)
	}
	return out, nil
}

// jsonYanked reads PEP 691's yanked: false, true, or the reason.
func jsonYanked(raw json.RawMessage) (bool, string) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, ""
	}
	var reason string
	if json.Unmarshal(raw, &reason) == nil {
		return true, reason
	}
	return false, ""
}

// jsonMetadataHash reads PEP 691's core-metadata: false, true (no hash
// given) or a map of hashes; the sha256, "" when there is none.
func jsonMetadataHash(raw json.RawMessage) string {
	var m map[string]string
	if json.Unmarshal(raw, &m) == nil {
		return strings.ToLower(m["sha256"])
	}
	return ""
}

// decodeHTMLPage reads the anchors of a PEP 503 page: href (with the
// #sha256= fragment), the text as file name, data-requires-python,
// data-yanked and PEP 658's data-core-metadata (or
// data-dist-info-metadata) as "sha256=HEX".
func decodeHTMLPage(doc string) ([]publicFile, error) {
	var out []publicFile
	for _, a := range anchors(doc) {
		href, ok := a.attrs["href"]
		if !ok {
			continue
		}
		f := publicFile{Filename: strings.TrimSpace(a.text), URL: href}
		if _, frag, ok := strings.Cut(href, "#"); ok {
			if algo, sum, ok := strings.Cut(frag, "="); ok && algo == "sha256" {
				f.SHA256 = sum
			}
		}
		if f.Filename == "" {
			// The text is for people; the URL's last segment is the file.
			u, _, _ := strings.Cut(href, "#")
			u, _, _ = strings.Cut(u, "?")
			f.Filename, _ = url.PathUnescape(u[strings.LastIndexByte(u, '/')+1:])
		}
		f.RequiresPython = a.attrs["data-requires-python"]
		f.YankedReason, f.Yanked = a.attrs["data-yanked"]
		meta, ok := a.attrs["data-core-metadata"]
		if !ok {
			meta = a.attrs["data-dist-info-metadata"]
		}
		if algo, sum, ok := strings.Cut(meta, "="); ok && algo == "sha256" {
			f.CoreMetadata = strings.ToLower(sum)
		}
		out = append(out, f)
	}
	return out, nil
}

// anchor is an <a> element of a page: its attributes (names lowercased,
// values unescaped) and its text.
type anchor struct {
	attrs map[string]string
	text  string
}

// anchors finds the <a> elements of an HTML document, as far as PEP 503
// pages need: attributes quoted with " or ', or unquoted, and text up to
// the closing </a>.
func anchors(doc string) []anchor {
	lower := asciiLower(doc)
	var out []anchor
	for i := 0; ; {
		j := strings.Index(lower[i:], "<a")
		if j < 0 {
			return out
		}
		i += j + 2
		if i >= len(doc) || !strings.ContainsRune(" \t\r\n>", rune(doc[i])) {
			continue
		}
		attrs, end := tagAttrs(doc, i)
		if end < 0 {
			return out
		}
		i = end
		k := strings.Index(lower[i:], "</a")
		if k < 0 {
			return out
		}
		out = append(out, anchor{attrs: attrs, text: html.UnescapeString(doc[i : i+k])})
		i += k
	}
}

// asciiLower lowercases ASCII letters only, so indexes into the result
// are indexes into s (strings.ToLower changes the length of some text,
// invalid UTF-8 among it).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// tagAttrs reads a start tag's attributes from doc[i:] up to its '>', and
// returns them with the index after the '>' (-1 when the tag does not
// end).
func tagAttrs(doc string, i int) (map[string]string, int) {
	attrs := map[string]string{}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' }
	for i < len(doc) {
		for i < len(doc) && (isSpace(doc[i]) || doc[i] == '/') {
			i++
		}
		if i >= len(doc) {
			break
		}
		if doc[i] == '>' {
			return attrs, i + 1
		}
		start := i
		for i < len(doc) && !isSpace(doc[i]) && doc[i] != '=' && doc[i] != '>' && doc[i] != '/' {
			i++
		}
		name := strings.ToLower(doc[start:i])
		for i < len(doc) && isSpace(doc[i]) {
			i++
		}
		if i >= len(doc) || doc[i] != '=' {
			if _, dup := attrs[name]; !dup {
				attrs[name] = ""
			}
			continue
		}
		i++
		for i < len(doc) && isSpace(doc[i]) {
			i++
		}
		if i >= len(doc) {
			break
		}
		var val string
		if q := doc[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(doc[i+1:], q)
			if end < 0 {
				return nil, -1
			}
			val = doc[i+1 : i+1+end]
			i += end + 2
		} else {
			start := i
			for i < len(doc) && !isSpace(doc[i]) && doc[i] != '>' {
				i++
			}
			val = doc[start:i]
		}
		if _, dup := attrs[name]; !dup { // HTML: the first wins
			attrs[name] = html.UnescapeString(val)
		}
	}
	return nil, -1
}
