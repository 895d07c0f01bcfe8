package column

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestEncodings(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 4, time.FixedZone("x", 3600))
	if got := FromNanos(Nanos(at)); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("time round trip: %v", got)
	}
	for in, want := range map[string]string{"a_b": `a\_b%`, `50%\`: `50\%\\%`, "": "%"} {
		if got := LikePrefix(in); got != want {
			t.Errorf("LikePrefix(%q) = %q, want %q", in, got, want)
		}
	}
	if got := StringList(nil); got != "[]" {
		t.Errorf("StringList(nil) = %s", got)
	}
	if got := JSONList([]model.License(nil)); got != "[]" {
		t.Errorf("JSONList(nil) = %s", got)
	}
	var v model.Version
	if err := DecodeDetails(&v, JSONList([]model.License{{Name: "MIT"}}), JSONList([]model.Dependency{{Package: "dep"}})); err != nil || v.Licenses[0].Name != "MIT" || v.Dependencies[0].Package != "dep" {
		t.Errorf("DecodeDetails: %+v, %v", v, err)
	}
	if err := DecodeDetails(&v, "not json", "[]"); err == nil {
		t.Error("DecodeDetails accepted a broken licenses column")
	}
	if got := Versions(true, true); got != VersionSummary+`, summary, home_page, source_code_repo, licenses, dependencies, readme, format_meta` {
		t.Errorf("Versions(true, true) = %s", got)
	}
}
