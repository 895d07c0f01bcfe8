package ruby

import (
	"bytes"
	"compress/zlib"
	"time"
)

// quickSpec is the file quick/Marshal.4.8/FULL_NAME.gemspec.rz: the
// zlib-deflated Marshal of the Gem::Specification, which `gem install`
// and Bundler fetch for every gem they install and load with
// Marshal.load.
func quickSpec(s *gemSpec) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(marshalDump(specValue(s)))
	zw.Close()
	return b.Bytes()
}

// specValue is the Gem::Specification as Marshal writes it: a user
// object (_dump) whose data is the Marshal of the array
// Gem::Specification#_dump builds and _load reads back, field by field.
func specValue(s *gemSpec) userDef {
	version := func(v string) userMarshal { return userMarshal{Class: "Gem::Version", Data: []any{v}} }
	req := func(r requirement) userMarshal {
		list := make([]any, len(r))
		for i, p := range r {
			list[i] = []any{p[0], version(p[1])}
		}
		return userMarshal{Class: "Gem::Requirement", Data: []any{list}}
	}
	strs := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, x := range ss {
			out[i] = x
		}
		return out
	}
	opt := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	deps := make([]any, len(s.Dependencies))
	for i, d := range s.Dependencies {
		// The instance variables a Gem::Dependency loaded from a gem's
		// YAML has, in that order.
		deps[i] = object{Class: "Gem::Dependency", Ivars: []ivar{
			{"@name", d.Name}, {"@requirement", req(d.Requirement)}, {"@type", symbol(d.Type)},
			{"@prerelease", d.Prerelease}, {"@version_requirements", req(d.Requirement)},
		}}
	}
	// A pure-Ruby gem's original and new platform are one String object
	// in RubyGems; a platform gem's new platform is a Gem::Platform.
	var original, current any
	if p, ok := s.platform(); ok {
		original, current = s.Platform, platformObject(p)
	} else {
		ruby := &shared{rubyPlatform}
		original, current = ruby, ruby
	}
	meta := make(hash, len(s.Metadata))
	for i, kv := range s.Metadata {
		meta[i] = pair{kv[0], kv[1]}
	}
	date, err := time.Parse(time.DateOnly, s.Date)
	if err != nil {
		// parseSpec and the publisher only store valid dates.
		panic("ruby: stored gemspec date " + s.Date + " is not a date")
	}
	fields := []any{
		opt(s.RubygemsVersion),
		s.SpecVersion,
		s.Name,
		version(s.Version),
		rubyTime(date),
		opt(s.Summary),
		req(s.RequiredRuby),
		req(s.RequiredRubygems),
		original,
		deps,
		"", // rubyforge_project, gone from RubyGems but kept in the layout
		s.Email,
		strs(s.Authors),
		opt(s.Description),
		opt(s.Homepage),
		true, // has_rdoc, likewise
		current,
		strs(s.Licenses),
		meta,
	}
	return userDef{Class: "Gem::Specification", Data: marshalDump(fields)}
}
