package cargo

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// indexPath is where the sparse index keeps a crate's file (the Cargo
// book's "Index files"), from its lowercased name: 1/{n}, 2/{n},
// 3/{first}/{n}, else {n[0:2]}/{n[2:4]}/{n}.
func indexPath(name string) string {
	n := model.NormalizeName(model.FormatCargo, name)
	switch len(n) {
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	default:
		return n[:2] + "/" + n[2:4] + "/" + n
	}
}

// parseIndexPath returns the crate an index path names, lowercase, if
// the path is exactly where indexPath puts it. Names no publish could
// have stored are refused here, before any lookup.
func parseIndexPath(p string) (string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", false
	}
	name := p[i+1:]
	if model.CheckCrateName(name) != nil || indexPath(name) != p {
		return "", false
	}
	return name, true
}

// renderIndex writes a crate's index file: one line per version a client
// may fetch, in publish order, Unlisted ones marked yanked (Decision 8:
// cargo then never picks them for a new resolution, but a Cargo.lock
// that pins one still builds). Archived, Disposed and deleted versions
// are not in view, so not in the file. An empty result means the crate
// has nothing to show.
func renderIndex(view *service.PackageView) ([]byte, error) {
	vs := slices.Clone(view.Versions)
	// Stable: public versions have no published time and keep the
	// order of their registry's file.
	slices.SortStableFunc(vs, func(a, b *model.Version) int {
		return cmp.Or(a.PublishedTime.Compare(b.PublishedTime), cmp.Compare(a.ID, b.ID))
	})
	var out []byte
	for _, v := range vs {
		if !v.Status.Downloadable() {
			continue
		}
		var err error
		if out, err = appendLine(out, v.FormatMetadata, v.Status == model.StatusUnlisted); err != nil {
			return nil, fmt.Errorf("index line of %s %s: %w", model.DisplayName(view.Package.Key), v.Version, err)
		}
	}
	return out, nil
}
