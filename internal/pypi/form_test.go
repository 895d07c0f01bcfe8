package pypi

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/model"
)

// part is one multipart part for the test bodies: a field, or a file when
// filename is set.
type part struct {
	name, filename, value string
}

// multipartBody encodes parts and returns a reader over them, the body and
// its boundary.
func multipartBody(t testing.TB, parts []part) (*multipart.Reader, []byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.value)
	}
	mw.Close()
	return multipart.NewReader(bytes.NewReader(buf.Bytes()), mw.Boundary()), buf.Bytes(), mw.Boundary()
}

const wheelBytes = "PK\x03\x04 the rest of a wheel"

// twineFields is what twine 4 sends before the file, in its order.
func twineFields(extra ...part) []part {
	ps := []part{
		{name: "name", value: "Wharf-Demo"},
		{name: "version", value: "1.0.0"},
		{name: "filetype", value: "bdist_wheel"},
		{name: "pyversion", value: "py3"},
		{name: "metadata_version", value: "2.1"},
		{name: "summary", value: "A demo"},
		{name: "home_page", value: "https://example.test/home"},
		{name: "license", value: "MIT License\n\nPermission is hereby granted..."},
		{name: "description", value: "# Demo\n\nLong text."},
		{name: "requires_dist", value: "requests>=2.0"},
		{name: "requires_dist", value: `click (>=7.0) ; python_version < "4"`},
		{name: "requires_python", value: ">=3.8"},
		{name: "project_urls", value: "Source Code, https://example.test/src"},
		{name: "sha256_digest", value: strings.Repeat("a", 64)},
		{name: "md5_digest", value: strings.Repeat("b", 32)},
		{name: ":action", value: "file_upload"},
		{name: "protocol_version", value: "1"},
	}
	return append(ps, extra...)
}

func content(filename string) part {
	return part{name: "content", filename: filename, value: wheelBytes}
}

// replace returns twine's fields with name set to value ("" drops it).
func replace(name, value string) []part {
	var out []part
	for _, p := range twineFields() {
		if p.name == name {
			if value == "" {
				continue
			}
			p.value = value
		}
		out = append(out, p)
	}
	return out
}

func TestReadFormAndCheck(t *testing.T) {
	const whl = "wharf_demo-1.0.0-py3-none-any.whl"
	tests := []struct {
		name   string
		parts  []part
		status int    // 0: accepted
		errHas string // part of the refusal's message
	}{
		{"twine upload", append(twineFields(), content(whl)), 0, ""},
		{"gpg signature ignored", append(twineFields(part{name: "gpg_signature", filename: whl + ".asc", value: "sig"}), content(whl)), 0, ""},
		{"no file", twineFields(), 400, "Missing file"},
		{"file first", append([]part{content(whl)}, twineFields()...), 400, "must be the last part"},
		{"file before name", append(append(replace("name", ""), content(whl)), part{name: "name", value: "Wharf-Demo"}), 400, "Missing name"},
		{"no action", append(replace(":action", ""), content(whl)), 400, "Missing :action"},
		{"register", append(replace(":action", "submit"), content(whl)), 410, "no longer supported"},
		{"doc upload", append(replace(":action", "doc_upload"), content(whl)), 410, "no longer supported"},
		{"other action", append(replace(":action", "remove_pkg"), content(whl)), 400, "Unsupported :action"},
		{"protocol 2", append(replace("protocol_version", "2"), content(whl)), 400, "protocol_version"},
		{"bad name", append(replace("name", "wharf demo"), content(whl)), 400, "Invalid project name"},
		{"no version", append(replace("version", ""), content(whl)), 400, "Missing version"},
		{"bad version", append(replace("version", "latest"), content(whl)), 400, "PEP 440"},
		{"egg", append(replace("filetype", "bdist_egg"), content(whl)), 400, "unsupported filetype"},
		{"wheel of another project", append(twineFields(), content("other-1.0.0-py3-none-any.whl")), 400, "not for project"},
		{"wheel of another version", append(twineFields(), content("wharf_demo-2.0-py3-none-any.whl")), 400, "not version"},
		{"sdist as wheel", append(twineFields(), content("wharf_demo-1.0.0.tar.gz")), 400, ".whl"},
		{"file part without file name", append(twineFields(), part{name: "content", value: wheelBytes}), 400, "invalid distribution file name"},
		{"bad sha256", append(replace("sha256_digest", "xyz"), content(whl)), 400, "sha256_digest"},
		{"bad md5", append(replace("md5_digest", "12"), content(whl)), 400, "md5_digest"},
		{"bad requires_dist", append(twineFields(part{name: "requires_dist", value: ">=1.0"}), content(whl)), 400, "requires_dist"},
		{"junk after name", append(twineFields(part{name: "requires_dist", value: "requests lots"}), content(whl)), 400, "requires_dist"},
		{"huge field", append(twineFields(part{name: "description", value: strings.Repeat("x", maxFieldBytes+1)}), content(whl)), 400, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mr, _, _ := multipartBody(t, tc.parts)
			f, p, err := readForm(mr)
			var u *upload
			if err == nil {
				u, err = f.check(p != nil)
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if u.name != "Wharf-Demo" || u.version != "1.0.0" || u.filename != whl || u.sha256 != strings.Repeat("a", 64) {
					t.Fatalf("upload = %+v", u)
				}
				got, _ := io.ReadAll(p)
				if string(got) != wheelBytes {
					t.Fatalf("file part = %q", got)
				}
				return
			}
			var fe *formError
			if !errors.As(err, &fe) || fe.status != tc.status || !strings.Contains(fe.msg, tc.errHas) {
				t.Fatalf("err = %v, want %d containing %q", err, tc.status, tc.errHas)
			}
		})
	}
}

func TestMetadataFromForm(t *testing.T) {
	mr, _, _ := multipartBody(t, append(twineFields(part{name: "classifiers", value: "License :: OSI Approved :: MIT License"}), content("wharf_demo-1.0.0-py3-none-any.whl")))
	f, p, err := readForm(mr)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.check(p != nil)
	if err != nil {
		t.Fatal(err)
	}
	m := u.meta
	if m.DisplayName != "Wharf-Demo" || m.Summary != "A demo" || m.HomePage != "https://example.test/home" ||
		m.SourceCodeRepo != "https://example.test/src" || m.Readme != "# Demo\n\nLong text." {
		t.Fatalf("metadata = %+v", m)
	}
	// The License field holds a whole text; its first line names it.
	if !reflect.DeepEqual(m.Licenses, []model.License{{Name: "MIT License"}}) {
		t.Fatalf("licenses = %+v", m.Licenses)
	}
	want := []model.Dependency{
		{Package: "requests", DependencyType: "Requires-Dist", VersionRequirement: ">=2.0"},
		{Package: "click", DependencyType: "Requires-Dist", VersionRequirement: `>=7.0; python_version < "4"`},
	}
	if !reflect.DeepEqual(m.Dependencies, want) {
		t.Fatalf("dependencies = %+v", m.Dependencies)
	}
	var fm formatMetadata
	if err := json.Unmarshal(m.FormatMetadata, &fm); err != nil || fm.RequiresPython != ">=3.8" || fm.MetadataVersion != "2.1" {
		t.Fatalf("format metadata = %s (%v)", m.FormatMetadata, err)
	}
}

func TestLicense(t *testing.T) {
	tests := []struct {
		fields map[string][]string
		want   string
	}{
		{map[string][]string{"license_expression": {"Apache-2.0"}, "license": {"MIT"}}, "Apache-2.0"},
		{map[string][]string{"license": {"BSD-3-Clause"}}, "BSD-3-Clause"},
		{map[string][]string{"license": {"UNKNOWN"}, "classifiers": {"Topic :: X", "License :: OSI Approved :: Apache Software License"}}, "Apache Software License"},
		{map[string][]string{}, ""},
	}
	for _, tc := range tests {
		if got := license(&uploadForm{fields: tc.fields}); got != tc.want {
			t.Errorf("license(%v) = %q, want %q", tc.fields, got, tc.want)
		}
	}
}

func TestParseRequiresDist(t *testing.T) {
	tests := []struct {
		in       string
		pkg, req string
		bad      bool
	}{
		{in: "requests", pkg: "requests"},
		{in: "Requests_OAuthLib>=1.0,<2", pkg: "requests-oauthlib", req: ">=1.0,<2"},
		{in: "requests[security,socks] (>=2.8.1) ; extra == 'security'", pkg: "requests", req: ">=2.8.1; extra == 'security'"},
		{in: "pywin32 ; sys_platform == 'win32'", pkg: "pywin32", req: "; sys_platform == 'win32'"},
		{in: "pip @ https://example.test/pip-1.0.zip", pkg: "pip", req: "@ https://example.test/pip-1.0.zip"},
		{in: "pip @ https://example.test/p.zip;v=1 ; python_version >= '3'", pkg: "pip", req: "@ https://example.test/p.zip;v=1; python_version >= '3'"},
		{in: "  zope.interface   ~= 5.0  ", pkg: "zope-interface", req: "~= 5.0"},
		{in: ">=1.0", bad: true},
		{in: "", bad: true},
		{in: "requests (>=2.0", bad: true},
		{in: "requests 2.0", bad: true},
	}
	for _, tc := range tests {
		d, err := parseRequiresDist(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseRequiresDist(%q) = %+v, want an error", tc.in, d)
			}
			continue
		}
		if err != nil || d.Package != tc.pkg || d.VersionRequirement != tc.req || d.DependencyType != "Requires-Dist" {
			t.Errorf("parseRequiresDist(%q) = %+v, %v; want %s %q", tc.in, d, err, tc.pkg, tc.req)
		}
	}
}

// errReader fails after its data, as a connection cut mid-upload does.
type errReader struct{ data []byte }

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestContentReader(t *testing.T) {
	md5hex := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	tests := []struct {
		name     string
		filename string
		file     string
		after    []part // parts following the file
		sha, md5 string
		truncate int  // bytes cut from the end of the body
		inspect  bool // judge the content as newInspector does
		errHas   string
	}{
		{name: "wheel", filename: "a-1-py3-none-any.whl", file: wheelBytes},
		{name: "sdist", filename: "a-1.tar.gz", file: "\x1f\x8b\x08 gzip"},
		{name: "empty", filename: "a-1.tar.gz", file: "", errHas: "empty"},
		{name: "too short", filename: "a-1-py3-none-any.whl", file: "PK", errHas: "too short"},
		{name: "not a zip", filename: "a-1-py3-none-any.whl", file: "\x1f\x8b gzip", errHas: "zip archive"},
		{name: "not gzip", filename: "a-1.tar.gz", file: "PK\x03\x04", errHas: "gzip archive"},
		{name: "md5 ok", filename: "a-1-py3-none-any.whl", file: wheelBytes, md5: md5hex(wheelBytes)},
		{name: "md5 wrong", filename: "a-1-py3-none-any.whl", file: wheelBytes, md5: md5hex("other"), errHas: "MD5"},
		// With a SHA256 the blob store verifies; MD5 is not checked twice.
		{name: "md5 wrong but sha given", filename: "a-1-py3-none-any.whl", file: wheelBytes, md5: md5hex("other"), sha: strings.Repeat("a", 64)},
		{name: "field after file", filename: "a-1-py3-none-any.whl", file: wheelBytes, after: []part{{name: "comment", value: "late"}}, errHas: "must be the last part"},
		{name: "truncated", filename: "a-1-py3-none-any.whl", file: wheelBytes, truncate: 10, errHas: "truncated"},
		{name: "inspected wheel", filename: "a-1-py3-none-any.whl", file: string(archivetest.Zip(wheelFiles("a", "1", "x")...)), inspect: true},
		{name: "inspected sdist", filename: "a-1.tar.gz", file: string(archivetest.TarGz(sdistFiles("a-1", "a", "1", "x")...)), inspect: true},
		{name: "inspected zip sdist", filename: "a-1.zip", file: string(archivetest.Zip(sdistFiles("a-1", "a", "1", "x")...)), inspect: true},
		{name: "zip bomb", filename: "a-1-py3-none-any.whl", file: string(archivetest.ZipBomb(wheelFiles("a", "1", "x"), "a/z", 1<<30)), inspect: true,
			errHas: `The file is not a valid distribution: entry "a/z" expands more than 100:1`},
		{name: "gzip bomb", filename: "a-1.tar.gz", file: string(archivetest.TarGzBomb(sdistFiles("a-1", "a", "1", "x"), "a-1/z", 1<<30)), inspect: true, errHas: "expands more than 100:1"},
		{name: "wheel of another project", filename: "a-1-py3-none-any.whl", file: string(archivetest.Zip(wheelFiles("b", "1", "x")...)), inspect: true, errHas: "is not for a 1"},
		// The cheap checks answer first.
		{name: "md5 wrong, then inspected", filename: "a-1-py3-none-any.whl", file: string(archivetest.Zip(wheelFiles("b", "1", "x")...)), md5: md5hex("other"), inspect: true, errHas: "MD5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts := append([]part{{name: "name", value: "a"}, {name: "content", filename: tc.filename, value: tc.file}}, tc.after...)
			_, body, boundary := multipartBody(t, parts)
			var src io.Reader = bytes.NewReader(body)
			if tc.truncate > 0 {
				src = &errReader{data: body[:len(body)-tc.truncate]}
			}
			mr := multipart.NewReader(src, boundary)
			f, p, err := readForm(mr)
			if err != nil || p == nil || f.get("name") != "a" {
				t.Fatalf("readForm: %v %v", err, p)
			}
			u := &upload{name: "a", version: "1", filetype: fileSdist, filename: tc.filename, sha256: tc.sha, md5: tc.md5}
			if strings.HasSuffix(tc.filename, ".whl") {
				u.filetype = fileWheel
			}
			var insp archive.Inspector
			if tc.inspect {
				insp = newInspector(u, t.TempDir())
				defer insp.Close()
			}
			cr := newContentReader(p, mr, u, insp)
			got, err := io.ReadAll(cr)
			if tc.errHas == "" {
				if err != nil || string(got) != tc.file || cr.err != nil {
					t.Fatalf("read %q, %v; want %q", got, err, tc.file)
				}
				return
			}
			if err == nil || cr.err == nil || cr.err.status != http.StatusBadRequest || !strings.Contains(cr.err.msg, tc.errHas) {
				t.Fatalf("err = %v (kept %v), want 400 containing %q", err, cr.err, tc.errHas)
			}
			// A failed read stays failed.
			if n, err2 := cr.Read(make([]byte, 8)); n != 0 || err2 == nil {
				t.Fatalf("read after failure = %d, %v", n, err2)
			}
		})
	}
}
