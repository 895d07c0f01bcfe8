package ruby

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// versionDoc is a version's format metadata: one entry per gem pushed
// into the version, a pure-Ruby gem and each platform gem, in push order.
// As in CodeArtifact's model of a gem version, platform gems are further
// assets of the one version their version number names.
type versionDoc struct {
	Gems []gemRelease `json:"gems"`
}

// gemRelease is one .gem of a version.
type gemRelease struct {
	File   string   `json:"file"` // the asset: FULL_NAME.gem
	SHA256 string   `json:"sha256"`
	Spec   *gemSpec `json:"spec"`
}

// mergeRelease returns the version document with rel added, or cur as it
// is when rel's file is already there (an identical re-push: the service
// refuses a different one before this).
func mergeRelease(cur []byte, rel gemRelease) ([]byte, error) {
	var doc versionDoc
	if len(cur) > 0 {
		if err := json.Unmarshal(cur, &doc); err != nil {
			return nil, fmt.Errorf("ruby: stored version document: %w", err)
		}
	}
	for _, g := range doc.Gems {
		if g.File == rel.File {
			return cur, nil
		}
	}
	doc.Gems = append(doc.Gems, rel)
	return json.Marshal(doc)
}

// gemIndex is what a package's reads are served from, built once per
// package generation: the /info document with its validators, the
// releases the dependency API lists, and every downloadable file by full
// name.
type gemIndex struct {
	gen  int64
	name string
	// info is the compact index's /info/NAME document.
	info                     []byte
	etag, reprDigest, digest string
	// listed are the Published releases, as /info lists them.
	listed []*release
	// files maps FULL_NAME to the Published and Unlisted releases (those
	// that download by exact name), under the platform as
	// Gem::Platform#to_s spells it and as the gem spells it.
	files map[string]*release
	// public are the gems only the public registry behind the chain's
	// connection has (resolved indexes only), by FULL_NAME, and in the
	// order /info lists them.
	public       map[string]*publicGem
	publicListed []*publicGem
	// resolved says the index is a resolution chain's: a file it lists
	// that the repository lacks is fetched from upstream.
	resolved bool
	// public names the index's chain reaching public:ruby-gems-org.
	viaConn bool
	size    int64
}

// release is one .gem of one stored version.
type release struct {
	version string // the CodeArtifact version
	gem     gemRelease
	// quick is the release's .gemspec.rz, made on first request.
	quickOnce sync.Once
	quick     []byte
}

func (r *release) quickSpec() []byte {
	r.quickOnce.Do(func() { r.quick = quickSpec(r.gem.Spec) })
	return r.quick
}

// buildIndex builds a package's index from its view: versions in the
// order they were published, as rubygems.org's /info lists them.
func buildIndex(view *service.PackageView) (*gemIndex, error) {
	return buildMergedIndex(view, nil)
}

// buildMergedIndex builds the index of a resolution chain's merged view
// and, when pub is not nil, the public registry's gems behind the chain's
// external connection, after the chain's own: each public line whose
// version the chain does not hold, and the lines of a version the chain
// holds through that connection for the files it has not fetched yet
// (their public line is how a client asks for them).
func buildMergedIndex(view *service.PackageView, pub *publicInfo) (*gemIndex, error) {
	idx := &gemIndex{gen: view.Package.Generation, name: view.Package.Key.Name, files: map[string]*release{}}
	versions := slices.Clone(view.Versions)
	slices.SortStableFunc(versions, func(a, b *model.Version) int {
		if c := a.PublishedTime.Compare(b.PublishedTime); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	var info strings.Builder
	info.WriteString("---\n")
	for _, v := range versions {
		if !v.Status.Downloadable() || len(v.FormatMetadata) == 0 {
			continue
		}
		var doc versionDoc
		if err := json.Unmarshal(v.FormatMetadata, &doc); err != nil {
			return nil, fmt.Errorf("ruby: version document of %s %s: %w", idx.name, v.Version, err)
		}
		idx.size += int64(len(v.FormatMetadata))
		for _, g := range doc.Gems {
			if g.Spec == nil {
				return nil, fmt.Errorf("ruby: version document of %s %s has a gem without a spec", idx.name, v.Version)
			}
			rel := &release{version: v.Version, gem: g}
			idx.files[g.Spec.fullName()] = rel
			if g.Spec.Platform != rubyPlatform {
				// RubyGems falls back to the platform as the gem spells
				// it when the normalized name is not found.
				idx.files[g.Spec.Name+"-"+g.Spec.Version+"-"+g.Spec.Platform] = rel
			}
			if v.Status.Listed() {
				idx.listed = append(idx.listed, rel)
				writeInfoLine(&info, g)
			}
		}
	}
	if pub != nil {
		idx.addPublic(&info, versions, pub)
	}
	idx.info = []byte(info.String())
	idx.size += int64(len(idx.info)) * 2
	m := md5.Sum(idx.info)
	s := sha256.Sum256(idx.info)
	// Bundler up to 2.4 checks the ETag as the body's MD5; later ones
	// check Repr-Digest (RFC 9530), falling back to Digest (RFC 3230).
	idx.etag = `"` + hex.EncodeToString(m[:]) + `"`
	idx.reprDigest = "sha-256=:" + base64.StdEncoding.EncodeToString(s[:]) + ":"
	idx.digest = "sha-256=" + base64.StdEncoding.EncodeToString(s[:])
	return idx, nil
}

// writeInfoLine writes one line of the compact index's /info document,
// as the compact_index gem formats it:
//
//	VERSION[-PLATFORM] DEP:REQ&REQ,DEP:REQ|checksum:SHA256[,ruby:REQ][,rubygems:REQ]
//
// with runtime dependencies only, each dependency's requirements sorted,
// and the Ruby and RubyGems requirements left out when they accept
// everything.
func writeInfoLine(b *strings.Builder, g gemRelease) {
	s := g.Spec
	b.WriteString(s.Version)
	if s.Platform != rubyPlatform {
		b.WriteByte('-')
		b.WriteString(s.Platform)
	}
	b.WriteByte(' ')
	first := true
	for _, d := range s.Dependencies {
		if d.Type != "runtime" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(d.Name)
		b.WriteByte(':')
		b.WriteString(infoRequirement(d.Requirement))
	}
	b.WriteString("|checksum:")
	b.WriteString(g.SHA256)
	if !s.RequiredRuby.isDefault() {
		b.WriteString(",ruby:")
		b.WriteString(infoRequirement(s.RequiredRuby))
	}
	if !s.RequiredRubygems.isDefault() {
		b.WriteString(",rubygems:")
		b.WriteString(infoRequirement(s.RequiredRubygems))
	}
	b.WriteByte('\n')
}

// infoRequirement is a requirement in the compact index: "OP VERSION"
// pairs sorted and joined by "&".
func infoRequirement(r requirement) string {
	parts := strings.Split(r.String(), ", ")
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

// dependencyEntries are the dependency API's hashes for a package's
// Published releases: name, number, platform and runtime dependencies
// with their requirements as Gem::Requirement#to_s writes them, which
// Bundler splits on ", ".
func (idx *gemIndex) dependencyEntries() []any {
	out := make([]any, 0, len(idx.listed)+len(idx.publicListed))
	for _, rel := range idx.listed {
		s := rel.gem.Spec
		deps := make([]any, 0, len(s.Dependencies))
		for _, d := range s.Dependencies {
			if d.Type == "runtime" {
				deps = append(deps, []any{d.Name, d.Requirement.String()})
			}
		}
		out = append(out, hash{
			{symbol("name"), s.Name},
			{symbol("number"), s.Version},
			{symbol("platform"), s.Platform},
			{symbol("dependencies"), deps},
		})
	}
	for _, g := range idx.publicListed {
		deps := make([]any, len(g.deps))
		for i, d := range g.deps {
			deps[i] = []any{d[0], d[1]}
		}
		out = append(out, hash{
			{symbol("name"), idx.name},
			{symbol("number"), g.version},
			{symbol("platform"), g.platform},
			{symbol("dependencies"), deps},
		})
	}
	return out
}

// versionMetadata is what the control plane shows of a version
// (DescribePackageVersion, ListPackageVersionDependencies,
// GetPackageVersionReadme), taken from the gem that created it. As
// CodeArtifact does for formats without a readme file, the readme is the
// description.
func versionMetadata(s *gemSpec) *service.VersionMetadata {
	md := &service.VersionMetadata{
		DisplayName:    s.Name,
		Summary:        text(s.Summary),
		HomePage:       text(s.Homepage),
		SourceCodeRepo: s.metadataValue("source_code_uri"),
		Readme:         text(s.Description),
	}
	for _, l := range s.Licenses {
		md.Licenses = append(md.Licenses, model.License{Name: l})
	}
	for _, d := range s.Dependencies {
		if d.Type == "runtime" {
			md.Dependencies = append(md.Dependencies, model.Dependency{Package: d.Name, DependencyType: d.Type, VersionRequirement: d.Requirement.String()})
		}
	}
	return md
}
