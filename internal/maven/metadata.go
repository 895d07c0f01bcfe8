package maven

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Metadata is an uploaded maven-metadata.xml. Wharf reads it to learn
// which versions a deploy completes; it never stores or serves it.
type Metadata struct {
	XMLName    xml.Name    `xml:"metadata"`
	GroupID    text        `xml:"groupId"`
	ArtifactID text        `xml:"artifactId"`
	Version    text        `xml:"version"`
	Versioning *versioning `xml:"versioning"`
	Plugins    []plugin    `xml:"plugins>plugin"`
}

type versioning struct {
	Latest           text              `xml:"latest"`
	Release          text              `xml:"release"`
	Versions         []text            `xml:"versions>version"`
	LastUpdated      text              `xml:"lastUpdated"`
	Snapshot         *snapshot         `xml:"snapshot"`
	SnapshotVersions []snapshotVersion `xml:"snapshotVersions>snapshotVersion"`
}

type snapshot struct {
	Timestamp   text `xml:"timestamp"`
	BuildNumber text `xml:"buildNumber"`
	LocalCopy   text `xml:"localCopy"`
}

type snapshotVersion struct {
	Classifier text `xml:"classifier"`
	Extension  text `xml:"extension"`
	Value      text `xml:"value"`
	Updated    text `xml:"updated"`
}

type plugin struct {
	Name       text `xml:"name"`
	Prefix     text `xml:"prefix"`
	ArtifactID text `xml:"artifactId"`
}

// ParseMetadata parses an uploaded maven-metadata.xml.
func ParseMetadata(data []byte) (*Metadata, error) {
	var m Metadata
	if err := decodeStrict(data, &m); err != nil {
		return nil, fmt.Errorf("malformed maven-metadata.xml: %w", err)
	}
	return &m, nil
}

// Versions lists the versions an artifact-level document names.
func (m *Metadata) Versions() []string {
	if m.Versioning == nil {
		return nil
	}
	out := make([]string, 0, len(m.Versioning.Versions))
	for _, v := range m.Versioning.Versions {
		if v != "" {
			out = append(out, string(v))
		}
	}
	return out
}

// IsGroupLevel reports whether the document is a group's plugin-prefix
// list (g/maven-metadata.xml, which the layout cannot tell apart from an
// artifact directory): no coordinates, no versions.
func (m *Metadata) IsGroupLevel() bool {
	return m.GroupID == "" && m.ArtifactID == "" && m.Versioning == nil
}

// Check verifies the document is about the artifact (and, for
// version-level documents, the version) its path names. Absent fields
// are accepted: Maven always writes them, older tools did not.
func (m *Metadata) Check(p Path) error {
	if m.GroupID != "" && string(m.GroupID) != p.GroupID {
		return fmt.Errorf("maven-metadata.xml names groupId %s but was uploaded under %s", m.GroupID, p.GroupID)
	}
	if m.ArtifactID != "" && string(m.ArtifactID) != p.ArtifactID {
		return fmt.Errorf("maven-metadata.xml names artifactId %s but was uploaded under %s", m.ArtifactID, p.ArtifactID)
	}
	if p.Kind == KindVersionMetadata && m.Version != "" && string(m.Version) != p.Version {
		return fmt.Errorf("maven-metadata.xml names version %s but was uploaded under %s", m.Version, p.Version)
	}
	if p.Kind == KindArtifactMetadata {
		for _, v := range m.Versions() {
			if !validVersion(v) {
				return fmt.Errorf("maven-metadata.xml lists an invalid version %q", v)
			}
		}
	}
	return nil
}

// lastUpdatedFormat is Maven's yyyyMMddHHmmss in UTC.
const lastUpdatedFormat = "20060102150405"

const xmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

func element(b *bytes.Buffer, indent, name, value string) {
	b.WriteString(indent)
	b.WriteString("<" + name + ">")
	escape(b, value)
	b.WriteString("</" + name + ">\n")
}

// RenderArtifactMetadata writes g/a/maven-metadata.xml for the listed
// versions: sorted in Maven order, latest the highest version, release the
// highest that is not a SNAPSHOT. Repository managers that generate
// metadata rank this way; Maven's own deploy would instead record
// whatever it deployed last.
func RenderArtifactMetadata(groupID, artifactID string, versions []string, lastUpdated time.Time) []byte {
	vs := append([]string(nil), versions...)
	SortVersions(vs)
	var latest, release string
	if len(vs) > 0 {
		latest = vs[len(vs)-1]
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !IsSnapshot(vs[i]) {
			release = vs[i]
			break
		}
	}
	var b bytes.Buffer
	b.Grow(256 + 40*len(vs))
	b.WriteString(xmlHeader)
	b.WriteString("<metadata>\n")
	element(&b, "  ", "groupId", groupID)
	element(&b, "  ", "artifactId", artifactID)
	b.WriteString("  <versioning>\n")
	if latest != "" {
		element(&b, "    ", "latest", latest)
	}
	if release != "" {
		element(&b, "    ", "release", release)
	}
	b.WriteString("    <versions>\n")
	for _, v := range vs {
		element(&b, "      ", "version", v)
	}
	b.WriteString("    </versions>\n")
	element(&b, "    ", "lastUpdated", lastUpdated.UTC().Format(lastUpdatedFormat))
	b.WriteString("  </versioning>\n</metadata>\n")
	return b.Bytes()
}

// SnapshotFile is a stored file of a SNAPSHOT version.
type SnapshotFile struct {
	Name    string
	Updated time.Time
}

// RenderSnapshotMetadata writes g/a/v-SNAPSHOT/maven-metadata.xml from
// the version's files: snapshot names the newest timestamped build (so a
// deploy numbers the next one after it), and snapshotVersions gives, for
// each classifier and extension, the file a resolver should fetch.
// Files not named after the artifact and version are ignored.
func RenderSnapshotMetadata(groupID, artifactID, version string, files []SnapshotFile) []byte {
	type key struct{ classifier, extension string }
	type entry struct {
		value     string
		timestamp string
		build     int
		updated   time.Time
	}
	base := version[:len(version)-8]
	newer := func(a, b entry) bool { // a is a later build than b
		if a.timestamp != b.timestamp {
			return a.timestamp > b.timestamp
		}
		return a.build > b.build
	}
	entries := map[key]entry{}
	var last entry
	var lastUpdated time.Time
	for _, f := range files {
		fn, err := ParseFileName(artifactID, version, f.Name)
		if err != nil {
			continue
		}
		if f.Updated.After(lastUpdated) {
			lastUpdated = f.Updated
		}
		e := entry{value: version, updated: f.Updated}
		if fn.Timestamp != "" {
			e.value = base + fn.Timestamp + "-" + strconv.Itoa(fn.BuildNumber)
			e.timestamp, e.build = fn.Timestamp, fn.BuildNumber
			if newer(e, last) {
				last = e
			}
		}
		k := key{fn.Classifier, fn.Extension}
		// A timestamped build wins over a plain -SNAPSHOT file.
		if old, ok := entries[k]; !ok || newer(e, old) {
			entries[k] = e
		}
	}
	keys := make([]key, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].classifier != keys[j].classifier {
			return keys[i].classifier < keys[j].classifier
		}
		return keys[i].extension < keys[j].extension
	})
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<metadata modelVersion=\"1.1.0\">\n")
	element(&b, "  ", "groupId", groupID)
	element(&b, "  ", "artifactId", artifactID)
	element(&b, "  ", "version", version)
	b.WriteString("  <versioning>\n")
	if last.timestamp != "" {
		b.WriteString("    <snapshot>\n")
		element(&b, "      ", "timestamp", last.timestamp)
		element(&b, "      ", "buildNumber", strconv.Itoa(last.build))
		b.WriteString("    </snapshot>\n")
	}
	element(&b, "    ", "lastUpdated", lastUpdated.UTC().Format(lastUpdatedFormat))
	b.WriteString("    <snapshotVersions>\n")
	for _, k := range keys {
		e := entries[k]
		b.WriteString("      <snapshotVersion>\n")
		if k.classifier != "" {
			element(&b, "        ", "classifier", k.classifier)
		}
		element(&b, "        ", "extension", k.extension)
		element(&b, "        ", "value", e.value)
		element(&b, "        ", "updated", e.updated.UTC().Format(lastUpdatedFormat))
		b.WriteString("      </snapshotVersion>\n")
	}
	b.WriteString("    </snapshotVersions>\n")
	b.WriteString("  </versioning>\n</metadata>\n")
	return b.Bytes()
}

// renderPluginGroup writes a plugin group's maven-metadata.xml
// (GROUP/maven-metadata.xml): the prefixes Maven resolves "mvn
// PREFIX:GOAL" with. Wharf records none of its own; a public
// repository's are passed on.
func renderPluginGroup(plugins []plugin) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<metadata>\n  <plugins>\n")
	for _, p := range plugins {
		b.WriteString("    <plugin>\n")
		if p.Name != "" {
			element(&b, "      ", "name", string(p.Name))
		}
		element(&b, "      ", "prefix", string(p.Prefix))
		element(&b, "      ", "artifactId", string(p.ArtifactID))
		b.WriteString("    </plugin>\n")
	}
	b.WriteString("  </plugins>\n</metadata>\n")
	return b.Bytes()
}
