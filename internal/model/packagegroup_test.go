package model

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	valid := []struct {
		in   string
		kind PatternKind
		f    Format
		ns   string
		name string
	}{
		{"/*", PatternAll, "", "", ""},
		{"/npm/*", PatternFormat, FormatNpm, "", ""},
		{"/maven/com.anycompany~", PatternNamespacePrefix, FormatMaven, "com.anycompany", ""},
		{"/npm/space/*", PatternNamespace, FormatNpm, "space", ""},
		{"/npm//*", PatternNamespace, FormatNpm, "", ""},
		{"/pypi//*", PatternNamespace, FormatPyPI, "", ""},
		{"/npm/space/anycompany-ui~", PatternNamePrefix, FormatNpm, "space", "anycompany-ui"},
		{"/maven/org.apache.logging.log4j/log4j-core$", PatternExact, FormatMaven, "org.apache.logging.log4j", "log4j-core"},
		{"/pypi//requests$", PatternExact, FormatPyPI, "", "requests"},
		{"/pypi//my-pkg~", PatternNamePrefix, FormatPyPI, "", "my-pkg"},
		{"/npm//react$", PatternExact, FormatNpm, "", "react"},
		{"/nuget//newtonsoft.json$", PatternExact, FormatNuGet, "", "newtonsoft.json"},
		{"/swift/apple/swift-nio$", PatternExact, FormatSwift, "apple", "swift-nio"},
		{"/generic/tools/*", PatternNamespace, FormatGeneric, "tools", ""},
		{"/cargo//serde~", PatternNamePrefix, FormatCargo, "", "serde"},
		{"/maven/Com.Example/*", PatternNamespace, FormatMaven, "Com.Example", ""},
	}
	for _, tt := range valid {
		p, err := ParsePattern(tt.in)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tt.in, err)
			continue
		}
		if p.Text != tt.in || p.Kind != tt.kind || p.Format != tt.f || p.Namespace != tt.ns || p.Name != tt.name {
			t.Errorf("ParsePattern(%q) = %+v", tt.in, p)
		}
	}
	invalid := []struct{ in, why string }{
		{"npm/*", "must start with '/'"},
		{"/", "must end with"},
		{"/npm/foo", "must end with"},
		{"/npm", "must end with"},
		{"/npm/space/x/y$", "'$' ends a full package path"},
		{"/npm/foo$", "'$' ends a full package path"},
		{"/npm~", "'~' ends a namespace or name prefix"},
		{"/npm/a/b/c~", "'~' ends a namespace or name prefix"},
		{"/npm/a/b/*", "'*' may follow a format or a namespace"},
		{"/npm/sp*", "must be a whole path component"},
		{"/npm*", "must be a whole path component"},
		{"/foo/*", "'foo' is not a package format"},
		{"/NPM/*", "'NPM' is not a package format"},
		{"/npm/~", "namespace prefix must not be empty"},
		{"/npm/space/~", "name prefix must not be empty"},
		{"/npm/space/$", "must not be empty"},
		{"/npm/sp~ace/*", "contains '*', '~', '$' or '#'"},
		{"/npm/space/a$b$", "contains '*', '~', '$' or '#'"},
		{"/npm/space/a#b$", "contains '*', '~', '$' or '#'"},
		{"/npm/../x$", "must not be '.' or '..'"},
		{"/pypi/ns/*", "have no namespace"},
		{"/pypi/req~", "have no namespace"},
		{"/nuget/x/y$", "have no namespace"},
		{"/maven//*", "always have a namespace"},
		{"/maven//lib$", "always have a namespace"},
		{"/generic//x~", "always have a namespace"},
		{"/pypi//My_Pkg$", "use 'my-pkg'"},
		{"/pypi//foo_~", "use 'foo-'"},
		{"/nuget//Newtonsoft.Json$", "use 'newtonsoft.json'"},
		{"/swift/Apple/*", "use 'apple'"},
		{"/npm/sp ace/*", "whitespace"},
		{"/npm/space/" + strings.Repeat("a", 256) + "$", "longer than 255"},
	}
	for _, tt := range invalid {
		_, err := ParsePattern(tt.in)
		var me *Error
		if !errors.As(err, &me) || me.Kind != KindValidation || me.Reason != ReasonFieldValidation {
			t.Errorf("ParsePattern(%q) = %v, want a ValidationException", tt.in, err)
			continue
		}
		if !strings.Contains(me.Message, tt.why) || !strings.Contains(me.Message, "'"+tt.in+"'") {
			t.Errorf("ParsePattern(%q) message %q, want it to name the pattern and say %q", tt.in, me.Message, tt.why)
		}
	}
}

func mustPattern(t *testing.T, s string) Pattern {
	t.Helper()
	p, err := ParsePattern(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPatternMatch(t *testing.T) {
	npm := func(ns, name string) PackageKey { return PackageKey{Format: FormatNpm, Namespace: ns, Name: name} }
	maven := func(ns, name string) PackageKey { return PackageKey{Format: FormatMaven, Namespace: ns, Name: name} }
	pypi := func(name string) PackageKey { return PackageKey{Format: FormatPyPI, Name: name} }
	tests := []struct {
		pattern string
		k       PackageKey
		ok      bool
		strong  bool
	}{
		{"/*", pypi("requests"), true, true},
		{"/npm/*", npm("", "react"), true, true},
		{"/npm/*", pypi("react"), false, false},
		{"/npm//*", npm("", "react"), true, true},
		{"/npm//*", npm("types", "node"), false, false},
		{"/npm/types/*", npm("types", "node"), true, true},
		{"/npm/types/*", npm("", "node"), false, false},
		{"/npm/types/*", npm("typescript", "x"), false, false},
		{"/npm//react~", npm("", "react"), true, true},
		{"/npm//react~", npm("", "react-dom"), true, true},
		{"/npm//react~", npm("", "react.native"), true, true},
		{"/npm//react~", npm("", "reactive"), false, false},
		{"/npm//react~", npm("", "reac"), false, false},
		{"/npm//react-~", npm("", "react-dom"), true, true},
		{"/npm//react-~", npm("", "react--x"), false, false},
		{"/npm//react~", npm("space", "react"), false, false},
		{"/maven/com.anycompany~", maven("com.anycompany", "x"), true, true},
		{"/maven/com.anycompany~", maven("com.anycompany.ui", "x"), true, true},
		{"/maven/com.anycompany~", maven("com.anycompanyx", "x"), false, false},
		{"/maven/com.any~", maven("com.anycompany", "x"), false, false},
		{"/maven/com~", maven("com.anycompany", "x"), true, true},
		{"/maven/org.apache/core$", maven("org.apache", "core"), true, true},
		{"/maven/org.apache/core$", maven("org.apache", "core-x"), false, false},
		{"/maven/org.apache/core$", maven("org.apache.x", "core"), false, false},
		// Case-insensitive, but only an exact-case match is STRONG.
		{"/maven/Com.Example/*", maven("com.example", "lib"), true, false},
		{"/maven/com.example/Lib$", maven("com.example", "lib"), true, false},
		{"/maven/COM~", maven("com.example", "lib"), true, false},
		{"/npm/space/Any~", npm("space", "any-ui"), true, false},
		{"/pypi//my-pkg$", pypi("my-pkg"), true, true},
		// Multi-byte runes and marks: é is a word character.
		{"/npm//caf~", npm("", "café"), false, false},
		{"/npm//café~", npm("", "café-x"), true, true},
		{"/npm//CAFÉ~", npm("", "café"), true, false},
	}
	for _, tt := range tests {
		ok, strong := mustPattern(t, tt.pattern).Match(tt.k)
		if ok != tt.ok || strong != tt.strong {
			t.Errorf("%s matches %+v = %v, %v; want %v, %v", tt.pattern, tt.k, ok, strong, tt.ok, tt.strong)
		}
	}
}

func groups(patterns ...string) []*PackageGroup {
	out := make([]*PackageGroup, len(patterns))
	for i, p := range patterns {
		out[i] = &PackageGroup{Pattern: p, Modes: DefaultGroupModes(p)}
	}
	return out
}

func TestHierarchy(t *testing.T) {
	gs := groups("/*", "/npm/*", "/npm//*", "/npm/space/*", "/npm/space/anycompany~", "/npm/space/anycompany-ui~",
		"/npm/space/anycompany-ui-components$", "/maven/*", "/maven/com~", "/maven/com.anycompany~", "/maven/com.anycompany/*",
		"/maven/com.anycompany/lib$", "/pypi/*", "/pypi//*", "/pypi//requests$", "/maven/Org/*", "/maven/org/x$")
	set, err := NewGroupSet(gs)
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string]string{
		"/*":                                   "",
		"/npm/*":                               "/*",
		"/npm//*":                              "/npm/*",
		"/npm/space/*":                         "/npm/*",
		"/npm/space/anycompany~":               "/npm/space/*",
		"/npm/space/anycompany-ui~":            "/npm/space/anycompany~",
		"/npm/space/anycompany-ui-components$": "/npm/space/anycompany-ui~",
		"/maven/*":                             "/*",
		"/maven/com~":                          "/maven/*",
		"/maven/com.anycompany~":               "/maven/com~",
		"/maven/com.anycompany/*":              "/maven/com.anycompany~",
		"/maven/com.anycompany/lib$":           "/maven/com.anycompany/*",
		"/pypi/*":                              "/*",
		"/pypi//*":                             "/pypi/*",
		"/pypi//requests$":                     "/pypi//*",
		"/maven/Org/*":                         "/maven/*",
		"/maven/org/x$":                        "/maven/Org/*",
	}
	for child, want := range parents {
		p := set.Parent(set.Find(child))
		got := ""
		if p != nil {
			got = p.Pattern
		}
		if got != want {
			t.Errorf("parent of %s = %q, want %q", child, got, want)
		}
	}
	var kids []string
	for _, c := range set.Children(set.Find("/maven/*")) {
		kids = append(kids, c.Pattern)
	}
	if strings.Join(kids, " ") != "/maven/Org/* /maven/com~" {
		t.Errorf("children of /maven/* = %v", kids)
	}
	if set.Find("/maven/ORG/*") != set.Find("/maven/Org/*") || set.Find("/maven/org2/*") != nil {
		t.Error("Find does not find groups by their case-folded pattern")
	}
	// A pattern that is not a group yet gets the parent it would have.
	if p := set.ParentOf(mustPattern(t, "/npm/space/anycompany-ui-kit$")); p == nil || p.Pattern != "/npm/space/anycompany-ui~" {
		t.Errorf("ParentOf new pattern = %v", p)
	}

	assoc := []struct {
		k      PackageKey
		group  string
		strong bool
	}{
		{PackageKey{Format: FormatNpm, Name: "react"}, "/npm//*", true},
		{PackageKey{Format: FormatNpm, Namespace: "types", Name: "node"}, "/npm/*", true},
		{PackageKey{Format: FormatNpm, Namespace: "space", Name: "aui.components"}, "/npm/space/*", true},
		{PackageKey{Format: FormatNpm, Namespace: "space", Name: "anycompany"}, "/npm/space/anycompany~", true},
		{PackageKey{Format: FormatNpm, Namespace: "space", Name: "anycompany-ui-kit"}, "/npm/space/anycompany-ui~", true},
		{PackageKey{Format: FormatNpm, Namespace: "space", Name: "anycompany-ui-components"}, "/npm/space/anycompany-ui-components$", true},
		{PackageKey{Format: FormatMaven, Namespace: "com.anycompany.ui", Name: "x"}, "/maven/com.anycompany~", true},
		{PackageKey{Format: FormatMaven, Namespace: "com.other", Name: "x"}, "/maven/com~", true},
		{PackageKey{Format: FormatMaven, Namespace: "com.anycompany", Name: "lib"}, "/maven/com.anycompany/lib$", true},
		{PackageKey{Format: FormatMaven, Namespace: "com.anycompany", Name: "Lib"}, "/maven/com.anycompany/lib$", false},
		{PackageKey{Format: FormatMaven, Namespace: "net.x", Name: "y"}, "/maven/*", true},
		{PackageKey{Format: FormatMaven, Namespace: "org", Name: "y"}, "/maven/Org/*", false},
		{PackageKey{Format: FormatMaven, Namespace: "org", Name: "x"}, "/maven/org/x$", true},
		{PackageKey{Format: FormatPyPI, Name: "requests"}, "/pypi//requests$", true},
		{PackageKey{Format: FormatPyPI, Name: "requests-oauth"}, "/pypi//*", true},
		{PackageKey{Format: FormatCargo, Name: "serde"}, "/*", true},
	}
	for _, tt := range assoc {
		g, typ := set.Associated(tt.k)
		want := AssociationWeak
		if tt.strong {
			want = AssociationStrong
		}
		if g == nil || g.Pattern != tt.group || typ != want {
			t.Errorf("Associated(%+v) = %v %s, want %s %s", tt.k, g, typ, tt.group, want)
		}
	}
}

// Equally specific groups that differ only in case cannot both exist, but
// a set loaded with both (say, before a uniqueness fix) still decides: the
// exact-case match wins.
func TestAssociatedPrefersStrong(t *testing.T) {
	set, err := NewGroupSet(groups("/*", "/maven/Com.Example/*", "/maven/com.example/*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}} {
		gs := set.Groups()
		s2, _ := NewGroupSet([]*PackageGroup{gs[order[0]], gs[order[1]], gs[order[2]]})
		g, typ := s2.Associated(PackageKey{Format: FormatMaven, Namespace: "com.example", Name: "lib"})
		if g.Pattern != "/maven/com.example/*" || typ != AssociationStrong {
			t.Errorf("order %v: %s %s", order, g.Pattern, typ)
		}
	}
}

func TestEffectiveMode(t *testing.T) {
	gs := groups("/*", "/npm/*", "/npm/space/*", "/npm/space/ui$")
	gs[0].Modes[RestrictionPublish] = ModeBlock
	gs[1].Modes[RestrictionExternalUpstream] = ModeAllowSpecificRepo
	gs[3].Modes[RestrictionInternalUpstream] = ModeBlock
	set, err := NewGroupSet(gs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group string
		t     OriginRestrictionType
		mode  OriginRestrictionMode
		from  string
	}{
		{"/*", RestrictionPublish, ModeBlock, "/*"},
		{"/*", RestrictionInternalUpstream, ModeAllow, "/*"},
		{"/npm/space/ui$", RestrictionPublish, ModeBlock, "/*"},
		{"/npm/space/ui$", RestrictionExternalUpstream, ModeAllowSpecificRepo, "/npm/*"},
		{"/npm/space/ui$", RestrictionInternalUpstream, ModeBlock, "/npm/space/ui$"},
		{"/npm/space/*", RestrictionInternalUpstream, ModeAllow, "/*"},
	}
	for _, tt := range tests {
		m, from := set.Effective(set.Find(tt.group), tt.t)
		if m != tt.mode || from == nil || from.Pattern != tt.from {
			t.Errorf("Effective(%s, %s) = %s from %v, want %s from %s", tt.group, tt.t, m, from, tt.mode, tt.from)
		}
	}
}

func TestPackageGroupARN(t *testing.T) {
	tests := []struct{ pattern, arn string }{
		{"/*", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/%2a"},
		{"/npm/*", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/npm/%2a"},
		{"/nuget//alpha$", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/nuget//alpha%24"},
		{"/npm/space/anycompany-ui~", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/npm/space/anycompany-ui~"},
		{"/maven/org.apache/log4j_core$", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/maven/org.apache/log4j_core%24"},
		{"/npm/space/%x$", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/npm/space/%25x%24"},
		{"/npm//café$", "arn:aws:codeartifact:us-west-2:111122223333:package-group/dom/npm//caf%c3%a9%24"},
	}
	for _, tt := range tests {
		got := PackageGroupARN("us-west-2", "111122223333", "dom", tt.pattern)
		if got != tt.arn {
			t.Errorf("PackageGroupARN(%s) = %s, want %s", tt.pattern, got, tt.arn)
		}
		a, ok := ParseARN(got)
		if !ok || a.Type != "package-group" || a.Domain != "dom" || a.PackageGroup != tt.pattern || a.Account != "111122223333" || a.Region != "us-west-2" {
			t.Errorf("ParseARN(%s) = %+v, %v", got, a, ok)
		}
	}
	// Upper-case escapes decode too.
	if a, ok := ParseARN("arn:aws:codeartifact:us-east-1:1:package-group/d/npm/%2A"); !ok || a.PackageGroup != "/npm/*" {
		t.Errorf("upper-case escape: %+v %v", a, ok)
	}
	for _, bad := range []string{"arn:aws:codeartifact:us-east-1:1:package-group/d", "arn:aws:codeartifact:us-east-1:1:package-group//x", "arn:aws:codeartifact:us-east-1:1:package-group/d/%zz"} {
		if _, ok := ParseARN(bad); ok {
			t.Errorf("ParseARN(%q) accepted", bad)
		}
	}
}

func TestPatternKey(t *testing.T) {
	if PatternKey("/maven/Com.Example/*") != PatternKey("/maven/com.example/*") {
		t.Error("case variants have different keys")
	}
	if PatternKey("/maven/com.example/*") == PatternKey("/maven/com.exampl/*") {
		t.Error("different patterns share a key")
	}
	// K (Kelvin sign) folds with k, as strings.EqualFold says.
	if PatternKey("/npm//\u212a$") != PatternKey("/npm//k$") {
		t.Error("Kelvin sign does not fold with k")
	}
}

func TestDefaultGroupModes(t *testing.T) {
	for _, rt := range RestrictionTypes {
		if DefaultGroupModes("/*")[rt] != ModeAllow || DefaultGroupModes("/npm/*")[rt] != ModeInherit {
			t.Errorf("defaults for %s", rt)
		}
	}
}

func TestPatternFormatOf(t *testing.T) {
	for pattern, want := range map[string]string{"/*": "", "/npm/*": "npm", "/maven/com.acme~": "maven", "/npm/space/ui$": "npm", "/pypi//requests$": "pypi"} {
		if got := PatternFormatOf(pattern); got != want {
			t.Errorf("PatternFormatOf(%q) = %q, want %q", pattern, got, want)
		}
	}
}
