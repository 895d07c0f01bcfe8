package controlplane

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// table maps operation names to their implementation. Operations absent
// here answer with an UNKNOWN_OPERATION ValidationException.
func (h *Handler) table() map[string]operation {
	s := h.svc
	return map[string]operation{
		"CreateDomain":                      call(s.CreateDomain),
		"DescribeDomain":                    call(s.DescribeDomain),
		"DeleteDomain":                      call(s.DeleteDomain),
		"ListDomains":                       call(s.ListDomains),
		"CreateRepository":                  call(s.CreateRepository),
		"DescribeRepository":                call(s.DescribeRepository),
		"UpdateRepository":                  call(s.UpdateRepository),
		"DeleteRepository":                  call(s.DeleteRepository),
		"ListRepositories":                  call(s.ListRepositories),
		"ListRepositoriesInDomain":          call(s.ListRepositoriesInDomain),
		"GetRepositoryEndpoint":             call(s.GetRepositoryEndpoint),
		"AssociateExternalConnection":       call(s.AssociateExternalConnection),
		"DisassociateExternalConnection":    call(s.DisassociateExternalConnection),
		"GetAuthorizationToken":             call(s.GetAuthorizationToken),
		"ListPackages":                      call(s.ListPackages),
		"DescribePackage":                   call(s.DescribePackage),
		"DeletePackage":                     call(s.DeletePackage),
		"PutPackageOriginConfiguration":     call(s.PutPackageOriginConfiguration),
		"ListPackageVersions":               call(s.ListPackageVersions),
		"DescribePackageVersion":            call(s.DescribePackageVersion),
		"ListPackageVersionAssets":          call(s.ListPackageVersionAssets),
		"GetPackageVersionReadme":           call(s.GetPackageVersionReadme),
		"ListPackageVersionDependencies":    call(s.ListPackageVersionDependencies),
		"UpdatePackageVersionsStatus":       call(s.UpdatePackageVersionsStatus),
		"DisposePackageVersions":            call(s.DisposePackageVersions),
		"DeletePackageVersions":             call(s.DeletePackageVersions),
		"CopyPackageVersions":               call(s.CopyPackageVersions),
		"TagResource":                       call(s.TagResource),
		"UntagResource":                     call(s.UntagResource),
		"ListTagsForResource":               call(s.ListTagsForResource),
		"PutDomainPermissionsPolicy":        call(s.PutDomainPermissionsPolicy),
		"GetDomainPermissionsPolicy":        call(s.GetDomainPermissionsPolicy),
		"DeleteDomainPermissionsPolicy":     call(s.DeleteDomainPermissionsPolicy),
		"PutRepositoryPermissionsPolicy":    call(s.PutRepositoryPermissionsPolicy),
		"GetRepositoryPermissionsPolicy":    call(s.GetRepositoryPermissionsPolicy),
		"DeleteRepositoryPermissionsPolicy": call(s.DeleteRepositoryPermissionsPolicy),
		"PublishPackageVersion":             {h.publishPackageVersion, reflect.TypeFor[service.PublishPackageVersionInput]()},
		"GetPackageVersionAsset":            {h.getPackageVersionAsset, reflect.TypeFor[service.GetPackageVersionAssetInput]()},

		// Package groups.
		"CreatePackageGroup":                    call(s.CreatePackageGroup),
		"DescribePackageGroup":                  call(s.DescribePackageGroup),
		"UpdatePackageGroup":                    call(s.UpdatePackageGroup),
		"DeletePackageGroup":                    call(s.DeletePackageGroup),
		"UpdatePackageGroupOriginConfiguration": call(s.UpdatePackageGroupOriginConfiguration),
		"ListPackageGroups":                     call(s.ListPackageGroups),
		"ListSubPackageGroups":                  call(s.ListSubPackageGroups),
		"ListAssociatedPackages":                call(s.ListAssociatedPackages),
		"GetAssociatedPackageGroup":             call(s.GetAssociatedPackageGroup),
		"ListAllowedRepositoriesForGroup":       call(s.ListAllowedRepositoriesForGroup),
	}
}

// Implemented lists the operations this server serves, for the test that
// every operation in the service model has an implementation.
func Implemented() []string {
	return slices.Collect(maps.Keys((&Handler{}).table()))
}

// publishPackageVersion streams the request body (the asset) into the
// service; the SigV4 layer has wrapped it to fail at EOF if it does not
// match the signed x-amz-content-sha256.
func (h *Handler) publishPackageVersion(ctx context.Context, c service.Caller, input *apimodel.Input, w http.ResponseWriter, r *http.Request) error {
	var in service.PublishPackageVersionInput
	if err := input.Bind(&in); err != nil {
		return model.InvalidParameter("Cannot parse request: %v", err)
	}
	out, err := h.svc.PublishPackageVersion(ctx, c, in, r.Body)
	if errors.Is(err, sigv4.ErrBodyHashMismatch) {
		// x-amz-content-sha256 is the asset's declared hash: a body that
		// differs from it is a wrong assetSHA256 as much as a bad signature.
		return model.InvalidParameter("The SHA256 hash of the content of asset %s does not match the assetSHA256 provided.", in.AssetName)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, out)
}

func (h *Handler) getPackageVersionAsset(ctx context.Context, c service.Caller, input *apimodel.Input, w http.ResponseWriter, r *http.Request) error {
	var in service.GetPackageVersionAssetInput
	if err := input.Bind(&in); err != nil {
		return model.InvalidParameter("Cannot parse request: %v", err)
	}
	a, err := h.svc.GetPackageVersionAsset(ctx, c, in)
	if err != nil {
		return err
	}
	defer a.Body.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(a.Body.Size(), 10))
	hd.Set("X-AssetName", a.Asset.Name)
	hd.Set("X-PackageVersion", a.Version)
	hd.Set("X-PackageVersionRevision", a.Revision)
	w.WriteHeader(http.StatusOK)
	_, err = copyBody(w, a.Body)
	if err != nil {
		// Headers are gone; all that is left is to cut the stream short.
		h.log.WarnContext(ctx, "asset stream interrupted", "asset", a.Asset.Name, "err", err)
	}
	return nil
}
