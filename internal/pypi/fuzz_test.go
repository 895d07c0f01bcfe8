package pypi

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"
)

const fuzzBoundary = "wharf-fuzz-boundary"

func formBody(fields [][2]string, filename, content string) []byte {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.SetBoundary(fuzzBoundary)
	for _, kv := range fields {
		w.WriteField(kv[0], kv[1])
	}
	if filename != "" {
		fw, _ := w.CreateFormFile("content", filename)
		io.WriteString(fw, content)
	}
	w.Close()
	return b.Bytes()
}

// FuzzUploadForm feeds arbitrary multipart bodies through the form reader
// and the upload checks twine's uploads go through. Nothing may panic,
// every refusal is a *formError with a 4xx, and an accepted upload's file
// name cannot name a path.
func FuzzUploadForm(f *testing.F) {
	base := [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", "demo-pkg"}, {"version", "1.0.0"},
		{"filetype", "bdist_wheel"}, {"metadata_version", "2.1"}, {"summary", "s"}, {"requires_dist", "requests (>=2.0); python_version >= \"3.8\""}}
	f.Add(formBody(base, "demo_pkg-1.0.0-py3-none-any.whl", "PK\x03\x04..."))
	f.Add(formBody(base, "../../demo_pkg-1.0.0-py3-none-any.whl", "PK\x03\x04"))
	f.Add(formBody(base, "demo_pkg-1.0.0-py3-none-any.whl\x00.txt", "PK"))
	f.Add(formBody(append(base[:4:4], [2]string{"filetype", "sdist"}), "demo-pkg-1.0.0.tar.gz", "\x1f\x8b"))
	f.Add(formBody([][2]string{{":action", "submit"}}, "", ""))
	f.Add(formBody(nil, "x.whl", "PK"))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + strings.Repeat("a", 100)))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, part, err := readForm(multipart.NewReader(bytes.NewReader(body), fuzzBoundary))
		if err != nil {
			wantFormError(t, err)
			return
		}
		u, err := form.check(part != nil)
		if err != nil {
			wantFormError(t, err)
			return
		}
		if u.filename == "" || u.filename == "." || u.filename == ".." || strings.ContainsAny(u.filename, "/\\\x00") {
			t.Fatalf("accepted file name %q", u.filename)
		}
		if part != nil {
			io.Copy(io.Discard, part)
		}
	})
}

func wantFormError(t *testing.T, err error) {
	t.Helper()
	var fe *formError
	if !errors.As(err, &fe) || fe.status < 400 || fe.status > 499 {
		t.Fatalf("refusal %T %v is not a 4xx form error", err, err)
	}
}

// FuzzRequiresDist and FuzzVersionKey: metadata strings from uploads
// never panic their parsers.
func FuzzRequiresDist(f *testing.F) {
	for _, s := range []string{"requests", "requests (>=2.0)", "a[b,c]>=1; extra == \"x\"", "(", "x ; ;", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { parseRequiresDist(s) })
}

func FuzzVersionKey(f *testing.F) {
	for _, s := range []string{"1.0", "1!2.0.post1.dev3+local.7", "v1.0rc1", "1.0-1", "", "..", "1" + strings.Repeat(".0", 100)} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		versionKey(a)
		if sameVersion(a, b) != sameVersion(b, a) {
			t.Fatalf("sameVersion(%q, %q) is not symmetric", a, b)
		}
	})
}

// FuzzPublicPage feeds arbitrary index answers to the page decoder:
// nothing may panic, and every file it keeps has a sha256, a version and
// a URL on the allowed host.
func FuzzPublicPage(f *testing.F) {
	f.Add([]byte(`<a href="/p/demo-1.0.tar.gz#sha256=` + strings.Repeat("a", 64) + `" data-yanked>demo-1.0.tar.gz</a>`))
	f.Add([]byte(`<A HREF='x' data-requires-python="&gt;=3">demo-1.0-py3-none-any.whl</A><a`))
	f.Add([]byte("<a href=\"\xff\xfeİ\">demo-\xc4\xb0.tar.gz</a>"))
	f.Add([]byte(`{"meta":{"api-version":"1.0"},"files":[{"filename":"demo-1.0.zip","url":"/x","hashes":{"sha256":"` + strings.Repeat("b", 64) + `"},"yanked":"r"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePublicPage("http://idx.example/simple/demo/", "demo", body, []string{"http://idx.example"})
		if err != nil {
			return
		}
		for _, pf := range p.Files {
			if !isSHA256(pf.SHA256) || pf.Version == "" || !strings.HasPrefix(pf.URL, "http://idx.example/") {
				t.Fatalf("kept %+v", pf)
			}
		}
	})
}
