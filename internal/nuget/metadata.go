package nuget

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// versionDoc is a version's format metadata as stored with it: the
// catalog fields the registration and search documents show, and the
// manifest itself, served as the .nuspec.
type versionDoc struct {
	ID                       string     `json:"id"`      // original case
	Version                  string     `json:"version"` // normalized, original case
	SemVer2                  bool       `json:"semVer2,omitempty"`
	Title                    string     `json:"title,omitempty"`
	Authors                  string     `json:"authors,omitempty"`
	Description              string     `json:"description,omitempty"`
	Summary                  string     `json:"summary,omitempty"`
	Tags                     string     `json:"tags,omitempty"`
	Language                 string     `json:"language,omitempty"`
	ProjectURL               string     `json:"projectUrl,omitempty"`
	IconURL                  string     `json:"iconUrl,omitempty"`
	LicenseURL               string     `json:"licenseUrl,omitempty"`
	LicenseExpression        string     `json:"licenseExpression,omitempty"`
	RequireLicenseAcceptance bool       `json:"requireLicenseAcceptance,omitempty"`
	MinClientVersion         string     `json:"minClientVersion,omitempty"`
	DependencyGroups         []groupDoc `json:"dependencyGroups,omitempty"`
	PackageTypes             []string   `json:"packageTypes,omitempty"`
	Nuspec                   string     `json:"nuspec"`
}

type groupDoc struct {
	TargetFramework string   `json:"targetFramework,omitempty"`
	Dependencies    []depDoc `json:"dependencies,omitempty"`
}

type depDoc struct {
	ID    string `json:"id"`
	Range string `json:"range"` // normalized
}

// licenseExpressionURL is where NuGet clients and nuget.org point a
// license expression.
const licenseExpressionURL = "https://licenses.nuget.org/"

// metadataOf turns a read package into what the service records: the
// version's description for the control plane (DescribePackageVersion,
// ListPackageVersionDependencies, GetPackageVersionReadme) and the format
// document.
func metadataOf(p *nupkg) (*service.VersionMetadata, error) {
	s := p.Spec
	doc := versionDoc{
		ID: s.ID, Version: s.Version.String(), SemVer2: s.Version.IsSemVer2(),
		Title: s.Title, Authors: s.Authors, Description: s.Description, Summary: s.Summary, Tags: s.Tags,
		Language: s.Language, ProjectURL: s.ProjectURL, IconURL: s.IconURL, LicenseURL: s.LicenseURL,
		RequireLicenseAcceptance: s.RequireLicenseAcceptance, MinClientVersion: s.MinClientVersion,
		PackageTypes: s.PackageTypes, Nuspec: string(p.Nuspec),
	}
	var licenses []model.License
	switch {
	case s.License.Type == "expression":
		doc.LicenseExpression = s.License.Value
		if doc.LicenseURL == "" {
			doc.LicenseURL = licenseExpressionURL + s.License.Value
		}
		licenses = append(licenses, model.License{Name: s.License.Value, URL: doc.LicenseURL})
	case s.License.Type == "file":
		licenses = append(licenses, model.License{Name: "file:" + s.License.Value, URL: s.LicenseURL})
	case s.LicenseURL != "":
		licenses = append(licenses, model.License{URL: s.LicenseURL})
	}
	// The control plane lists each dependency once; NuGet repeats them
	// per target framework. CodeArtifact sets no dependencyType for NuGet.
	var deps []model.Dependency
	seen := map[string]bool{}
	for _, g := range s.DependencyGroups {
		gd := groupDoc{TargetFramework: g.TargetFramework}
		for _, d := range g.Dependencies {
			gd.Dependencies = append(gd.Dependencies, depDoc{ID: d.ID, Range: d.Range.String()})
			k := strings.ToLower(d.ID) + "\x00" + d.RawRange
			if !seen[k] {
				seen[k] = true
				deps = append(deps, model.Dependency{Package: strings.ToLower(d.ID), VersionRequirement: d.RawRange})
			}
		}
		doc.DependencyGroups = append(doc.DependencyGroups, gd)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode nuget metadata: %w", err)
	}
	summary := s.Summary
	if summary == "" {
		summary = s.Description
	}
	return &service.VersionMetadata{
		DisplayName: s.ID, Summary: summary, HomePage: s.ProjectURL, SourceCodeRepo: s.Repository.URL,
		Licenses: licenses, Dependencies: deps, Readme: p.Readme, FormatMetadata: b,
	}, nil
}

// decodeDoc reads a version's stored document. A version without one
// (published through another path, which NuGet cannot do) gets the
// minimal document its coordinates give.
func decodeDoc(v *model.Version, pkgName string) (*versionDoc, error) {
	var d versionDoc
	if len(v.FormatMetadata) > 0 {
		if err := json.Unmarshal(v.FormatMetadata, &d); err != nil {
			return nil, fmt.Errorf("decode nuget metadata of %s %s: %w", pkgName, v.Version, err)
		}
	}
	if d.ID == "" {
		d.ID = v.DisplayName
		if d.ID == "" {
			d.ID = pkgName
		}
	}
	if d.Version == "" {
		d.Version = v.Version
	}
	return &d, nil
}

// assetName is the nupkg's asset name, as CodeArtifact builds it from the
// normalized id and version.
func assetName(idLower, versionLower string) string {
	return idLower + "." + versionLower + ".nupkg"
}
