package npm

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

func testView() *service.PackageView {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	v := func(ver string, st model.Status, day int, extra string) *model.Version {
		doc := `{"name":"@s/p","version":"` + ver + `","description":"d` + ver + `","license":"MIT","keywords":["k"],"scripts":{"test":"x"` + extra + `},"dependencies":{"a":"1"},"author":"me","dist":{"shasum":"s` + ver + `","integrity":"i` + ver + `"}}`
		return &model.Version{Version: ver, Status: st, PublishedTime: t0.AddDate(0, 0, day), FormatMetadata: []byte(doc), Readme: "readme " + ver}
	}
	return &service.PackageView{
		Package: &model.Package{ID: 7, Generation: 42, Key: model.PackageKey{Format: model.FormatNpm, Namespace: "s", Name: "p"}},
		Versions: []*model.Version{
			v("1.10.0", model.StatusPublished, 3, `,"postinstall":"y"`),
			v("1.2.0", model.StatusPublished, 1, ""),
			v("2.0.0", model.StatusUnlisted, 4, ""),
			v("2.1.0-beta.1", model.StatusPublished, 5, ""),
			v("0.9.0", model.StatusArchived, 0, ""),
		},
		State: map[string]string{"latest": "2.0.0", "beta": "2.1.0-beta.1", "old": "0.9.0", "stable": "1.2.0"},
	}
}

func TestRenderFull(t *testing.T) {
	n, _ := parseName("@s/p")
	b, err := render(testView(), n, "http://h/npm/d-111122223333/r/", fullDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID       string                     `json:"_id"`
		Rev      string                     `json:"_rev"`
		Name     string                     `json:"name"`
		Tags     map[string]string          `json:"dist-tags"`
		Versions map[string]map[string]any  `json:"versions"`
		Time     map[string]string          `json:"time"`
		Readme   string                     `json:"readme"`
		Desc     string                     `json:"description"`
		Keywords []string                   `json:"keywords"`
		Raw      map[string]json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	// Unlisted and Archived versions are absent; latest, pointing at the
	// Unlisted 2.0.0, falls back to the highest release; "old" goes.
	if doc.ID != "@s/p" || doc.Name != "@s/p" || doc.Rev != "42-0000000000000007" {
		t.Errorf("id %q name %q rev %q", doc.ID, doc.Name, doc.Rev)
	}
	if want := map[string]string{"latest": "1.10.0", "beta": "2.1.0-beta.1", "stable": "1.2.0"}; !reflect.DeepEqual(doc.Tags, want) {
		t.Errorf("dist-tags = %v, want %v", doc.Tags, want)
	}
	if len(doc.Versions) != 3 || doc.Versions["2.0.0"] != nil || doc.Versions["0.9.0"] != nil {
		t.Errorf("versions = %v", keys(doc.Versions))
	}
	dist := doc.Versions["1.2.0"]["dist"].(map[string]any)
	if dist["tarball"] != "http://h/npm/d-111122223333/r/@s/p/-/p-1.2.0.tgz" || dist["shasum"] != "s1.2.0" || dist["integrity"] != "i1.2.0" {
		t.Errorf("dist = %v", dist)
	}
	if doc.Versions["1.2.0"]["scripts"] == nil || doc.Versions["1.2.0"]["author"] != "me" {
		t.Error("full document lost manifest fields")
	}
	wantTime := map[string]string{"created": "2024-01-03T03:04:05.678Z", "modified": "2024-01-07T03:04:05.678Z",
		"1.2.0": "2024-01-03T03:04:05.678Z", "1.10.0": "2024-01-05T03:04:05.678Z", "2.1.0-beta.1": "2024-01-07T03:04:05.678Z"}
	if !reflect.DeepEqual(doc.Time, wantTime) {
		t.Errorf("time = %v\nwant %v", doc.Time, wantTime)
	}
	if doc.Readme != "readme 1.10.0" || doc.Desc != "d1.10.0" || len(doc.Keywords) != 1 {
		t.Errorf("top fields: readme %q description %q keywords %v", doc.Readme, doc.Desc, doc.Keywords)
	}
	// Versions come in SemVer order, as npm view prints them.
	var ordered struct {
		Versions json.RawMessage `json:"versions"`
	}
	json.Unmarshal(b, &ordered)
	dec := json.NewDecoder(bytesReader(ordered.Versions))
	var order []string
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		order = append(order, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if !reflect.DeepEqual(order, []string{"1.2.0", "1.10.0", "2.1.0-beta.1"}) {
		t.Errorf("version order = %v", order)
	}
}

func TestRenderAbbreviated(t *testing.T) {
	n, _ := parseName("@s/p")
	b, err := render(testView(), n, "http://h/r/", abbrevDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if want := []string{"dist-tags", "modified", "name", "versions"}; !reflect.DeepEqual(keys(doc), want) {
		t.Errorf("top-level keys = %v, want %v", keys(doc), want)
	}
	if string(doc["modified"]) != `"2024-01-07T03:04:05.678Z"` {
		t.Errorf("modified = %s", doc["modified"])
	}
	var vs map[string]map[string]any
	json.Unmarshal(doc["versions"], &vs)
	if want := []string{"dependencies", "dist", "hasInstallScript", "name", "version"}; !reflect.DeepEqual(keys(vs["1.10.0"]), want) {
		t.Errorf("1.10.0 keys = %v, want %v", keys(vs["1.10.0"]), want)
	}
	if _, ok := vs["1.2.0"]["hasInstallScript"]; ok {
		t.Error("hasInstallScript set without install scripts")
	}
	if vs["1.2.0"]["dist"].(map[string]any)["tarball"] != "http://h/r/@s/p/-/p-1.2.0.tgz" {
		t.Errorf("dist = %v", vs["1.2.0"]["dist"])
	}
}

func TestEffectiveTags(t *testing.T) {
	vs := func(versions ...string) []*model.Version {
		var out []*model.Version
		for _, v := range versions {
			out = append(out, &model.Version{Version: v})
		}
		return out
	}
	tests := []struct {
		name   string
		stored map[string]string
		listed []*model.Version
		want   map[string]string
	}{
		{"kept", map[string]string{"latest": "1.0.0", "next": "2.0.0-rc.1"}, vs("1.0.0", "1.1.0", "2.0.0-rc.1"), map[string]string{"latest": "1.0.0", "next": "2.0.0-rc.1"}},
		{"latest missing", map[string]string{}, vs("1.0.0", "1.1.0", "2.0.0-rc.1"), map[string]string{"latest": "1.1.0"}},
		{"latest hidden", map[string]string{"latest": "3.0.0", "x": "9.9.9"}, vs("1.0.0", "1.1.0"), map[string]string{"latest": "1.1.0"}},
		{"only prereleases", map[string]string{}, vs("1.0.0-a", "1.0.0-b"), map[string]string{"latest": "1.0.0-b"}},
		{"nothing listed", map[string]string{"latest": "1.0.0"}, nil, map[string]string{}},
	}
	for _, tt := range tests {
		if got := effectiveTags(tt.stored, tt.listed); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRenderEmptyAndForeignManifest(t *testing.T) {
	n, _ := parseName("p")
	view := &service.PackageView{Package: &model.Package{ID: 1, Generation: 1}, Versions: []*model.Version{
		{Version: "1.0.0", Status: model.StatusPublished, PublishedTime: time.Unix(0, 0)}, // no npm manifest
	}}
	b, err := render(view, n, "http://h/", abbrevDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Versions map[string]struct {
			Name, Version string
			Dist          struct{ Tarball string }
		}
	}
	json.Unmarshal(b, &doc)
	if v := doc.Versions["1.0.0"]; v.Name != "p" || v.Version != "1.0.0" || v.Dist.Tarball != "http://h/p/-/p-1.0.0.tgz" {
		t.Errorf("version without manifest = %+v (%s)", v, b)
	}
	// A package with nothing npm can list is not found, as on the public
	// registry, whatever its hidden versions.
	view.Versions = nil
	if b, err := render(view, n, "http://h/", fullDoc); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("empty package = %s, %v; want not found", b, err)
	}
	view.Versions = []*model.Version{{Version: "2.0.0", Status: model.StatusUnlisted}, {Version: "3.0.0", Status: model.StatusArchived}}
	if b, err := render(view, n, "http://h/", abbrevDoc); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("package with only hidden versions = %s, %v; want not found", b, err)
	}
}
