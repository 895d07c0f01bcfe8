package pypi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Media types of the simple repository API (PEP 503 HTML, PEP 691 JSON).
const (
	typeJSON     = "application/vnd.pypi.simple.v1+json"
	typeHTML     = "application/vnd.pypi.simple.v1+html"
	typeTextHTML = "text/html"
	// apiVersion is PEP 700's: JSON pages carry versions, size and
	// upload-time.
	apiVersion = "1.1"
)

// distFile is one file on a project page.
type distFile struct {
	Filename       string
	Version        string
	SHA256         string
	RequiresPython string
	Size           int64
	Uploaded       time.Time
	// Yanked files (PEP 592) are listed, marked: pip takes them only when
	// pinned to their version.
	Yanked       bool
	YankedReason string
}

// project is what a project page lists.
type project struct {
	Name     string // normalized
	Versions []string
	Files    []distFile
}

// buildProject lists the files of Published versions only: Unlisted ones
// stay downloadable by URL but are not offered to resolvers.
func buildProject(v *service.PackageView) (*project, error) {
	p := &project{Name: v.Package.Key.Name}
	for _, ver := range v.Versions {
		if !ver.Status.Listed() {
			continue
		}
		var fm formatMetadata
		if len(ver.FormatMetadata) > 0 {
			if err := json.Unmarshal(ver.FormatMetadata, &fm); err != nil {
				return nil, fmt.Errorf("pypi metadata of %s %s: %w", p.Name, ver.Version, err)
			}
		}
		p.Versions = append(p.Versions, ver.Version)
		for _, a := range v.Assets[ver.ID] {
			p.Files = append(p.Files, distFile{Filename: a.Name, Version: ver.Version, SHA256: a.Hashes.SHA256,
				RequiresPython: fm.RequiresPython, Size: a.Size, Uploaded: a.Created})
		}
	}
	// PEP 700: versions and files in a stable order; files by name.
	slices.SortFunc(p.Files, func(a, b distFile) int { return strings.Compare(a.Filename, b.Filename) })
	return p, nil
}

// fileURL is a file's link relative to its project page
// ({endpoint}/simple/NAME/), so the page works whatever host name the
// client used and pip keeps sending the index URL's credentials. The
// download path carries name and version: files/NAME/VERSION/FILENAME.
func fileURL(name, version, filename string) string {
	return "../../files/" + url.PathEscape(name) + "/" + url.PathEscape(version) + "/" + url.PathEscape(filename)
}

// renderProjectHTML renders a PEP 503 project page.
func renderProjectHTML(p *project) []byte {
	var b bytes.Buffer
	b.Grow(256 + len(p.Files)*256)
	name := html.EscapeString(p.Name)
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Links for ")
	b.WriteString(name)
	b.WriteString("</title>\n  </head>\n  <body>\n    <h1>Links for ")
	b.WriteString(name)
	b.WriteString("</h1>\n")
	for _, f := range p.Files {
		b.WriteString(`    <a href="`)
		b.WriteString(html.EscapeString(fileURL(p.Name, f.Version, f.Filename)))
		b.WriteString("#sha256=")
		b.WriteString(f.SHA256)
		b.WriteByte('"')
		if f.RequiresPython != "" {
			b.WriteString(` data-requires-python="`)
			b.WriteString(html.EscapeString(f.RequiresPython))
			b.WriteByte('"')
		}
		if f.Yanked {
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(f.YankedReason))
			b.WriteByte('"')
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(f.Filename))
		b.WriteString("</a><br/>\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

type jsonMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonFile struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	Hashes         map[string]string `json:"hashes"`
	RequiresPython string            `json:"requires-python,omitempty"`
	Size           int64             `json:"size"`
	UploadTime     string            `json:"upload-time,omitempty"`
	// Yanked is true or the reason; absent when the file is not yanked.
	Yanked any `json:"yanked,omitempty"`
}

type jsonProject struct {
	Meta     jsonMeta   `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

// renderProjectJSON renders a PEP 691 project page (with PEP 700's fields).
func renderProjectJSON(p *project) []byte {
	doc := jsonProject{Meta: jsonMeta{apiVersion}, Name: p.Name, Versions: p.Versions, Files: make([]jsonFile, len(p.Files))}
	if doc.Versions == nil {
		doc.Versions = []string{}
	}
	for i, f := range p.Files {
		doc.Files[i] = jsonFile{Filename: f.Filename, URL: fileURL(p.Name, f.Version, f.Filename),
			Hashes: map[string]string{"sha256": f.SHA256}, RequiresPython: f.RequiresPython, Size: f.Size}
		if f.Yanked {
			doc.Files[i].Yanked = true
			if f.YankedReason != "" {
				doc.Files[i].Yanked = f.YankedReason
			}
		}
		if !f.Uploaded.IsZero() {
			// PEP 700's format: ISO 8601 in UTC with a Z.
			doc.Files[i].UploadTime = f.Uploaded.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
	}
	return marshal(doc)
}

// renderIndexHTML renders the PEP 503 root page listing projects.
func renderIndexHTML(names []string) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"" + apiVersion + "\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, n := range names {
		e := html.EscapeString(n)
		b.WriteString(`    <a href="` + html.EscapeString(url.PathEscape(n)) + `/">` + e + "</a><br/>\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

type jsonIndex struct {
	Meta     jsonMeta            `json:"meta"`
	Projects []map[string]string `json:"projects"`
}

// renderIndexJSON renders the PEP 691 root page.
func renderIndexJSON(names []string) []byte {
	doc := jsonIndex{Meta: jsonMeta{apiVersion}, Projects: make([]map[string]string, len(names))}
	for i, n := range names {
		doc.Projects[i] = map[string]string{"name": n}
	}
	return marshal(doc)
}

// marshal encodes without HTML escaping, so specifiers read ">=3.8" and
// not "\u003e=3.8".
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only maps of strings, strings and numbers: cannot fail.
		panic(fmt.Sprintf("pypi: encode simple page: %v", err))
	}
	return b.Bytes()
}

// projectNames lists the repository's PyPI projects, sorted.
func projectNames(keys []model.PackageKey) []string {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	return names
}

// negotiate picks the response type for an Accept header (PEP 691): the
// client's highest quality wins; at equal quality a type named exactly
// beats one matched by a wildcard, and JSON beats HTML. A request that
// names nothing we serve, or no Accept at all, gets text/html, the form
// every client understands.
func negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return typeTextHTML
	}
	type offer struct {
		mime string
		// served is the concrete type answered ("latest" resolves to v1).
		served string
	}
	offers := [...]offer{
		{typeJSON, typeJSON},
		{"application/vnd.pypi.simple.latest+json", typeJSON},
		{typeHTML, typeHTML},
		{"application/vnd.pypi.simple.latest+html", typeHTML},
		{typeTextHTML, typeTextHTML},
	}
	best, bestQ, bestSpec := typeTextHTML, 0.0, 0
	for _, o := range offers {
		q, spec := quality(accept, o.mime)
		if q <= 0 {
			continue
		}
		better := q > bestQ || (q == bestQ && spec > bestSpec)
		// Equal quality and specificity: offers are in preference order,
		// except that for wildcards text/html is the safe default.
		if q == bestQ && spec == bestSpec && spec < 3 && o.mime == typeTextHTML {
			better = true
		}
		if better {
			best, bestQ, bestSpec = o.served, q, spec
		}
	}
	return best
}

// quality returns the q-value the Accept header gives mime, and how
// specifically it was matched (3 exact, 2 type/*, 1 */*, 0 not at all).
func quality(accept, mime string) (float64, int) {
	typ, _, _ := strings.Cut(mime, "/")
	bestQ, bestSpec := 0.0, 0
	for _, r := range strings.Split(accept, ",") {
		params := strings.Split(r, ";")
		mr := strings.ToLower(strings.TrimSpace(params[0]))
		spec := 0
		switch {
		case mr == mime:
			spec = 3
		case mr == typ+"/*":
			spec = 2
		case mr == "*/*":
			spec = 1
		default:
			continue
		}
		q := 1.0
		for _, p := range params[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		// The most specific matching range decides (RFC 9110 12.5.1).
		if spec > bestSpec {
			bestQ, bestSpec = q, spec
		}
	}
	return bestQ, bestSpec
}
