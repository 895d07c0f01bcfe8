package maven

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// POM is the part of a project object model Wharf reads. Values are
// trimmed and, after Resolve, interpolated.
type POM struct {
	XMLName     xml.Name   `xml:"project"`
	GroupID     text       `xml:"groupId"`
	ArtifactID  text       `xml:"artifactId"`
	Version     text       `xml:"version"`
	Packaging   text       `xml:"packaging"`
	Name        text       `xml:"name"`
	Description text       `xml:"description"`
	URL         text       `xml:"url"`
	Parent      *Parent    `xml:"parent"`
	Licenses    []license  `xml:"licenses>license"`
	SCM         scm        `xml:"scm"`
	Properties  properties `xml:"properties"`
	Deps        []pomDep   `xml:"dependencies>dependency"`
	Managed     []pomDep   `xml:"dependencyManagement>dependencies>dependency"`
}

// Parent is a POM's <parent>.
type Parent struct {
	GroupID    text `xml:"groupId"`
	ArtifactID text `xml:"artifactId"`
	Version    text `xml:"version"`
}

type license struct {
	Name text `xml:"name"`
	URL  text `xml:"url"`
}

type scm struct {
	URL        text `xml:"url"`
	Connection text `xml:"connection"`
}

type pomDep struct {
	GroupID    text `xml:"groupId"`
	ArtifactID text `xml:"artifactId"`
	Version    text `xml:"version"`
	Scope      text `xml:"scope"`
	Optional   text `xml:"optional"`
}

// properties collects <properties><name>value</name>...</properties>.
type properties map[string]string

func (p *properties) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if *p == nil {
		*p = properties{}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var v text
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			(*p)[t.Name.Local] = string(v)
		case xml.EndElement:
			return nil
		}
	}
}

// ParsePOM parses and resolves a POM: groupId and version are inherited
// from <parent> when absent, and ${...} references to the project, its
// parent and its properties are interpolated. A POM without coordinates
// is an error.
func ParsePOM(data []byte) (*POM, error) {
	var p POM
	if err := decodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("malformed POM: %w", err)
	}
	if p.Parent != nil {
		if p.GroupID == "" {
			p.GroupID = p.Parent.GroupID
		}
		if p.Version == "" {
			p.Version = p.Parent.Version
		}
	}
	p.resolve()
	switch {
	case p.GroupID == "":
		return nil, fmt.Errorf("the POM has no groupId (and no parent to inherit one from)")
	case p.ArtifactID == "":
		return nil, fmt.Errorf("the POM has no artifactId")
	case p.Version == "":
		return nil, fmt.Errorf("the POM has no version (and no parent to inherit one from)")
	}
	for _, d := range p.Deps {
		if d.GroupID == "" || d.ArtifactID == "" {
			return nil, fmt.Errorf("a dependency of the POM lacks a groupId or artifactId")
		}
	}
	return &p, nil
}

// maxInterpolation and maxInterpolated bound ${} expansion: properties
// that refer to each other must neither loop nor blow up.
const (
	maxInterpolation = 10
	maxInterpolated  = 64 << 10
)

func (p *POM) lookup(name string) (string, bool) {
	switch name {
	case "project.groupId", "pom.groupId", "groupId":
		return string(p.GroupID), true
	case "project.artifactId", "pom.artifactId", "artifactId":
		return string(p.ArtifactID), true
	case "project.version", "pom.version", "version":
		return string(p.Version), true
	}
	if p.Parent != nil {
		switch name {
		case "project.parent.groupId", "parent.groupId":
			return string(p.Parent.GroupID), true
		case "project.parent.version", "parent.version":
			return string(p.Parent.Version), true
		}
	}
	v, ok := p.Properties[name]
	return v, ok
}

// interpolate replaces ${name} references it can resolve and leaves the
// others as written, as Maven leaves unknown expressions.
func (p *POM) interpolate(s string) string {
	for range maxInterpolation {
		if !strings.Contains(s, "${") {
			return s
		}
		var b strings.Builder
		rest := s
		changed := false
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				b.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				b.WriteString(rest)
				break
			}
			name := rest[i+2 : i+j]
			b.WriteString(rest[:i])
			if v, ok := p.lookup(name); ok && !strings.Contains(v, "${"+name+"}") {
				b.WriteString(v)
				changed = true
			} else {
				b.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
		}
		if b.Len() > maxInterpolated {
			return s
		}
		s = b.String()
		if !changed {
			return s
		}
	}
	return s
}

func (p *POM) resolve() {
	ip := func(t *text) { *t = text(p.interpolate(string(*t))) }
	// Coordinates first: dependencies refer to them.
	ip(&p.GroupID)
	ip(&p.ArtifactID)
	ip(&p.Version)
	for _, t := range []*text{&p.Packaging, &p.Name, &p.Description, &p.URL, &p.SCM.URL, &p.SCM.Connection} {
		ip(t)
	}
	for i := range p.Licenses {
		ip(&p.Licenses[i].Name)
		ip(&p.Licenses[i].URL)
	}
	for _, deps := range [][]pomDep{p.Managed, p.Deps} {
		for i := range deps {
			d := &deps[i]
			for _, t := range []*text{&d.GroupID, &d.ArtifactID, &d.Version, &d.Scope, &d.Optional} {
				ip(t)
			}
		}
	}
	// Versions and scopes left to <dependencyManagement> in the same POM.
	for i := range p.Deps {
		d := &p.Deps[i]
		for _, m := range p.Managed {
			if m.GroupID == d.GroupID && m.ArtifactID == d.ArtifactID {
				if d.Version == "" {
					d.Version = m.Version
				}
				if d.Scope == "" {
					d.Scope = m.Scope
				}
				break
			}
		}
	}
}

// Dependencies maps the POM to CodeArtifact's dependency list: the parent
// as dependencyType "parent", each dependency with its scope (compile when
// absent), or "optional" when it is optional, as CodeArtifact reports
// Maven dependencies.
func (p *POM) Dependencies() []model.Dependency {
	var out []model.Dependency
	if p.Parent != nil && p.Parent.GroupID != "" && p.Parent.ArtifactID != "" {
		out = append(out, model.Dependency{Namespace: string(p.Parent.GroupID), Package: string(p.Parent.ArtifactID),
			DependencyType: "parent", VersionRequirement: string(p.Parent.Version)})
	}
	for _, d := range p.Deps {
		typ := strings.ToLower(string(d.Scope))
		if typ == "" {
			typ = "compile"
		}
		if strings.EqualFold(string(d.Optional), "true") {
			typ = "optional"
		}
		out = append(out, model.Dependency{Namespace: string(d.GroupID), Package: string(d.ArtifactID),
			DependencyType: typ, VersionRequirement: string(d.Version)})
	}
	return out
}

// Metadata is the version description the POM gives.
func (p *POM) Metadata() *service.VersionMetadata {
	m := &service.VersionMetadata{
		// A description spans indented lines in most POMs; a summary is
		// one line.
		Summary:        strings.Join(strings.Fields(string(p.Description)), " "),
		HomePage:       string(p.URL),
		SourceCodeRepo: string(p.SCM.URL),
		Dependencies:   p.Dependencies(),
	}
	for _, l := range p.Licenses {
		if l.Name != "" || l.URL != "" {
			m.Licenses = append(m.Licenses, model.License{Name: string(l.Name), URL: string(l.URL)})
		}
	}
	return m
}

// CheckCoordinates verifies the POM describes the artifact at path.
func (p *POM) CheckCoordinates(groupID, artifactID, version string) error {
	if string(p.GroupID) != groupID || string(p.ArtifactID) != artifactID || string(p.Version) != version {
		return fmt.Errorf("the POM describes %s:%s:%s but was uploaded as %s:%s:%s", p.GroupID, p.ArtifactID, p.Version, groupID, artifactID, version)
	}
	return nil
}
