package npm

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// distInfo is what the registry computes about a tarball; clients'
// claims about it are never trusted.
type distInfo struct {
	Shasum    string // hex SHA-1, npm's legacy checksum
	Integrity string // "sha512-BASE64", Subresource Integrity
}

// dependencyFields maps package.json dependency fields to CodeArtifact's
// npm dependency types.
var dependencyFields = []struct{ field, kind string }{
	{"dependencies", "regular"},
	{"devDependencies", "dev"},
	{"peerDependencies", "peer"},
	{"optionalDependencies", "optional"},
}

// strippedFields never go into stored version manifests: the readme is
// kept once per version as the version's readme (and served at the top
// of the packument), and the rest are the registry's to set.
var strippedFields = []string{"readme", "_attachments", "_rev", "_revisions", "_id", "dist", "_hasShrinkwrap"}

// noReadme is what old npm clients sent for a package without a README.
const noReadme = "ERROR: No README data found!"

// versionManifest is one version's package.json as the publish body and
// the tarball carry it.
type versionManifest map[string]json.RawMessage

// str returns a string field, "" when absent or of another type.
func (m versionManifest) str(k string) string {
	var s string
	if raw, ok := m[k]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

func (m versionManifest) set(k string, v any) {
	b, _ := json.Marshal(v)
	m[k] = b
}

// buildVersion checks the publish body's manifest for one version against
// the URL's name and the tarball, and returns the manifest the registry
// stores (what packuments list under versions[v], less the tarball URL,
// which depends on where the registry is reached) and the version's
// CodeArtifact metadata.
func buildVersion(name pkgName, version string, raw json.RawMessage, tb *tarballInfo, d distInfo) ([]byte, *service.VersionMetadata, error) {
	var m versionManifest
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, nil, model.InvalidParameter("versions[%q] must be a JSON object (the package.json being published).", version)
	}
	if got := m.str("name"); got != name.String() {
		return nil, nil, model.InvalidParameter("versions[%q].name is %q; it must be %q, the package in the URL.", version, got, name)
	}
	if got := m.str("version"); got != version {
		return nil, nil, model.InvalidParameter("versions[%q].version is %q; it must match its key.", version, got)
	}
	var pj struct {
		Name    any `json:"name"`
		Version any `json:"version"`
	}
	if err := json.Unmarshal(tb.PackageJSON, &pj); err != nil {
		return nil, nil, errTarball("package/package.json is not valid JSON (%v).", err)
	}
	if s, _ := pj.Name.(string); s != name.String() {
		return nil, nil, errTarball("package/package.json names %v, not %s.", pj.Name, name)
	}
	if s, _ := pj.Version.(string); cleanVersion(s) != version {
		return nil, nil, errTarball("package/package.json has version %v, not %s.", pj.Version, version)
	}

	md := &service.VersionMetadata{
		Summary:        m.str("description"),
		HomePage:       m.str("homepage"),
		SourceCodeRepo: repositoryURL(m["repository"]),
		Licenses:       licenses(m),
		Dependencies:   dependencies(m),
	}
	if name.Scope != "" {
		md.DisplayName = name.String()
	}
	md.Readme = truncateUTF8(m.str("readme"), maxReadme)
	if md.Readme == "" || md.Readme == noReadme {
		md.Readme = tb.Readme
		if _, ok := m["readmeFilename"]; !ok && tb.ReadmeFile != "" {
			m.set("readmeFilename", tb.ReadmeFile)
		}
	}

	for _, k := range strippedFields {
		delete(m, k)
	}
	m.set("_id", name.String()+"@"+version)
	m.set("_hasShrinkwrap", tb.HasShrinkwrap)
	m.set("dist", map[string]any{
		"shasum": d.Shasum, "integrity": d.Integrity,
		"fileCount": tb.FileCount, "unpackedSize": tb.UnpackedSize,
	})
	doc, err := json.Marshal(m)
	if err != nil {
		return nil, nil, model.InvalidParameter("versions[%q] cannot be stored: %v", version, err)
	}
	md.FormatMetadata = doc
	return doc, md, nil
}

// repositoryURL reads "repository": a string or {type, url}.
func repositoryURL(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.URL
	}
	return ""
}

// licenses reads "license" (an SPDX expression, or the legacy {type,
// url}) and the legacy "licenses" array.
func licenses(m versionManifest) []model.License {
	var out []model.License
	add := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				out = append(out, model.License{Name: s})
			}
			return
		}
		var o struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		}
		if json.Unmarshal(raw, &o) == nil && (o.Type != "" || o.URL != "") {
			out = append(out, model.License{Name: o.Type, URL: o.URL})
		}
	}
	if raw, ok := m["license"]; ok {
		add(raw)
	}
	var list []json.RawMessage
	if raw, ok := m["licenses"]; ok && json.Unmarshal(raw, &list) == nil {
		for _, l := range list {
			add(l)
		}
	}
	return out
}

// dependencies lists the four kinds of dependencies, each sorted by name.
func dependencies(m versionManifest) []model.Dependency {
	var out []model.Dependency
	for _, f := range dependencyFields {
		var deps map[string]any
		if raw, ok := m[f.field]; !ok || json.Unmarshal(raw, &deps) != nil {
			continue
		}
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			req, _ := deps[n].(string)
			d := model.Dependency{Package: n, DependencyType: f.kind, VersionRequirement: req}
			if scope, name, ok := strings.Cut(strings.TrimPrefix(n, "@"), "/"); ok && strings.HasPrefix(n, "@") {
				d.Namespace, d.Package = scope, name
			}
			out = append(out, d)
		}
	}
	return out
}

// setDeprecated returns doc with its "deprecated" message set, or removed
// when msg is empty (npm's undeprecate), and whether anything changed.
func setDeprecated(doc []byte, msg string) ([]byte, bool, error) {
	var m versionManifest
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, false, err
	}
	_, has := m["deprecated"]
	if (msg == "" && !has) || (msg != "" && has && m.str("deprecated") == msg) {
		return doc, false, nil
	}
	if msg == "" {
		delete(m, "deprecated")
	} else {
		m.set("deprecated", msg)
	}
	out, err := json.Marshal(m)
	return out, err == nil, err
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
