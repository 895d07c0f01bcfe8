package maven

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/publiccache"
)

// maxPublicFile bounds a file fetched from a public repository.
const maxPublicFile = 2 << 30

// publicChecksums are the checksum files a fetched file is verified
// against, strongest first: the first the repository publishes is used.
// Maven Central has a .sha1 beside every file and a .sha256 beside newer
// ones; a file with neither (an .md5 alone is not trusted) is refused.
var publicChecksums = []string{"sha256", "sha1"}

// publicMetadata is what resolution uses of an artifact's public
// maven-metadata.xml: its release versions (SNAPSHOTs are not proxied,
// as in CodeArtifact) and when it was last updated, or a plugin group's
// prefixes. Shared by every
// request that reads it: read-only.
type publicMetadata struct {
	versions    []string
	lastUpdated time.Time
	// plugins are a plugin group's prefixes (GROUP/maven-metadata.xml,
	// which the layout cannot tell from an artifact's).
	plugins []plugin
}

// has reports whether the metadata lists version (a scan: only a publish
// asks, and a map would double what each cached document costs).
func (m *publicMetadata) has(version string) bool { return slices.Contains(m.versions, version) }

// publicRepo is the public Maven repository behind one external
// connection. Artifact metadata lives in a publiccache (on disk,
// byte-bounded, refreshed in the background); concurrent misses for one
// file share one fetch.
type publicRepo struct {
	conn   string
	base   string
	client *http.Client
	docs   *publiccache.Cache[*publicMetadata]
	flight publiccache.Group[bool]
}

// newPublicRepo reaches the repository at base. Unless opts set one, the
// five connections share one connection's default memory bound (a fifth
// each): Maven documents are small, and those evicted from memory are
// read back from disk, not fetched again.
func newPublicRepo(conn, base string, opts publiccache.Options) (*publicRepo, error) {
	if opts.MemoryBytes == 0 {
		opts.MemoryBytes = publiccache.DefaultMemoryBytes / int64(len(connections))
	}
	p := &publicRepo{conn: conn, base: strings.TrimSuffix(base, "/"),
		client: publiccache.NewClient(conn)}
	fetch := publiccache.HTTP(p.client, p.metadataURL, nil, maxDocument)
	docs, err := publiccache.New(opts, fetch, decodePublicMetadata)
	if err != nil {
		return nil, fmt.Errorf("%s cache: %w", conn, err)
	}
	p.docs = docs
	return p, nil
}

// artifactKey names an artifact in the cache: groupId:artifactId.
func artifactKey(groupID, artifactID string) string { return groupID + ":" + artifactID }

// artifactDir is an artifact's directory in the Maven 2 layout, escaped.
func (p *publicRepo) artifactDir(groupID, artifactID string) string {
	return p.base + "/" + strings.ReplaceAll(groupID, ".", "/") + "/" + url.PathEscape(artifactID)
}

// metadataURL is where the repository serves an artifact's
// maven-metadata.xml; key is artifactKey's.
func (p *publicRepo) metadataURL(key string) string {
	g, a, _ := strings.Cut(key, ":")
	return p.artifactDir(g, a) + "/" + MetadataFile
}

// fileURL is where the repository serves a version's file.
func (p *publicRepo) fileURL(path Path) string {
	return p.artifactDir(path.GroupID, path.ArtifactID) + "/" + url.PathEscape(path.Version) + "/" + url.PathEscape(path.File)
}

// decodePublicMetadata reads an artifact's maven-metadata.xml, refusing
// one that does not parse or names another artifact (so it is never
// kept). Versions that are not valid here, and SNAPSHOTs, are left out.
func decodePublicMetadata(key string, body []byte) (*publicMetadata, error) {
	m, err := ParseMetadata(body)
	if err != nil {
		return nil, err
	}
	g, a, _ := strings.Cut(key, ":")
	if (m.GroupID != "" && string(m.GroupID) != g) || (m.ArtifactID != "" && string(m.ArtifactID) != a) {
		return nil, fmt.Errorf("maven-metadata.xml of %s names %s:%s", key, m.GroupID, m.ArtifactID)
	}
	pm := &publicMetadata{}
	seen := map[string]bool{}
	for _, v := range m.Versions() {
		if validVersion(v) && !IsSnapshot(v) && !seen[v] {
			seen[v] = true
			pm.versions = append(pm.versions, v)
		}
	}
	if m.Versioning != nil {
		pm.lastUpdated, _ = time.Parse(lastUpdatedFormat, string(m.Versioning.LastUpdated))
	}
	for _, pl := range m.Plugins {
		if pl.Prefix != "" && validID(string(pl.Prefix), true) && validID(string(pl.ArtifactID), true) {
			pm.plugins = append(pm.plugins, pl)
		}
	}
	return pm, nil
}

// metadata returns an artifact's public metadata, nil when the
// repository does not have the artifact; refetch asks the repository now.
func (p *publicRepo) metadata(ctx context.Context, groupID, artifactID string, refetch bool) (*publicMetadata, error) {
	get := p.docs.Get
	if refetch {
		get = p.docs.Refetch
	}
	m, err := get(ctx, artifactKey(groupID, artifactID))
	switch {
	case errors.Is(err, publiccache.ErrNotFound):
		return nil, nil
	case errors.Is(err, publiccache.ErrUnavailable):
		return nil, &endpoint.UpstreamError{Connection: p.conn, Err: err}
	case err != nil:
		return nil, err
	}
	return m, nil
}

// hasVersion reports whether the public repository lists a version of
// the artifact, asking again when the cached metadata lacks it (or a 404
// is remembered): the
// service asks before a publish, to refuse versions the connection
// serves (409). The cache answers within ctx's deadline while its fetch
// goes on past it, filling the cache.
func (p *publicRepo) hasVersion(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	m, err := p.metadata(ctx, k.Namespace, k.Name, false)
	if err == nil && (m == nil || !m.has(version)) {
		m, err = p.metadata(ctx, k.Namespace, k.Name, true)
	}
	return err == nil && m != nil && m.has(version), err
}

// fetchFile downloads a version's file into a temporary file in dir,
// verified against the strongest checksum file the repository publishes
// beside it (fetched meanwhile). The error wraps publiccache.ErrNotFound
// when the repository does not have the file; any other failure, a
// missing or mismatching checksum included, wraps ErrUnavailable.
func (p *publicRepo) fetchFile(ctx context.Context, path Path, dir string) (*publiccache.File, error) {
	u := p.fileURL(path)
	type sum struct {
		algo, hex string
		err       error
	}
	ch := make(chan sum, 1)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		algo, hex, err := p.checksum(sctx, u)
		ch <- sum{algo, hex, err}
	}()
	f, err := publiccache.Download(ctx, p.client, p.base, u, dir, maxPublicFile)
	if err != nil {
		return nil, err
	}
	s := <-ch
	if s.err == nil {
		s.err = checkDigest(f, s.algo, s.hex)
	}
	if s.err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %w", publiccache.ErrUnavailable, u, s.err)
	}
	return f, nil
}

// checkDigest compares a downloaded file's digest with the one the
// repository published.
func checkDigest(f *publiccache.File, algo, want string) error {
	var got string
	switch algo {
	case "sha512":
		got = f.SHA512
	case "sha256":
		got = f.SHA256
	case "sha1":
		got = f.SHA1
	default:
		return fmt.Errorf("no %s digest of the file", algo)
	}
	if got != want {
		return fmt.Errorf("the file's %s is %s, the repository's .%s says %s", algo, got, algo, want)
	}
	return nil
}

// checksum reads the first of publicChecksums the repository has for
// the file at fileURL.
func (p *publicRepo) checksum(ctx context.Context, fileURL string) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, publiccache.DefaultFetchTimeout)
	defer cancel()
	for _, algo := range publicChecksums {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fileURL+"."+algo, nil)
		if err != nil {
			return "", "", err
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return "", "", fmt.Errorf("GET %s.%s: %w", fileURL, algo, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			sum, err := readChecksum(resp.Body, algo)
			resp.Body.Close()
			return algo, sum, err
		case http.StatusNotFound, http.StatusGone:
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			continue
		}
		resp.Body.Close()
		return "", "", fmt.Errorf("GET %s.%s: %s", fileURL, algo, resp.Status)
	}
	return "", "", fmt.Errorf("the repository publishes no .%s checksum of the file", strings.Join(publicChecksums, " or ."))
}
