package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// inspect runs InspectZip over b and returns what fn read of each entry.
func inspect(b []byte, lim Limits) (map[string]string, error) {
	got := map[string]string{}
	_, err := InspectZip(bytes.NewReader(b), int64(len(b)), lim, func(e *Entry, r io.Reader) error {
		data, err := io.ReadAll(r)
		got[e.Name] = string(data)
		return err
	})
	return got, err
}

func TestInspectZipAccepts(t *testing.T) {
	var many bytes.Buffer
	zw := zip.NewWriter(&many)
	for i := range 0x10000 {
		// Stored and empty: 65,536 entries need the ZIP64 end record.
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("d/%05d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	lots := DefaultLimits
	lots.MaxEntries = 0x10000

	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		want    map[string]string
		entries int
	}{
		{"deflated with data descriptors", goZip(t, map[string]string{"a/b.txt": "hello", "c": strings.Repeat("x", 10000)}, ""), DefaultLimits,
			map[string]string{"a/b.txt": "hello", "c": strings.Repeat("x", 10000)}, 2},
		{"with an archive comment", goZip(t, map[string]string{"a": "1"}, "a comment PK\x05\x06 with a fake signature"), DefaultLimits, map[string]string{"a": "1"}, 1},
		{"stored and deflated, no descriptors", buildZip(stored("dir/", ""), stored("dir/s", "stored body"), deflated("dir/d", "deflated body")), DefaultLimits,
			map[string]string{"dir/": "", "dir/s": "stored body", "dir/d": "deflated body"}, 3},
		{"empty archive", goZip(t, nil, ""), DefaultLimits, map[string]string{}, 0},
		{"ZIP64 end record", many.Bytes(), lots, nil, 0x10000},
		// Under RatioMinSize any ratio is fine.
		{"small, very compressible", archivetest.ZipBomb(nil, "zeros", 15<<20), DefaultLimits, nil, 1},
		// Nested archives are bytes: the inner bomb is not opened.
		{"zip holding a zip bomb", archivetest.Zip(archivetest.File{Name: "inner.zip", Body: string(archivetest.ZipBomb(nil, "z", 1<<30))}), DefaultLimits, nil, 1},
		{"duplicates when allowed", buildZip(stored("a", "1"), stored("a", "2")), Limits{MaxUnpacked: 10, MaxEntries: 2, MaxEntrySize: 10, AllowDuplicates: true}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inspect(tt.data, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.entries && !tt.lim.AllowDuplicates {
				t.Fatalf("fn saw %d entries, want %d", len(got), tt.entries)
			}
			for name, body := range tt.want {
				if got[name] != body {
					t.Errorf("entry %q = %.40q, want %.40q", name, got[name], body)
				}
			}
		})
	}
}

func TestInspectZipRefuses(t *testing.T) {
	valid := goZip(t, map[string]string{"a.txt": "hello"}, "")
	liar := func(n, declared int64) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		if err := archivetest.AddZeros(zw, "zeros", n, declared); err != nil {
			t.Fatal(err)
		}
		zw.Close()
		return b.Bytes()
	}
	badCRC := stored("a", "hello")
	badCRC.crc++
	encrypted := stored("a", "x")
	encrypted.flags = flagEncrypted
	bzip2 := stored("a", "x")
	bzip2.method = 12
	renamed := stored("a", "x")
	renamed.localName = "b"
	short := deflated("a", "hello")
	short.size = 10
	// Entry "outer" stores a whole local record of "inner"; a second
	// central record points inside it.
	inner := deflated("inner", strings.Repeat("z", 1000))
	outer := stored("outer", string(localRecord(inner)))
	overlap := inner
	overlap.centralOf = 1
	sameHeader := stored("a", "x")
	aliased := stored("a-again", "x")
	aliased.centralOf = 1
	unicode := stored("a.txt", "x")
	unicode.extra = append([]byte{0x75, 0x70, 15, 0, 1, 0, 0, 0, 0}, "../../evil"...)
	dupZip64 := stored("a", "x")
	dupZip64.extra = []byte{1, 0, 0, 0, 1, 0, 0, 0}
	ratio := Limits{MaxUnpacked: 1 << 30, MaxEntries: 100, MaxEntrySize: 1 << 30, MaxRatio: 5, RatioMinSize: 1000}
	var many []rawEntry
	for i := range 10 {
		many = append(many, deflated(fmt.Sprintf("%d", i), strings.Repeat("0", 900)))
	}
	moreRecords := buildZip(stored("a", "x"))
	moreRecords[len(moreRecords)-12]++ // total records in the end record
	moreRecords[len(moreRecords)-14]++ // records on this disk

	tests := []struct {
		name string
		data []byte
		lim  Limits
		kind Kind
		sub  string
	}{
		{"not a zip", []byte("hello, not a zip at all, just some text"), DefaultLimits, KindFormat, "not a zip archive"},
		{"empty file", nil, DefaultLimits, KindFormat, "not a zip archive"},
		{"truncated", valid[:len(valid)-10], DefaultLimits, KindFormat, "not a zip archive"},
		{"cut in the middle", valid[:len(valid)/2], DefaultLimits, KindFormat, "not a zip archive"},
		{"trailing data", append(append([]byte{}, valid...), "junk"...), DefaultLimits, KindFormat, "data after"},
		{"bytes before the archive", append([]byte("#!/bin/sh\nexit 0\n"), valid...), DefaultLimits, KindFormat, "not where its end record says"},
		{"more records declared than present", moreRecords, DefaultLimits, KindFormat, "central directory"},
		{"bomb: 1 GiB of zeros, declared", archivetest.ZipBomb([]archivetest.File{{Name: "ok", Body: "x"}}, "zeros", 1<<30), DefaultLimits, KindLimit, "expands more than 100:1"},
		{"bomb: 5 GiB of zeros, ZIP64 sizes", archivetest.ZipBomb(nil, "zeros", 5<<30), DefaultLimits, KindLimit, "larger than 4294967296 bytes"},
		{"bomb: 1 GiB of zeros declared as 1 KiB", liar(1<<30, 1<<10), DefaultLimits, KindLimit, "expands past its declared 1024 bytes"},
		{"shorter than declared", buildZip(short), DefaultLimits, KindFormat, "shorter than its declared"},
		{"CRC mismatch", buildZip(badCRC), DefaultLimits, KindFormat, "CRC-32"},
		{"overlapping entries", buildZip(outer, overlap), DefaultLimits, KindFormat, "overlap"},
		{"two central records, one local header", buildZip(sameHeader, aliased), DefaultLimits, KindFormat, "overlap"},
		{"local name differs", buildZip(renamed), DefaultLimits, KindFormat, "in its local header"},
		{"Unicode path field names another file", buildZip(unicode), DefaultLimits, KindFormat, "Unicode path"},
		{"two ZIP64 fields", buildZip(dupZip64), DefaultLimits, KindFormat, "two ZIP64"},
		{"encrypted", buildZip(encrypted), DefaultLimits, KindFormat, "encrypted"},
		{"bzip2", buildZip(bzip2), DefaultLimits, KindFormat, "compression method 12"},
		{"../ traversal", buildZip(stored("../evil", "x")), DefaultLimits, KindPath, "climbs out"},
		{"nested traversal", buildZip(stored("a/../../evil", "x")), DefaultLimits, KindPath, "climbs out"},
		{"absolute path", buildZip(stored("/etc/passwd", "x")), DefaultLimits, KindPath, "absolute"},
		{"drive letter", buildZip(stored("C:/x", "x")), DefaultLimits, KindPath, "absolute"},
		{"backslash", buildZip(stored(`..\evil`, "x")), DefaultLimits, KindPath, "backslash"},
		{"NUL in name", buildZip(stored("a\x00.txt", "x")), DefaultLimits, KindPath, "control character"},
		{"invalid UTF-8 name", buildZip(stored("a\xff", "x")), DefaultLimits, KindPath, "UTF-8"},
		{"duplicate name", buildZip(stored("a", "1"), stored("a", "2")), DefaultLimits, KindPath, "more than once"},
		{"duplicate after ./", buildZip(stored("a", "1"), stored("./a", "2")), DefaultLimits, KindPath, "more than once"},
		{"too many entries", buildZip(stored("1", ""), stored("2", ""), stored("3", "")), Limits{MaxEntries: 2, MaxUnpacked: 1, MaxEntrySize: 1}, KindLimit, "more than 2 entries"},
		{"entry over the size limit", buildZip(stored("a", strings.Repeat("x", 100))), Limits{MaxEntries: 2, MaxUnpacked: 1000, MaxEntrySize: 99}, KindLimit, "larger than 99 bytes"},
		{"total over the limit", buildZip(stored("a", strings.Repeat("x", 60)), stored("b", strings.Repeat("x", 60))), Limits{MaxEntries: 2, MaxUnpacked: 100, MaxEntrySize: 100}, KindLimit, "more than 100 bytes"},
		{"whole archive over the ratio", buildZip(many...), ratio, KindLimit, "expands more than 5:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspect(tt.data, tt.lim)
			wantRefusal(t, tt.name, err, tt.kind, tt.sub)
		})
	}
}

func TestZipWalkVerifiesWhatFnSkips(t *testing.T) {
	e := deflated("a", strings.Repeat("hello ", 1000))
	e.crc++
	b := buildZip(e)
	_, err := InspectZip(bytes.NewReader(b), int64(len(b)), DefaultLimits, func(e *Entry, r io.Reader) error {
		_, err := io.ReadFull(r, make([]byte, 5)) // reads a little, leaves the rest
		return err
	})
	wantRefusal(t, "skipped", err, KindFormat, "CRC-32")

	sentinel := errors.New("stop")
	b = buildZip(stored("a", "x"), stored("b", "y"))
	calls := 0
	_, err = InspectZip(bytes.NewReader(b), int64(len(b)), DefaultLimits, func(*Entry, io.Reader) error { calls++; return sentinel })
	if !errors.Is(err, sentinel) || calls != 1 {
		t.Fatalf("fn's error: %v after %d calls", err, calls)
	}
}

// A failing disk is an I/O error, not a corrupt archive.
func TestZipReaderErrors(t *testing.T) {
	b := goZip(t, map[string]string{"a": strings.Repeat("data ", 1000)}, "")
	boom := errors.New("disk on fire")
	z, err := OpenZip(bytes.NewReader(b), int64(len(b)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	z.r = failing{boom}
	if err := z.Walk(nil); !errors.Is(err, boom) || IsRefusal(err) {
		t.Fatalf("Walk over a failing reader = %v, want the reader's error", err)
	}
	if _, err := OpenZip(failing{boom}, int64(len(b)), DefaultLimits); !errors.Is(err, boom) {
		t.Fatalf("OpenZip over a failing reader = %v", err)
	}
}

type failing struct{ err error }

func (f failing) ReadAt([]byte, int64) (int, error) { return 0, f.err }

func TestEndRecordsDisagree(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := range 0x10000 {
		zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprint(i), Method: zip.Store})
	}
	zw.Close()
	data := b.Bytes()
	lim := DefaultLimits
	lim.MaxEntries = 0x10000
	if _, err := OpenZip(bytes.NewReader(data), int64(len(data)), lim); err != nil {
		t.Fatal(err)
	}
	// The end record's record count, saturated by the writer, now says
	// 1: a reader trusting it would see another archive.
	end := len(data) - endLen
	data[end+10], data[end+11] = 1, 0
	_, err := OpenZip(bytes.NewReader(data), int64(len(data)), lim)
	wantRefusal(t, "disagreeing end records", err, KindFormat, "disagree")
}
