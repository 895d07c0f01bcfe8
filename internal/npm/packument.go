package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// docKind selects a packument representation.
type docKind int

const (
	fullDoc docKind = iota
	// abbrevDoc is the "corgi" document npm install asks for with
	// Accept: application/vnd.npm.install-v1+json.
	abbrevDoc
)

// abbrevFields are the version fields the abbreviated document keeps:
// what npm needs to resolve and install
// (https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md).
var abbrevFields = map[string]bool{
	"name": true, "version": true, "deprecated": true, "dependencies": true, "optionalDependencies": true,
	"devDependencies": true, "bundleDependencies": true, "bundledDependencies": true, "peerDependencies": true,
	"peerDependenciesMeta": true, "acceptDependencies": true, "bin": true, "directories": true, "dist": true,
	"engines": true, "_hasShrinkwrap": true, "hasInstallScript": true, "cpu": true, "os": true, "libc": true,
}

// topFields are copied from the latest version's manifest to the top of
// the full document, as the public registry does.
var topFields = []string{"author", "bugs", "contributors", "description", "homepage", "keywords", "license", "maintainers", "readmeFilename", "repository"}

// npmTime is the timestamp form npm uses.
func npmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// revision is the packument's CouchDB-style _rev, which npm echoes on
// unpublish; it changes whenever the package does.
func revision(p *model.Package) string { return fmt.Sprintf("%d-%016x", p.Generation, uint64(p.ID)) }

// listedVersions are the versions a packument shows, in SemVer order.
// Each version is parsed once (semver.CompareStrings would parse both
// sides of every comparison: public packages list hundreds).
func listedVersions(view *service.PackageView) []*model.Version {
	type parsed struct {
		v  *model.Version
		sv semver.Version
		ok bool
	}
	ps := make([]parsed, 0, len(view.Versions))
	for _, v := range view.Versions {
		if v.Status.Listed() {
			sv, ok := semver.Parse(v.Version)
			ps = append(ps, parsed{v, sv, ok})
		}
	}
	slices.SortFunc(ps, func(a, b parsed) int {
		switch {
		case a.ok && b.ok:
			return a.sv.Compare(b.sv)
		case a.ok:
			return 1
		case b.ok:
			return -1
		}
		return strings.Compare(a.v.Version, b.v.Version)
	})
	if len(ps) == 0 {
		return nil
	}
	out := make([]*model.Version, len(ps))
	for i, p := range ps {
		out[i] = p.v
	}
	return out
}

// effectiveTags drops tags that point at versions npm cannot see, and
// when latest is missing or hidden points it at the highest listed
// release (the highest prerelease only when there is no release).
func effectiveTags(stored map[string]string, listed []*model.Version) map[string]string {
	seen := make(map[string]bool, len(listed))
	for _, v := range listed {
		seen[v.Version] = true
	}
	tags := map[string]string{}
	for t, v := range stored {
		if seen[v] {
			tags[t] = v
		}
	}
	if _, ok := tags["latest"]; !ok && len(listed) > 0 {
		best := ""
		for _, v := range listed {
			if sv, ok := semver.Parse(v.Version); ok && !sv.Prerelease() {
				best = v.Version // listed is sorted ascending
			}
		}
		if best == "" {
			best = listed[len(listed)-1].Version
		}
		tags["latest"] = best
	}
	return tags
}

// versionJSON returns a stored manifest with its tarball URL, reduced to
// the install fields for the abbreviated document.
func versionJSON(doc []byte, name pkgName, version, base string, kind docKind) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil || m == nil {
		// A version without a manifest (copied in from elsewhere) still
		// installs from what the registry knows.
		m = map[string]json.RawMessage{}
		versionManifest(m).set("name", name.String())
		versionManifest(m).set("version", version)
	}
	dist := map[string]json.RawMessage{}
	if raw, ok := m["dist"]; ok {
		_ = json.Unmarshal(raw, &dist)
	}
	if dist == nil { // "dist": null
		dist = map[string]json.RawMessage{}
	}
	versionManifest(dist).set("tarball", tarballURL(base, name, version))
	versionManifest(m).set("dist", dist)
	if kind == abbrevDoc {
		scripts := m["scripts"]
		for k := range m {
			if !abbrevFields[k] {
				delete(m, k)
			}
		}
		if hasInstallScript(scripts) {
			versionManifest(m).set("hasInstallScript", true)
		}
	}
	return json.Marshal(m)
}

// hasInstallScript reports whether installing runs scripts, which npm
// wants to know before it has the tarball.
func hasInstallScript(scripts json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(scripts, &m) != nil {
		return false
	}
	for _, s := range []string{"preinstall", "install", "postinstall"} {
		if _, ok := m[s]; ok {
			return true
		}
	}
	return false
}

// tarballURL is where a version's tarball is served.
func tarballURL(base string, name pkgName, version string) string {
	return base + name.path() + "/-/" + name.tarballFile(version)
}

// render builds a packument from one snapshot of the package.
func render(view *service.PackageView, name pkgName, base string, kind docKind) ([]byte, error) {
	listed := listedVersions(view)
	if len(listed) == 0 {
		// Every version deleted, archived or unlisted (or none published
		// yet): the public registry answers 404 for such a package, and
		// npm then says E404 rather than printing nothing or looking for
		// a version in an empty document.
		return nil, model.NotFound(model.ResourcePackage, name.String(), "Package %s has no versions npm can list.", name)
	}
	tags := effectiveTags(view.State, listed)
	var created, modified time.Time
	for _, v := range listed {
		if created.IsZero() || v.PublishedTime.Before(created) {
			created = v.PublishedTime
		}
		if v.PublishedTime.After(modified) {
			modified = v.PublishedTime
		}
	}

	// Room for the manifests and their tarball URLs, so the buffer
	// grows once.
	size := 512
	for _, v := range listed {
		size += len(v.FormatMetadata) + 2*len(v.Version) + len(base) + 2*len(name.String()) + 48
	}
	var b bytes.Buffer
	b.Grow(size)
	w := &jsonWriter{b: &b}
	b.WriteByte('{')
	if kind == fullDoc {
		w.field("_id", name.String())
		w.field("_rev", revision(view.Package))
	}
	w.field("name", name.String())
	if kind == abbrevDoc && !modified.IsZero() {
		w.field("modified", npmTime(modified))
	}
	w.key("dist-tags")
	tagNames := make([]string, 0, len(tags))
	for t := range tags {
		tagNames = append(tagNames, t)
	}
	slices.Sort(tagNames)
	b.WriteByte('{')
	for _, t := range tagNames {
		w.field(t, tags[t])
	}
	b.WriteByte('}')

	w.key("versions")
	b.WriteByte('{')
	var latest *model.Version
	for _, v := range listed {
		w.key(v.Version)
		doc, err := appendVersionJSON(b.AvailableBuffer(), v.FormatMetadata, name, v.Version, base, kind)
		if err != nil {
			return nil, fmt.Errorf("render %s@%s: %w", name, v.Version, err)
		}
		b.Write(doc)
		if v.Version == tags["latest"] {
			latest = v
		}
	}
	b.WriteByte('}')

	if kind == fullDoc {
		w.key("time")
		b.WriteByte('{')
		if !created.IsZero() {
			w.field("created", npmTime(created))
			w.field("modified", npmTime(modified))
		}
		for _, v := range listed {
			w.field(v.Version, npmTime(v.PublishedTime))
		}
		b.WriteByte('}')
		if latest != nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(latest.FormatMetadata, &m) == nil {
				for _, f := range topFields {
					if raw, ok := m[f]; ok {
						w.key(f)
						b.Write(raw)
					}
				}
			}
			w.field("readme", latest.Readme)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonWriter writes object members in a chosen order, which
// encoding/json's sorted maps cannot.
type jsonWriter struct{ b *bytes.Buffer }

// key starts a member; a comma goes before every member but an object's
// first.
func (w *jsonWriter) key(k string) {
	if n := w.b.Len(); n > 0 && w.b.Bytes()[n-1] != '{' {
		w.b.WriteByte(',')
	}
	w.b.Write(append(appendJSONString(w.b.AvailableBuffer(), k), ':'))
}

func (w *jsonWriter) field(k, v string) {
	w.key(k)
	w.b.Write(appendJSONString(w.b.AvailableBuffer(), v))
}
