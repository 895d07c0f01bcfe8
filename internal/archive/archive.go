// Package archive opens uploaded archives under bounds: a gzip+tar stream
// walker (WalkTarGz) and a zip inspector working from an io.ReaderAt
// (OpenZip, InspectZip). Both refuse what a package index should never
// keep: decompression bombs, entries whose names climb out of the
// archive, ambiguous or corrupt structure. Every refusal is an *Error.
//
// Nested archives are not opened: a jar inside a war, or a 42.zip-style
// zip of zips, is one entry's bytes, inflated and bounded like any other.
// Such bombs only explode for a consumer that unpacks recursively, which
// no installer does.
//
// The inspectors (inspect.go) let an upload be judged while it streams to
// storage: a refusal fails the read that feeds the store, so a refused
// upload never commits.
package archive

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// Limits bound what opening one archive may cost. The zero value of a
// field means "no bound" only where noted; use DefaultLimits as the base.
type Limits struct {
	// MaxUnpacked bounds the total uncompressed size: declared sizes
	// summed, and the bytes actually decompressed.
	MaxUnpacked int64
	// MaxEntries bounds the number of entries (and so the memory the
	// zip inspector holds per entry).
	MaxEntries int
	// MaxEntrySize bounds one entry's uncompressed size.
	MaxEntrySize int64
	// MaxRatio bounds uncompressed:compressed once the uncompressed side
	// passes RatioMinSize: per zip entry, and for the whole archive (a
	// gzip stream has no per-entry compressed sizes, so only the whole).
	MaxRatio     int64
	RatioMinSize int64
	// AllowDuplicates accepts two entries of one name. Installers then
	// pick one of them, and a scanner may read the other.
	AllowDuplicates bool
}

// DefaultLimits are the bounds for package uploads.
//
//   - MaxUnpacked 8 GiB: npm's existing bound. The largest real
//     distributions (CUDA wheels, fat jars) unpack to 1-3 GiB, and
//     inflating 8 GiB costs a few seconds of one core at most.
//   - MaxEntries 100,000: big wheels and fat jars hold tens of thousands
//     of files; each entry costs the zip inspector ~100 bytes of memory.
//   - MaxEntrySize 4 GiB: the classic zip limit; no package file needs
//     more in one entry.
//   - MaxRatio 100 past 16 MiB: source and bytecode compress 3-10x and
//     text-heavy data rarely past 20x; deflate's ceiling is ~1032x, where
//     bombs sit. Below 16 MiB any ratio is harmless, so small, very
//     compressible files (zero-filled fixtures) still pass. With it, the
//     work an upload can cause is at most 100x the bytes it sent.
var DefaultLimits = Limits{
	MaxUnpacked:  8 << 30,
	MaxEntries:   100_000,
	MaxEntrySize: 4 << 30,
	MaxRatio:     100,
	RatioMinSize: 16 << 20,
}

// Kind says what is wrong with an archive.
type Kind int

const (
	// KindFormat: not the archive it claims to be, corrupt or ambiguous.
	KindFormat Kind = iota
	// KindLimit: over one of the Limits (a bomb, or just too big).
	KindLimit
	// KindPath: an entry name that is unsafe or repeated.
	KindPath
)

// Error is a refusal. Msg reads as a clause ("entry \"a\" ...") so
// callers can embed it in their own sentence.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// ErrTooLarge is what LimitedCounter's reads fail with past the bound.
var ErrTooLarge = errors.New("archive: uncompressed size over the limit")

// LimitedCounter counts the bytes read through it and fails reads once
// more than Max have passed, so a small compressed stream cannot keep a
// reader decompressing for hours.
type LimitedCounter struct {
	R        io.Reader
	N, Max   int64
	exceeded bool
}

// NewLimitedCounter counts r's bytes, failing past max.
func NewLimitedCounter(r io.Reader, max int64) *LimitedCounter {
	return &LimitedCounter{R: r, Max: max}
}

func (l *LimitedCounter) Read(p []byte) (int, error) {
	n, err := l.R.Read(p)
	l.N += int64(n)
	if l.N > l.Max {
		l.exceeded = true
		return n, fmt.Errorf("uncompressed size over %d bytes: %w", l.Max, ErrTooLarge)
	}
	return n, err
}

// Exceeded reports whether a read went past Max.
func (l *LimitedCounter) Exceeded() bool { return l.exceeded }

// checkName refuses entry names that would land outside the directory an
// archive is unpacked into, or that tools read differently: absolute
// paths (also with a Windows drive or backslashes), ".." segments, NUL
// and other control characters, invalid UTF-8. A leading "./" is
// allowed (tar writes it). It returns the name as installers see it.
func checkName(name string) (string, *Error) {
	bad := func(why string) (string, *Error) {
		return "", errf(KindPath, "entry %q has an unsafe name: %s", name, why)
	}
	if name == "" {
		return bad("it is empty")
	}
	if !utf8.ValidString(name) {
		return bad("it is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return bad("it contains a control character")
		}
	}
	if strings.Contains(name, `\`) {
		return bad("it contains a backslash")
	}
	if strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':') {
		return bad("it is an absolute path")
	}
	clean := name
	for strings.HasPrefix(clean, "./") {
		clean = clean[2:]
	}
	for _, seg := range strings.Split(clean, "/") {
		if seg == ".." {
			return bad("it climbs out of the archive with ..")
		}
	}
	if clean == "" || clean == "." {
		return bad("it names the archive's root")
	}
	return clean, nil
}

// checkLink refuses a link whose target resolves outside the archive.
func checkLink(name, target string) *Error {
	if target == "" || strings.HasPrefix(target, "/") || strings.Contains(target, `\`) || (len(target) >= 2 && target[1] == ':') {
		return errf(KindPath, "link %q points outside the archive (to %q)", name, target)
	}
	// Relative to the link's directory; a clean path starting with ".."
	// leaves the root.
	if p := path.Join(path.Dir(name), target); p == ".." || strings.HasPrefix(p, "../") {
		return errf(KindPath, "link %q points outside the archive (to %q)", name, target)
	}
	return nil
}

// overRatio reports whether unpacked bytes from packed bytes exceed the
// bound.
func (l *Limits) overRatio(unpacked, packed int64) bool {
	if l.MaxRatio <= 0 || unpacked <= l.RatioMinSize {
		return false
	}
	return packed <= 0 || unpacked/l.MaxRatio > packed || (unpacked/l.MaxRatio == packed && unpacked%l.MaxRatio != 0)
}
