package ruby

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wharf-dev/wharf/internal/model"
)

// A gem's metadata.gz is its Gem::Specification as YAML with Ruby tags
// (!ruby/object:Gem::Specification, Gem::Version, Gem::Requirement,
// Gem::Dependency). It is read here from yaml.v3's node tree, which keeps
// tags, scalars as written and aliases unexpanded, so nothing of the
// document is turned into Go values except the fields a registry needs,
// each checked as RubyGems checks it when it loads the spec.

// gemSpec is what Wharf keeps of a gem's specification: everything the
// compact index, the dependency API and the Marshal form of the spec
// (Gem::Specification#_dump) carry, and the descriptive fields the control
// plane shows.
type gemSpec struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Platform is the platform as the metadata spells it ("ruby" for a
	// pure-Ruby gem): Gem::Specification's original_platform.
	Platform string   `json:"platform"`
	Authors  []string `json:"authors"`
	// Date is the spec's date as YYYY-MM-DD (RubyGems keeps only the day);
	// "" when the metadata has none, which the publisher fills in with
	// the push's day, as RubyGems reads a missing date as today.
	Date        string  `json:"date"`
	Summary     *string `json:"summary"`
	Description *string `json:"description"`
	Homepage    *string `json:"homepage"`
	// Email is nil, a string or a list of strings, as the gemspec set it.
	Email            any          `json:"email"`
	Licenses         []string     `json:"licenses"`
	Metadata         [][2]string  `json:"metadata"` // in the document's order
	Dependencies     []dependency `json:"dependencies"`
	RequiredRuby     requirement  `json:"requiredRuby"`
	RequiredRubygems requirement  `json:"requiredRubygems"`
	RubygemsVersion  *string      `json:"rubygemsVersion"`
	SpecVersion      int          `json:"specVersion"`
}

// requirement is a Gem::Requirement: [operator, version] pairs.
type requirement [][2]string

// dependency is a Gem::Dependency.
type dependency struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"` // runtime or development
	Requirement requirement `json:"requirement"`
	Prerelease  bool        `json:"prerelease,omitempty"`
}

// defaultRequirement is Gem::Requirement.default.
var defaultRequirement = requirement{{">=", "0"}}

// String is Gem::Requirement#to_s: "OP VERSION" pairs joined by ", ".
func (r requirement) String() string {
	parts := make([]string, len(r))
	for i, p := range r {
		parts[i] = p[0] + " " + p[1]
	}
	return strings.Join(parts, ", ")
}

// isDefault reports whether r is ">= 0", which accepts every version.
func (r requirement) isDefault() bool { return len(r) == 1 && r[0] == defaultRequirement[0] }

// platform is the spec's platform as Gem::Platform.new makes it, and
// whether it is a platform at all (not pure Ruby).
func (s *gemSpec) platform() (platform, bool) {
	if s.Platform == rubyPlatform {
		return platform{}, false
	}
	return parsePlatform(s.Platform), true
}

// fullName is Gem::Specification#full_name: NAME-VERSION, then
// -PLATFORM for a platform gem, with the platform as Gem::Platform#to_s
// spells it. The .gem and the .gemspec.rz are named after it.
func (s *gemSpec) fullName() string {
	if p, ok := s.platform(); ok {
		return s.Name + "-" + s.Version + "-" + p.String()
	}
	return s.Name + "-" + s.Version
}

// fileName is the .gem's name.
func (s *gemSpec) fileName() string { return s.fullName() + ".gem" }

// specError is metadata that is not a valid gem specification.
type specError struct{ msg string }

func (e *specError) Error() string { return e.msg }

func badSpec(format string, args ...any) error {
	return &specError{msg: fmt.Sprintf(format, args...)}
}

// Limits on what one specification may hold: far above real gems (the
// largest on rubygems.org have a few dozen dependencies), low enough that
// a crafted document cannot make the registry store megabytes per line of
// its index.
const (
	maxDependencies  = 1000
	maxRequirements  = 64
	maxListItems     = 1000
	maxMetadataPairs = 256
)

// Tags RubyGems writes (Psych's ruby/object tags, in both spellings).
const (
	tagSpec        = "Gem::Specification"
	tagVersion     = "Gem::Version"
	tagRequirement = "Gem::Requirement"
	tagDependency  = "Gem::Dependency"
	// Old gems (RubyGems < 1.3) carry Gem::Version::Requirement, which
	// RubyGems still loads as Gem::Requirement.
	tagOldRequirement = "Gem::Version::Requirement"
)

// rubyClass returns the class a Psych object tag names ("" for other
// tags).
func rubyClass(n *yaml.Node) string {
	for _, p := range []string{"!ruby/object:", "tag:ruby.yaml.org,2002:object:"} {
		if c, ok := strings.CutPrefix(n.Tag, p); ok {
			return c
		}
	}
	return ""
}

var (
	// versionPattern is Gem::Version::ANCHORED_VERSION_PATTERN without the
	// surrounding blanks YAML has already dropped.
	versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	// datePattern is Gem::Specification's DateTimeFormat: only the day
	// counts.
	datePattern = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})`)
)

// requirementOps are Gem::Requirement::OPS.
var requirementOps = map[string]bool{"=": true, "!=": true, ">": true, "<": true, ">=": true, "<=": true, "~>": true}

// parseSpec reads a gem's metadata (YAML) into a gemSpec and checks it as
// RubyGems and rubygems.org check a pushed gem: a valid name, version and
// platform, well-formed dependencies and requirements.
func parseSpec(doc []byte) (spec *gemSpec, err error) {
	defer func() {
		// yaml.v3 has panicked on malformed input before (CVE-2022-28948,
		// fixed in the version used); a parser bug must refuse one upload,
		// not take down the server.
		if r := recover(); r != nil {
			spec, err = nil, badSpec("the metadata is not valid YAML")
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, badSpec("the metadata is not valid YAML: %v", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, badSpec("the metadata is empty")
	}
	m := deref(root.Content[0])
	if m.Kind != yaml.MappingNode || rubyClass(m) != tagSpec {
		return nil, badSpec("the metadata is not a !ruby/object:Gem::Specification")
	}
	r := &specReader{}
	s := r.read(m)
	if r.err != nil {
		return nil, r.err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// specReader reads fields, keeping the first error.
type specReader struct{ err error }

func (r *specReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = badSpec(format, args...)
	}
}

// fields returns a mapping's values by key; a repeated key is refused,
// since Ruby would keep the last and a reader the first.
func (r *specReader) fields(m *yaml.Node, what string) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k.Kind != yaml.ScalarNode {
			r.fail("%s has a key that is not a string", what)
			return out
		}
		if _, dup := out[k.Value]; dup {
			r.fail("%s has the key %q twice", what, k.Value)
			return out
		}
		out[k.Value] = deref(m.Content[i+1])
	}
	return out
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// scalar returns a scalar's text: a string as written, or a number as
// written (version: 1.0 stays "1.0"). Psych's !binary strings are decoded;
// they must be UTF-8 like every other string Wharf keeps.
func (r *specReader) scalar(n *yaml.Node, what string) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		r.fail("%s is not a string", what)
		return ""
	}
	v := n.Value
	if n.ShortTag() == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
		if err != nil {
			r.fail("%s is not valid base64", what)
			return ""
		}
		v = string(b)
	}
	if !utf8.ValidString(v) {
		r.fail("%s is not valid UTF-8", what)
		return ""
	}
	return v
}

// optScalar is scalar where nil is allowed.
func (r *specReader) optScalar(n *yaml.Node, what string) *string {
	if isNull(n) {
		return nil
	}
	s := r.scalar(n, what)
	return &s
}

// strings reads a list of strings; nil reads as empty.
func (r *specReader) strings(n *yaml.Node, what string) []string {
	if isNull(n) {
		return []string{}
	}
	if n.Kind != yaml.SequenceNode {
		r.fail("%s is not a list", what)
		return nil
	}
	if len(n.Content) > maxListItems {
		r.fail("%s has more than %d items", what, maxListItems)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		out = append(out, r.scalar(deref(c), fmt.Sprintf("%s[%d]", what, i)))
	}
	return out
}

// version reads a !ruby/object:Gem::Version.
func (r *specReader) version(n *yaml.Node, what string) string {
	if n == nil || n.Kind != yaml.MappingNode || rubyClass(n) != tagVersion {
		r.fail("%s is not a !ruby/object:Gem::Version", what)
		return ""
	}
	v := strings.TrimSpace(r.scalar(r.fields(n, what)["version"], what+" version"))
	if r.err == nil && !versionPattern.MatchString(v) {
		r.fail("%s %q is not a valid gem version", what, v)
	}
	return v
}

// requirement reads a !ruby/object:Gem::Requirement; nil reads as the
// default ">= 0".
func (r *specReader) requirement(n *yaml.Node, what string) requirement {
	if isNull(n) {
		return defaultRequirement
	}
	if c := rubyClass(n); n.Kind != yaml.MappingNode || (c != tagRequirement && c != tagOldRequirement) {
		r.fail("%s is not a !ruby/object:Gem::Requirement", what)
		return nil
	}
	list := r.fields(n, what)["requirements"]
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		r.fail("%s has no requirements", what)
		return nil
	}
	if len(list.Content) > maxRequirements {
		r.fail("%s has more than %d requirements", what, maxRequirements)
		return nil
	}
	out := make(requirement, 0, len(list.Content))
	for _, c := range list.Content {
		c = deref(c)
		if c.Kind != yaml.SequenceNode || len(c.Content) != 2 {
			r.fail("%s has a requirement that is not [operator, version]", what)
			return nil
		}
		op := r.scalar(deref(c.Content[0]), what+" operator")
		if r.err == nil && !requirementOps[op] {
			r.fail("%s has the unknown operator %q", what, op)
		}
		out = append(out, [2]string{op, r.version(deref(c.Content[1]), what+" version")})
	}
	return out
}

func (r *specReader) dependencies(n *yaml.Node) []dependency {
	if isNull(n) {
		return []dependency{}
	}
	if n.Kind != yaml.SequenceNode {
		r.fail("dependencies is not a list")
		return nil
	}
	if len(n.Content) > maxDependencies {
		r.fail("the gem has more than %d dependencies", maxDependencies)
		return nil
	}
	out := make([]dependency, 0, len(n.Content))
	for i, c := range n.Content {
		c = deref(c)
		what := fmt.Sprintf("dependencies[%d]", i)
		if c.Kind != yaml.MappingNode || rubyClass(c) != tagDependency {
			r.fail("%s is not a !ruby/object:Gem::Dependency", what)
			return nil
		}
		f := r.fields(c, what)
		d := dependency{Name: r.scalar(f["name"], what+" name"), Type: "runtime"}
		if r.err == nil {
			if err := model.CheckGemName(d.Name); err != nil {
				r.fail("%s: %s", what, model.AsError(err).Message)
			}
		}
		if t := f["type"]; !isNull(t) {
			d.Type = strings.TrimPrefix(r.scalar(t, what+" type"), ":")
		}
		if r.err == nil && d.Type != "runtime" && d.Type != "development" {
			r.fail("%s of %s has the type %q; RubyGems knows runtime and development", what, d.Name, d.Type)
		}
		// Gem::Dependency#requirement falls back to version_requirements,
		// which very old gems carry alone.
		req := f["requirement"]
		if isNull(req) {
			req = f["version_requirements"]
		}
		d.Requirement = r.requirement(req, what+" requirement")
		if p := f["prerelease"]; !isNull(p) {
			b, err := strconv.ParseBool(r.scalar(p, what+" prerelease"))
			if err != nil {
				r.fail("%s prerelease is not true or false", what)
			}
			d.Prerelease = b
		}
		out = append(out, d)
	}
	return out
}

func (r *specReader) read(m *yaml.Node) *gemSpec {
	f := r.fields(m, "the specification")
	s := &gemSpec{
		Name:             r.scalar(f["name"], "name"),
		Version:          r.version(f["version"], "version"),
		Platform:         rubyPlatform,
		Authors:          r.strings(f["authors"], "authors"),
		Summary:          r.optScalar(f["summary"], "summary"),
		Description:      r.optScalar(f["description"], "description"),
		Homepage:         r.optScalar(f["homepage"], "homepage"),
		Licenses:         r.strings(f["licenses"], "licenses"),
		Metadata:         [][2]string{},
		Dependencies:     r.dependencies(f["dependencies"]),
		RequiredRuby:     r.requirement(f["required_ruby_version"], "required_ruby_version"),
		RequiredRubygems: r.requirement(f["required_rubygems_version"], "required_rubygems_version"),
		RubygemsVersion:  r.optScalar(f["rubygems_version"], "rubygems_version"),
		SpecVersion:      4, // Gem::Specification::CURRENT_SPECIFICATION_VERSION
	}
	if p := f["platform"]; !isNull(p) {
		if s.Platform = r.scalar(p, "platform"); s.Platform == "" {
			s.Platform = rubyPlatform
		}
	}
	switch e := f["email"]; {
	case isNull(e):
	case e.Kind == yaml.SequenceNode:
		list := r.strings(e, "email")
		anyList := make([]any, len(list))
		for i, x := range list {
			anyList[i] = x
		}
		s.Email = anyList
	default:
		s.Email = r.scalar(e, "email")
	}
	if d := f["date"]; !isNull(d) {
		m := datePattern.FindStringSubmatch(r.scalar(d, "date"))
		if m == nil {
			r.fail("date is not a date")
		} else {
			s.Date = m[1] + "-" + m[2] + "-" + m[3]
		}
	}
	if md := f["metadata"]; !isNull(md) {
		if md.Kind != yaml.MappingNode {
			r.fail("metadata is not a mapping")
		} else if len(md.Content)/2 > maxMetadataPairs {
			r.fail("metadata has more than %d entries", maxMetadataPairs)
		} else {
			fields := r.fields(md, "metadata")
			for i := 0; i+1 < len(md.Content) && r.err == nil; i += 2 {
				k := deref(md.Content[i]).Value
				s.Metadata = append(s.Metadata, [2]string{k, r.scalar(fields[k], "metadata "+k)})
			}
		}
	}
	if v := f["specification_version"]; !isNull(v) {
		n, err := strconv.Atoi(r.scalar(v, "specification_version"))
		if err != nil || n < -1 || n > 1<<20 {
			r.fail("specification_version is not a small integer")
		}
		s.SpecVersion = n
	}
	return s
}

// check applies the rules to the whole spec that no single field shows.
func (s *gemSpec) check() error {
	if err := model.CheckGemName(s.Name); err != nil {
		return badSpec("%s", model.AsError(err).Message)
	}
	if s.Version == "" {
		return badSpec("the gem has no version")
	}
	if err := model.CheckSafeName("packageVersion", s.Version); err != nil || len(s.Version) > 255 {
		return badSpec("the version %q cannot be stored", s.Version)
	}
	if s.Date != "" {
		// Time#_dump packs the year past 1900 in 16 bits: Ruby cannot
		// Marshal a spec dated outside that range either.
		d, err := time.Parse(time.DateOnly, s.Date)
		if err != nil || d.Year() < 1900 || d.Year() > 9999 {
			return badSpec("the date %s is not a valid date", s.Date)
		}
	}
	if s.Platform != rubyPlatform {
		if !validPlatform.MatchString(s.Platform) || len(s.Platform) > 128 || s.Platform == "current" {
			return badSpec("the platform %q is not a valid gem platform", s.Platform)
		}
	}
	return nil
}

// metadataValue returns a metadata entry, "" when absent.
func (s *gemSpec) metadataValue(key string) string {
	for _, kv := range s.Metadata {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// text is a nil-able string's value, "" for nil.
func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
