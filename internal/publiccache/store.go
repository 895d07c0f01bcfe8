package publiccache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// On disk, each document is one file named by the SHA-256 of its key,
// under a directory named by the name's first two hex digits:
//
//	{"v":1,"key":"...","etag":"...","lastModified":"...","size":N,"crc32c":N}\n
//	<N bytes of the document as the registry sent it>
//
// The header names the key (a file is only ever served for its own key)
// and checks the body, so a torn or damaged file is noticed and ignored.
// The file's modification time is when the registry last gave or
// confirmed the document: a 304 only touches it. Files are written to a
// temporary name and renamed, owner-only (0600 in 0700 directories); they
// are not synced, since a file lost in a crash is fetched again.

const fileVersion = 1

// maxHeader bounds the header line read back (keys are short).
const maxHeader = 64 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type fileHeader struct {
	V            int    `json:"v"`
	Key          string `json:"key"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Size         int64  `json:"size"`
	CRC          uint32 `json:"crc32c"`
}

// stored is what a file says besides the document.
type stored struct {
	fetched    time.Time
	validators Validators
	bodySize   int64
}

func filePath(dir string, name [sha256.Size]byte) string {
	h := hex.EncodeToString(name[:])
	return filepath.Join(dir, h[:2], h)
}

// write stores a document atomically and returns the file's size.
func (c *Cache[T]) write(name [sha256.Size]byte, key string, v Validators, body []byte, at time.Time) (int64, error) {
	path := filePath(c.opts.Dir, name)
	hdr, err := json.Marshal(fileHeader{V: fileVersion, Key: key, ETag: v.ETag, LastModified: v.LastModified,
		Size: int64(len(body)), CRC: crc32.Checksum(body, castagnoli)})
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	_, err = f.Write(append(hdr, '\n'))
	if err == nil {
		_, err = f.Write(body)
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Chtimes(f.Name(), at, at)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, err
	}
	return int64(len(hdr) + 1 + len(body)), nil
}

// load reads key's stored document back and decodes it.
func (c *Cache[T]) load(key string, name [sha256.Size]byte) (T, stored, error) {
	var zero T
	path := filePath(c.opts.Dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, stored{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return zero, stored{}, err
	}
	nl := bytes.IndexByte(b[:min(len(b), maxHeader)], '\n')
	if nl < 0 {
		return zero, stored{}, errors.New("no header")
	}
	var h fileHeader
	if err := json.Unmarshal(b[:nl], &h); err != nil {
		return zero, stored{}, fmt.Errorf("header: %w", err)
	}
	body := b[nl+1:]
	switch {
	case h.V != fileVersion:
		return zero, stored{}, fmt.Errorf("format version %d", h.V)
	case h.Key != key:
		return zero, stored{}, fmt.Errorf("holds key %q", h.Key)
	case int64(len(body)) != h.Size:
		return zero, stored{}, fmt.Errorf("document of %d bytes, header says %d", len(body), h.Size)
	case crc32.Checksum(body, castagnoli) != h.CRC:
		return zero, stored{}, errors.New("checksum mismatch")
	}
	v, err := c.decode(key, body)
	if err != nil {
		return zero, stored{}, fmt.Errorf("decode: %w", err)
	}
	return v, stored{fetched: fi.ModTime(), validators: Validators{ETag: h.ETag, LastModified: h.LastModified}, bodySize: h.Size}, nil
}

// touch marks a stored document as confirmed by the registry at t.
func touch(dir string, name [sha256.Size]byte, t time.Time) {
	os.Chtimes(filePath(dir, name), t, t)
}

func removeFile(dir string, name [sha256.Size]byte) {
	os.Remove(filePath(dir, name))
}

// scanned is a file found by scan.
type scanned struct {
	name  [sha256.Size]byte
	size  int64
	mtime time.Time
}

// scan makes dir (owner-only) and lists the documents an earlier run
// left, oldest first; temporary files of writes that never finished are
// removed, other names are left alone.
func scan(dir string) ([]scanned, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	var out []scanned
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		base := d.Name()
		if strings.Contains(base, ".tmp") {
			os.Remove(path)
			return nil
		}
		raw, err := hex.DecodeString(base)
		if err != nil || len(raw) != sha256.Size || hex.EncodeToString(raw) != base || filepath.Base(filepath.Dir(path)) != base[:2] {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		s := scanned{size: fi.Size(), mtime: fi.ModTime()}
		copy(s.name[:], raw)
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].mtime.Before(out[j].mtime) })
	return out, nil
}

// sourceFile records, in a cache's directory, the registry its documents
// came from.
const sourceFile = "SOURCE"

// checkSource drops the documents in dir when they came from a registry
// other than source, and records source. A directory without the record
// (written before it existed) keeps its documents. An empty source
// checks nothing.
func checkSource(dir, source string, log *slog.Logger) error {
	if source == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dir, sourceFile)
	prev, err := os.ReadFile(p)
	switch {
	case err == nil && string(prev) == source:
		return nil
	case err == nil:
		log.Info("public registry changed: dropping the documents fetched from the former one", "dir", dir, "was", string(prev), "now", source)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() && len(e.Name()) == 2 {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					return err
				}
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(source), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}
