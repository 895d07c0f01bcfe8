package swift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Bounds on release metadata: SwiftPM and the AWS documentation send a
// few hundred bytes.
const (
	maxMetadataBytes = 1 << 20
	maxRepoURLs      = 100
)

// metadataError is release metadata the registry refuses (422, as
// Registry.md 4.6.2 says for an invalid document).
type metadataError struct{ msg string }

func (e *metadataError) Error() string { return e.msg }

func badMetadata(format string, args ...any) error {
	return &metadataError{msg: "invalid release metadata: " + fmt.Sprintf(format, args...)}
}

// releaseMetadata is a release's metadata as published (Registry.md
// Appendix B), checked so that SwiftPM can decode it back: its decoder
// fails the whole release when a field has the wrong type, an author or
// organization lacks a name, or a date has fractional seconds.
type releaseMetadata struct {
	doc            map[string]any // everything published, additional keys included
	description    string
	licenseURL     string
	readmeURL      string
	repositoryURLs []string
}

// parseReleaseMetadata validates a metadata part. nil or empty input is
// no metadata. originalPublicationTime is rewritten in UTC to whole
// seconds, the form SwiftPM's ISO 8601 decoder reads.
func parseReleaseMetadata(raw []byte) (*releaseMetadata, error) {
	m := &releaseMetadata{doc: map[string]any{}}
	if len(bytes.TrimSpace(raw)) == 0 {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badMetadata("not a JSON document (%v)", err)
	}
	if dec.More() {
		return nil, badMetadata("more than one JSON value")
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, badMetadata("the document must be a JSON object")
	}
	m.doc = doc
	var err error
	if m.description, err = optString(doc, "description", ""); err != nil {
		return nil, err
	}
	if m.licenseURL, err = optURI(doc, "licenseURL", ""); err != nil {
		return nil, err
	}
	if m.readmeURL, err = optURI(doc, "readmeURL", ""); err != nil {
		return nil, err
	}
	if t, ok := doc["originalPublicationTime"]; ok {
		s, isString := t.(string)
		pt, perr := time.Parse(time.RFC3339Nano, s)
		if !isString || perr != nil {
			return nil, badMetadata("originalPublicationTime must be an ISO 8601 date-time (2023-02-16T04:00:00Z)")
		}
		doc["originalPublicationTime"] = pt.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if urls, ok := doc["repositoryURLs"]; ok {
		list, isList := urls.([]any)
		if !isList {
			return nil, badMetadata("repositoryURLs must be an array of strings")
		}
		if len(list) > maxRepoURLs {
			return nil, badMetadata("repositoryURLs has more than %d entries", maxRepoURLs)
		}
		for _, u := range list {
			s, isString := u.(string)
			if !isString || strings.TrimSpace(s) == "" {
				return nil, badMetadata("repositoryURLs must be an array of non-empty strings")
			}
			m.repositoryURLs = append(m.repositoryURLs, s)
		}
	}
	if a, ok := doc["author"]; ok {
		if err := checkParty(a, "author", true); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkParty checks an author or organization object.
func checkParty(v any, field string, author bool) error {
	o, ok := v.(map[string]any)
	if !ok {
		return badMetadata("%s must be an object", field)
	}
	name, err := optString(o, "name", field+".")
	if err != nil {
		return err
	}
	if name == "" {
		return badMetadata("%s.name is required", field)
	}
	for _, k := range []string{"email", "description"} {
		if _, err := optString(o, k, field+"."); err != nil {
			return err
		}
	}
	if _, err := optURI(o, "url", field+"."); err != nil {
		return err
	}
	if e, _ := o["email"].(string); e != "" && !strings.Contains(e, "@") {
		return badMetadata("%s.email is not an email address", field)
	}
	if org, ok := o["organization"]; ok {
		if !author {
			return badMetadata("%s.organization is not part of the schema", field)
		}
		return checkParty(org, field+".organization", false)
	}
	return nil
}

func optString(o map[string]any, key, path string) (string, error) {
	v, ok := o[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badMetadata("%s%s must be a string", path, key)
	}
	return s, nil
}

// optURI reads a "format": "uri" field: an absolute URI.
func optURI(o map[string]any, key, path string) (string, error) {
	s, err := optString(o, key, path)
	if err != nil || s == "" {
		return s, err
	}
	if u, perr := url.Parse(s); perr != nil || u.Scheme == "" {
		return "", badMetadata("%s%s must be an absolute URI, not %q", path, key, s)
	}
	return s, nil
}

// signing is a resource's signature as release metadata shows it.
type signing struct {
	SignatureBase64Encoded string `json:"signatureBase64Encoded"`
	SignatureFormat        string `json:"signatureFormat"`
}

// manifestRef names a version-specific manifest of a release.
type manifestRef struct {
	Filename     string `json:"filename"`
	SwiftVersion string `json:"swiftVersion"`
	ToolsVersion string `json:"toolsVersion"`
}

// releaseDoc is the format metadata Wharf keeps with a Swift release.
type releaseDoc struct {
	// Metadata is the publisher's release metadata as validated.
	Metadata map[string]any `json:"metadata"`
	// Checksum is the source archive's SHA-256, hex.
	Checksum string   `json:"checksum"`
	Signing  *signing `json:"signing,omitempty"`
	// MetadataSignature is the metadata-signature part, base64.
	MetadataSignature string        `json:"metadataSignature,omitempty"`
	ToolsVersion      string        `json:"toolsVersion"`
	Manifests         []manifestRef `json:"manifests,omitempty"`
}

// parseReleaseDoc reads a release's format metadata; a version Wharf did
// not publish through this endpoint (copied in, say) may have none.
func parseReleaseDoc(b []byte) *releaseDoc {
	d := &releaseDoc{}
	if len(b) > 0 {
		json.Unmarshal(b, d)
	}
	if d.Metadata == nil {
		d.Metadata = map[string]any{}
	}
	return d
}

// repositoryURLs reads the metadata's repositoryURLs.
func (d *releaseDoc) repositoryURLs() []string {
	list, _ := d.Metadata["repositoryURLs"].([]any)
	out := make([]string, 0, len(list))
	for _, u := range list {
		if s, ok := u.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// versionMetadata is what DescribePackageVersion shows of a release:
// the description as its summary, the first repository URL as its source
// repository, the license URL as its license.
func versionMetadata(displayName string, m *releaseMetadata, doc []byte) *service.VersionMetadata {
	vm := &service.VersionMetadata{DisplayName: displayName, Summary: m.description, FormatMetadata: doc}
	if len(m.repositoryURLs) > 0 {
		vm.SourceCodeRepo = m.repositoryURLs[0]
	}
	if m.licenseURL != "" {
		vm.Licenses = []model.License{{URL: m.licenseURL}}
	}
	return vm
}
