package upstreamtest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DebianGemSpecs is where Debian's ruby package keeps the specifications
// of the gems it bundles (test-unit, power_assert, minitest, ...); their
// files are in the gems/ folder beside it.
const DebianGemSpecs = "/usr/lib/ruby/gems/3.1.0/specifications"

// RubyGem is one .gem a RubyGems stand-in serves, with what its compact
// index line and quick/Marshal.4.8 gemspec say of it.
type RubyGem struct {
	Name, Version string
	Platform      string // "ruby" for a pure-Ruby gem
	// Deps are the runtime dependencies: name and requirement as
	// Gem::Requirement#to_s writes it (">= 1.0, < 3").
	Deps [][2]string
	// Ruby and Rubygems are the required Ruby and RubyGems versions,
	// "" when any will do.
	Ruby, Rubygems string
	Data           []byte // the .gem
	QuickSpec      []byte // its .gemspec.rz (zlib of Marshal.dump(spec))
}

// FullName is the gem's FULL_NAME, what its files are named after.
func (g *RubyGem) FullName() string {
	if g.Platform == "" || g.Platform == "ruby" {
		return g.Name + "-" + g.Version
	}
	return g.Name + "-" + g.Version + "-" + g.Platform
}

// buildGemScript rebuilds an installed gem with RubyGems' own
// Gem::Package.build: its specification (another version when asked)
// over a copy of its installed files, then prints what the compact index
// needs and writes the quick/Marshal.4.8 gemspec as `gem generate_index`
// makes it.
const buildGemScript = `
require 'rubygems/package'
require 'json'
require 'fileutils'
spec_path, gem_dir, version, out = ARGV
spec = Gem::Specification.load(spec_path) or abort "cannot load #{spec_path}"
spec.version = version unless version.empty?
work = File.join(out, "src-#{spec.full_name}")
FileUtils.rm_rf(work)
FileUtils.cp_r(gem_dir, work)
spec.files = Dir.chdir(work) { Dir.glob("**/*", File::FNM_DOTMATCH).select { |f| File.file?(f) }.sort }
file = File.join(out, spec.file_name)
Dir.chdir(work) { Gem::Package.build(spec, true, false, file) }
FileUtils.rm_rf(work)
built = Gem::Package.new(file).spec
File.binwrite(file + "spec.rz", Gem.deflate(Marshal.dump(built)))
req = ->(r) { r.none? ? "" : r.to_s }
puts JSON.generate({
  name: built.name, version: built.version.to_s, platform: built.platform.to_s, file: file,
  deps: built.runtime_dependencies.map { |d| [d.name, d.requirement.to_s] },
  ruby: req.(built.required_ruby_version), rubygems: req.(built.required_rubygems_version),
})
`

// BuildInstalledGem rebuilds the .gem of a gem Debian installed, from
// its specification in specDir (DebianGemSpecs) and its files, with the
// real `ruby` and RubyGems; version, when not empty, replaces the gem's
// version (a release made after the first fetch, same code). dir holds
// the build.
func BuildInstalledGem(specDir, name, installed, version, dir string) (*RubyGem, error) {
	spec := filepath.Join(specDir, name+"-"+installed+".gemspec")
	gemDir := filepath.Join(filepath.Dir(specDir), "gems", name+"-"+installed)
	if _, err := os.Stat(gemDir); err != nil {
		return nil, err
	}
	cmd := exec.Command("ruby", "-e", buildGemScript, spec, gemDir, version, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("rebuild %s: %w\n%s", spec, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		Name, Version, Platform, File, Ruby, Rubygems string
		Deps                                          [][2]string
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("rebuild %s: %w (%s)", spec, err, out)
	}
	g := &RubyGem{Name: res.Name, Version: res.Version, Platform: res.Platform, Deps: res.Deps, Ruby: res.Ruby, Rubygems: res.Rubygems}
	if g.Data, err = os.ReadFile(res.File); err != nil {
		return nil, err
	}
	if g.QuickSpec, err = os.ReadFile(res.File + "spec.rz"); err != nil {
		return nil, err
	}
	return g, nil
}

// RubyGems is a RubyGems registry as rubygems.org serves one to gem and
// Bundler: the compact index (/versions, /info/NAME with each gem's
// SHA-256), /gems/FULL_NAME.gem and /quick/Marshal.4.8/FULL_NAME.gemspec.rz.
// The full indexes (specs.4.8.gz) and the dependency API are not served
// (404), as rubygems.org no longer serves the latter.
type RubyGems struct {
	Control

	mu      sync.Mutex
	names   []string              // in the order first added, as /versions lists them
	gems    map[string][]*RubyGem // by name, in release order
	files   map[string]*RubyGem   // by FULL_NAME
	corrupt map[string]bool       // FULL_NAMEs whose .gem is served corrupted
	created time.Time
}

// NewRubyGems returns an empty registry.
func NewRubyGems() *RubyGems {
	return &RubyGems{gems: map[string][]*RubyGem{}, files: map[string]*RubyGem{}, corrupt: map[string]bool{}, created: time.Now().UTC()}
}

// Add releases gems (while the registry runs, too); a gem whose
// FULL_NAME is there already replaces it.
func (s *RubyGems) Add(gems ...*RubyGem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range gems {
		full := g.FullName()
		if old := s.files[full]; old != nil {
			list := s.gems[g.Name]
			list[slices.Index(list, old)] = g
		} else {
			if len(s.gems[g.Name]) == 0 {
				s.names = append(s.names, g.Name)
			}
			s.gems[g.Name] = append(s.gems[g.Name], g)
		}
		s.files[full] = g
	}
}

// Corrupt makes the registry serve FULL_NAME.gem with one byte changed
// while /info keeps its true checksum.
func (s *RubyGems) Corrupt(fullName string) {
	s.mu.Lock()
	s.corrupt[fullName] = true
	s.mu.Unlock()
}

// ServeHTTP answers one request.
func (s *RubyGems) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, s.answer)
}

func (s *RubyGems) answer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "":
		rubyText(w, r, []byte("RubyGems stand-in\n"))
	case p == "/versions":
		rubyText(w, r, s.versionsFile())
	case strings.HasPrefix(p, "/info/"):
		body := s.infoFile(strings.TrimPrefix(p, "/info/"))
		if body == nil {
			http.NotFound(w, r)
			return
		}
		rubyText(w, r, body)
	case strings.HasPrefix(p, "/gems/") && strings.HasSuffix(p, ".gem"):
		full := strings.TrimSuffix(strings.TrimPrefix(p, "/gems/"), ".gem")
		s.mu.Lock()
		g, bad := s.files[full], s.corrupt[full]
		s.mu.Unlock()
		if g == nil {
			http.NotFound(w, r)
			return
		}
		data := g.Data
		if bad {
			data = corruptCopy(data)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	case strings.HasPrefix(p, "/quick/Marshal.4.8/") && strings.HasSuffix(p, ".gemspec.rz"):
		full := strings.TrimSuffix(strings.TrimPrefix(p, "/quick/Marshal.4.8/"), ".gemspec.rz")
		s.mu.Lock()
		g := s.files[full]
		s.mu.Unlock()
		if g == nil || g.QuickSpec == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(g.QuickSpec))
	default:
		http.NotFound(w, r)
	}
}

// rubyText serves a compact index file with the validators Bundler checks:
// the ETag as the body's MD5, Repr-Digest as its SHA-256; ranges for
// Bundler's incremental updates come with http.ServeContent.
func rubyText(w http.ResponseWriter, r *http.Request, body []byte) {
	m := md5.Sum(body)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("ETag", `"`+hex.EncodeToString(m[:])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// infoFile is /info/NAME as the compact_index gem writes it, nil for an
// unknown gem.
func (s *RubyGems) infoFile(escaped string) []byte {
	name, err := url.PathUnescape(escaped)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.gems[name]
	if len(list) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("---\n")
	for _, g := range list {
		b.WriteString(g.Version)
		if g.Platform != "" && g.Platform != "ruby" {
			b.WriteString("-" + g.Platform)
		}
		b.WriteByte(' ')
		for i, d := range g.Deps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d[0] + ":" + infoReq(d[1]))
		}
		sum := sha256.Sum256(g.Data)
		b.WriteString("|checksum:" + hex.EncodeToString(sum[:]))
		if g.Ruby != "" {
			b.WriteString(",ruby:" + infoReq(g.Ruby))
		}
		if g.Rubygems != "" {
			b.WriteString(",rubygems:" + infoReq(g.Rubygems))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// infoReq is a requirement as the compact index writes it: its parts
// sorted and joined by "&".
func infoReq(req string) string {
	parts := strings.Split(req, ", ")
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

// versionsFile is /versions: each gem's versions and its info file's
// MD5, in the order the gems were first released.
func (s *RubyGems) versionsFile() []byte {
	s.mu.Lock()
	names := slices.Clone(s.names)
	s.mu.Unlock()
	var b strings.Builder
	b.WriteString("created_at: " + s.created.Format(time.RFC3339) + "\n---\n")
	for _, name := range names {
		info := s.infoFile(url.PathEscape(name))
		s.mu.Lock()
		var vs []string
		for _, g := range s.gems[name] {
			v := g.Version
			if g.Platform != "" && g.Platform != "ruby" {
				v += "-" + g.Platform
			}
			vs = append(vs, v)
		}
		s.mu.Unlock()
		m := md5.Sum(info)
		b.WriteString(name + " " + strings.Join(vs, ",") + " " + hex.EncodeToString(m[:]) + "\n")
	}
	return []byte(b.String())
}
