package nuget

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
)

// maxNuspecBytes bounds a package manifest. Real ones are a few KB;
// release notes make the largest, far below this.
const maxNuspecBytes = 1 << 20

// nuspec is what Wharf reads from a package's manifest (the .nuspec at
// the root of the nupkg), validated: a NuGet id, a NuGet version, and
// dependency ranges NuGet can read.
type nuspec struct {
	ID      string             // as written, original case
	Version model.NuGetVersion // parsed
	// RawVersion is the version as written (with any build metadata).
	RawVersion string

	Title, Authors, Owners, Description, Summary string
	ReleaseNotes, Copyright, Language, Tags      string
	ProjectURL, IconURL, Icon, LicenseURL        string
	License                                      nuspecLicense
	RequireLicenseAcceptance                     bool
	MinClientVersion                             string
	Repository                                   nuspecRepository
	// DependencyGroups are per target framework; an empty TargetFramework
	// is "any framework" (the nuspec's flat dependency list).
	DependencyGroups []dependencyGroup
	// Readme is the package path of the readme file, with "/" separators.
	Readme string
	// PackageTypes are the declared package types' names (DotnetTool,
	// Template, ...); none means "Dependency".
	PackageTypes []string
}

type nuspecLicense struct {
	Type, Version, Value string // Type: "expression" or "file"
}

type nuspecRepository struct {
	Type, URL, Branch, Commit string
}

type dependencyGroup struct {
	TargetFramework string
	Dependencies    []dependency
}

type dependency struct {
	ID    string
	Range versionRange
	// RawRange is the version attribute as written.
	RawRange string
}

// The XML shapes. Elements are matched by local name: nuspecs come in
// several schema namespaces (2010/07, 2011/08, 2012/06, 2013/01,
// 2013/05). Single-valued elements are read as lists so that a manifest
// naming two ids is refused rather than read differently from NuGet
// (which takes the first).
type xmlPackage struct {
	XMLName  xml.Name      `xml:"package"`
	Metadata []xmlMetadata `xml:"metadata"`
}

type xmlMetadata struct {
	MinClientVersion         string            `xml:"minClientVersion,attr"`
	ID                       []string          `xml:"id"`
	Version                  []string          `xml:"version"`
	Title                    string            `xml:"title"`
	Authors                  string            `xml:"authors"`
	Owners                   string            `xml:"owners"`
	Description              string            `xml:"description"`
	Summary                  string            `xml:"summary"`
	ReleaseNotes             string            `xml:"releaseNotes"`
	Copyright                string            `xml:"copyright"`
	Language                 string            `xml:"language"`
	Tags                     string            `xml:"tags"`
	ProjectURL               string            `xml:"projectUrl"`
	IconURL                  string            `xml:"iconUrl"`
	Icon                     string            `xml:"icon"`
	LicenseURL               string            `xml:"licenseUrl"`
	License                  *xmlLicense       `xml:"license"`
	RequireLicenseAcceptance string            `xml:"requireLicenseAcceptance"`
	Repository               *xmlRepository    `xml:"repository"`
	Dependencies             []xmlDependencies `xml:"dependencies"`
	Readme                   string            `xml:"readme"`
	PackageTypes             []xmlPackageType  `xml:"packageTypes>packageType"`
}

type xmlPackageType struct {
	Name string `xml:"name,attr"`
}

type xmlLicense struct {
	Type    string `xml:"type,attr"`
	Version string `xml:"version,attr"`
	Value   string `xml:",chardata"`
}

type xmlRepository struct {
	Type   string `xml:"type,attr"`
	URL    string `xml:"url,attr"`
	Branch string `xml:"branch,attr"`
	Commit string `xml:"commit,attr"`
}

type xmlDependencies struct {
	Groups []xmlGroup      `xml:"group"`
	Flat   []xmlDependency `xml:"dependency"`
}

type xmlGroup struct {
	TargetFramework string          `xml:"targetFramework,attr"`
	Dependencies    []xmlDependency `xml:"dependency"`
}

type xmlDependency struct {
	ID      string `xml:"id,attr"`
	Version string `xml:"version,attr"`
}

// parseNuspec parses and validates a manifest. file names it in errors.
func parseNuspec(file string, data []byte) (*nuspec, error) {
	bad := func(format string, args ...any) (*nuspec, error) {
		return nil, &refusal{msg: file + " " + fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return bad("is not UTF-8 text")
	}
	var doc xmlPackage
	dec := xml.NewDecoder(bytes.NewReader(data))
	// A declared encoding other than UTF-8 has no reader here; the
	// decoder then fails with a message naming the encoding.
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		switch {
		case errors.As(err, &se):
			return bad("is not well-formed XML (line %d: %s)", se.Line, se.Msg)
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
			return bad("is empty")
		case errors.Is(err, io.EOF):
			return bad("is not a NuGet manifest: it has no <package> element")
		}
		return bad("is not a NuGet manifest: %v", err)
	}
	if len(doc.Metadata) != 1 {
		return bad("must have exactly one <metadata> element inside <package>")
	}
	m := doc.Metadata[0]
	if len(m.ID) != 1 || strings.TrimSpace(m.ID[0]) == "" {
		return bad("must have exactly one <id>")
	}
	if len(m.Version) != 1 || strings.TrimSpace(m.Version[0]) == "" {
		return bad("must have exactly one <version>")
	}
	n := &nuspec{
		ID: strings.TrimSpace(m.ID[0]), RawVersion: strings.TrimSpace(m.Version[0]),
		Title: trim(m.Title), Authors: trim(m.Authors), Owners: trim(m.Owners), Description: trim(m.Description),
		Summary: trim(m.Summary), ReleaseNotes: trim(m.ReleaseNotes), Copyright: trim(m.Copyright),
		Language: trim(m.Language), Tags: trim(m.Tags), ProjectURL: trim(m.ProjectURL), IconURL: trim(m.IconURL),
		Icon: trim(m.Icon), LicenseURL: trim(m.LicenseURL), MinClientVersion: trim(m.MinClientVersion),
		Readme: strings.ReplaceAll(trim(m.Readme), `\`, "/"),
	}
	if err := model.CheckNuGetID(n.ID); err != nil {
		return bad("has an invalid <id>: %s", model.AsError(err).Message)
	}
	v, err := model.ParseNuGetVersion(n.RawVersion)
	if err != nil {
		return bad("has an invalid <version>: %s", model.AsError(err).Message)
	}
	n.Version = v
	// NuGet's own pack refuses a manifest without these.
	if n.Authors == "" {
		return bad("has no <authors>")
	}
	if n.Description == "" {
		return bad("has no <description>")
	}
	if s := trim(m.RequireLicenseAcceptance); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("has <requireLicenseAcceptance> %q; it must be true or false", s)
		}
		n.RequireLicenseAcceptance = b
	}
	if m.License != nil {
		n.License = nuspecLicense{Type: trim(m.License.Type), Version: trim(m.License.Version), Value: trim(m.License.Value)}
		if n.License.Type != "expression" && n.License.Type != "file" {
			return bad("has <license type=%q>; the type is expression or file", n.License.Type)
		}
		if n.License.Value == "" {
			return bad("has an empty <license>")
		}
	}
	if m.Repository != nil {
		n.Repository = nuspecRepository{Type: trim(m.Repository.Type), URL: trim(m.Repository.URL), Branch: trim(m.Repository.Branch), Commit: trim(m.Repository.Commit)}
	}
	for _, pt := range m.PackageTypes {
		name := trim(pt.Name)
		if name == "" || strings.IndexFunc(name, isControl) >= 0 || strings.ContainsAny(name, " ,") {
			return bad("has a <packageType> without a valid name")
		}
		n.PackageTypes = append(n.PackageTypes, name)
	}
	if len(m.Dependencies) > 1 {
		return bad("has more than one <dependencies> element")
	}
	if len(m.Dependencies) == 1 {
		groups, err := readDependencies(m.Dependencies[0])
		if err != nil {
			return bad("%s", err.Error())
		}
		n.DependencyGroups = groups
	}
	return n, nil
}

// readDependencies reads <dependencies>: target-framework groups, or,
// when there are none, the flat list as one group for any framework
// (NuGet ignores a flat list beside groups, so it is read the same way).
func readDependencies(d xmlDependencies) ([]dependencyGroup, error) {
	read := func(tf string, xs []xmlDependency) (dependencyGroup, error) {
		g := dependencyGroup{TargetFramework: tf}
		seen := map[string]bool{}
		for _, x := range xs {
			id := strings.TrimSpace(x.ID)
			if err := model.CheckNuGetID(id); err != nil {
				return g, fmt.Errorf("has a dependency with an invalid id: %s", model.AsError(err).Message)
			}
			if seen[strings.ToLower(id)] {
				return g, fmt.Errorf("lists dependency %s twice for the same target framework", id)
			}
			seen[strings.ToLower(id)] = true
			r, err := parseRange(x.Version)
			if err != nil {
				return g, fmt.Errorf("has a dependency on %s whose %s", id, err.Error())
			}
			g.Dependencies = append(g.Dependencies, dependency{ID: id, Range: r, RawRange: strings.TrimSpace(x.Version)})
		}
		return g, nil
	}
	if len(d.Groups) == 0 {
		if len(d.Flat) == 0 {
			return nil, nil
		}
		g, err := read("", d.Flat)
		if err != nil {
			return nil, err
		}
		return []dependencyGroup{g}, nil
	}
	groups := make([]dependencyGroup, 0, len(d.Groups))
	seen := map[string]bool{}
	for _, xg := range d.Groups {
		tf := strings.TrimSpace(xg.TargetFramework)
		if strings.IndexFunc(tf, isControl) >= 0 {
			return nil, fmt.Errorf("has a dependency group whose targetFramework holds control characters")
		}
		if seen[strings.ToLower(tf)] {
			return nil, fmt.Errorf("has two dependency groups for target framework %q", tf)
		}
		seen[strings.ToLower(tf)] = true
		g, err := read(tf, xg.Dependencies)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func trim(s string) string { return strings.TrimSpace(s) }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
