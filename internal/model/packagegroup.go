package model

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Package groups apply origin controls to every package whose coordinate
// matches a pattern. A pattern is a package path (/FORMAT/NAMESPACE/NAME)
// cut short and ended by a suffix:
//
//	/*                        every package (the root group of a domain)
//	/npm/*                    every package of a format
//	/maven/com.anycompany~    a format and a namespace prefix
//	/npm/space/*              a format and a namespace ("" for none: /npm//*)
//	/npm/space/anycompany-ui~ a format, a namespace and a name prefix
//	/maven/org.apache/core$   one package
//
// Each package belongs to exactly one group: the most specific one whose
// pattern matches it. Groups nest by the same rule, which makes them a
// tree under the root group /*.
//
// Where CodeArtifact's documentation is silent, Wharf decides:
//   - A prefix (~) matches on word boundaries: /npm//react~ matches react,
//     react-dom and react.native but not reactive. A word is a run of
//     letters, digits and combining marks; the prefix must end where the
//     package's namespace or name ends or changes between word and
//     non-word characters.
//   - Namespaces and names match case-insensitively, so a block cannot be
//     side-stepped by publishing Com.Example instead of com.example. A
//     match with the pattern's exact case is a STRONG association; one
//     that needs case folding is WEAK. Patterns that differ only in case
//     are the same group (PatternKey).
//   - Between groups that match a package equally specifically, a STRONG
//     match wins over a WEAK one.

// RootPattern is the pattern of the group every domain has.
const RootPattern = "/*"

// OriginRestrictionType is PackageGroupOriginRestrictionType.
type OriginRestrictionType string

const (
	RestrictionExternalUpstream OriginRestrictionType = "EXTERNAL_UPSTREAM"
	RestrictionInternalUpstream OriginRestrictionType = "INTERNAL_UPSTREAM"
	RestrictionPublish          OriginRestrictionType = "PUBLISH"
)

// RestrictionTypes lists the restriction types in the service model's
// order.
var RestrictionTypes = []OriginRestrictionType{RestrictionExternalUpstream, RestrictionInternalUpstream, RestrictionPublish}

func (t OriginRestrictionType) Valid() bool { return slices.Contains(RestrictionTypes, t) }

// OriginRestrictionMode is PackageGroupOriginRestrictionMode.
type OriginRestrictionMode string

const (
	ModeAllow             OriginRestrictionMode = "ALLOW"
	ModeAllowSpecificRepo OriginRestrictionMode = "ALLOW_SPECIFIC_REPOSITORIES"
	ModeBlock             OriginRestrictionMode = "BLOCK"
	ModeInherit           OriginRestrictionMode = "INHERIT"
)

func (m OriginRestrictionMode) Valid() bool {
	switch m {
	case ModeAllow, ModeAllowSpecificRepo, ModeBlock, ModeInherit:
		return true
	}
	return false
}

// Association types of a package with its group
// (PackageGroupAssociationType).
const (
	AssociationStrong = "STRONG"
	AssociationWeak   = "WEAK"
)

// PackageGroup is a package group of a domain.
type PackageGroup struct {
	ID          int64
	DomainID    int64
	Pattern     string
	ContactInfo string
	Description string
	CreatedTime time.Time
	// Modes holds the mode of every restriction type.
	Modes map[OriginRestrictionType]OriginRestrictionMode
	// AllowedCounts is the length of each allowed repository list, as the
	// store loaded it (absent types have none).
	AllowedCounts map[OriginRestrictionType]int
}

// SetStored sets the modes and allowed-list lengths from the columns a
// store keeps them in, PUBLISH, EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM.
func (g *PackageGroup) SetStored(publish, external, internal string, nPublish, nExternal, nInternal int) {
	g.Modes = map[OriginRestrictionType]OriginRestrictionMode{
		RestrictionPublish:          OriginRestrictionMode(publish),
		RestrictionExternalUpstream: OriginRestrictionMode(external),
		RestrictionInternalUpstream: OriginRestrictionMode(internal),
	}
	g.AllowedCounts = map[OriginRestrictionType]int{
		RestrictionPublish:          nPublish,
		RestrictionExternalUpstream: nExternal,
		RestrictionInternalUpstream: nInternal,
	}
}

// DefaultGroupModes are the modes of a new group: the root allows every
// origin, any other group inherits from its parent.
func DefaultGroupModes(pattern string) map[OriginRestrictionType]OriginRestrictionMode {
	m := ModeInherit
	if pattern == RootPattern {
		m = ModeAllow
	}
	out := make(map[OriginRestrictionType]OriginRestrictionMode, len(RestrictionTypes))
	for _, t := range RestrictionTypes {
		out[t] = m
	}
	return out
}

// PatternKind is how much of a package coordinate a pattern pins down,
// from least to most specific.
type PatternKind int

const (
	PatternAll             PatternKind = iota // /*
	PatternFormat                             // /npm/*
	PatternNamespacePrefix                    // /maven/com.anycompany~
	PatternNamespace                          // /npm/space/*
	PatternNamePrefix                         // /npm/space/anycompany-ui~
	PatternExact                              // /maven/org.apache/core$
)

// Pattern is a parsed package group pattern.
type Pattern struct {
	Text      string
	Kind      PatternKind
	Format    Format // "" for PatternAll
	Namespace string // the namespace, or its prefix for PatternNamespacePrefix
	Name      string // the name, or its prefix for PatternNamePrefix
	key       string // PatternKey(Text), kept: hierarchy checks compare keys a lot
}

// maxComponent is the longest namespace or name (PackageName and
// PackageNamespace allow 255 characters).
const maxComponent = 255

func invalidPattern(s, why string, args ...any) error {
	return Validationf("Invalid package group pattern '%s': "+why, append([]any{s}, args...)...)
}

// ParsePattern checks a package group pattern and returns its parts. The
// errors are ValidationExceptions that say what is wrong.
func ParsePattern(s string) (Pattern, error) {
	p := Pattern{Text: s, key: PatternKey(s)}
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return p, invalidPattern(s, "it must not contain whitespace or control characters.")
	}
	if !strings.HasPrefix(s, "/") {
		return p, invalidPattern(s, "it must start with '/'.")
	}
	if len(s) < 2 {
		return p, invalidPattern(s, "it must end with '$' (exact match), '~' (prefix match) or '*' (any value).")
	}
	segs := strings.Split(s[1:], "/")
	last := segs[len(segs)-1]
	switch suffix := s[len(s)-1]; suffix {
	case '*':
		if last != "*" {
			return p, invalidPattern(s, "'*' must be a whole path component, as in /npm/* or /npm/space/*.")
		}
		switch len(segs) {
		case 1:
			p.Kind = PatternAll
			return p, nil
		case 2:
			p.Kind = PatternFormat
		case 3:
			p.Kind, p.Namespace = PatternNamespace, segs[1]
		default:
			return p, invalidPattern(s, "'*' may follow a format or a namespace, as in /npm/* or /npm/space/*.")
		}
	case '~':
		switch len(segs) {
		case 2:
			p.Kind, p.Namespace = PatternNamespacePrefix, strings.TrimSuffix(last, "~")
			if p.Namespace == "" {
				return p, invalidPattern(s, "a namespace prefix must not be empty; use /FORMAT/* for every namespace.")
			}
		case 3:
			p.Kind, p.Namespace, p.Name = PatternNamePrefix, segs[1], strings.TrimSuffix(last, "~")
			if p.Name == "" {
				return p, invalidPattern(s, "a name prefix must not be empty; use /FORMAT/NAMESPACE/* for every name.")
			}
		default:
			return p, invalidPattern(s, "'~' ends a namespace or name prefix, as in /maven/com.anycompany~ or /npm/space/anycompany-ui~.")
		}
	case '$':
		if len(segs) != 3 {
			return p, invalidPattern(s, "'$' ends a full package path, as in /maven/org.apache.logging.log4j/log4j-core$.")
		}
		p.Kind, p.Namespace, p.Name = PatternExact, segs[1], strings.TrimSuffix(last, "$")
		if p.Name == "" {
			return p, invalidPattern(s, "the package name before '$' must not be empty.")
		}
	default:
		return p, invalidPattern(s, "it must end with '$' (exact match), '~' (prefix match) or '*' (any value).")
	}
	p.Format = Format(segs[0])
	if !p.Format.Valid() {
		return p, invalidPattern(s, "'%s' is not a package format; use one of %s.", segs[0], formatList())
	}
	for _, c := range []struct{ what, v string }{{"namespace", p.Namespace}, {"name", p.Name}} {
		if len(c.v) > maxComponent {
			return p, invalidPattern(s, "the %s is longer than %d characters.", c.what, maxComponent)
		}
		if strings.ContainsAny(c.v, "*~$#") {
			return p, invalidPattern(s, "the %s '%s' contains '*', '~', '$' or '#'; a suffix may only end the pattern.", c.what, c.v)
		}
		if c.v == "." || c.v == ".." {
			return p, invalidPattern(s, "the %s must not be '.' or '..'.", c.what)
		}
	}
	// The namespace rules of the format: PyPI, NuGet, Ruby and Cargo
	// packages have none (their patterns keep an empty segment, as in
	// /pypi//requests$); Maven, Swift and generic packages always have
	// one.
	switch pol := p.Format.namespacePolicy(); {
	case pol == namespaceForbidden && (p.Kind == PatternNamespacePrefix || p.Namespace != ""):
		return p, invalidPattern(s, "packages of format %s have no namespace; leave the namespace empty, as in /%s//NAME$.", p.Format, p.Format)
	case pol == namespaceRequired && p.Kind >= PatternNamespace && p.Namespace == "":
		return p, invalidPattern(s, "packages of format %s always have a namespace; it must not be empty.", p.Format)
	}
	// Packages of these formats are matched by their normalized
	// coordinates, so a pattern in another spelling would never match.
	if n := NormalizeNamespace(p.Format, p.Namespace); n != p.Namespace {
		return p, invalidPattern(s, "%s namespaces are normalized; use '%s'.", p.Format, n)
	}
	if n := NormalizeName(p.Format, p.Name); n != p.Name {
		return p, invalidPattern(s, "%s package names are normalized; use '%s'.", p.Format, n)
	}
	return p, nil
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// PatternKey is a pattern's identity within its domain: patterns that
// differ only in case name the same group.
func PatternKey(pattern string) string { return strings.Map(foldRune, pattern) }

// PatternFormatOf is the format segment of a stored pattern ("" for the
// root "/*"): stores index groups by it, so a publish loads only the
// groups that can match its format.
func PatternFormatOf(pattern string) string {
	f, _, ok := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
	if !ok {
		return ""
	}
	return f
}

// Key is the pattern's PatternKey.
func (p Pattern) Key() string {
	if p.key == "" {
		return PatternKey(p.Text)
	}
	return p.key
}

// foldRune maps r to the smallest rune of its simple case-folding orbit,
// so that two strings have the same key exactly when strings.EqualFold
// holds between them.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r)
}

// matchComponent compares a namespace or name with the pattern's:
// ok case-insensitively, exact when the case agrees too.
func matchComponent(v, want string) (ok, exact bool) {
	if v == want {
		return true, true
	}
	return strings.EqualFold(v, want), false
}

// matchPrefix reports whether v starts with prefix (ignoring case) at a
// word boundary, and whether the prefix's case agrees.
func matchPrefix(v, prefix string) (ok, exact bool) {
	exact = true
	i := 0
	var last rune
	for _, pr := range prefix {
		if i >= len(v) {
			return false, false
		}
		vr, size := utf8.DecodeRuneInString(v[i:])
		if vr != pr {
			if !strings.EqualFold(string(vr), string(pr)) {
				return false, false
			}
			exact = false
		}
		last, i = vr, i+size
	}
	if i == len(v) {
		return true, exact
	}
	next, _ := utf8.DecodeRuneInString(v[i:])
	if isWordRune(last) == isWordRune(next) {
		return false, false
	}
	return true, exact
}

// Match reports whether the pattern matches the package k (a normalized
// coordinate), and whether it does so with exact case (a STRONG
// association).
func (p Pattern) Match(k PackageKey) (ok, strong bool) {
	if p.Kind == PatternAll {
		return true, true
	}
	if k.Format != p.Format {
		return false, false
	}
	var nsOK, nsExact, nameOK, nameExact bool
	switch p.Kind {
	case PatternFormat:
		return true, true
	case PatternNamespacePrefix:
		if k.Namespace == "" {
			return false, false
		}
		nsOK, nsExact = matchPrefix(k.Namespace, p.Namespace)
		return nsOK, nsExact
	case PatternNamespace:
		return matchComponent(k.Namespace, p.Namespace)
	case PatternNamePrefix:
		nsOK, nsExact = matchComponent(k.Namespace, p.Namespace)
		nameOK, nameExact = matchPrefix(k.Name, p.Name)
	case PatternExact:
		nsOK, nsExact = matchComponent(k.Namespace, p.Namespace)
		nameOK, nameExact = matchComponent(k.Name, p.Name)
	}
	ok = nsOK && nameOK
	return ok, ok && nsExact && nameExact
}

// Contains reports whether every package q matches is matched by p too,
// p and q being different groups: p is then an ancestor of q.
func (p Pattern) Contains(q Pattern) bool {
	if p.Key() == q.Key() {
		return false
	}
	if p.Kind == PatternAll {
		return true
	}
	if q.Kind == PatternAll || q.Format != p.Format || q.Kind < p.Kind {
		return false
	}
	// Same format, at least as specific a kind, and a different key: what
	// remains is whether q's namespace and name fall under p's.
	switch p.Kind {
	case PatternFormat:
		return true
	case PatternNamespacePrefix:
		ok, _ := matchPrefix(q.Namespace, p.Namespace)
		return q.Namespace != "" && ok
	case PatternNamespace:
		return strings.EqualFold(q.Namespace, p.Namespace)
	case PatternNamePrefix:
		ok, _ := matchPrefix(q.Name, p.Name)
		return ok && strings.EqualFold(q.Namespace, p.Namespace)
	}
	return false
}

// compareSpecificity orders patterns that match the same package: the kind
// first, then the longer prefix.
func compareSpecificity(p, q Pattern) int {
	if p.Kind != q.Kind {
		return int(p.Kind) - int(q.Kind)
	}
	switch p.Kind {
	case PatternNamespacePrefix:
		return utf8.RuneCountInString(p.Namespace) - utf8.RuneCountInString(q.Namespace)
	case PatternNamePrefix:
		return utf8.RuneCountInString(p.Name) - utf8.RuneCountInString(q.Name)
	}
	return 0
}

// GroupSet is a domain's package groups (or those of the formats at hand,
// plus the root) with their parsed patterns, answering the hierarchy and
// association questions. It memoizes parents, so it is not safe for
// concurrent use.
type GroupSet struct {
	groups  []*PackageGroup
	pats    []Pattern
	parents []int // index of each group's parent once known: -1 none, -2 not yet
}

// NewGroupSet parses the groups' patterns.
func NewGroupSet(groups []*PackageGroup) (*GroupSet, error) {
	s := &GroupSet{groups: groups, pats: make([]Pattern, len(groups)), parents: make([]int, len(groups))}
	for i, g := range groups {
		s.parents[i] = -2
		p, err := ParsePattern(g.Pattern)
		if err != nil {
			return nil, err
		}
		s.pats[i] = p
	}
	return s, nil
}

// Groups returns the groups in the order given.
func (s *GroupSet) Groups() []*PackageGroup { return s.groups }

// Find returns the group with the pattern's key, or nil.
func (s *GroupSet) Find(pattern string) *PackageGroup {
	key := PatternKey(pattern)
	for i, p := range s.pats {
		if p.Key() == key {
			return s.groups[i]
		}
	}
	return nil
}

func (s *GroupSet) index(g *PackageGroup) int {
	return slices.Index(s.groups, g)
}

// ParentOf returns the most specific group whose pattern contains p (the
// parent p's group has or would have), or nil for the root pattern.
func (s *GroupSet) ParentOf(p Pattern) *PackageGroup {
	if i := s.parentIndex(p); i >= 0 {
		return s.groups[i]
	}
	return nil
}

func (s *GroupSet) parentIndex(p Pattern) int {
	best := -1
	for i, q := range s.pats {
		if q.Contains(p) && (best < 0 || compareSpecificity(q, s.pats[best]) > 0) {
			best = i
		}
	}
	return best
}

// Parent returns g's parent group, nil for the root.
func (s *GroupSet) Parent(g *PackageGroup) *PackageGroup {
	i := s.index(g)
	if i < 0 {
		return nil
	}
	if s.parents[i] == -2 {
		s.parents[i] = s.parentIndex(s.pats[i])
	}
	if s.parents[i] < 0 {
		return nil
	}
	return s.groups[s.parents[i]]
}

// Children returns the groups whose parent is g, ordered by pattern.
func (s *GroupSet) Children(g *PackageGroup) []*PackageGroup {
	var out []*PackageGroup
	for _, c := range s.groups {
		if c != g && s.Parent(c) == g {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *PackageGroup) int { return strings.Compare(a.Pattern, b.Pattern) })
	return out
}

// Associated returns the group the package k (a normalized coordinate)
// belongs to, and the association type; nil when no group matches (a set
// without the root).
func (s *GroupSet) Associated(k PackageKey) (*PackageGroup, string) {
	best, bestStrong := -1, false
	for i, p := range s.pats {
		ok, strong := p.Match(k)
		if !ok {
			continue
		}
		if best >= 0 {
			c := compareSpecificity(p, s.pats[best])
			if c < 0 || c == 0 && (bestStrong || !strong) {
				continue
			}
		}
		best, bestStrong = i, strong
	}
	if best < 0 {
		return nil, ""
	}
	if bestStrong {
		return s.groups[best], AssociationStrong
	}
	return s.groups[best], AssociationWeak
}

// Effective returns the mode in force for g and restriction type t, and
// the group it comes from: g itself unless g's mode is INHERIT, else its
// first ancestor whose mode is not. A chain that never settles (which the
// service does not allow: the root never inherits) allows.
func (s *GroupSet) Effective(g *PackageGroup, t OriginRestrictionType) (OriginRestrictionMode, *PackageGroup) {
	for cur, hops := g, 0; cur != nil && hops <= len(s.groups); cur, hops = s.Parent(cur), hops+1 {
		if m := cur.Modes[t]; m != ModeInherit && m != "" {
			return m, cur
		}
	}
	return ModeAllow, nil
}
