package nuget

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/archive"
)

// maxReadmeBytes bounds the readme kept with a version (nuget.org's
// limit is 1 MB).
const maxReadmeBytes = 1 << 20

// refusal is a request the client got wrong: an upload that is not a
// package NuGet can use, a malformed query. It is answered 400 and
// changes nothing.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// isRefusal reports whether err is the client's fault.
func isRefusal(err error) bool {
	var pe *refusal
	return errors.As(err, &pe) || archive.IsRefusal(err)
}

func quote(s string) string { return strconv.Quote(s) }

// nupkg is what a package upload holds for the index: its manifest, the
// manifest's bytes (served as the .nuspec) and its readme.
type nupkg struct {
	Spec   *nuspec
	Nuspec []byte
	Readme string
}

// nupkgLimits bound reading one pushed package: archive's defaults
// (a package may carry large native libraries).
var nupkgLimits = archive.DefaultLimits

// readNupkg reads a .nupkg as NuGet does, bounded by archive's zip
// inspector within lim (bombs, unsafe or duplicate entry names, corrupt or
// ambiguous zips are refused): exactly one .nuspec at the root, named
// after the package id it declares, parsed and validated; the readme
// the manifest names, which must be in the package. Every entry is
// inflated once and its CRC checked.
func readNupkg(r io.ReaderAt, size int64, lim archive.Limits) (*nupkg, error) {
	z, err := archive.OpenZip(r, size, lim)
	if err != nil {
		return nil, fmt.Errorf("the upload is not a valid nupkg: %w", err)
	}
	var specEntry *archive.Entry
	for _, e := range z.Entries {
		if e.IsDir() || strings.Contains(e.Name, "/") || !strings.HasSuffix(strings.ToLower(e.Name), ".nuspec") {
			continue
		}
		if specEntry != nil {
			return nil, refuse("the nupkg has more than one .nuspec at its root (%s and %s)", specEntry.Name, e.Name)
		}
		specEntry = e
	}
	if specEntry == nil {
		return nil, refuse("the nupkg has no .nuspec manifest at its root")
	}
	if specEntry.Size > maxNuspecBytes {
		return nil, refuse("%s is larger than %d bytes", specEntry.Name, maxNuspecBytes)
	}
	out := &nupkg{}
	var readmeEntry *archive.Entry
	readme := func(e *archive.Entry, r io.Reader) error {
		if e.Size > maxReadmeBytes {
			return refuse("the readme %s is larger than %d bytes", e.Name, maxReadmeBytes)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		out.Readme = strings.ToValidUTF8(string(b), string(utf8.RuneError))
		return nil
	}
	err = z.Walk(func(e *archive.Entry, r io.Reader) error {
		switch {
		case e == specEntry:
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			spec, err := parseNuspec(e.Name, b)
			if err != nil {
				return err
			}
			out.Spec, out.Nuspec = spec, b
			if spec.Readme != "" {
				readmeEntry = findEntry(z, spec.Readme)
				if readmeEntry == nil {
					return refuse("%s names readme %s, which the package does not contain", e.Name, spec.Readme)
				}
			}
		case e == readmeEntry:
			return readme(e, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the upload is not a valid nupkg: %w", err)
	}
	spec := out.Spec
	if want := spec.ID + ".nuspec"; !strings.EqualFold(specEntry.Name, want) {
		return nil, refuse("the manifest %s declares package id %s; a package's manifest is named after its id (%s)", specEntry.Name, spec.ID, want)
	}
	if readmeEntry != nil && out.Readme == "" && readmeEntry.Size > 0 {
		// The readme came before the manifest in the file: read it now.
		err := z.Walk(func(e *archive.Entry, r io.Reader) error {
			if e == readmeEntry {
				return readme(e, r)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("the upload is not a valid nupkg: %w", err)
		}
	}
	return out, nil
}

// findEntry finds a file entry by package path. NuGet matches package
// paths case-insensitively (packages are made on Windows too).
func findEntry(z *archive.Zip, name string) *archive.Entry {
	name = strings.TrimPrefix(name, "./")
	for _, e := range z.Entries {
		if !e.IsDir() && strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}
