package controlplane

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// WharfPrefix is the root of Wharf's own API, beside CodeArtifact's.
const WharfPrefix = "/wharf/v1/"

// TrashRoutes registers the restore window API (IAM actions
// wharf:PutRestoreWindow and wharf:GetRestoreWindow on the domain,
// wharf:ListDeletedPackageVersions on the repository and
// wharf:RestorePackageVersion on the package):
//
//	PUT  /wharf/v1/restore-window?domain=D          body {"days": N}
//	GET  /wharf/v1/restore-window?domain=D
//	GET  /wharf/v1/deleted-package-versions?domain=D&repository=R[&next-token=T]
//	POST /wharf/v1/deleted-package-versions/restore?domain=D&repository=R&format=F[&namespace=N]&package=P&version=V
//
// It also answers every other path under /wharf/v1/ as an unknown
// operation.
func (h *Handler) TrashRoutes(mux *http.ServeMux) {
	h.wharfRoute(mux, "PUT "+WharfPrefix+"restore-window", "PutRestoreWindow", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
		if err != nil {
			return model.InvalidParameter("Cannot read the request: %v", err)
		}
		var in struct {
			Days *int `json:"days"`
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.Days == nil {
			return model.InvalidParameter(`The body must be {"days": N}.`)
		}
		out, err := h.svc.PutRestoreWindow(ctx, c, owner, domain, *in.Days)
		if err != nil {
			return err
		}
		return writeJSON(w, out)
	})
	h.wharfRoute(mux, "GET "+WharfPrefix+"restore-window", "GetRestoreWindow", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		out, err := h.svc.GetRestoreWindow(ctx, c, owner, domain)
		if err != nil {
			return err
		}
		return writeJSON(w, out)
	})
	h.wharfRoute(mux, "GET "+WharfPrefix+"deleted-package-versions", "ListDeletedPackageVersions", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		if q.Get("repository") == "" {
			return model.InvalidParameter("A repository is required.")
		}
		out, err := h.svc.ListDeletedVersions(ctx, c, owner, domain, q.Get("repository"), q.Get("next-token"))
		if err != nil {
			return err
		}
		return writeJSON(w, out)
	})
	h.wharfRoute(mux, "POST "+WharfPrefix+"deleted-package-versions/restore", "RestorePackageVersion", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		ref := service.PackageRef{Domain: domain, DomainOwner: owner, Repository: q.Get("repository"), Format: model.Format(q.Get("format")),
			Namespace: q.Get("namespace"), Package: q.Get("package")}
		if domain == "" || ref.Repository == "" || ref.Package == "" || q.Get("version") == "" {
			return model.InvalidParameter("domain, repository, format, package and version are required.")
		}
		if !ref.Format.Valid() {
			return model.InvalidParameter("Invalid format %q.", ref.Format)
		}
		out, err := h.svc.RestoreVersion(ctx, c, ref, q.Get("version"))
		if err != nil {
			return err
		}
		return writeJSON(w, out)
	})
	mux.HandleFunc(WharfPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, h.log, &model.Error{Kind: model.KindValidation, Reason: model.ReasonUnknownOperation, Message: "No Wharf operation is " + r.Method + " " + r.URL.Path + "."})
	})
}
