package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// trashRoutes registers the restore window pages: a repository's deleted
// versions that its domain's window still keeps, and restoring one. They
// call the service methods the Wharf API calls, so they are authorized
// with the same actions (wharf:ListDeletedPackageVersions on the
// repository, wharf:RestorePackageVersion on the package).
func (c *Console) trashRoutes(mux *http.ServeMux, r string) {
	mux.Handle("GET "+r+"deleted", c.secure(c.withSession(c.deletedPage)))
	mux.Handle("POST "+r+"restore", c.secure(c.withSession(c.restore)))
}

// DeletedURL is the repository's page of restorable deleted versions.
func (l repoLoc) DeletedURL() string { return l.URL() + "deleted" }

type deletedData struct {
	Loc      repoLoc
	Window   string // the domain's restore window, or why it is not shown
	Versions []service.DeletedVersion
	Next     string
	CSRF     string
}

func (c *Console) deletedPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ctx := r.Context()
	out, err := c.svc.ListDeletedVersions(ctx, s.Caller, l.Owner, l.Domain, l.Repo, r.URL.Query().Get("next"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := deletedData{Loc: l, Versions: out.Versions, Next: out.NextToken, CSRF: s.CSRF}
	win, err := c.svc.GetRestoreWindow(ctx, s.Caller, l.Owner, l.Domain)
	var me *model.Error
	switch {
	case err == nil && win.Days == 0:
		d.Window = "off: deleted versions are gone for good (versions kept before it was turned off stay restorable until their window ends)"
	case err == nil:
		d.Window = fmt.Sprintf("%d day%s", win.Days, map[bool]string{true: "", false: "s"}[win.Days == 1])
	case errors.As(err, &me):
		d.Window = "not shown: " + me.Message
	default:
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "deleted", page{Title: "Deleted versions in " + l.Repo, Session: s,
		Crumbs: l.crumbs(crumb{"Deleted versions", ""}), Data: d})
}

type restoreData struct {
	Loc     repoLoc
	Ref     service.PackageRef
	Version string
	CSRF    string
}

// restore puts a deleted version back after a confirmation page: the
// first POST (without confirm=yes) only asks; the second restores.
func (c *Console) restore(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ref := l.pkgRef(r)
	version := r.PostFormValue("version")
	if ref.Package == "" || version == "" {
		c.fail(w, r, s, model.InvalidParameter("Choose a deleted version to restore."))
		return
	}
	if !ref.Format.Valid() {
		c.fail(w, r, s, model.InvalidParameter("Invalid format %q.", ref.Format))
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "restore", page{Title: "Restore " + ref.Package + " " + version + "?", Session: s,
			Crumbs: l.crumbs(crumb{"Deleted versions", l.DeletedURL()}, crumb{"Restore", ""}),
			Data:   restoreData{Loc: l, Ref: ref, Version: version, CSRF: s.CSRF}})
		return
	}
	audit.Operation(r.Context(), s.Caller, "RestorePackageVersion")
	out, err := c.svc.RestoreVersion(r.Context(), s.Caller, ref, version)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.flash(r, s, fmt.Sprintf("Restored %s %s as %s.", ref.Package, out.Version, out.Status))
	http.Redirect(w, r, l.VersionURL(ref.Format, ref.Namespace, ref.Package, out.Version), http.StatusSeeOther)
}
