package npm

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// putRequest is a PUT of a packument: a publish when it carries a
// tarball, else a metadata update (deprecate, unpublish of versions).
type putRequest struct {
	doc     *putDoc
	tarball *tarballInfo // nil without a tarball attachment
	dist    distInfo
	sha256  string
	size    int64
}

// readPut reads a PUT body, streaming a tarball attachment through
// inspection and hashing into sp.
func readPut(body io.Reader, sp *spool) (*putRequest, error) {
	p := &putRequest{}
	doc, err := readPutDoc(body, func(name string, data io.Reader) error {
		if p.tarball != nil {
			return model.InvalidParameter("A publish carries exactly one attachment, the package tarball; found a second one, %q.", name)
		}
		if !strings.HasSuffix(name, ".tgz") {
			// Provenance bundles (.sigstore) and anything else cannot be
			// kept, and dropping them silently would fake success.
			return model.InvalidParameter("Attachment %q is not supported: this registry accepts only the package tarball (.tgz); provenance is not supported.", name)
		}
		src := &errRecorder{r: base64.NewDecoder(base64.StdEncoding, data)}
		h := newDistHasher()
		// Large reads keep the spool's writes and the hashing in big
		// chunks; gzip would otherwise pull 4 KiB at a time.
		tee := bufio.NewReaderSize(io.TeeReader(src, io.MultiWriter(sp, h)), 1<<20)
		info, err := inspectTarball(tee)
		if err == nil {
			_, err = io.Copy(io.Discard, tee)
		}
		if src.err != nil {
			var ce base64.CorruptInputError
			if errors.As(src.err, &ce) {
				return model.InvalidParameter("The data of attachment %q is not valid base64.", name)
			}
			return src.err
		}
		if err != nil {
			return err
		}
		if err := sp.Flush(); err != nil {
			return err
		}
		p.tarball, p.sha256, p.size = info, hex.EncodeToString(h.sha256.Sum(nil)), h.n
		p.dist = distInfo{Shasum: hex.EncodeToString(h.sha1.Sum(nil)), Integrity: "sha512-" + base64.StdEncoding.EncodeToString(h.sha512.Sum(nil))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.doc = doc
	return p, nil
}

// distHasher computes the digests a publish needs: SHA-1 and SHA-512
// for npm's dist, SHA-256 to name the blob. Large writes hash SHA-512 on
// a second goroutine, as blob.Hasher does.
type distHasher struct {
	sha1, sha256, sha512 hash.Hash
	n                    int64
}

func newDistHasher() *distHasher {
	return &distHasher{sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
}

func (h *distHasher) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	if len(p) < 64<<10 {
		h.sha512.Write(p)
	} else {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() { h.sha512.Write(p) })
	}
	h.sha1.Write(p)
	h.sha256.Write(p)
	return len(p), nil
}

// errRecorder remembers the first error of its reader other than EOF,
// so a failure can be told apart from what the layers above made of it.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// publication is a validated npm publish.
type publication struct {
	Version  string
	Manifest []byte
	Metadata *service.VersionMetadata
	DistTags map[string]string
}

// str reads a top-level string field.
func (d *putDoc) str(k string) (string, bool) {
	var s string
	raw, ok := d.Fields[k]
	if !ok || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// checkName requires the body to name the package in the URL.
func (d *putDoc) checkName(name pkgName) error {
	got, ok := d.str("name")
	if !ok || got != name.String() {
		return model.InvalidParameter("The packument's name is %q; it must be %q, the package in the URL.", got, name)
	}
	if id, ok := d.Fields["_id"]; ok {
		if s, _ := d.str("_id"); s != name.String() {
			return model.InvalidParameter("The packument's _id is %s; it must be %q.", id, name)
		}
	}
	return nil
}

// versions reads the "versions" object.
func (d *putDoc) versions() (map[string]json.RawMessage, error) {
	var vs map[string]json.RawMessage
	raw, ok := d.Fields["versions"]
	if !ok || json.Unmarshal(raw, &vs) != nil || vs == nil {
		// npm owner and npm star PUT partial documents: say which
		// feature is missing rather than what the document lacks.
		switch {
		case d.Fields["maintainers"] != nil:
			return nil, model.InvalidParameter("npm owner is not supported by this registry; use repository and domain permissions policies.")
		case d.Fields["users"] != nil:
			return nil, model.InvalidParameter("npm star is not supported by this registry.")
		}
		return nil, model.InvalidParameter("The packument must have a \"versions\" object.")
	}
	return vs, nil
}

// publication validates a publish: the body names the package in the
// URL, holds exactly one version and one tarball, and the tarball's
// package.json agrees with both.
func (p *putRequest) publication(name pkgName) (*publication, error) {
	d := p.doc
	if err := d.checkName(name); err != nil {
		return nil, err
	}
	vs, err := d.versions()
	if err != nil {
		return nil, err
	}
	if len(vs) != 1 {
		return nil, model.InvalidParameter("A publish must contain exactly one version; this one has %d.", len(vs))
	}
	var version string
	var raw json.RawMessage
	for version, raw = range vs {
	}
	if !semver.Valid(version) {
		return nil, model.InvalidParameter("Version %q is not a valid SemVer version.", version)
	}
	if len(d.Attachments) != 1 || p.tarball == nil {
		return nil, model.InvalidParameter("A publish must carry the package tarball as its one attachment in _attachments.")
	}
	if a := d.Attachments[0]; a.Length >= 0 && a.Length != p.size {
		return nil, model.InvalidParameter("Attachment %q declares length %d but its data decodes to %d bytes.", a.Name, a.Length, p.size)
	}
	manifest, md, err := buildVersion(name, version, raw, p.tarball, p.dist)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	if rawTags, ok := d.Fields["dist-tags"]; ok {
		if json.Unmarshal(rawTags, &tags) != nil {
			return nil, model.InvalidParameter("\"dist-tags\" must map tag names to version strings.")
		}
	}
	for t, v := range tags {
		if err := checkTag(t); err != nil {
			return nil, err
		}
		if v != version {
			return nil, model.InvalidParameter("dist-tag %q points at %q; a publish may only tag the version it publishes (%s). Use npm dist-tag for other versions.", t, v, version)
		}
	}
	return &publication{Version: version, Manifest: manifest, Metadata: md, DistTags: tags}, nil
}

// checkTag applies npm's rules for dist-tag names: not a version (or a
// range npm would read as one) and safe in a URL.
func checkTag(t string) error {
	if t == "" || len(t) > 128 {
		return model.InvalidParameter("Invalid dist-tag %q: a tag is 1 to 128 characters.", t)
	}
	if semver.Valid(cleanVersion(t)) {
		return model.InvalidParameter("Invalid dist-tag %q: a tag must not be a version.", t)
	}
	if c := t[0]; c >= '0' && c <= '9' || strings.IndexByte("^~<>=*", c) >= 0 {
		return model.InvalidParameter("Invalid dist-tag %q: a tag must not look like a version range.", t)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return model.InvalidParameter("Invalid dist-tag %q: use letters, digits, '-', '.', '_' and '~'.", t)
		}
	}
	return nil
}

// deprecations reads the "deprecated" message of each version in a
// metadata update; "" means not deprecated.
func (p *putRequest) deprecations(name pkgName) (map[string]string, error) {
	vs, err := p.doc.versions()
	if err != nil {
		return nil, err
	}
	if err := p.doc.checkName(name); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vs))
	for v, raw := range vs {
		var m struct {
			Deprecated *json.RawMessage `json:"deprecated"`
		}
		if json.Unmarshal(raw, &m) != nil {
			return nil, model.InvalidParameter("versions[%q] must be an object.", v)
		}
		msg := ""
		if m.Deprecated != nil && string(*m.Deprecated) != "null" {
			if json.Unmarshal(*m.Deprecated, &msg) != nil {
				return nil, model.InvalidParameter("versions[%q].deprecated must be a string.", v)
			}
		}
		out[v] = msg
	}
	return out, nil
}
