package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// rawEntry is one entry for buildZip, which writes exactly what it is
// told, so tests can make archives no honest writer would.
type rawEntry struct {
	name      string
	localName string // name in the local header; "" means name
	method    uint16
	flags     uint16
	data      []byte // as stored: compressed when method is deflate
	size      int64  // declared uncompressed size
	crc       uint32
	centralOf int // >0: no local header; the central record points at entry centralOf-1's data
	extra     []byte
}

// stored and deflated build honest entries.
func stored(name, body string) rawEntry {
	return rawEntry{name: name, data: []byte(body), size: int64(len(body)), crc: crc32.ChecksumIEEE([]byte(body))}
}

func deflated(name, body string) rawEntry {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write([]byte(body))
	fw.Close()
	return rawEntry{name: name, method: methodDeflate, data: b.Bytes(), size: int64(len(body)), crc: crc32.ChecksumIEEE([]byte(body))}
}

// buildZip writes local headers and data in order, then the central
// directory and the end record.
func buildZip(entries ...rawEntry) []byte {
	var out bytes.Buffer
	offsets := make([]int64, len(entries))
	dataAt := make([]int64, len(entries))
	le16 := func(v uint16) { binary.Write(&out, binary.LittleEndian, v) }
	le32 := func(v uint32) { binary.Write(&out, binary.LittleEndian, v) }
	for i, e := range entries {
		if e.centralOf > 0 {
			continue
		}
		offsets[i] = int64(out.Len())
		ln := e.localName
		if ln == "" {
			ln = e.name
		}
		le32(sigLocal)
		le16(20)
		le16(e.flags)
		le16(e.method)
		le32(0)
		le32(e.crc)
		le32(uint32(len(e.data)))
		le32(uint32(e.size))
		le16(uint16(len(ln)))
		le16(0)
		out.WriteString(ln)
		dataAt[i] = int64(out.Len())
		out.Write(e.data)
	}
	dir := out.Len()
	for i, e := range entries {
		off := offsets[i]
		if e.centralOf > 0 {
			off = dataAt[e.centralOf-1]
		}
		le32(sigCentral)
		le16(20)
		le16(20)
		le16(e.flags)
		le16(e.method)
		le32(0)
		le32(e.crc)
		le32(uint32(len(e.data)))
		le32(uint32(e.size))
		le16(uint16(len(e.name)))
		le16(uint16(len(e.extra)))
		le16(0)
		le16(0)
		le16(0)
		le32(0)
		le32(uint32(off))
		out.WriteString(e.name)
		out.Write(e.extra)
	}
	end := out.Len()
	le32(sigEnd)
	le16(0)
	le16(0)
	le16(uint16(len(entries)))
	le16(uint16(len(entries)))
	le32(uint32(end - dir))
	le32(uint32(dir))
	le16(0)
	return out.Bytes()
}

// localRecord is the local header and data of e, as buildZip writes it.
func localRecord(e rawEntry) []byte {
	b := buildZip(e)
	return b[:localLen+len(e.name)+len(e.data)]
}

// goZip builds an archive with archive/zip: entries deflated with data
// descriptors, as Go and Java write them.
func goZip(t testing.TB, files map[string]string, comment string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if comment != "" {
		zw.SetComment(comment)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wantRefusal checks err is an *Error of kind k whose message has sub.
func wantRefusal(t *testing.T, name string, err error, k Kind, sub string) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) {
		t.Errorf("%s: err = %v (%T), want an *archive.Error", name, err, err)
		return
	}
	if ae.Kind != k || !bytes.Contains([]byte(ae.Msg), []byte(sub)) {
		t.Errorf("%s: err = kind %d %q, want kind %d containing %q", name, ae.Kind, ae.Msg, k, sub)
	}
}
