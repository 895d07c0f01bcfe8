package archive

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// tgz builds a gzip-compressed tar from headers (content: Linkname is
// reused as the body of regular files, to keep the table short).
func tgz(t testing.TB, hs ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = h.Linkname, ""
			h.Size = int64(len(body))
		}
		if h.Mode == 0 && h.Typeflag != tar.TypeXGlobalHeader {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	var s archivetest.Stream
	s.Write(b.Bytes())
	return s.Gzip()
}

func reg(name, body string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Linkname: body}
}

func walk(b []byte, lim Limits) (map[string]string, error) {
	got := map[string]string{}
	err := WalkTarGz(bytes.NewReader(b), lim, func(name string, h *tar.Header, r io.Reader) error {
		data, err := io.ReadAll(r)
		got[name] = string(data)
		return err
	})
	return got, err
}

func TestWalkTarGzAccepts(t *testing.T) {
	pax := tgz(t, &tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "git"}},
		reg("pkg-1.0/PKG-INFO", "Name: pkg"), &tar.Header{Name: "pkg-1.0/src/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "pkg-1.0/src/link", Typeflag: tar.TypeSymlink, Linkname: "../PKG-INFO"},
		&tar.Header{Name: "pkg-1.0/hard", Typeflag: tar.TypeLink, Linkname: "pkg-1.0/PKG-INFO"})
	twoMembers := append(tgz(t, reg("a", "1")), tgz(t, reg("b", "2"))...)
	dupDirs := tgz(t, &tar.Header{Name: "d/", Typeflag: tar.TypeDir}, &tar.Header{Name: "./d/", Typeflag: tar.TypeDir}, reg("./d/x", "x"))
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want map[string]string
	}{
		{"git archive with links", pax, DefaultLimits, map[string]string{"pkg-1.0/PKG-INFO": "Name: pkg", "pkg-1.0/src/": "", "pkg-1.0/src/link": "", "pkg-1.0/hard": ""}},
		// The first member's end blocks come first; tar stops there and
		// the rest must still be valid gzip.
		{"two gzip members", twoMembers, DefaultLimits, map[string]string{"a": "1"}},
		{"repeated directories, ./ names", dupDirs, DefaultLimits, map[string]string{"d/": "", "d/x": "x"}},
		{"small, very compressible", archivetest.TarGzBomb(nil, "zeros", 15<<20), DefaultLimits, nil},
		{"duplicates when allowed", tgz(t, reg("a", "1"), reg("a", "2")), Limits{MaxUnpacked: 1 << 20, MaxEntries: 2, MaxEntrySize: 10, AllowDuplicates: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(tt.data, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.want {
				if b, ok := got[name]; !ok || b != body {
					t.Errorf("entry %q = %q (seen %v), want %q", name, b, ok, body)
				}
			}
			if tt.want != nil && len(got) != len(tt.want) {
				t.Errorf("saw %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWalkTarGzRefuses(t *testing.T) {
	valid := tgz(t, reg("a/b", "hello"))
	random := make([]byte, 300<<10)
	rand.Read(random)
	var notTar archivetest.Stream
	notTar.Write([]byte(strings.Repeat("not a tar header ", 64)))
	tests := []struct {
		name string
		data []byte
		lim  Limits
		kind Kind
		sub  string
	}{
		{"not gzip", []byte("plain text"), DefaultLimits, KindFormat, "not gzip"},
		{"empty", nil, DefaultLimits, KindFormat, "not gzip"},
		{"gzip, not tar", notTar.Gzip(), DefaultLimits, KindFormat, "not a valid gzip-compressed tar"},
		{"truncated", valid[:len(valid)-10], DefaultLimits, KindFormat, "not a valid"},
		{"trailing garbage", append(append([]byte{}, valid...), "junk"...), DefaultLimits, KindFormat, "not a valid"},
		{"gzip bomb: 1 GiB of zeros", archivetest.TarGzBomb([]archivetest.File{{Name: "a/PKG-INFO", Body: "x"}}, "a/zeros", 1<<30), DefaultLimits, KindLimit, "expands more than 100:1"},
		{"gzip bomb past the total", archivetest.TarGzBomb(nil, "zeros", 2<<20), Limits{MaxUnpacked: 1 << 20, MaxEntries: 10, MaxEntrySize: 4 << 20}, KindLimit, "more than 1048576 bytes"},
		// Declared sizes fit; headers and padding push the stream over.
		{"incompressible past the total", tgz(t, reg("r", string(random))), Limits{MaxUnpacked: int64(len(random)), MaxEntries: 10, MaxEntrySize: 1 << 20}, KindLimit, "more than 307200 bytes"},
		{"entry over the size limit", tgz(t, reg("big", strings.Repeat("x", 100))), Limits{MaxUnpacked: 1 << 20, MaxEntries: 10, MaxEntrySize: 99}, KindLimit, "larger than 99 bytes"},
		{"too many entries", tgz(t, reg("1", ""), reg("2", ""), reg("3", "")), Limits{MaxUnpacked: 1 << 20, MaxEntries: 2, MaxEntrySize: 10}, KindLimit, "more than 2 entries"},
		{"../ traversal", tgz(t, reg("../evil", "x")), DefaultLimits, KindPath, "climbs out"},
		{"nested traversal", tgz(t, reg("a/../../evil", "x")), DefaultLimits, KindPath, "climbs out"},
		{"absolute", tgz(t, reg("/etc/cron.d/x", "x")), DefaultLimits, KindPath, "absolute"},
		{"backslash", tgz(t, reg(`a\..\..\x`, "x")), DefaultLimits, KindPath, "backslash"},
		{"invalid UTF-8", tgz(t, reg("a\xfe", "x")), DefaultLimits, KindPath, "UTF-8"},
		{"symlink out", tgz(t, &tar.Header{Name: "a/link", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"}), DefaultLimits, KindPath, "points outside"},
		{"absolute symlink", tgz(t, &tar.Header{Name: "a/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), DefaultLimits, KindPath, "points outside"},
		{"hard link out", tgz(t, &tar.Header{Name: "a/link", Typeflag: tar.TypeLink, Linkname: "../x"}), DefaultLimits, KindPath, "points outside"},
		{"device", tgz(t, &tar.Header{Name: "a/dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}), DefaultLimits, KindPath, "device"},
		{"duplicate", tgz(t, reg("a", "1"), reg("./a", "2")), DefaultLimits, KindPath, "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := walk(tt.data, tt.lim)
			wantRefusal(t, tt.name, err, tt.kind, tt.sub)
		})
	}
}

// A refusal met while fn reads wins over whatever fn made of it, and a
// failing source is reported as itself.
func TestWalkTarGzCauses(t *testing.T) {
	bomb := archivetest.TarGzBomb(nil, "zeros", 64<<20)
	err := WalkTarGz(bytes.NewReader(bomb), DefaultLimits, func(_ string, _ *tar.Header, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return errors.New("fn's own view: " + err.Error())
	})
	wantRefusal(t, "bomb read by fn", err, KindLimit, "expands more than 100:1")

	boom := errors.New("connection reset")
	valid := tgz(t, reg("a", strings.Repeat("x", 1<<20)))
	err = WalkTarGz(io.MultiReader(bytes.NewReader(valid[:len(valid)/2]), failingReader{boom}), DefaultLimits, nil)
	if !errors.Is(err, boom) || IsRefusal(err) {
		t.Fatalf("failing source: %v, want the source's error", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a": true, "a/b/": true, "./a": true, "a..b": true, "..a/b": true, "a/.../b": true,
		"": false, ".": false, "./": false, "..": false, "a/..": false, "../a": false, "/a": false, "C:a": false,
		`a\b`: false, "a\x00": false, "a\nb": false, "a\x7f": false, "\xc3\x28": false,
	} {
		if _, err := checkName(name); (err == nil) != ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestLimitedCounter(t *testing.T) {
	c := NewLimitedCounter(strings.NewReader(strings.Repeat("x", 100)), 100)
	if n, err := io.Copy(io.Discard, c); n != 100 || err != nil || c.Exceeded() {
		t.Fatalf("at the limit: %d %v exceeded=%v", n, err, c.Exceeded())
	}
	c = NewLimitedCounter(strings.NewReader(strings.Repeat("x", 101)), 100)
	if _, err := io.Copy(io.Discard, c); !errors.Is(err, ErrTooLarge) || !c.Exceeded() || c.N != 101 {
		t.Fatalf("past the limit: %v exceeded=%v n=%d", err, c.Exceeded(), c.N)
	}
}
