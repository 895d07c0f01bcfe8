package archive

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"slices"
)

// Record layouts from PKWARE's APPNOTE.TXT.
const (
	sigLocal   = 0x04034b50
	sigCentral = 0x02014b50
	sigEnd     = 0x06054b50
	sigEnd64   = 0x06064b50
	sigLoc64   = 0x07064b50

	localLen   = 30
	centralLen = 46
	endLen     = 22
	end64Len   = 56
	loc64Len   = 20
	maxComment = 0xffff

	flagEncrypted       = 0x1
	flagDataDescriptor  = 0x8
	flagStrongEncrypted = 0x40

	methodStore   = 0
	methodDeflate = 8

	extraZip64       = 0x0001
	extraUnicodePath = 0x7075
)

// Entry is one zip entry as the central directory records it, after its
// local header has been checked against it.
type Entry struct {
	Name   string // as stored; directories end in "/"
	Method uint16
	CRC32  uint32
	Packed int64 // compressed size
	Size   int64 // uncompressed size, as declared (Walk holds it to it)
	header int64 // offset of the local header
	data   int64 // offset of the compressed data
}

// IsDir reports whether the entry is a directory.
func (e *Entry) IsDir() bool { return len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/' }

// Zip is an archive whose structure OpenZip has validated. Entries are in
// central-directory order.
type Zip struct {
	Entries []*Entry
	r       io.ReaderAt
	size    int64
	lim     Limits
}

// ZipFunc sees one entry during Walk; r yields its decompressed bytes.
// fn need not read them all: Walk drains and verifies the rest. An error
// from fn ends the walk and is returned as it is.
type ZipFunc func(e *Entry, r io.Reader) error

// InspectZip is OpenZip then Walk.
func InspectZip(r io.ReaderAt, size int64, lim Limits, fn ZipFunc) (*Zip, error) {
	z, err := OpenZip(r, size, lim)
	if err != nil {
		return nil, err
	}
	if err := z.Walk(fn); err != nil {
		return nil, err
	}
	return z, nil
}

// OpenZip validates a zip archive's structure without decompressing
// anything, so refusals that need no inflating come first and cost
// little: the end record (exactly at the end of the file, no trailing
// bytes; ZIP64 records consistent with it; one disk), a central directory
// exactly where and as long as the end record says, every entry's name
// (safe, and unique unless lim allows), method (stored or deflate),
// encryption (none), declared sizes against lim (per entry, in total, and
// by compression ratio per entry and for the whole file), and each local
// header against its central record (same name, method and sizes: two
// parsers must not see two archives), with no two entries' data
// overlapping (overlap is how non-recursive bombs multiply one
// compressed stream). Refusals are *Error; I/O errors of r are returned
// as they are.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (*Zip, error) {
	d, err := readEnd(r, size)
	if err != nil {
		return nil, err
	}
	if d.records > uint64(lim.MaxEntries) {
		return nil, errf(KindLimit, "it has more than %d entries", lim.MaxEntries)
	}
	if d.records*centralLen > d.dirSize {
		return nil, errf(KindFormat, "its central directory is too small for %d entries", d.records)
	}
	z := &Zip{r: r, size: size, lim: lim, Entries: make([]*Entry, 0, d.records)}
	if err := z.readDirectory(d); err != nil {
		return nil, err
	}
	if err := z.checkLocal(int64(d.dirOffset)); err != nil {
		return nil, err
	}
	return z, nil
}

type directoryEnd struct {
	records, dirSize, dirOffset uint64
}

// readEnd finds the end of central directory record (and its ZIP64
// counterpart) and returns where the central directory is.
func readEnd(r io.ReaderAt, size int64) (*directoryEnd, error) {
	if size < endLen {
		return nil, errf(KindFormat, "it is not a zip archive (too short)")
	}
	tail := min(size, endLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	// The last record whose comment reaches exactly the end of the file.
	at, trailing := -1, false
	for i := len(buf) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != sigEnd {
			continue
		}
		if i+endLen+int(binary.LittleEndian.Uint16(buf[i+20:])) == len(buf) {
			at = i
			break
		}
		trailing = true
	}
	switch {
	case at < 0 && trailing:
		return nil, errf(KindFormat, "it has data after the zip archive's end record")
	case at < 0:
		return nil, errf(KindFormat, "it is not a zip archive (no end of central directory record)")
	}
	e := buf[at:]
	endOff := size - tail + int64(at)
	disk, dirDisk := binary.LittleEndian.Uint16(e[4:]), binary.LittleEndian.Uint16(e[6:])
	onDisk, records := binary.LittleEndian.Uint16(e[8:]), binary.LittleEndian.Uint16(e[10:])
	dirSize, dirOffset := binary.LittleEndian.Uint32(e[12:]), binary.LittleEndian.Uint32(e[16:])
	d := &directoryEnd{records: uint64(records), dirSize: uint64(dirSize), dirOffset: uint64(dirOffset)}
	dirEnd := endOff

	// A ZIP64 locator right before the end record takes over, and the
	// end record's own fields must then agree with it or be saturated:
	// readers that consult only one of them must see one archive.
	var loc [loc64Len]byte
	if endOff >= loc64Len {
		if _, err := r.ReadAt(loc[:], endOff-loc64Len); err != nil {
			return nil, err
		}
	}
	if endOff >= loc64Len && binary.LittleEndian.Uint32(loc[:]) == sigLoc64 {
		locOff := endOff - loc64Len
		end64Off := binary.LittleEndian.Uint64(loc[8:])
		if binary.LittleEndian.Uint32(loc[4:]) != 0 || binary.LittleEndian.Uint32(loc[16:]) > 1 {
			return nil, errf(KindFormat, "it spans several disks")
		}
		if end64Off > uint64(locOff) || uint64(locOff)-end64Off < end64Len {
			return nil, errf(KindFormat, "its ZIP64 end record is not where its locator says")
		}
		var e64 [end64Len]byte
		if _, err := r.ReadAt(e64[:], int64(end64Off)); err != nil {
			return nil, err
		}
		if binary.LittleEndian.Uint32(e64[:]) != sigEnd64 || binary.LittleEndian.Uint64(e64[4:])+12 != uint64(locOff)-end64Off {
			return nil, errf(KindFormat, "its ZIP64 end record is not where its locator says")
		}
		if binary.LittleEndian.Uint32(e64[16:]) != 0 || binary.LittleEndian.Uint32(e64[20:]) != 0 ||
			binary.LittleEndian.Uint64(e64[24:]) != binary.LittleEndian.Uint64(e64[32:]) {
			return nil, errf(KindFormat, "it spans several disks")
		}
		r64, s64, o64 := binary.LittleEndian.Uint64(e64[32:]), binary.LittleEndian.Uint64(e64[40:]), binary.LittleEndian.Uint64(e64[48:])
		if (records != 0xffff && uint64(records) != r64) || (onDisk != 0xffff && uint64(onDisk) != r64) ||
			(dirSize != 0xffffffff && uint64(dirSize) != s64) || (dirOffset != 0xffffffff && uint64(dirOffset) != o64) ||
			(disk != 0xffff && disk != 0) || (dirDisk != 0xffff && dirDisk != 0) {
			return nil, errf(KindFormat, "its end record and ZIP64 end record disagree")
		}
		d.records, d.dirSize, d.dirOffset = r64, s64, o64
		dirEnd = int64(end64Off)
	} else if disk != 0 || dirDisk != 0 || onDisk != records {
		return nil, errf(KindFormat, "it spans several disks")
	}
	// The central directory must end where the end records begin:
	// anything else means bytes before the archive (offsets that some
	// readers correct for and others do not) or a directory that is not
	// where its end record says.
	if d.dirOffset > uint64(dirEnd) || d.dirSize != uint64(dirEnd)-d.dirOffset {
		return nil, errf(KindFormat, "its central directory is not where its end record says")
	}
	return d, nil
}

// readDirectory reads the central directory's records.
func (z *Zip) readDirectory(d *directoryEnd) error {
	br := bufio.NewReaderSize(io.NewSectionReader(z.r, int64(d.dirOffset), int64(d.dirSize)), 64<<10)
	var seen map[string]bool
	if !z.lim.AllowDuplicates {
		seen = make(map[string]bool, d.records)
	}
	var hdr [centralLen]byte
	var total int64
	read := int64(0)
	for range d.records {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return z.dirErr(err)
		}
		if binary.LittleEndian.Uint32(hdr[:]) != sigCentral {
			return errf(KindFormat, "its central directory holds something other than entries")
		}
		flags, method := binary.LittleEndian.Uint16(hdr[8:]), binary.LittleEndian.Uint16(hdr[10:])
		crc := binary.LittleEndian.Uint32(hdr[16:])
		packed, size := uint64(binary.LittleEndian.Uint32(hdr[20:])), uint64(binary.LittleEndian.Uint32(hdr[24:]))
		nameLen, extraLen, commentLen := int(binary.LittleEndian.Uint16(hdr[28:])), int(binary.LittleEndian.Uint16(hdr[30:])), int(binary.LittleEndian.Uint16(hdr[32:]))
		disk := uint32(binary.LittleEndian.Uint16(hdr[34:]))
		offset := uint64(binary.LittleEndian.Uint32(hdr[42:]))
		rest := make([]byte, nameLen+extraLen)
		if _, err := io.ReadFull(br, rest); err != nil {
			return z.dirErr(err)
		}
		if _, err := br.Discard(commentLen); err != nil {
			return z.dirErr(err)
		}
		read += int64(centralLen + nameLen + extraLen + commentLen)
		name := string(rest[:nameLen])

		// ZIP64 sizes and offset replace the saturated 32-bit fields, in
		// this order, each only when saturated.
		var unicodePath []byte
		zip64 := false
		for extra := rest[nameLen:]; len(extra) > 0; {
			if len(extra) < 4 || int(binary.LittleEndian.Uint16(extra[2:]))+4 > len(extra) {
				return errf(KindFormat, "entry %q has a malformed extra field", name)
			}
			id, field := binary.LittleEndian.Uint16(extra), extra[4:4+int(binary.LittleEndian.Uint16(extra[2:]))]
			extra = extra[4+len(field):]
			switch id {
			case extraZip64:
				if zip64 {
					return errf(KindFormat, "entry %q has two ZIP64 extra fields", name)
				}
				zip64 = true
				for _, v := range []*uint64{&size, &packed, &offset} {
					if *v != 0xffffffff {
						continue
					}
					if len(field) < 8 {
						return errf(KindFormat, "entry %q has a malformed ZIP64 extra field", name)
					}
					*v, field = binary.LittleEndian.Uint64(field), field[8:]
				}
				if disk == 0xffff && len(field) >= 4 {
					disk = binary.LittleEndian.Uint32(field)
				}
			case extraUnicodePath:
				if unicodePath != nil {
					return errf(KindFormat, "entry %q has two Unicode path extra fields", name)
				}
				if len(field) < 5 {
					return errf(KindFormat, "entry %q has a malformed Unicode path extra field", name)
				}
				unicodePath = field[5:]
			}
		}
		clean, perr := checkName(name)
		if perr != nil {
			return perr
		}
		// Some readers name the entry by this field instead.
		if unicodePath != nil && string(unicodePath) != name {
			return errf(KindFormat, "entry %q carries another name, %q, in its Unicode path field", name, unicodePath)
		}
		if seen != nil {
			if seen[clean] {
				return errf(KindPath, "entry %q appears more than once", name)
			}
			seen[clean] = true
		}
		switch {
		case disk != 0:
			return errf(KindFormat, "it spans several disks")
		case flags&(flagEncrypted|flagStrongEncrypted) != 0:
			return errf(KindFormat, "entry %q is encrypted", name)
		case method != methodStore && method != methodDeflate:
			return errf(KindFormat, "entry %q uses compression method %d; only stored and deflate are accepted", name, method)
		case method == methodStore && packed != size:
			return errf(KindFormat, "stored entry %q has different compressed and uncompressed sizes", name)
		case size > uint64(z.lim.MaxEntrySize):
			return errf(KindLimit, "entry %q is larger than %d bytes", name, z.lim.MaxEntrySize)
		case packed > uint64(z.size) || offset > uint64(z.size):
			return errf(KindFormat, "entry %q lies outside the archive", name)
		}
		if z.lim.overRatio(int64(size), int64(packed)) {
			return errf(KindLimit, "entry %q expands more than %d:1 (%d bytes from %d)", name, z.lim.MaxRatio, size, packed)
		}
		total += int64(size)
		if total > z.lim.MaxUnpacked {
			return errf(KindLimit, "it expands to more than %d bytes", z.lim.MaxUnpacked)
		}
		z.Entries = append(z.Entries, &Entry{Name: name, Method: method, CRC32: crc, Packed: int64(packed), Size: int64(size), header: int64(offset)})
	}
	if read != int64(d.dirSize) {
		return errf(KindFormat, "its central directory is not as long as its end record says")
	}
	if z.lim.overRatio(total, z.size) {
		return errf(KindLimit, "it expands more than %d:1 (%d bytes from %d)", z.lim.MaxRatio, total, z.size)
	}
	return nil
}

func (z *Zip) dirErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errf(KindFormat, "its central directory is cut short")
	}
	return err
}

// checkLocal reads every local header, in file order, against its
// central record.
func (z *Zip) checkLocal(dirOffset int64) error {
	byOffset := slices.Clone(z.Entries)
	slices.SortFunc(byOffset, func(a, b *Entry) int { return cmp.Compare(a.header, b.header) })
	var prev *Entry
	var hdr [localLen]byte
	var buf []byte
	for _, e := range byOffset {
		if prev != nil && prev.data+prev.Packed > e.header {
			return errf(KindFormat, "entries %q and %q overlap", prev.Name, e.Name)
		}
		if e.header+localLen > dirOffset {
			return errf(KindFormat, "entry %q lies outside the archive's data", e.Name)
		}
		if _, err := z.r.ReadAt(hdr[:], e.header); err != nil {
			return z.localErr(e, err)
		}
		if binary.LittleEndian.Uint32(hdr[:]) != sigLocal {
			return errf(KindFormat, "entry %q has no local header where the central directory says", e.Name)
		}
		flags, method := binary.LittleEndian.Uint16(hdr[6:]), binary.LittleEndian.Uint16(hdr[8:])
		crc := binary.LittleEndian.Uint32(hdr[14:])
		packed, size := uint64(binary.LittleEndian.Uint32(hdr[18:])), uint64(binary.LittleEndian.Uint32(hdr[22:]))
		nameLen, extraLen := int(binary.LittleEndian.Uint16(hdr[26:])), int(binary.LittleEndian.Uint16(hdr[28:]))
		buf = slices.Grow(buf[:0], nameLen+extraLen)[:nameLen+extraLen]
		if _, err := z.r.ReadAt(buf, e.header+localLen); err != nil {
			return z.localErr(e, err)
		}
		if !bytes.Equal(buf[:nameLen], []byte(e.Name)) {
			return errf(KindFormat, "entry %q is named %q in its local header", e.Name, buf[:nameLen])
		}
		if method != e.Method || flags&(flagEncrypted|flagStrongEncrypted) != 0 {
			return errf(KindFormat, "entry %q's local header disagrees with the central directory", e.Name)
		}
		if flags&flagDataDescriptor == 0 {
			// Sizes are in the local header too; streaming readers use
			// them, so they must be the same.
			if packed == 0xffffffff || size == 0xffffffff {
				for extra := buf[nameLen:]; len(extra) >= 4; {
					n := int(binary.LittleEndian.Uint16(extra[2:]))
					if n+4 > len(extra) {
						break
					}
					if binary.LittleEndian.Uint16(extra) == extraZip64 && n >= 16 {
						size, packed = binary.LittleEndian.Uint64(extra[4:]), binary.LittleEndian.Uint64(extra[12:])
						break
					}
					extra = extra[4+n:]
				}
			}
			if crc != e.CRC32 || packed != uint64(e.Packed) || size != uint64(e.Size) {
				return errf(KindFormat, "entry %q's local header disagrees with the central directory", e.Name)
			}
		}
		e.data = e.header + localLen + int64(nameLen+extraLen)
		if e.data+e.Packed > dirOffset {
			return errf(KindFormat, "entry %q's data runs into the central directory", e.Name)
		}
		prev = e
	}
	return nil
}

func (z *Zip) localErr(e *Entry, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errf(KindFormat, "entry %q lies outside the archive", e.Name)
	}
	return err
}

// Walk decompresses every entry, in file order, through a reader held to
// the entry's declared size (declared sizes can lie; the limits were
// checked against them) and checks each entry's CRC-32. fn, when not nil,
// sees each entry first. Memory stays bounded: nothing is buffered beyond
// one read buffer and the inflater's window, and the walk stops at the
// first bad entry.
func (z *Zip) Walk(fn ZipFunc) error {
	byOffset := slices.Clone(z.Entries)
	slices.SortFunc(byOffset, func(a, b *Entry) int { return cmp.Compare(a.header, b.header) })
	src := &sourceReader{}
	br := bufio.NewReaderSize(src, 64<<10)
	var inflater io.ReadCloser
	drain := make([]byte, 32<<10)
	for _, e := range byOffset {
		src.reset(io.NewSectionReader(z.r, e.data, e.Packed))
		br.Reset(src)
		var dec io.Reader = br
		if e.Method == methodDeflate {
			if inflater == nil {
				inflater = flate.NewReader(br)
			} else if err := inflater.(flate.Resetter).Reset(br, nil); err != nil {
				return err
			}
			dec = inflater
		}
		er := &entryReader{e: e, r: dec, src: src, left: e.Size, crc: crc32.NewIEEE()}
		if fn != nil {
			if err := fn(e, er); err != nil {
				if er.err != nil {
					return er.err
				}
				return err
			}
		}
		for er.err == nil && !er.done {
			er.Read(drain)
		}
		if er.err != nil {
			return er.err
		}
	}
	return nil
}

// sourceReader keeps the first error of the archive's own reader, so a
// failing disk is not reported as a corrupt entry.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) reset(r io.Reader) { s.r, s.err = r, nil }

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// entryReader yields at most the declared size of an entry, then checks
// that the data ends there and matches its CRC-32.
type entryReader struct {
	e    *Entry
	r    io.Reader
	src  *sourceReader
	left int64
	crc  hash.Hash32
	done bool
	err  error
}

func (er *entryReader) Read(p []byte) (int, error) {
	if er.err != nil {
		return 0, er.err
	}
	if er.done {
		return 0, io.EOF
	}
	if er.left == 0 {
		// Declared size reached: the data must end here.
		var one [1]byte
		n, err := io.ReadFull(er.r, one[:])
		switch {
		case n > 0:
			return 0, er.fail(errf(KindLimit, "entry %q expands past its declared %d bytes", er.e.Name, er.e.Size))
		case errors.Is(err, io.EOF):
		default:
			return 0, er.fail(er.corrupt(err))
		}
		if er.crc.Sum32() != er.e.CRC32 {
			return 0, er.fail(errf(KindFormat, "entry %q fails its CRC-32 check", er.e.Name))
		}
		er.done = true
		return 0, io.EOF
	}
	if int64(len(p)) > er.left {
		p = p[:er.left]
	}
	n, err := er.r.Read(p)
	er.left -= int64(n)
	er.crc.Write(p[:n])
	if err != nil && (!errors.Is(err, io.EOF) || er.left > 0) {
		if errors.Is(err, io.EOF) {
			return n, er.fail(errf(KindFormat, "entry %q is shorter than its declared %d bytes", er.e.Name, er.e.Size))
		}
		return n, er.fail(er.corrupt(err))
	}
	return n, nil
}

func (er *entryReader) fail(err error) error {
	er.err = err
	return err
}

func (er *entryReader) corrupt(err error) error {
	if er.src.err != nil {
		return er.src.err
	}
	return errf(KindFormat, "entry %q is corrupt (%v)", er.e.Name, err)
}
