package cargo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// The publish body (the Cargo book's registry web API, "Publish") is a
// u32 little-endian length, that many bytes of JSON metadata, another
// u32 length, and the .crate file. This file reads the framing and the
// metadata as pure functions, apart from HTTP, and turns the metadata
// into the crate's index entry.

// maxMetadataBytes bounds the JSON part. It carries the readme and the
// description; crates.io bounds whole uploads at 10 MB by default.
const maxMetadataBytes = 16 << 20

// cratesIOIndex is how a dependency on crates.io names its registry, in
// cargo's publish JSON and in index entries alike.
const cratesIOIndex = "https://github.com/rust-lang/crates.io-index"

// publishMeta is the JSON metadata of a publish. Pointers tell null or
// absent from empty; fields the index or the version's metadata do not
// use (authors, keywords, categories, badges) are ignored, as the Cargo
// book asks of servers.
type publishMeta struct {
	Name          string              `json:"name"`
	Vers          string              `json:"vers"`
	Deps          []publishDep        `json:"deps"`
	Features      map[string][]string `json:"features"`
	Features2     map[string][]string `json:"features2"`
	Description   *string             `json:"description"`
	Documentation *string             `json:"documentation"`
	Homepage      *string             `json:"homepage"`
	Readme        *string             `json:"readme"`
	ReadmeFile    *string             `json:"readme_file"`
	License       *string             `json:"license"`
	LicenseFile   *string             `json:"license_file"`
	Repository    *string             `json:"repository"`
	Links         *string             `json:"links"`
	RustVersion   *string             `json:"rust_version"`
}

// publishDep is one dependency as cargo publishes it: the real crate in
// Name, the name the depending crate uses in ExplicitNameInToml when it
// renames it.
type publishDep struct {
	Name               string   `json:"name"`
	VersionReq         string   `json:"version_req"`
	Features           []string `json:"features"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    *bool    `json:"default_features"`
	Target             *string  `json:"target"`
	Kind               *string  `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
}

// readPublish reads the framing and metadata of a publish body and
// returns a reader of exactly the .crate's bytes, which fails (a
// client's error) if the body ends early or anything follows, so an
// upload whose lengths lie can never be stored. maxCrate bounds the
// declared .crate length.
func readPublish(body io.Reader, maxCrate int64) (*publishMeta, *crateReader, error) {
	n, err := readLength(body, "the length of its JSON metadata")
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, model.InvalidParameter("The publish body declares empty JSON metadata.")
	}
	if n > maxMetadataBytes {
		return nil, nil, model.QuotaExceeded(model.ResourcePackageVersion, "", "The publish metadata is %d bytes; at most %d are accepted.", n, maxMetadataBytes)
	}
	// Read as the bytes come, not into a buffer of the declared size: a
	// lying length must not cost memory it never sends.
	raw, err := io.ReadAll(io.LimitReader(body, int64(n)))
	if err != nil {
		return nil, nil, bodyErr(err, "The publish body could not be read.")
	}
	if len(raw) < int(n) {
		return nil, nil, model.InvalidParameter("The publish body is truncated: it declares %d bytes of JSON metadata but ends after %d.", n, len(raw))
	}
	m, err := parseMetadata(raw)
	if err != nil {
		return nil, nil, err
	}
	c, err := readLength(body, "the length of the .crate file")
	if err != nil {
		return nil, nil, err
	}
	if c == 0 {
		return nil, nil, model.InvalidParameter("The publish body declares an empty .crate file.")
	}
	if int64(c) > maxCrate {
		return nil, nil, model.QuotaExceeded(model.ResourceAsset, "", "The .crate file is %d bytes; at most %d are accepted.", c, maxCrate)
	}
	return m, &crateReader{r: body, left: int64(c), size: int64(c)}, nil
}

// readLength reads one u32 little-endian length field.
func readLength(body io.Reader, what string) (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(body, b[:]); err != nil {
		return 0, bodyErr(err, "The publish body is truncated: it ends before "+what+".")
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// bodyErr turns a short read into the client's error msg, keeping other
// read failures (a connection reset) as they are.
func bodyErr(err error, msg string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return model.InvalidParameter("%s", msg)
	}
	return fmt.Errorf("read publish body: %w", err)
}

// crateReader reads exactly size bytes of a body, then checks the body
// ends there. Its err, once set, says how the framing lied.
type crateReader struct {
	r          io.Reader
	left, size int64
	err        error
}

func (c *crateReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left == 0 {
		var one [1]byte
		n, err := io.ReadFull(c.r, one[:])
		switch {
		case n > 0:
			c.err = model.InvalidParameter("The publish body goes on after the %d bytes its .crate length declares.", c.size)
		case errors.Is(err, io.EOF):
			return 0, io.EOF
		default:
			c.err = fmt.Errorf("read publish body: %w", err)
		}
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if errors.Is(err, io.EOF) && c.left > 0 {
		c.err = model.InvalidParameter("The publish body is truncated: its .crate length declares %d bytes but only %d came.", c.size, c.size-c.left)
		return n, c.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = bodyErr(err, fmt.Sprintf("The publish body is truncated: its .crate length declares %d bytes but only %d came.", c.size, c.size-c.left))
		return n, c.err
	}
	return n, nil
}

// Err returns how the body's framing failed, if it did.
func (c *crateReader) Err() error { return c.err }

// parseMetadata decodes and checks the JSON metadata: the crate's name
// and version, and dependencies and features well formed enough to be
// carried into the index as they are.
func parseMetadata(raw []byte) (*publishMeta, error) {
	var m publishMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, model.InvalidParameter("The publish metadata is not a valid JSON object: %v.", err)
	}
	if err := model.CheckCrateName(m.Name); err != nil {
		return nil, err
	}
	if _, ok := semver.Parse(m.Vers); !ok {
		return nil, model.InvalidParameter("Version %q of crate %s is not a valid SemVer 2.0 version.", m.Vers, m.Name)
	}
	for i, d := range m.Deps {
		if err := checkDepName(d.Name); err != nil {
			return nil, model.InvalidParameter("Dependency %d of %s: %v", i+1, m.Name, err)
		}
		if d.ExplicitNameInToml != nil {
			if err := checkDepName(*d.ExplicitNameInToml); err != nil {
				return nil, model.InvalidParameter("Dependency %s of %s is renamed: %v", d.Name, m.Name, err)
			}
		}
		if strings.TrimSpace(d.VersionReq) == "" || !printable(d.VersionReq) {
			return nil, model.InvalidParameter("Dependency %s of %s has no valid version requirement (%q).", d.Name, m.Name, d.VersionReq)
		}
		if d.Kind != nil && *d.Kind != "normal" && *d.Kind != "dev" && *d.Kind != "build" {
			return nil, model.InvalidParameter("Dependency %s of %s has kind %q; it must be normal, dev or build.", d.Name, m.Name, *d.Kind)
		}
		for _, s := range []*string{d.Target, d.Registry} {
			if s != nil && (*s == "" || !printable(*s)) {
				return nil, model.InvalidParameter("Dependency %s of %s has an empty or unprintable target or registry.", d.Name, m.Name)
			}
		}
	}
	for _, fs := range []map[string][]string{m.Features, m.Features2} {
		for f, vs := range fs {
			if f == "" || !printable(f) {
				return nil, model.InvalidParameter("Crate %s declares a feature with an empty or unprintable name.", m.Name)
			}
			for _, v := range vs {
				if v == "" || !printable(v) {
					return nil, model.InvalidParameter("Feature %s of %s enables an empty or unprintable name.", f, m.Name)
				}
			}
		}
	}
	return &m, nil
}

// checkDepName applies Cargo's own rule for package names (any
// alphanumeric, '-' and '_'), not crates.io's: a dependency may come from
// another registry.
func checkDepName(name string) error {
	if name == "" || len(name) > 2*model.MaxCrateName {
		return fmt.Errorf("the crate name %q is empty or too long", name)
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return fmt.Errorf("the crate name %q has a character other than letters, digits, '-' and '_'", name)
		}
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// indexEntry is one line of a crate's index file (the Cargo book's
// "Index files"), less "yanked": that is the version's status, added
// when the file is rendered (see appendLine).
type indexEntry struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []indexDep          `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Features2   map[string][]string `json:"features2,omitempty"`
	Links       *string             `json:"links"`
	V           int                 `json:"v"`
	RustVersion *string             `json:"rust_version,omitempty"`
}

// indexDep is a dependency as the index has it: under the name the
// depending crate uses, with the real crate in Package when renamed.
type indexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry,omitempty"`
	Package         *string  `json:"package,omitempty"`
}

// entry converts the metadata into the crate's index entry, following
// the Cargo book's list of differences between the two: a renamed
// dependency swaps name and package, version_req becomes req, and the
// checksum is the registry's. A dependency's registry is carried as
// cargo sent it (null is this registry, crates.io comes as its index
// URL), except that this registry's own URL, self, becomes null.
func (m *publishMeta) entry(cksum, self string) indexEntry {
	e := indexEntry{Name: m.Name, Vers: m.Vers, Deps: make([]indexDep, 0, len(m.Deps)), Cksum: cksum,
		Features: make(map[string][]string, len(m.Features)), Links: m.Links, V: 1}
	for f, vs := range m.Features {
		if vs == nil {
			vs = []string{}
		}
		e.Features[f] = vs
	}
	if len(m.Features2) > 0 {
		e.Features2, e.V = m.Features2, 2
	}
	if m.RustVersion != nil && *m.RustVersion != "" {
		e.RustVersion = m.RustVersion
	}
	for _, d := range m.Deps {
		x := indexDep{Name: d.Name, Req: d.VersionReq, Features: d.Features, Optional: d.Optional,
			DefaultFeatures: d.DefaultFeatures == nil || *d.DefaultFeatures, Target: d.Target, Kind: "normal", Registry: d.Registry}
		if x.Features == nil {
			x.Features = []string{}
		}
		if d.Kind != nil {
			x.Kind = *d.Kind
		}
		if x.Registry != nil && (*x.Registry == self || *x.Registry == strings.TrimPrefix(self, "sparse+")) {
			x.Registry = nil
		}
		if d.ExplicitNameInToml != nil && *d.ExplicitNameInToml != d.Name {
			real := d.Name
			x.Name, x.Package = *d.ExplicitNameInToml, &real
		}
		e.Deps = append(e.Deps, x)
	}
	return e
}

// marshalEntry encodes an entry on one line, without escaping <, > and
// & (version requirements are full of them).
func marshalEntry(e indexEntry) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encode index entry: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// appendLine appends an index line to dst: the stored entry with the
// version's yanked flag, which is all that may change in a line.
func appendLine(dst, entry []byte, yanked bool) ([]byte, error) {
	entry = bytes.TrimSpace(entry)
	if len(entry) < 2 || entry[0] != '{' || entry[len(entry)-1] != '}' {
		return nil, errors.New("stored index entry is not a JSON object")
	}
	dst = append(dst, entry[:len(entry)-1]...)
	if len(entry) > 2 {
		dst = append(dst, ',')
	}
	if yanked {
		dst = append(dst, `"yanked":true}`...)
	} else {
		dst = append(dst, `"yanked":false}`...)
	}
	return append(dst, '\n'), nil
}

// metadata is what DescribePackageVersion, ListPackageVersionDependencies
// and GetPackageVersionReadme show of the crate. The index entry and a
// readme found only inside the .crate are added once its bytes are read.
func (m *publishMeta) metadata() *service.VersionMetadata {
	md := &service.VersionMetadata{DisplayName: m.Name, Summary: deref(m.Description), HomePage: deref(m.Homepage),
		SourceCodeRepo: deref(m.Repository), Readme: deref(m.Readme)}
	if l := deref(m.License); l != "" {
		md.Licenses = []model.License{{Name: l}}
	}
	for _, d := range m.Deps {
		kind := "normal"
		if d.Kind != nil {
			kind = *d.Kind
		}
		md.Dependencies = append(md.Dependencies, model.Dependency{Package: d.Name, DependencyType: kind, VersionRequirement: d.VersionReq})
	}
	return md
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
