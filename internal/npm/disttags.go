package npm

import (
	"context"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// npm's dist-tags are the package's format-owned state in the service:
// tag name to version. The rules below are npm's, run by the service
// inside the transactions that change versions.

// dropTags removes the tags that point at deleted versions, so a client
// never resolves a tag to a version that is gone.
func dropTags(tx service.StateTx, pkgID int64, deleted []string) error {
	tags, err := tx.PackageState(pkgID)
	if err != nil {
		return err
	}
	gone := make(map[string]bool, len(deleted))
	for _, v := range deleted {
		gone[v] = true
	}
	for tag, v := range tags {
		if gone[v] {
			if err := tx.DeletePackageState(pkgID, tag); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyTags copies the source's tags that point at copied versions; they
// overwrite same-named tags in the destination.
func copyTags(tx service.StateTx, from, to int64, copied []string) error {
	tags, err := tx.PackageState(from)
	if err != nil {
		return err
	}
	in := make(map[string]bool, len(copied))
	for _, v := range copied {
		in[v] = true
	}
	for tag, v := range tags {
		if in[v] {
			if err := tx.SetPackageState(to, tag, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// latestTag makes the latest tag the package's default display version.
func latestTag(tags map[string]string) string { return tags["latest"] }

// tagsOf keeps the tags that point at version: what a version fetched
// from a public registry brings along.
func tagsOf(tags map[string]string, version string) map[string]string {
	out := map[string]string{}
	for tag, v := range tags {
		if v == version {
			out[tag] = v
		}
	}
	return out
}

// addDistTag is npm dist-tag add: the tag points at an existing, downloadable
// version.
func addDistTag(ctx context.Context, svc *service.Service, c service.Caller, ref service.PackageRef, tag, version string) error {
	return svc.EditPackageState(ctx, c, ref, func(e *service.StateEdit) error {
		if _, err := e.DownloadableVersion(version); err != nil {
			return err
		}
		return e.Set(tag, version)
	})
}

// removeDistTag is npm dist-tag rm.
func removeDistTag(ctx context.Context, svc *service.Service, c service.Caller, ref service.PackageRef, tag string) error {
	return svc.EditPackageState(ctx, c, ref, func(e *service.StateEdit) error {
		tags, err := e.State()
		if err != nil {
			return err
		}
		if _, ok := tags[tag]; !ok {
			return model.NotFound(model.ResourcePackage, tag, "Dist-tag %s not found on %s", tag, model.DisplayName(e.Package.Key))
		}
		return e.Delete(tag)
	})
}
