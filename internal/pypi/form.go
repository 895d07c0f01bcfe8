package pypi

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Limits on the non-file parts of an upload. Descriptions (READMEs) are
// the large ones; PyPI itself caps a whole upload's metadata far lower.
const (
	maxFieldBytes = 8 << 20
	maxFormBytes  = 16 << 20
	maxFormParts  = 2000
)

// formError is a client mistake in an upload: it answers with its status
// and nothing is stored.
type formError struct {
	status int
	msg    string
}

func (e *formError) Error() string { return e.msg }

func badForm(format string, args ...any) *formError {
	return &formError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// uploadForm holds the fields of a legacy-API upload ("multipart/form-data"
// with ":action=file_upload", as twine, poetry and uv send it) that came
// before the file part. Fields repeat (requires_dist, classifiers,
// project_urls), so each keeps all its values.
type uploadForm struct {
	fields   map[string][]string
	filename string // of the "content" part
}

func (f *uploadForm) get(k string) string {
	if v := f.fields[k]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// all returns every non-empty value of a repeated field.
func (f *uploadForm) all(k string) []string {
	var out []string
	for _, v := range f.fields[k] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readForm reads parts up to the file part ("content") and returns it
// unread, so the file can stream into the blob store. A form without a
// file part returns a nil part.
func readForm(mr *multipart.Reader) (*uploadForm, *multipart.Part, error) {
	f := &uploadForm{fields: map[string][]string{}}
	budget := int64(maxFormBytes)
	for n := 0; ; n++ {
		if n == maxFormParts {
			return nil, nil, badForm("The upload has more than %d form fields.", maxFormParts)
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil, nil
		}
		if err != nil {
			return nil, nil, badForm("Malformed multipart/form-data body: %v", err)
		}
		name := p.FormName()
		if name == "content" {
			f.filename = p.FileName()
			return f, p, nil
		}
		// Everything else, gpg_signature files included, is small and read
		// whole; signatures are accepted and ignored, as PyPI now does.
		limit := min(int64(maxFieldBytes), budget)
		b, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return nil, nil, badForm("Malformed multipart/form-data body: %v", err)
		}
		if int64(len(b)) > limit {
			return nil, nil, badForm("Form field %q is too large.", name)
		}
		budget -= int64(len(b))
		if name == "" || p.FileName() != "" {
			continue
		}
		f.fields[name] = append(f.fields[name], string(b))
	}
}

// upload is a validated file upload.
type upload struct {
	name     string // as sent: the display name
	version  string
	filetype string
	filename string
	sha256   string
	md5      string
	meta     *service.VersionMetadata
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]+$`)

// check validates the form the way PyPI's legacy upload does before any
// bytes are kept: the action, the project name and version, and that the
// file's name belongs to that project and version.
func (f *uploadForm) check(hasContent bool) (*upload, error) {
	if hasContent && len(f.fields) == 0 {
		// The file is streamed as it arrives, so what identifies it must
		// come first.
		return nil, badForm("The file came before the form's fields: the content part must be the last part of the upload.")
	}
	switch a := f.get(":action"); a {
	case "file_upload":
	case "submit", "doc_upload":
		// PyPI retired registration and documentation uploads with 410.
		return nil, &formError{status: http.StatusGone, msg: fmt.Sprintf("The %s action is no longer supported: upload distribution files with file_upload.", a)}
	case "":
		return nil, badForm("Missing :action: this endpoint accepts :action=file_upload.")
	default:
		return nil, badForm("Unsupported :action %q: this endpoint accepts file_upload.", a)
	}
	if v := f.get("protocol_version"); v != "" && v != "1" {
		return nil, badForm("Unsupported protocol_version %q.", v)
	}
	u := &upload{name: f.get("name"), version: f.get("version"), filetype: f.get("filetype"), filename: f.filename}
	if u.name == "" {
		return nil, badForm("Missing name: the form's name field is missing or comes after the file.")
	}
	if !validName.MatchString(u.name) {
		return nil, badForm("Invalid project name %q: names are letters, digits, '.', '_' and '-', starting and ending with a letter or digit.", u.name)
	}
	if u.version == "" {
		return nil, badForm("Missing version: the form's version field is missing or comes after the file.")
	}
	if _, ok := versionKey(u.version); !ok || len(u.version) > 255 {
		return nil, badForm("Invalid version %q: it must be a PEP 440 version.", u.version)
	}
	if !hasContent {
		return nil, badForm("Missing file: the upload needs a content part with the distribution file.")
	}
	if err := checkFilename(u.filename, u.filetype, u.name, u.version); err != nil {
		return nil, badForm("Invalid distribution file: %v.", err)
	}
	u.sha256 = strings.ToLower(f.get("sha256_digest"))
	if u.sha256 != "" && (len(u.sha256) != 64 || !hexDigest.MatchString(u.sha256)) {
		return nil, badForm("Invalid sha256_digest %q: want 64 hex digits.", u.sha256)
	}
	u.md5 = strings.ToLower(f.get("md5_digest"))
	if u.md5 != "" && (len(u.md5) != 32 || !hexDigest.MatchString(u.md5)) {
		return nil, badForm("Invalid md5_digest %q: want 32 hex digits.", u.md5)
	}
	m, err := f.metadata(u.name)
	if err != nil {
		return nil, err
	}
	u.meta = m
	return u, nil
}

// formatMetadata is what the simple pages need of a version beyond its
// files, kept in the version's FormatMetadata.
type formatMetadata struct {
	RequiresPython  string `json:"requires_python,omitempty"`
	MetadataVersion string `json:"metadata_version,omitempty"`
}

// metadata maps the core-metadata fields twine sends to the version's
// descriptive metadata.
func (f *uploadForm) metadata(name string) (*service.VersionMetadata, error) {
	m := &service.VersionMetadata{
		DisplayName: name,
		Summary:     f.get("summary"),
		HomePage:    f.get("home_page"),
		Readme:      f.get("description"),
	}
	urls := projectURLs(f.all("project_urls"))
	if m.HomePage == "" {
		m.HomePage = firstURL(urls, "homepage", "home", "home-page")
	}
	m.SourceCodeRepo = firstURL(urls, "source", "sourcecode", "source-code", "repository", "code")
	if l := license(f); l != "" {
		m.Licenses = []model.License{{Name: l}}
	}
	for _, rd := range f.all("requires_dist") {
		d, err := parseRequiresDist(rd)
		if err != nil {
			return nil, badForm("Invalid requires_dist %q: %v.", rd, err)
		}
		m.Dependencies = append(m.Dependencies, d)
	}
	fm, err := json.Marshal(formatMetadata{RequiresPython: f.get("requires_python"), MetadataVersion: f.get("metadata_version")})
	if err != nil {
		return nil, fmt.Errorf("encode format metadata: %w", err)
	}
	m.FormatMetadata = fm
	return m, nil
}

// license prefers the SPDX expression (metadata 2.4), then the License
// field's first line (it often holds a whole license text), then a
// "License ::" classifier.
func license(f *uploadForm) string {
	if l := f.get("license_expression"); l != "" {
		return l
	}
	if l, _, _ := strings.Cut(f.get("license"), "\n"); strings.TrimSpace(l) != "" && strings.TrimSpace(l) != "UNKNOWN" {
		return strings.TrimSpace(l)
	}
	for _, c := range f.all("classifiers") {
		if strings.HasPrefix(c, "License ::") {
			parts := strings.Split(c, "::")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return ""
}

type labelledURL struct{ label, url string }

// projectURLs parses Project-URL values, "Label, https://...".
func projectURLs(vs []string) []labelledURL {
	var out []labelledURL
	for _, v := range vs {
		label, u, ok := strings.Cut(v, ",")
		if !ok {
			continue
		}
		out = append(out, labelledURL{strings.TrimSpace(label), strings.TrimSpace(u)})
	}
	return out
}

// firstURL finds a URL by label, compared as PEP 753 normalizes labels
// (case, spaces, '-', '_' and '.' ignored).
func firstURL(urls []labelledURL, labels ...string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '_' || r == '.' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	for _, want := range labels {
		for _, u := range urls {
			if norm(u.label) == norm(want) {
				return u.url
			}
		}
	}
	return ""
}

var requirementName = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*`)

// parseRequiresDist splits a PEP 508 requirement into a dependency: the
// normalized project name, and as versionRequirement the version
// specifier (parentheses dropped) or "@ URL", followed by "; marker" when
// the requirement is conditional. Extras are not a version requirement
// and are left out.
func parseRequiresDist(s string) (model.Dependency, error) {
	m := requirementName.FindStringSubmatchIndex(s)
	if m == nil {
		return model.Dependency{}, errors.New("it does not start with a project name")
	}
	name := s[m[2]:m[3]]
	rest := strings.TrimSpace(s[m[1]:])
	var spec, marker string
	if strings.HasPrefix(rest, "@") {
		// In a URL requirement the marker must follow whitespace, since
		// URLs may contain ';'.
		if i := strings.Index(rest, " ;"); i >= 0 {
			spec, marker = rest[:i], rest[i+2:]
		} else {
			spec = rest
		}
	} else {
		spec, marker, _ = strings.Cut(rest, ";")
	}
	spec, marker = strings.TrimSpace(spec), strings.TrimSpace(marker)
	if strings.HasPrefix(spec, "(") {
		if !strings.HasSuffix(spec, ")") {
			return model.Dependency{}, errors.New("unbalanced parentheses in the version specifier")
		}
		spec = strings.TrimSpace(spec[1 : len(spec)-1])
	}
	if spec != "" && !strings.HasPrefix(spec, "@") && !strings.ContainsAny(spec[:1], "<>=!~") {
		return model.Dependency{}, fmt.Errorf("unexpected %q after the project name", spec)
	}
	req := spec
	if marker != "" {
		req = strings.TrimSpace(spec + "; " + marker)
		if spec == "" {
			req = "; " + marker
		}
	}
	return model.Dependency{Package: normalize(name), DependencyType: "Requires-Dist", VersionRequirement: req}, nil
}

// fileMagic is how each kind of distribution must start: wheels and zip
// sdists are zip archives, tar.gz sdists gzip streams.
func fileMagic(filename string) []byte {
	if strings.HasSuffix(filename, ".tar.gz") {
		return []byte{0x1f, 0x8b}
	}
	return []byte("PK\x03\x04")
}

// contentReader streams the file part into the blob store and refuses,
// by failing the read before the store commits, content that is empty,
// not the archive its name claims, fails its md5_digest, is truncated,
// is followed by more form parts (which would arrive too late to be
// validated with the file), or that insp refuses (a bomb, a wheel for
// another project). err keeps the client's mistake so the handler
// answers it as a 4xx rather than a storage failure.
type contentReader struct {
	part   io.Reader
	mr     *multipart.Reader
	insp   archive.Inspector // nil: the content is not inspected
	magic  []byte
	head   []byte // the first bytes, until len(magic) are seen
	n      int64
	md5    hash.Hash
	md5Hex string
	err    *formError
}

func newContentReader(part io.Reader, mr *multipart.Reader, u *upload, insp archive.Inspector) *contentReader {
	c := &contentReader{part: part, mr: mr, insp: insp, magic: fileMagic(u.filename)}
	// With a SHA256 the store verifies the bytes; MD5 is checked only when
	// it is all the client sent.
	if u.sha256 == "" && u.md5 != "" {
		c.md5, c.md5Hex = md5.New(), u.md5
	}
	return c
}

func (c *contentReader) fail(e *formError) (int, error) {
	c.err = e
	return 0, e
}

func (c *contentReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.part.Read(p)
	if n > 0 {
		if need := len(c.magic) - len(c.head); need > 0 {
			c.head = append(c.head, p[:min(n, need)]...)
			if !bytes.HasPrefix(c.magic, c.head) {
				return c.fail(badForm("The file is not a valid distribution: its content is not the archive its name says (%s).", archiveKind(c.magic)))
			}
		}
		c.n += int64(n)
		if c.md5 != nil {
			c.md5.Write(p[:n])
		}
		if c.insp != nil {
			if _, werr := c.insp.Write(p[:n]); werr != nil {
				return c.inspectionFailed(werr)
			}
		}
	}
	switch {
	case err == io.EOF:
		if e := c.finish(); e != nil {
			return c.fail(e)
		}
		if c.insp != nil {
			if ierr := c.insp.Finish(); ierr != nil {
				return c.inspectionFailed(ierr)
			}
		}
		return n, io.EOF
	case err != nil:
		return c.fail(badForm("Malformed or truncated upload: %v", err))
	}
	return n, nil
}

// inspectionFailed answers a refusal as the client's mistake; anything
// else (no room to spool) fails the store as the server's.
func (c *contentReader) inspectionFailed(err error) (int, error) {
	if isRefusal(err) {
		return c.fail(badForm("The file is not a valid distribution: %v.", err))
	}
	return 0, err
}

// finish checks the whole file once its part ends, the cheap checks
// before the inspector's verdict.
func (c *contentReader) finish() *formError {
	if c.n == 0 {
		return badForm("The file is empty.")
	}
	if len(c.head) < len(c.magic) {
		return badForm("The file is not a valid distribution: it is too short to be a %s.", archiveKind(c.magic))
	}
	if c.md5 != nil && hex.EncodeToString(c.md5.Sum(nil)) != c.md5Hex {
		return badForm("The MD5 digest of the file does not match md5_digest.")
	}
	next, err := c.mr.NextPart()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return badForm("Malformed multipart/form-data body after the file: %v", err)
	default:
		return badForm("Form field %q follows the file: the content part must be the last part of the upload.", next.FormName())
	}
}

func archiveKind(magic []byte) string {
	if magic[0] == 0x1f {
		return "gzip archive"
	}
	return "zip archive"
}
