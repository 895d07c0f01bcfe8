package nuget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// push handles PackagePublish's PUT as nuget.exe and dotnet send it: a
// multipart/form-data body (chunked) whose file part is the .nupkg. The
// X-NuGet-ApiKey header is ignored; the token authenticates. A version
// that exists, in any status, is 409 (NuGet versions are immutable, and
// `nuget push -SkipDuplicate` relies on the 409). Nothing is stored
// unless the package is sound and its manifest valid.
func (h *Handler) push(w http.ResponseWriter, r *http.Request, req *endpoint.Request) {
	if r.ContentLength > h.opts.MaxPushBytes {
		h.tooLarge(w)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		endpoint.Errorf(w, http.StatusBadRequest, "A push is a multipart/form-data PUT whose file part is the .nupkg, as nuget push and dotnet nuget push send it: "+err.Error())
		return
	}
	part, err := filePart(mr)
	if err != nil {
		endpoint.Errorf(w, http.StatusBadRequest, "Bad push: "+err.Error()+".")
		return
	}
	sp, err := spoolPart(part, h.opts.SpoolDir, h.opts.MaxPushBytes)
	if sp != nil {
		defer sp.close()
	}
	switch {
	case errors.Is(err, errTooLarge):
		h.tooLarge(w)
		return
	case err != nil:
		// The client's body broke off or was malformed.
		endpoint.Errorf(w, http.StatusBadRequest, "The push body could not be read: "+err.Error())
		return
	}
	pkg, err := readNupkg(sp.f, sp.n, nupkgLimits)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	meta, err := metadataOf(pkg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, version := pkg.Spec.ID, pkg.Spec.Version.String()
	idLower, versionLower := strings.ToLower(id), strings.ToLower(version)
	ref := req.Repo.Package(model.FormatNuGet, "", idLower)
	if exists, err := h.versionExists(r.Context(), req, ref, version); err != nil {
		h.fail(w, r, err)
		return
	} else if exists {
		h.conflict(w, req, id, version)
		return
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		h.fail(w, r, fmt.Errorf("rewind spooled package: %w", err))
		return
	}
	res, err := h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: ref, Version: version, Metadata: meta,
		Assets: []service.Upload{{Name: assetName(idLower, versionLower), Body: sp.f, SHA256: sp.sha256}},
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !res.Created {
		// Another push of the same version won the race.
		h.conflict(w, req, id, version)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// versionExists reports whether the version is one the client could
// fetch. A version that exists but is not downloadable (Archived,
// Disposed) is left to Publish, which refuses it with 409; so is a
// publisher that may not read, whom Publish judges by its own permission.
func (h *Handler) versionExists(ctx context.Context, req *endpoint.Request, ref service.PackageRef, version string) (bool, error) {
	_, err := h.svc.ViewVersion(ctx, req.Caller, ref, version, service.ViewOptions{})
	var me *model.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &me) && (me.Kind == model.KindNotFound || me.Kind == model.KindAccessDenied):
		return false, nil
	}
	return false, err
}

func (h *Handler) conflict(w http.ResponseWriter, req *endpoint.Request, id, version string) {
	endpoint.Errorf(w, http.StatusConflict, fmt.Sprintf("Package %s %s already exists in repository %s. NuGet versions cannot be overwritten: push a new version (nuget push -SkipDuplicate skips existing ones).", id, version, req.Repo.Repository))
}

func (h *Handler) tooLarge(w http.ResponseWriter) {
	endpoint.Errorf(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The package is larger than the %d bytes a push may send.", h.opts.MaxPushBytes))
}

// filePart finds the push's file part: the first part with a file name
// or named "package" (nuget.exe sends name=package; filename=package.nupkg).
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the push has no file part; send the .nupkg as a multipart/form-data file")
		}
		if err != nil {
			return nil, fmt.Errorf("the push body is not valid multipart/form-data: %v", err)
		}
		if p.FileName() != "" || p.FormName() == "package" {
			return p, nil
		}
	}
}

var errTooLarge = errors.New("nuget: push larger than the limit")

// spool holds a pushed package in a temporary file: a zip is read from
// its end, so it cannot be judged as it streams.
type spool struct {
	f      *os.File
	n      int64
	sha256 string
}

// spoolPart copies r into a temporary file in dir, hashing it, and fails
// with errTooLarge past max bytes.
func spoolPart(r io.Reader, dir string, max int64) (*spool, error) {
	f, err := os.CreateTemp(dir, "wharf-nuget-push-*")
	if err != nil {
		return nil, fmt.Errorf("spool package: %w", err)
	}
	sp := &spool{f: f}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	sp.n = n
	if err != nil {
		return sp, err
	}
	if n > max {
		return sp, errTooLarge
	}
	sp.sha256 = hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

func (s *spool) close() {
	name := s.f.Name()
	s.f.Close()
	os.Remove(name)
}

// listing handles DELETE {publish}/{id}/{version} (nuget delete: unlist,
// as on nuget.org) and POST to the same URL (relist). Both go through
// UpdatePackageVersionsStatus, so they need its permission, and only move
// a version between Published and Unlisted: an Archived version stays
// archived.
func (h *Handler) listing(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rest string) {
	segs, ok := segments(rest)
	if !ok || len(segs) != 2 {
		endpoint.Errorf(w, http.StatusNotFound, "Not found: unlist with DELETE "+pathPublish+"/{id}/{version}, relist with POST.")
		return
	}
	var from, to model.Status
	status := http.StatusNoContent
	switch r.Method {
	case http.MethodDelete:
		from, to = model.StatusPublished, model.StatusUnlisted
	case http.MethodPost:
		from, to, status = model.StatusUnlisted, model.StatusPublished, http.StatusOK
	default:
		allow(w, r, http.MethodDelete, http.MethodPost)
		return
	}
	idLower := strings.ToLower(segs[0])
	version := model.NormalizeVersion(model.FormatNuGet, segs[1])
	ref := req.Repo.Package(model.FormatNuGet, "", idLower)
	vv, err := h.svc.ViewVersion(r.Context(), req.Caller, ref, version, service.ViewOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if vv.Version.Status != to {
		out, err := h.svc.UpdatePackageVersionsStatus(r.Context(), req.Caller, service.UpdatePackageVersionsStatusInput{
			PackageRef: ref, Versions: []string{version}, ExpectedStatus: from, TargetStatus: to,
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if f, failed := out.FailedVersions[version]; failed {
			endpoint.Errorf(w, http.StatusConflict, fmt.Sprintf("Version %s of %s was not changed to %s (%s): %s", version, segs[0], to, f.ErrorCode, f.ErrorMessage))
			return
		}
	}
	w.WriteHeader(status)
}
