package console

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// op is one action the console offers on versions.
type op struct {
	Name    string // form value
	Verb    string // button text
	Explain string // what the confirmation page says it does
	Danger  bool
	// Operation is the API operation it is, naming its audit event.
	Operation string
}

var ops = map[string]op{
	"unlist":  {"unlist", "Unlist", "Unlisted versions stay downloadable by exact version but package managers no longer list them.", false, "UpdatePackageVersionsStatus"},
	"archive": {"archive", "Archive", "Archived versions can no longer be downloaded or listed by package managers; they can be restored.", false, "UpdatePackageVersionsStatus"},
	"publish": {"publish", "Publish", "The versions become Published again: listed and downloadable.", false, "UpdatePackageVersionsStatus"},
	"dispose": {"dispose", "Dispose", "Disposing deletes the versions' assets for good; the versions stay listed as Disposed.", true, "DisposePackageVersions"},
	"delete":  {"delete", "Delete", "Deleting removes the versions and their assets for good. Either every version is deleted or none is.", true, "DeletePackageVersions"},
	"copy":    {"copy", "Copy", "The versions are copied, with their assets, into the destination repository.", false, "CopyPackageVersions"},
}

type confirmData struct {
	Op        op
	Loc       repoLoc
	Ref       service.PackageRef
	Versions  []string
	Dest      string
	CSRF      string
	ActionURL string
	BackURL   string
}

// action changes versions, after a confirmation page: the first POST
// (without confirm=yes) only shows what will happen; the second does it.
// Both carry the session's CSRF token.
func (c *Console) action(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ref := l.pkgRef(r)
	o, ok := ops[r.PostFormValue("op")]
	if !ok {
		c.fail(w, r, s, model.InvalidParameter("Unknown action %q.", r.PostFormValue("op")))
		return
	}
	versions := uniqueSorted(r.PostForm["version"])
	if len(versions) == 0 {
		c.fail(w, r, s, model.InvalidParameter("Choose at least one version to %s.", strings.ToLower(o.Verb)))
		return
	}
	dest := r.PostFormValue("destination")
	if o.Name == "copy" && dest == "" {
		c.fail(w, r, s, model.InvalidParameter("Choose a destination repository to copy to."))
		return
	}
	back := l.PackageURL(ref.Format, ref.Namespace, ref.Package)
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", page{Title: o.Verb + " versions", Session: s,
			Crumbs: l.crumbs(crumb{ref.Package, back}, crumb{o.Verb, ""}),
			Data:   confirmData{Op: o, Loc: l, Ref: ref, Versions: versions, Dest: dest, CSRF: s.CSRF, ActionURL: l.URL() + "action", BackURL: back}})
		return
	}
	ctx := r.Context()
	audit.Operation(ctx, s.Caller, o.Operation)
	var out *service.BatchOutput
	var err error
	switch o.Name {
	case "unlist", "archive", "publish":
		target := map[string]model.Status{"unlist": model.StatusUnlisted, "archive": model.StatusArchived, "publish": model.StatusPublished}[o.Name]
		out, err = c.svc.UpdatePackageVersionsStatus(ctx, s.Caller, service.UpdatePackageVersionsStatusInput{PackageRef: ref, Versions: versions, TargetStatus: target})
	case "dispose":
		out, err = c.svc.DisposePackageVersions(ctx, s.Caller, service.DisposePackageVersionsInput{PackageRef: ref, Versions: versions})
	case "delete":
		out, err = c.svc.DeletePackageVersions(ctx, s.Caller, service.DeletePackageVersionsInput{PackageRef: ref, Versions: versions})
	case "copy":
		out, err = c.svc.CopyPackageVersions(ctx, s.Caller, service.CopyPackageVersionsInput{Domain: ref.Domain, DomainOwner: ref.DomainOwner,
			SourceRepository: ref.Repository, DestinationRepository: dest, Format: ref.Format, Namespace: ref.Namespace, Package: ref.Package, Versions: versions})
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if len(out.FailedVersions) > 0 {
		c.fail(w, r, s, batchError(o, out))
		return
	}
	done := fmt.Sprintf("%s: %s.", o.Verb, strings.Join(versions, ", "))
	if o.Name == "copy" {
		done = fmt.Sprintf("Copied %s to %s.", strings.Join(versions, ", "), dest)
	}
	// Back to the package, which says once what was done (kept in the
	// session, so that no link can make the console claim something).
	c.flash(r, s, done)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// batchError describes the versions a batch operation could not change.
func batchError(o op, out *service.BatchOutput) error {
	var parts []string
	for v, e := range out.FailedVersions {
		parts = append(parts, fmt.Sprintf("%s: %s (%s)", v, e.ErrorMessage, e.ErrorCode))
	}
	sort.Strings(parts)
	return model.Conflict("", "", "%s failed for %s", o.Verb, strings.Join(parts, "; "))
}

func uniqueSorted(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
