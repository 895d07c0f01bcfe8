package ruby

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
	"github.com/wharf-dev/wharf/internal/service"
)

// A repository with upstreams or the public:ruby-gems-org connection
// serves what its resolution chain holds merged with the public
// registry's compact index: info/NAME and the dependency API list the
// chain's gems (the nearest copy of a version wins) and then the public
// gems of versions the chain does not hold. A public gem is fetched,
// checked against the SHA-256 its info line publishes, and ingested into
// the repository owning the connection (origin EXTERNAL) when a client
// first asks for its .gem or its quick/Marshal.4.8 gemspec (both clients
// ask for the gemspec just before the .gem; Wharf builds it from the
// verified gem rather than passing on the registry's), then retained in
// the repository asked. Wharf serves no /versions file (as CodeArtifact),
// so public gems appear only through info/NAME and the dependency API,
// which is where gem install and Bundler look once /versions is a 404.

// maxPublicInfo bounds an info file read from the registry (rubygems.org's
// largest are a few hundred kilobytes).
const maxPublicInfo = 16 << 20

// errUpstream marks a failure of the public registry: no answer, an
// answer that is not what it should be, or a gem that does not match its
// published checksum (a 502).
var errUpstream = errors.New("public registry failure")

// publicGem is one line of a public info file: one .gem of a version.
type publicGem struct {
	full     string // FULL_NAME: NAME-VERSION[-PLATFORM]
	version  string
	platform string // "ruby" for a pure-Ruby gem
	line     string // the line as the registry wrote it, served as is
	sha256   string
	// deps are the runtime dependencies as the dependency API gives
	// them: name and requirements joined by ", ".
	deps [][2]string
}

// publicInfo is a gem's info file from the registry, parsed once when
// fetched and shared read-only by every request.
type publicInfo struct {
	gems   []*publicGem // in the file's order
	byFile map[string]*publicGem
}

// parsePublicInfo reads a compact index info file: "---", then one line
// per gem, `VERSION[-PLATFORM] DEP:REQ&REQ,...|checksum:SHA256[,ruby:REQ][,rubygems:REQ]`.
// A document that does not parse is refused whole (the registry's answer
// is not kept), so every line served was understood.
func parsePublicInfo(name string, body []byte) (*publicInfo, error) {
	text := string(body)
	if !strings.HasPrefix(text, "---\n") && text != "---" {
		return nil, fmt.Errorf("info/%s does not start with ---", name)
	}
	info := &publicInfo{byFile: map[string]*publicGem{}}
	for n, line := range strings.Split(strings.TrimPrefix(text, "---"), "\n") {
		if line == "" {
			continue
		}
		g, err := parseInfoLine(name, line)
		if err != nil {
			return nil, fmt.Errorf("info/%s line %d: %w", name, n+1, err)
		}
		if _, dup := info.byFile[g.full]; dup {
			continue
		}
		info.gems = append(info.gems, g)
		info.byFile[g.full] = g
	}
	return info, nil
}

// parseInfoLine reads one info line. The version ends at the first "-"
// (RubyGems splits it the same way); what follows is the platform.
func parseInfoLine(name, line string) (*publicGem, error) {
	head, rest, ok := strings.Cut(line, " ")
	if !ok {
		return nil, errors.New("no space after the version")
	}
	deps, reqs, ok := strings.Cut(rest, "|")
	if !ok {
		return nil, errors.New("no | before the checksum")
	}
	g := &publicGem{line: line, platform: rubyPlatform}
	g.version, g.platform, ok = strings.Cut(head, "-")
	if !ok {
		g.platform = rubyPlatform
	}
	if err := model.CheckSafeName("packageVersion", g.version); err != nil || !validGemVersion(g.version) {
		return nil, fmt.Errorf("version %q is not a gem version", g.version)
	}
	if g.platform == "" || strings.ContainsAny(g.platform, "/\\ ") {
		return nil, fmt.Errorf("platform %q is not a platform", g.platform)
	}
	g.full = name + "-" + head
	if g.platform == rubyPlatform {
		g.full = name + "-" + g.version
	}
	if deps != "" {
		for d := range strings.SplitSeq(deps, ",") {
			dn, req, ok := strings.Cut(d, ":")
			if !ok || model.CheckGemName(dn) != nil || req == "" {
				return nil, fmt.Errorf("dependency %q is not NAME:REQUIREMENT", d)
			}
			g.deps = append(g.deps, [2]string{dn, strings.ReplaceAll(req, "&", ", ")})
		}
	}
	for kv := range strings.SplitSeq(reqs, ",") {
		if k, v, _ := strings.Cut(kv, ":"); k == "checksum" {
			g.sha256 = strings.ToLower(v)
		}
	}
	if b, err := hex.DecodeString(g.sha256); err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("checksum %q is not a SHA-256", g.sha256)
	}
	return g, nil
}

// validGemVersion accepts what Gem::Version does, less its "-"
// shorthand (an info line's version has none: it ends at the first "-").
func validGemVersion(v string) bool {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.') {
			return false
		}
	}
	return true
}

// publicRegistry reads the public RubyGems registry: info files through
// a publiccache (on disk, byte-bounded, refreshed in the background so a
// warm install never waits on the registry), gems verified against
// their info line; concurrent misses for one gem share one fetch.
type publicRegistry struct {
	base   string
	client *http.Client
	docs   *publiccache.Cache[*publicInfo]
	flight publiccache.Group[bool]
}

func newPublicRegistry(base string, opts publiccache.Options) (*publicRegistry, error) {
	p := &publicRegistry{base: strings.TrimSuffix(base, "/"), client: publiccache.NewClient(rubyGemsConnection)}
	fetch := publiccache.HTTP(p.client, p.infoURL, http.Header{"Accept": {"text/plain"}}, maxPublicInfo)
	docs, err := publiccache.New(opts, fetch, parsePublicInfo)
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", rubyGemsConnection, err)
	}
	p.docs = docs
	return p, nil
}

func (p *publicRegistry) infoURL(name string) string { return p.base + "/info/" + url.PathEscape(name) }

// info returns the registry's info file of a gem, nil when it does not
// have the gem. refetch asks the registry now.
func (p *publicRegistry) info(ctx context.Context, name string, need func(*publicInfo) bool) (*publicInfo, error) {
	d, err := p.docs.Lookup(ctx, name, need)
	switch {
	case errors.Is(err, publiccache.ErrNotFound):
		return nil, nil
	case errors.Is(err, publiccache.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", errUpstream, err)
	case err != nil:
		return nil, err
	}
	return d, nil
}

// gem returns the info line of one .gem, asking the registry again when
// the cached file lacks it (released since it was fetched); nil when the
// registry does not have it.
func (p *publicRegistry) gem(ctx context.Context, name, full string) (*publicGem, error) {
	d, err := p.info(ctx, name, func(d *publicInfo) bool { return d.byFile[full] != nil })
	if err != nil || d == nil {
		return nil, err
	}
	return d.byFile[full], nil
}

// hasVersion reports whether the registry has a version of the gem: the
// service asks before a push, to refuse versions public:ruby-gems-org
// serves (a 409). It answers within ctx's deadline; the fetch goes on
// past it and fills the cache for the next push or read.
func (p *publicRegistry) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	type answer struct {
		d   *publicInfo
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		d, err := p.info(context.WithoutCancel(ctx), k.Name, nil)
		ch <- answer{d, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil || a.d == nil {
			return false, a.err
		}
		for _, g := range a.d.gems {
			if g.version == version {
				return true, nil
			}
		}
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// download fetches a .gem into a temporary file in dir and checks it
// against the checksum of its info line; a mismatch is the registry's
// failure and nothing of the file is kept.
func (p *publicRegistry) download(ctx context.Context, g *publicGem, dir string, maxBytes int64) (*publiccache.File, error) {
	u := p.base + "/gems/" + url.PathEscape(g.full) + ".gem"
	f, err := publiccache.Download(ctx, p.client, p.base, u, dir, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUpstream, err)
	}
	if f.SHA256 != g.sha256 {
		f.Close()
		return nil, fmt.Errorf("%w: %s: SHA-256 %s does not match the checksum %s of its info line", errUpstream, u, f.SHA256, g.sha256)
	}
	return f, nil
}

// addPublic adds pub's gems to an index the chain's versions were just
// written into (info holds their lines): a gem shows when the chain holds
// no copy of its version, or holds it Published through the connection
// without this file yet.
func (idx *gemIndex) addPublic(info *strings.Builder, versions []*model.Version, pub *publicInfo) {
	held := make(map[string]*model.Version, len(versions))
	for _, v := range versions {
		held[v.Version] = v
	}
	idx.public = map[string]*publicGem{}
	for _, g := range pub.gems {
		if v := held[g.version]; v != nil {
			if v.Status != model.StatusPublished || v.OriginType != model.OriginExternal || v.OriginExternal != rubyGemsConnection {
				continue
			}
			if idx.files[g.full] != nil {
				continue
			}
		}
		idx.public[g.full] = g
		idx.publicListed = append(idx.publicListed, g)
		info.WriteString(g.line)
		info.WriteByte('\n')
	}
}

// readIndex returns the index a read of the package is served from: the
// repository's own, cached by generation, or for a repository with
// sources the resolution chain's merged with the public registry.
func (h *handler) readIndex(ctx context.Context, req *endpoint.Request, name string) (*gemIndex, error) {
	ref := req.Repo.Package(model.FormatRuby, "", name)
	st, err := h.svc.PackageState(ctx, req.Caller, ref)
	if err != nil {
		return nil, err
	}
	if !st.Sources {
		if !st.Found {
			return nil, gemNotFound(name)
		}
		return h.cachedIndex(ctx, req, ref, st)
	}
	return h.resolvedIndex(ctx, req, ref)
}

// resolvedIndex merges the chain and the public registry. It spans
// several packages and the registry, so it is built per request; the
// registry's part is the publiccache's decoded file. A registry that
// cannot be read only fails the request when nothing else has the gem.
func (h *handler) resolvedIndex(ctx context.Context, req *endpoint.Request, ref service.PackageRef) (*gemIndex, error) {
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{})
	if err != nil {
		return nil, err
	}
	merged, conn := service.MergeChain(chain, rubyGemsConnection)
	if merged.Package == nil {
		merged.Package = &model.Package{Key: model.PackageKey{Format: model.FormatRuby, Name: ref.Package}}
	}
	var pub *publicInfo
	var pubErr error
	if conn != "" {
		pub, pubErr = h.public.info(ctx, ref.Package, nil)
		if pubErr != nil {
			h.log.WarnContext(ctx, "ruby external connection", "connection", conn, "gem", ref.Package, "err", pubErr)
		}
	}
	if len(merged.Versions) == 0 && pub == nil {
		if pubErr != nil {
			return nil, &endpoint.UpstreamError{Connection: conn, Err: pubErr}
		}
		return nil, model.NotFound(model.ResourcePackage, ref.Package, "Gem %s was not found in repository %s or its upstreams.", ref.Package, ref.Repository)
	}
	idx, err := buildMergedIndex(merged, pub)
	if err != nil {
		return nil, err
	}
	idx.resolved, idx.viaConn = true, conn != ""
	return idx, nil
}

// fetchUpstream makes version's file (FULL_NAME.gem) of gem name
// available in the repository asked: from the nearest repository of the
// chain holding it, or fetched through public:ruby-gems-org into the
// repository owning the connection (also when the nearest copy came
// through the connection without this file), then retained in the
// repository asked.
func (h *handler) fetchUpstream(ctx context.Context, req *endpoint.Request, name, version, file string) error {
	ref := req.Repo.Package(model.FormatRuby, "", name)
	chain, err := h.svc.ResolveChain(ctx, req.Caller, ref, service.ViewOptions{WithAssets: true})
	if err != nil {
		return err
	}
	isConn := func(c string) bool { return c == rubyGemsConnection }
	e, v, hasFile, conn := service.NearestCopy(chain, version, file, isConn)
	var from *service.ChainEntry
	switch {
	case e != nil && hasFile:
		from = e
	case e != nil && v.Status == model.StatusPublished && v.OriginType == model.OriginExternal && v.OriginExternal == rubyGemsConnection,
		e == nil && conn != "":
		for i := range chain {
			if chain[i].ExternalConnection == rubyGemsConnection {
				from = &chain[i]
				break
			}
		}
		if from == nil {
			break
		}
		ok, err := h.ingest(ctx, req.Caller, from.Repo.Package(model.FormatRuby, "", name), name, strings.TrimSuffix(file, ".gem"))
		if err != nil {
			return err
		}
		if !ok {
			from = nil
		}
	}
	if from == nil {
		return model.NotFound(model.ResourceAsset, file, "%s was not found in repository %s or its upstreams.", file, ref.Repository)
	}
	if from.Repo.Repository == ref.Repository {
		return nil
	}
	return h.svc.RetainVersion(ctx, req.Caller, ref, from.Repo.Repository, version)
}

// ingest fetches one .gem from the public registry into the repository
// owning the connection (ref), checked against its info line, its spec
// read and matched to the name asked. It reports false when the
// registry does not have the gem. Concurrent misses share one fetch.
func (h *handler) ingest(ctx context.Context, c service.Caller, ref service.PackageRef, name, full string) (bool, error) {
	key := ref.Domain + "\x00" + ref.DomainOwner + "\x00" + ref.Repository + "\x00" + full
	ok, err := h.public.flight.Do(key, func() (bool, error) {
		// Shared by every waiting request: one going away must not fail
		// the others.
		ctx := context.WithoutCancel(ctx)
		g, err := h.public.gem(ctx, name, full)
		if err != nil || g == nil {
			return false, err
		}
		// A fetch that finished just before this miss began already holds
		// the gem.
		if ac, err := h.svc.OpenAsset(ctx, c, ref, g.version, full+".gem"); err == nil {
			ac.Body.Close()
			return true, nil
		}
		f, err := h.public.download(ctx, g, h.opts.SpoolDir, h.opts.MaxGemBytes)
		if err != nil {
			return false, err
		}
		defer f.Close()
		spec, err := readGem(f)
		if err != nil {
			if isRefusal(err) {
				return false, fmt.Errorf("%w: %s.gem is not a gem Wharf can serve: %w", errUpstream, full, err)
			}
			return false, err
		}
		if spec.Name != name || spec.Version != g.version || spec.fullName() != full {
			return false, fmt.Errorf("%w: %s.gem holds the spec of %s", errUpstream, full, spec.fullName())
		}
		if spec.Date == "" {
			spec.Date = time.Now().UTC().Format(time.DateOnly)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("rewind fetched gem: %w", err)
		}
		rel := gemRelease{File: spec.fileName(), SHA256: f.SHA256, Spec: spec}
		md := versionMetadata(spec)
		if md.FormatMetadata, err = mergeRelease(nil, rel); err != nil {
			return false, err
		}
		err = h.svc.IngestExternal(ctx, c, service.IngestRequest{
			Ref: ref, Connection: rubyGemsConnection, Version: spec.Version,
			Asset: service.Upload{Name: rel.File, Body: f, SHA256: f.SHA256}, Metadata: md,
			MergeFormatMetadata: func(cur []byte) ([]byte, error) { return mergeRelease(cur, rel) },
		})
		return err == nil, err
	})
	if errors.Is(err, errUpstream) {
		return false, &endpoint.UpstreamError{Connection: rubyGemsConnection, Err: err}
	}
	return ok, err
}
