package pypi

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	"net/textproto"
	"os"
	"strings"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/service"
)

// errNoCoreMetadata is a distribution without the core-metadata file its
// kind must hold.
var errNoCoreMetadata = errors.New("no core metadata")

// distMetadata reads the version metadata of a distribution fetched from
// the public index out of its core-metadata file (a wheel's
// .dist-info/METADATA, an sdist's PKG-INFO), as twine would have sent it
// with an upload: the summary, home page, licence, dependencies and
// readme that ListPackageVersions and DescribePackageVersion show. The
// archive is read within distLimits.
func distMetadata(f *os.File, size int64, filename string) (*service.VersionMetadata, error) {
	var form *uploadForm
	read := func(r io.Reader) error {
		var err error
		form, err = readCoreFields(r)
		return err
	}
	var err error
	switch {
	case strings.HasSuffix(filename, ".whl"):
		err = zipMember(f, size, func(name string) bool {
			dir, base, ok := strings.Cut(name, "/")
			return ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info")
		}, read)
	case strings.HasSuffix(filename, ".tar.gz"):
		err = archive.WalkTarGz(f, distLimits, func(name string, h *tar.Header, r io.Reader) error {
			if _, base, ok := strings.Cut(name, "/"); ok && base == "PKG-INFO" && h.Typeflag == tar.TypeReg && form == nil {
				return read(r)
			}
			return nil
		})
	default:
		err = zipMember(f, size, func(name string) bool {
			_, base, ok := strings.Cut(strings.TrimPrefix(name, "./"), "/")
			return ok && base == "PKG-INFO"
		}, read)
	}
	if err != nil {
		return nil, err
	}
	if form == nil {
		return nil, errNoCoreMetadata
	}
	return form.metadata(form.get("name"))
}

// zipMember calls read with the first entry of a zip that match picks.
func zipMember(r io.ReaderAt, size int64, match func(name string) bool, read func(io.Reader) error) error {
	z, err := archive.OpenZip(r, size, distLimits)
	if err != nil {
		return err
	}
	done := false
	return z.Walk(func(e *archive.Entry, r io.Reader) error {
		if done || e.IsDir() || !match(e.Name) {
			return nil
		}
		done = true
		return read(r)
	})
}

// readCoreFields reads a core-metadata file (RFC 822 headers, repeated
// fields kept, then the description as its body) into the fields an
// upload carries (Requires-Dist is requires_dist, Classifier
// classifiers, Project-URL project_urls), at most maxFormBytes of it.
func readCoreFields(r io.Reader) (*uploadForm, error) {
	br := bufio.NewReader(io.LimitReader(r, maxFormBytes))
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, err
	}
	f := &uploadForm{fields: map[string][]string{}}
	for k, vs := range h {
		name := strings.ReplaceAll(strings.ToLower(k), "-", "_")
		switch name {
		case "classifier":
			name = "classifiers"
		case "project_url":
			name = "project_urls"
		}
		f.fields[name] = vs
	}
	if f.get("description") == "" {
		body, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		if d := strings.TrimSpace(string(body)); d != "" {
			f.fields["description"] = []string{d}
		}
	}
	return f, nil
}
