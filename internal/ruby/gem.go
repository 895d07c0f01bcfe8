package ruby

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wharf-dev/wharf/internal/archive"
)

// A .gem is a plain (uncompressed) tar holding metadata.gz (the spec as
// YAML, gzipped), data.tar.gz (the files), checksums.yaml.gz (SHA256 and
// SHA512 of the other two) and, for signed gems, a .sig beside each. Old
// gems carry an uncompressed metadata instead of metadata.gz.

// Bounds on reading one .gem, past what any real gem needs: the metadata
// of the largest gems (thousands of files listed) is a few hundred KB.
const (
	maxGemEntries     = 16
	maxChecksumsBytes = 1 << 20
)

// maxMetadataBytes bounds the metadata's YAML (a variable so tests can
// lower it).
var maxMetadataBytes int64 = 8 << 20

// dataLimits bound data.tar.gz: the upload limits every format uses.
var dataLimits = archive.DefaultLimits

// gemError is an upload that is not a valid gem; the message says why,
// as a clause after "the gem is refused: ".
type gemError struct{ msg string }

func (e *gemError) Error() string { return e.msg }

func badGem(format string, args ...any) error {
	return &gemError{msg: fmt.Sprintf(format, args...)}
}

// isRefusal reports whether an error reading a gem is the gem's fault.
func isRefusal(err error) bool {
	var ge *gemError
	var se *specError
	return errors.As(err, &ge) || errors.As(err, &se)
}

// gemEntries are the entries a gem may hold, besides signatures (the
// same names with .sig).
var gemEntries = map[string]bool{"metadata.gz": true, "metadata": true, "data.tar.gz": true, "checksums.yaml.gz": true}

// sourceReader remembers the first read error of the gem's own source (a
// spooled upload), which is the server's problem, not the gem's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// readGem reads a whole .gem and returns its spec. It refuses (with a
// *gemError or *specError) anything RubyGems would not install: not a
// tar, truncated, an entry that is not a regular file or not part of a
// gem, a name twice, metadata or checksums that do not parse or expand
// past their bounds, a data.tar.gz that is not a sound gzipped tar within
// the upload limits (bombs included), no metadata or no data, and
// checksums that do not match. Other errors are r's own.
func readGem(r io.Reader) (*gemSpec, error) {
	src := &sourceReader{r: r}
	spec, err := walkGem(src)
	if err != nil && src.err != nil {
		return nil, fmt.Errorf("read gem: %w", src.err)
	}
	return spec, err
}

func walkGem(r io.Reader) (*gemSpec, error) {
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	digests := map[string]map[string]string{"SHA256": {}, "SHA512": {}}
	var spec *gemSpec
	var sums map[string]map[string]string
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return nil, badGem("the upload is not a gem: it is empty or not a tar archive")
			}
			break
		}
		if err != nil {
			return nil, tarError(err)
		}
		if n >= maxGemEntries {
			return nil, badGem("the gem has more than %d entries", maxGemEntries)
		}
		name := h.Name
		if h.Typeflag != tar.TypeReg {
			return nil, badGem("the gem's entry %q is not a regular file", name)
		}
		if !gemEntries[name] && !(strings.HasSuffix(name, ".sig") && gemEntries[strings.TrimSuffix(name, ".sig")]) {
			return nil, badGem("the gem holds %q, which is not part of a gem (metadata.gz, data.tar.gz, checksums.yaml.gz and their .sig)", name)
		}
		if seen[name] {
			return nil, badGem("the gem holds %q twice", name)
		}
		seen[name] = true
		h256, h512 := sha256.New(), sha512.New()
		body := io.TeeReader(tr, io.MultiWriter(h256, h512))
		switch name {
		case "metadata.gz", "metadata":
			if spec != nil {
				return nil, badGem("the gem holds both metadata and metadata.gz")
			}
			doc, err := readBounded(body, name, name == "metadata.gz", maxMetadataBytes)
			if err != nil {
				return nil, err
			}
			if spec, err = parseSpec(doc); err != nil {
				return nil, err
			}
		case "data.tar.gz":
			if err := archive.WalkTarGz(body, dataLimits, nil); err != nil {
				if archive.IsRefusal(err) {
					return nil, badGem("its data.tar.gz is refused: %v", err)
				}
				return nil, tarError(err)
			}
		case "checksums.yaml.gz":
			doc, err := readBounded(body, name, true, maxChecksumsBytes)
			if err != nil {
				return nil, err
			}
			if err := yaml.Unmarshal(doc, &sums); err != nil {
				return nil, badGem("its checksums.yaml.gz is not a YAML map of checksums: %v", err)
			}
		}
		// Whatever the reader above left (a signature, gzip padding)
		// still counts towards the digests.
		if _, err := io.Copy(io.Discard, body); err != nil {
			return nil, tarError(err)
		}
		digests["SHA256"][name] = hex.EncodeToString(h256.Sum(nil))
		digests["SHA512"][name] = hex.EncodeToString(h512.Sum(nil))
	}
	if spec == nil {
		return nil, badGem("the gem has no metadata.gz")
	}
	if !seen["data.tar.gz"] {
		return nil, badGem("the gem has no data.tar.gz")
	}
	// RubyGems checks the digests it knows when it installs; a gem that
	// would fail there is refused here.
	for algo, files := range sums {
		known, ok := digests[algo]
		if !ok {
			continue
		}
		for file, want := range files {
			got, ok := known[file]
			if !ok {
				return nil, badGem("its checksums.yaml.gz lists %s, which the gem does not hold", file)
			}
			if !strings.EqualFold(got, want) {
				return nil, badGem("the %s of its %s is %s, not %s as its checksums.yaml.gz says", algo, file, got, want)
			}
		}
	}
	return spec, nil
}

// readBounded reads an entry, gunzipping it when gz is set, failing past
// max bytes of content.
func readBounded(r io.Reader, name string, gz bool, max int64) ([]byte, error) {
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, badGem("its %s is not gzip-compressed: %v", name, err)
		}
		r = zr
	}
	lc := archive.NewLimitedCounter(r, max)
	b, err := io.ReadAll(lc)
	switch {
	case lc.Exceeded():
		return nil, badGem("its %s expands past %d bytes", name, max)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, badGem("its %s is truncated", name)
	case err != nil:
		return nil, badGem("its %s is corrupt: %v", name, err)
	}
	return b, nil
}

// tarError turns a failure of the outer tar stream into its refusal.
func tarError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badGem("the gem is truncated")
	}
	if errors.Is(err, tar.ErrHeader) {
		return badGem("the upload is not a gem: a .gem is a tar archive")
	}
	return badGem("the gem is not a valid tar archive: %v", err)
}
