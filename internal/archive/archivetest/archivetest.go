// Package archivetest builds archives for tests: small valid ones, and
// decompression bombs that are cheap to make however large they expand
// (gigabytes of zeros from one compressed mebibyte, repeated).
package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// File is an archive entry for the builders below.
type File struct {
	Name, Body string
}

// addFiles writes files into zw, deflated.
func addFiles(zw *zip.Writer, files []File) {
	for _, f := range files {
		w, err := zw.Create(f.Name)
		if err != nil {
			panic(err)
		}
		io.WriteString(w, f.Body)
	}
}

// Zip returns a zip of files, deflated.
func Zip(files ...File) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	addFiles(zw, files)
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TarGz returns a gzip-compressed tar of regular files.
func TarGz(files ...File) []byte {
	var s Stream
	s.Write(tarOf(files, nil))
	return s.Gzip()
}

// tarOf is the tar of files, ending with a header for big (if any) and
// without the end-of-archive blocks when big is set.
func tarOf(files []File, big *tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Body)), Typeflag: tar.TypeReg}); err != nil {
			panic(err)
		}
		io.WriteString(tw, f.Body)
	}
	if big != nil {
		if err := tw.WriteHeader(big); err != nil {
			panic(err)
		}
		tw.Flush()
		return b.Bytes()
	}
	tw.Close()
	return b.Bytes()
}

// TarGzBomb is a valid gzip-compressed tar of files followed by an entry
// named name holding n zero bytes. It costs about n/1000 bytes.
func TarGzBomb(files []File, name string, n int64) []byte {
	var s Stream
	s.Write(tarOf(files, &tar.Header{Name: name, Mode: 0o644, Size: n, Typeflag: tar.TypeReg}))
	s.Zeros(n)
	// Padding to the block, then the two end-of-archive blocks.
	s.Zeros((512-n%512)%512 + 1024)
	return s.Gzip()
}

// AddZeros adds an entry of n zero bytes to zw, deflated as one stream,
// whose headers declare declared bytes: n for an honest bomb, less for
// one whose central directory lies.
func AddZeros(zw *zip.Writer, name string, n, declared int64) error {
	var s Stream
	s.Zeros(n)
	raw := s.Deflate()
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: s.CRC32(),
		CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(declared)})
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// ZipBomb is a zip of files plus an entry of n zeros (declared honestly).
func ZipBomb(files []File, name string, n int64) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	addFiles(zw, files)
	if err := AddZeros(zw, name, n, n); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Stream builds a raw deflate stream out of parts compressed one by one,
// each ending in a sync flush: such parts concatenate into one valid
// stream, since each refers back only to its own bytes. Zeros(n) repeats
// one compressed mebibyte, so building gigabytes costs little.
type Stream struct {
	out []byte
	n   int64
	crc uint32
}

const mib = 1 << 20

var zeroMiB = make([]byte, mib)

// zeroSegment is one mebibyte of zeros, compressed and flushed.
var zeroSegment = sync.OnceValue(func() []byte { return segment(zeroMiB) })

func segment(p []byte) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(p)
	fw.Flush()
	return b.Bytes()
}

// Write appends p to the stream.
func (s *Stream) Write(p []byte) (int, error) {
	s.out = append(s.out, segment(p)...)
	s.n += int64(len(p))
	s.crc = crc32.Update(s.crc, crc32.IEEETable, p)
	return len(p), nil
}

// Zeros appends n zero bytes.
func (s *Stream) Zeros(n int64) {
	seg := zeroSegment()
	for ; n >= mib; n -= mib {
		s.out = append(s.out, seg...)
		s.n += mib
		s.crc = crc32.Update(s.crc, crc32.IEEETable, zeroMiB)
	}
	if n > 0 {
		s.Write(zeroMiB[:n])
	}
}

// Len is the number of uncompressed bytes so far; CRC32 their checksum.
func (s *Stream) Len() int64    { return s.n }
func (s *Stream) CRC32() uint32 { return s.crc }

// Deflate returns the raw deflate stream, closed by an empty final block.
func (s *Stream) Deflate() []byte {
	return append(append([]byte(nil), s.out...), 0x03, 0x00)
}

// Gzip returns the stream as one gzip member.
func (s *Stream) Gzip() []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	out = append(out, s.Deflate()...)
	out = binary.LittleEndian.AppendUint32(out, s.crc)
	return binary.LittleEndian.AppendUint32(out, uint32(s.n))
}
