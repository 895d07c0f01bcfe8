package archive

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
)

// TarFunc sees one tar entry. name is the entry's checked name (without
// a leading "./"); r reads its content, at most h.Size bytes. fn need not
// read it all: the walker skips the rest. An error from fn ends the walk
// and is returned as it is.
type TarFunc func(name string, h *tar.Header, r io.Reader) error

// WalkTarGz reads a gzip-compressed tar stream to its very end under
// lim, calling fn for each entry (fn may be nil). It refuses a stream
// that is not gzip or not tar, is truncated or followed by anything but
// further gzip members, expands past lim (in total, per entry, by ratio,
// by entry count), or holds an unsafe name, a link leaving the archive, a
// device or FIFO, or (unless allowed) one name twice. Refusals are
// *Error; fn's errors come back unchanged; nothing else but r's own
// read errors.
//
// Reading to the end matters to callers that tee r into a hash or a
// store: every byte passes through.
func WalkTarGz(r io.Reader, lim Limits, fn TarFunc) error {
	packed := &countingReader{r: r}
	gz, err := gzip.NewReader(packed)
	if err != nil {
		if packed.err != nil {
			return packed.err
		}
		return errf(KindFormat, "it is not gzip-compressed (%v)", err)
	}
	unpacked := NewLimitedCounter(gz, lim.MaxUnpacked)
	w := &tarWalk{lim: lim, packed: packed, unpacked: unpacked}
	tr := tar.NewReader(&ratioGuard{w: w})
	var seen map[string]bool
	if !lim.AllowDuplicates {
		seen = map[string]bool{}
	}
	var declared int64
	entries := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return w.fail(err)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			// git archive's pax_global_header: metadata, not an entry.
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return errf(KindPath, "entry %q is a device or FIFO, which a package cannot hold", h.Name)
		}
		entries++
		if entries > lim.MaxEntries {
			return errf(KindLimit, "it has more than %d entries", lim.MaxEntries)
		}
		name, perr := checkName(h.Name)
		if perr != nil {
			return perr
		}
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			target := h.Linkname
			if h.Typeflag == tar.TypeLink {
				// Hard links name another entry from the archive's root.
				if _, lerr := checkName(target); lerr != nil {
					return errf(KindPath, "link %q points outside the archive (to %q)", h.Name, target)
				}
			} else if lerr := checkLink(name, target); lerr != nil {
				return lerr
			}
		}
		if h.Size < 0 || h.Size > lim.MaxEntrySize {
			return errf(KindLimit, "entry %q is larger than %d bytes", name, lim.MaxEntrySize)
		}
		// Sparse entries unpack to their declared size from a few bytes,
		// so the declared sizes are bounded too, not just the stream.
		declared += h.Size
		if declared > lim.MaxUnpacked {
			return errf(KindLimit, "it expands to more than %d bytes", lim.MaxUnpacked)
		}
		if seen != nil && h.Typeflag != tar.TypeDir {
			if seen[name] {
				return errf(KindPath, "entry %q appears more than once", name)
			}
			seen[name] = true
		}
		if fn != nil {
			er := &countingReader{r: tr}
			if err := fn(name, h, er); err != nil {
				// fn may have met (and wrapped) a refusal, a corrupt
				// stream or a source failure while reading: that is the
				// cause.
				if er.err != nil {
					return w.fail(er.err)
				}
				if cause := w.cause(); cause != nil {
					return cause
				}
				return err
			}
		}
	}
	// The rest of the gzip stream (tar padding, the trailer with its
	// CRC) must be intact too, and nothing may follow it.
	if _, err := io.Copy(io.Discard, &ratioGuard{w: w}); err != nil {
		return w.fail(err)
	}
	return nil
}

type tarWalk struct {
	lim      Limits
	packed   *countingReader
	unpacked *LimitedCounter
	err      *Error // a limit hit while reading, for whatever reported it
}

// cause is the refusal or source failure met while reading, if any.
func (w *tarWalk) cause() error {
	switch {
	case w.err != nil:
		return w.err
	case w.unpacked.Exceeded():
		return errf(KindLimit, "it expands to more than %d bytes", w.lim.MaxUnpacked)
	case w.packed.err != nil:
		// The source failed (a cut connection, say): not the archive's
		// fault, and the caller knows better what it means.
		return w.packed.err
	}
	return nil
}

// fail turns a read error into the refusal it stands for.
func (w *tarWalk) fail(err error) error {
	if cause := w.cause(); cause != nil {
		return cause
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return errf(KindFormat, "it is not a valid gzip-compressed tar archive (%v)", err)
}

// ratioGuard fails reads once the stream has expanded more than the
// ratio allows.
type ratioGuard struct{ w *tarWalk }

func (g *ratioGuard) Read(p []byte) (int, error) {
	n, err := g.w.unpacked.Read(p)
	if g.w.lim.overRatio(g.w.unpacked.N, g.w.packed.n) {
		g.w.err = errf(KindLimit, "it expands more than %d:1 (%d bytes from the first %d)", g.w.lim.MaxRatio, g.w.unpacked.N, g.w.packed.n)
		return n, g.w.err
	}
	return n, err
}

// countingReader counts bytes and keeps the first error that is not EOF.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}
