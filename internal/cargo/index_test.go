package cargo

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

func TestIndexPath(t *testing.T) {
	for name, want := range map[string]string{
		"a": "1/a", "AB": "2/ab", "abc": "3/a/abc", "cargo": "ca/rg/cargo", "Serde_JSON": "se/rd/serde_json", "a-b-": "a-/b-/a-b-",
	} {
		if got := indexPath(name); got != want {
			t.Errorf("indexPath(%q) = %q, want %q", name, got, want)
		}
	}
	tests := []struct {
		path, name string
	}{
		{"1/a", "a"},
		{"2/ab", "ab"},
		{"3/a/abc", "abc"},
		{"ca/rg/cargo", "cargo"},
		{"wh/ar/wharf_b", "wharf_b"},
		{"CA/rg/cargo", ""},   // cargo asks in lowercase only
		{"ca/rg/Cargo", ""},   // so the file's name is lowercase too
		{"3/b/abc", ""},       // wrong directory
		{"2/a", ""},           // wrong tier
		{"ca/rg/cargo/x", ""}, // nothing below a file
		{"3/c/con", ""},       // a name no publish can store
		{"1/_", ""},
		{"cargo", ""},
		{"", ""},
	}
	for _, tt := range tests {
		name, ok := parseIndexPath(tt.path)
		if ok != (tt.name != "") || name != tt.name {
			t.Errorf("parseIndexPath(%q) = %q, %v; want %q", tt.path, name, ok, tt.name)
		}
	}
}

func TestRenderIndex(t *testing.T) {
	at := time.Unix(1700000000, 0)
	v := func(id int64, version string, st model.Status, published time.Time) *model.Version {
		return &model.Version{ID: id, Version: version, Status: st, PublishedTime: published,
			FormatMetadata: []byte(`{"name":"c","vers":"` + version + `"}`)}
	}
	view := &service.PackageView{Package: &model.Package{Key: model.PackageKey{Format: model.FormatCargo, Name: "c"}}, Versions: []*model.Version{
		v(3, "0.3.0", model.StatusPublished, at.Add(2*time.Second)),
		v(1, "1.0.0", model.StatusPublished, at),
		v(2, "0.2.0", model.StatusUnlisted, at),
		v(4, "0.4.0", model.StatusArchived, at.Add(3*time.Second)),
	}}
	got, err := renderIndex(view)
	if err != nil {
		t.Fatal(err)
	}
	// Publish order, not version order; yanked from the status; the
	// archived version absent.
	want := `{"name":"c","vers":"1.0.0","yanked":false}` + "\n" + `{"name":"c","vers":"0.2.0","yanked":true}` + "\n" + `{"name":"c","vers":"0.3.0","yanked":false}` + "\n"
	if string(got) != want {
		t.Fatalf("renderIndex\n got %s\nwant %s", got, want)
	}
	view.Versions = view.Versions[3:]
	if got, err := renderIndex(view); err != nil || len(got) != 0 {
		t.Fatalf("nothing to show rendered %q, %v", got, err)
	}
	view.Versions = []*model.Version{{Version: "9.0.0", Status: model.StatusPublished}}
	if _, err := renderIndex(view); err == nil {
		t.Fatal("a version without an index entry rendered")
	}
}
