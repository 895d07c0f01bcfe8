package pypi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

func view(versions ...*model.Version) *service.PackageView {
	v := &service.PackageView{Package: &model.Package{ID: 7, Key: model.PackageKey{Format: model.FormatPyPI, Name: "wharf-demo"}, Generation: 3},
		Assets: map[int64][]*model.Asset{}}
	for i, ver := range versions {
		ver.ID = int64(i + 1)
		v.Versions = append(v.Versions, ver)
		for _, name := range []string{"wharf_demo-" + ver.Version + "-py3-none-any.whl", "wharf_demo-" + ver.Version + ".tar.gz"} {
			v.Assets[ver.ID] = append(v.Assets[ver.ID], &model.Asset{Name: name, Size: int64(len(name)),
				Hashes:  model.Hashes{SHA256: fmt.Sprintf("%064x", len(name)+i)},
				Created: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)})
		}
	}
	return v
}

func ver(version string, st model.Status, requiresPython string) *model.Version {
	fm, _ := json.Marshal(formatMetadata{RequiresPython: requiresPython})
	return &model.Version{Version: version, Status: st, FormatMetadata: fm}
}

func TestBuildProject(t *testing.T) {
	tests := []struct {
		name     string
		view     *service.PackageView
		versions []string
		files    []string
	}{
		{"published only", view(ver("1.0", model.StatusPublished, ">=3.8"), ver("1.1", model.StatusUnlisted, ""), ver("2.0", model.StatusPublished, "")),
			[]string{"1.0", "2.0"},
			[]string{"wharf_demo-1.0-py3-none-any.whl", "wharf_demo-1.0.tar.gz", "wharf_demo-2.0-py3-none-any.whl", "wharf_demo-2.0.tar.gz"}},
		{"nothing listed", view(ver("1.0", model.StatusUnlisted, "")), nil, nil},
		{"no versions", view(), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := buildProject(tc.view)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, f := range p.Files {
				files = append(files, f.Filename)
			}
			if p.Name != "wharf-demo" || !reflect.DeepEqual(p.Versions, tc.versions) || !reflect.DeepEqual(files, tc.files) {
				t.Fatalf("project = %s %v %v, want %v %v", p.Name, p.Versions, files, tc.versions, tc.files)
			}
		})
	}
	bad := view(&model.Version{Version: "1", Status: model.StatusPublished, FormatMetadata: []byte("{")})
	if _, err := buildProject(bad); err == nil {
		t.Fatal("corrupt format metadata was accepted")
	}
}

func TestRenderProject(t *testing.T) {
	p := &project{Name: "wharf-demo", Versions: []string{"1.0+local"}, Files: []distFile{
		{Filename: "wharf_demo-1.0+local-py3-none-any.whl", Version: "1.0+local", SHA256: strings.Repeat("ab", 32),
			RequiresPython: `>=3.8,<4 "quoted" & more`, Size: 42, Uploaded: time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)},
		{Filename: "wharf_demo-1.0+local.tar.gz", Version: "1.0+local", SHA256: strings.Repeat("cd", 32)},
	}}
	htmlTests := []string{
		`<meta name="pypi:repository-version" content="1.1">`,
		`<title>Links for wharf-demo</title>`,
		`<a href="../../files/wharf-demo/1.0+local/wharf_demo-1.0+local-py3-none-any.whl#sha256=` + strings.Repeat("ab", 32) +
			`" data-requires-python="&gt;=3.8,&lt;4 &#34;quoted&#34; &amp; more">wharf_demo-1.0+local-py3-none-any.whl</a><br/>`,
		// No requires-python: no attribute at all.
		`<a href="../../files/wharf-demo/1.0+local/wharf_demo-1.0+local.tar.gz#sha256=` + strings.Repeat("cd", 32) + `">`,
	}
	h := string(renderProjectHTML(p))
	for _, want := range htmlTests {
		if !strings.Contains(h, want) {
			t.Errorf("HTML page lacks %s:\n%s", want, h)
		}
	}

	var doc map[string]any
	if err := json.Unmarshal(renderProjectJSON(p), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"meta":     map[string]any{"api-version": "1.1"},
		"name":     "wharf-demo",
		"versions": []any{"1.0+local"},
		"files": []any{
			map[string]any{"filename": "wharf_demo-1.0+local-py3-none-any.whl", "url": "../../files/wharf-demo/1.0+local/wharf_demo-1.0+local-py3-none-any.whl",
				"hashes": map[string]any{"sha256": strings.Repeat("ab", 32)}, "requires-python": `>=3.8,<4 "quoted" & more`,
				"size": 42.0, "upload-time": "2024-05-06T07:08:09.123456Z"},
			map[string]any{"filename": "wharf_demo-1.0+local.tar.gz", "url": "../../files/wharf-demo/1.0+local/wharf_demo-1.0+local.tar.gz",
				"hashes": map[string]any{"sha256": strings.Repeat("cd", 32)}, "size": 0.0},
		},
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("JSON page =\n%v\nwant\n%v", doc, want)
	}
	// Specifiers stay readable: no \u003e escapes.
	if j := string(renderProjectJSON(p)); !strings.Contains(j, `">=3.8,<4`) {
		t.Errorf("JSON escapes HTML characters: %s", j)
	}
	// An empty project is still a valid page.
	if j := string(renderProjectJSON(&project{Name: "x"})); !strings.Contains(j, `"versions":[]`) || !strings.Contains(j, `"files":[]`) {
		t.Errorf("empty JSON page: %s", j)
	}
}

func TestFileURLEscapes(t *testing.T) {
	tests := []struct{ name, version, file, want string }{
		{"a", "1.0", "a-1.0.tar.gz", "../../files/a/1.0/a-1.0.tar.gz"},
		{"a", "1!2.0", "a-1!2.0.tar.gz", "../../files/a/1%212.0/a-1%212.0.tar.gz"},
		{"a", "1.0", "a b#?.whl", "../../files/a/1.0/a%20b%23%3F.whl"},
	}
	for _, tc := range tests {
		if got := fileURL(tc.name, tc.version, tc.file); got != tc.want {
			t.Errorf("fileURL(%q, %q, %q) = %q, want %q", tc.name, tc.version, tc.file, got, tc.want)
		}
	}
}

func TestRenderIndex(t *testing.T) {
	names := projectNames([]model.PackageKey{{Name: "zeta"}, {Name: "alpha-beta"}})
	if !reflect.DeepEqual(names, []string{"alpha-beta", "zeta"}) {
		t.Fatalf("names = %v", names)
	}
	if h := string(renderIndexHTML(names)); !strings.Contains(h, `<a href="alpha-beta/">alpha-beta</a><br/>`) || !strings.Contains(h, `<a href="zeta/">zeta</a>`) {
		t.Errorf("HTML index:\n%s", h)
	}
	if j := string(renderIndexJSON(names)); j != `{"meta":{"api-version":"1.1"},"projects":[{"name":"alpha-beta"},{"name":"zeta"}]}`+"\n" {
		t.Errorf("JSON index: %s", j)
	}
	if j := string(renderIndexJSON(nil)); !strings.Contains(j, `"projects":[]`) {
		t.Errorf("empty JSON index: %s", j)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct{ accept, want string }{
		{"", typeTextHTML},
		{"*/*", typeTextHTML},
		{"text/html", typeTextHTML},
		// pip 22.2 and later.
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", typeJSON},
		{"application/vnd.pypi.simple.v1+html", typeHTML},
		{"application/vnd.pypi.simple.latest+json", typeJSON},
		{"application/vnd.pypi.simple.latest+html;q=0.5, text/html;q=0.4", typeHTML},
		{"text/html, application/vnd.pypi.simple.v1+json", typeJSON},
		{"application/vnd.pypi.simple.v1+json;q=0.2, text/html", typeTextHTML},
		{"application/vnd.pypi.simple.v1+json;q=0, */*", typeTextHTML},
		{"application/*", typeJSON},
		{"text/*;q=0.5, application/vnd.pypi.simple.v1+json;q=0.4", typeTextHTML},
		{"application/json", typeTextHTML},
		{"APPLICATION/VND.PYPI.SIMPLE.V1+JSON", typeJSON},
		{"application/vnd.pypi.simple.v1+json;q=bogus", typeJSON},
	}
	for _, tc := range tests {
		if got := negotiate(tc.accept); got != tc.want {
			t.Errorf("negotiate(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}

func TestETagMatch(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`*`, true},
		{`"abcd"`, false},
	}
	for _, tc := range tests {
		if got := endpoint.ETagMatch(tc.header, `"abc"`); got != tc.want {
			t.Errorf("ETagMatch(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
