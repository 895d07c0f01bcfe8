package npm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestInspectTarball(t *testing.T) {
	tgz := makeTgz(t,
		tgzFile{"package/package.json", `{"name":"a","version":"1.0.0"}`},
		tgzFile{"package/readme.txt", "text readme"},
		tgzFile{"package/README.md", "# md readme"},
		tgzFile{"package/docs/README.md", "nested, ignored"},
		tgzFile{"package/npm-shrinkwrap.json", "{}"},
	)
	info, err := inspectTarball(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	if string(info.PackageJSON) != `{"name":"a","version":"1.0.0"}` || info.Readme != "# md readme" || info.ReadmeFile != "README.md" ||
		!info.HasShrinkwrap || info.FileCount != 5 || info.UnpackedSize != int64(30+11+11+15+2) {
		t.Errorf("info = %+v", info)
	}
}

func TestInspectTarballRejects(t *testing.T) {
	valid := pkgTgz(t, "a", "1.0.0")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte("plain text"), "not gzip"},
		{"empty", nil, "not gzip"},
		{"truncated", valid[:len(valid)-10], "Invalid package tarball"},
		{"trailing garbage", append(append([]byte{}, valid...), "junk"...), "Invalid package tarball"},
		{"no package.json", makeTgz(t, tgzFile{"package/index.js", "x"}), "no package/package.json"},
		{"package.json elsewhere", makeTgz(t, tgzFile{"other/package.json", "{}"}), "no package/package.json"},
		{"two package.json", makeTgz(t, tgzFile{"package/package.json", "{}"}, tgzFile{"./package/package.json", "{}"}), "more than once"},
		{"not tar", gzipOf([]byte(strings.Repeat("not a tar header ", 64))), "Invalid package tarball"},
	}
	for _, tt := range tests {
		_, err := inspectTarball(bytes.NewReader(tt.data))
		if !errors.Is(err, model.ErrValidation) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want validation error containing %q", tt.name, err, tt.want)
		}
	}
}

func gzipOf(b []byte) []byte { return newRendered(0, b).gz }
