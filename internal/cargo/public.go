package cargo

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// cratesIOConnection is the external connection Cargo reads through.
const cratesIOConnection = "public:crates-io"

// DefaultCratesIOURL is the sparse index behind public:crates-io.
const DefaultCratesIOURL = "https://index.crates.io"

// downloadHosts are the download bases a sparse index may send .crate
// downloads to besides its own host: crates.io's config.json points at
// static.crates.io. A dl template naming any other host is refused, so
// an index cannot make the server fetch arbitrary URLs.
var downloadHosts = map[string][]string{
	"https://index.crates.io": {"https://static.crates.io/"},
}

// configKey is the cache key of the registry's config.json; no crate
// name holds a dot, so it cannot collide with an index file's.
const configKey = "config.json"

// Bounds of what is read from the public registry.
const (
	maxPublicIndex = 32 << 20 // an index file (serde's is about 1 MiB)
	maxPublicCrate = 1 << 30  // a .crate; crates.io allows 10 MiB
)

// publicDoc is a decoded document of the public registry: config.json
// (dl set) or a crate's index file (view set), shared read-only by every
// request.
type publicDoc struct {
	dl string
	// view holds the crate's versions as the merged index takes them:
	// each line less its yanked flag, yanked lines Unlisted, in file
	// order (their published time is unknown, so zero).
	view *service.PackageView
	// lines are the versions by version string.
	lines map[string]*publicLine
}

// publicLine is one version of a public index file.
type publicLine struct {
	name, vers, cksum string
	version           *model.Version // as in view
}

// indexLine is the part of an index line Wharf reads.
type indexLine struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Cksum  string `json:"cksum"`
	Yanked bool   `json:"yanked"`
	Deps   []struct {
		Name    string `json:"name"`
		Req     string `json:"req"`
		Kind    string `json:"kind"`
		Package string `json:"package"`
	} `json:"deps"`
}

// decodePublicDoc refuses a document that does not decode, so a broken
// answer from the registry is never kept: config.json must name its dl,
// and each index line must be a JSON object of the crate the file is
// for. A line whose version or checksum Wharf cannot take (nothing a
// client could install through it) is left out.
func decodePublicDoc(key string, body []byte) (*publicDoc, error) {
	if key == configKey {
		var c struct {
			DL string `json:"dl"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			return nil, fmt.Errorf("config.json: %w", err)
		}
		if c.DL == "" {
			return nil, errors.New("config.json has no dl")
		}
		return &publicDoc{dl: c.DL}, nil
	}
	d := &publicDoc{view: &service.PackageView{}, lines: map[string]*publicLine{}}
	for raw := range bytes.SplitSeq(body, []byte("\n")) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var l indexLine
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("index file of %s: %w", key, err)
		}
		if model.NormalizeName(model.FormatCargo, l.Name) != key {
			return nil, fmt.Errorf("index file of %s holds a line of %q", key, l.Name)
		}
		if _, ok := semver.Parse(l.Vers); !ok || d.lines[l.Vers] != nil || model.CheckSafeName("packageVersion", l.Vers) != nil {
			continue
		}
		if sum, err := hex.DecodeString(l.Cksum); err != nil || len(sum) != 32 {
			continue
		}
		entry, err := withoutYanked(raw)
		if err != nil {
			return nil, fmt.Errorf("index file of %s: %w", key, err)
		}
		st := model.StatusPublished
		if l.Yanked {
			st = model.StatusUnlisted
		}
		v := &model.Version{Version: l.Vers, DisplayName: l.Name, Status: st, FormatMetadata: entry,
			OriginType: model.OriginExternal, OriginExternal: cratesIOConnection}
		for _, dep := range l.Deps {
			name := dep.Name
			if dep.Package != "" {
				name = dep.Package
			}
			kind := dep.Kind
			if kind == "" {
				kind = "normal"
			}
			v.Dependencies = append(v.Dependencies, model.Dependency{Package: name, DependencyType: kind, VersionRequirement: dep.Req})
		}
		d.view.Versions = append(d.view.Versions, v)
		d.lines[l.Vers] = &publicLine{name: l.Name, vers: l.Vers, cksum: strings.ToLower(l.Cksum), version: v}
	}
	return d, nil
}

// withoutYanked is an index line as Wharf stores an entry: all but the
// yanked flag, which renderIndex adds from the version's status.
func withoutYanked(line []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, err
	}
	delete(m, "yanked")
	b, err := encodeJSON(m)
	return bytes.TrimSuffix(b, []byte("\n")), err
}

// publicRegistry reads the sparse index behind public:crates-io. Its
// config.json and index files live in a publiccache (on disk,
// byte-bounded, refreshed in the background so a warm build never waits
// on the registry); concurrent misses for one .crate share one fetch.
type publicRegistry struct {
	base   string // the index, without a trailing slash
	client *http.Client
	docs   *publiccache.Cache[*publicDoc]
	flight publiccache.Group[bool]
}

func newPublicRegistry(base string, opts publiccache.Options) (*publicRegistry, error) {
	if base == "" {
		base = DefaultCratesIOURL
	}
	p := &publicRegistry{base: strings.TrimSuffix(base, "/"), client: publiccache.NewClient(cratesIOConnection)}
	fetch := publiccache.HTTP(p.client, p.docURL, http.Header{"Accept": {"text/plain, application/json"}, "Cargo-Protocol": {"version=1"}}, maxPublicIndex)
	docs, err := publiccache.New(opts, fetch, decodePublicDoc)
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", cratesIOConnection, err)
	}
	p.docs = docs
	return p, nil
}

// docURL is where the index serves a document: config.json, or a crate's
// index file at the path scheme Wharf serves too.
func (p *publicRegistry) docURL(key string) string {
	if key == configKey {
		return p.base + "/" + configKey
	}
	return p.base + "/" + indexPath(key)
}

// index returns a crate's public index file, nil when the registry does
// not have the crate. refetch asks the registry now (a caller that found
// the cached file lacks a version).
func (p *publicRegistry) index(ctx context.Context, name string, need func(*publicDoc) bool) (*publicDoc, error) {
	d, err := p.docs.Lookup(ctx, model.NormalizeName(model.FormatCargo, name), need)
	if errors.Is(err, publiccache.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index file of %s: %w", name, err)
	}
	return d, nil
}

// line returns a version's public index line, asking the registry again
// when the cached file lacks it (published since it was fetched); nil
// when the registry does not have the version.
func (p *publicRegistry) line(ctx context.Context, name, version string) (*publicLine, error) {
	d, err := p.index(ctx, name, func(d *publicDoc) bool { return d.lines[version] != nil })
	if err != nil || d == nil {
		return nil, err
	}
	return d.lines[version], nil
}

// hasVersion reports whether the public registry has a version of the
// crate: the service's ExternalLookup for public:crates-io, asked before
// a publish so that a version crates.io serves is refused (409). It
// answers within ctx's deadline; the fetch goes on past it and fills the
// cache for the next publish or read.
func (p *publicRegistry) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	d, err := p.index(ctx, k.Name, nil)
	if err != nil || d == nil {
		return false, err
	}
	return d.lines[version] != nil, nil
}

// downloadURL is where the registry serves a version's .crate, from
// config.json's dl: a template with cargo's markers, or a base that
// {crate}/{version}/download is appended to (the Cargo book's "Index
// configuration").
func (p *publicRegistry) downloadURL(ctx context.Context, l *publicLine) (string, error) {
	cfg, err := p.docs.Get(ctx, configKey)
	if errors.Is(err, publiccache.ErrNotFound) {
		return "", fmt.Errorf("%w: the index has no config.json", publiccache.ErrUnavailable)
	}
	if err != nil {
		return "", fmt.Errorf("config.json: %w", err)
	}
	return expandDL(cfg.dl, l.name, l.vers, l.cksum), nil
}

// expandDL fills a dl template in as cargo does.
func expandDL(dl, name, vers, cksum string) string {
	markers := []string{"{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"}
	has := false
	for _, m := range markers {
		has = has || strings.Contains(dl, m)
	}
	if !has {
		return strings.TrimSuffix(dl, "/") + "/" + name + "/" + vers + "/download"
	}
	prefix := dlPrefix(name)
	return strings.NewReplacer("{crate}", name, "{version}", vers, "{prefix}", prefix,
		"{lowerprefix}", strings.ToLower(prefix), "{sha256-checksum}", cksum).Replace(dl)
}

// dlPrefix is a crate's index directory as the dl template's {prefix}
// names it: the crate's own spelling, not lowercased.
func dlPrefix(name string) string {
	switch len(name) {
	case 1:
		return "1"
	case 2:
		return "2"
	case 3:
		return "3/" + name[:1]
	default:
		return name[:2] + "/" + name[2:4]
	}
}

// downloadBase is the base a .crate URL must lie under: the index's own
// origin, or one of the hosts downloadHosts allows for it.
func (p *publicRegistry) downloadBase(u string) string {
	origin := p.base
	if pu, err := url.Parse(p.base); err == nil {
		origin = pu.Scheme + "://" + pu.Host
	}
	for _, b := range downloadHosts[origin] {
		if strings.HasPrefix(u, b) {
			return b
		}
	}
	return origin + "/"
}

// download fetches a version's .crate into a temporary file in dir and
// checks it against the cksum of its index line before anything keeps
// it: a mismatch is a failure of the registry.
func (p *publicRegistry) download(ctx context.Context, l *publicLine, dir string) (*publiccache.File, error) {
	u, err := p.downloadURL(ctx, l)
	if err != nil {
		return nil, err
	}
	f, err := publiccache.Download(ctx, p.client, p.downloadBase(u), u, dir, maxPublicCrate)
	if err != nil {
		return nil, err
	}
	if f.SHA256 != l.cksum {
		f.Close()
		return nil, fmt.Errorf("%w: %s: the .crate's sha256 %s is not the cksum %s of its index line", publiccache.ErrUnavailable, u, f.SHA256, l.cksum)
	}
	return f, nil
}
