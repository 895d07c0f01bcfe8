// Package column is how the SQL metadata stores (SQLite, PostgreSQL) keep
// model values in columns: the encodings and column lists both share, so
// the two cannot drift apart. Dialect-specific SQL stays in each store.
package column

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Nanos is a time as stored: Unix nanoseconds.
func Nanos(t time.Time) int64 { return t.UnixNano() }

// FromNanos reads a stored time, in UTC.
func FromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// LikePrefix escapes s for use as a LIKE prefix pattern with ESCAPE '\'.
func LikePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// StringList is a list of names as stored: a JSON array, never null.
func StringList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// JSONList is a list of structs (licenses, dependencies) as stored: a
// JSON array, "[]" for none.
func JSONList(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// VersionSummary are the columns of a version's summary row.
const VersionSummary = `id, package_id, version, display_name, revision, status, published, origin_type, origin_repository, origin_external`

// Versions are the columns a version is loaded with: the summary, then
// with details summary, home page, source repository, licenses,
// dependencies and readme, then with fmeta the format's own document.
func Versions(details, fmeta bool) string {
	c := VersionSummary
	if details {
		c += `, summary, home_page, source_code_repo, licenses, dependencies, readme`
	}
	if fmeta {
		c += `, format_meta`
	}
	return c
}

// DecodeDetails reads the stored licenses and dependencies into v.
func DecodeDetails(v *model.Version, licenses, dependencies string) error {
	if err := json.Unmarshal([]byte(licenses), &v.Licenses); err != nil {
		return fmt.Errorf("version %d licenses: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(dependencies), &v.Dependencies); err != nil {
		return fmt.Errorf("version %d dependencies: %w", v.ID, err)
	}
	return nil
}
