package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// MaxRestoreWindowDays bounds a domain's restore window.
const MaxRestoreWindowDays = 365

// restoreWindowKey is the setting holding a domain's restore window in
// days; absent or 0 means off, as in CodeArtifact, where a delete is
// final.
func restoreWindowKey(domainID int64) string {
	return "restore-window/" + strconv.FormatInt(domainID, 10)
}

func restoreWindow(tx meta.Tx, domainID int64) (time.Duration, error) {
	v, err := tx.GetSetting(restoreWindowKey(domainID))
	if errors.Is(err, meta.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("restore window setting %q: %w", v, err)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// RestoreWindow is a domain's restore window.
type RestoreWindow struct {
	Domain      string `json:"domain"`
	DomainOwner string `json:"domainOwner"`
	Days        int    `json:"days"`
}

// PutRestoreWindow sets how many days a domain keeps deleted versions
// restorable (0 turns it off; versions already kept stay so until their
// window ends).
func (s *Service) PutRestoreWindow(ctx context.Context, c Caller, owner, domain string, days int) (*RestoreWindow, error) {
	if days < 0 || days > MaxRestoreWindowDays {
		return nil, model.InvalidParameter("days must be between 0 and %d.", MaxRestoreWindowDays)
	}
	d, err := s.WharfDomain(ctx, c, owner, domain, "wharf:PutRestoreWindow")
	if err != nil {
		return nil, err
	}
	err = s.meta.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting(restoreWindowKey(d.ID), strconv.Itoa(days)) })
	if err != nil {
		return nil, wrap("put restore window", err)
	}
	return &RestoreWindow{Domain: d.Name, DomainOwner: d.Owner, Days: days}, nil
}

// GetRestoreWindow returns a domain's restore window.
func (s *Service) GetRestoreWindow(ctx context.Context, c Caller, owner, domain string) (*RestoreWindow, error) {
	d, err := s.WharfDomain(ctx, c, owner, domain, "wharf:GetRestoreWindow")
	if err != nil {
		return nil, err
	}
	var w time.Duration
	err = s.meta.View(ctx, func(tx meta.Tx) (err error) {
		w, err = restoreWindow(tx, d.ID)
		return err
	})
	if err != nil {
		return nil, wrap("get restore window", err)
	}
	return &RestoreWindow{Domain: d.Name, DomainOwner: d.Owner, Days: int(w / (24 * time.Hour))}, nil
}

// trashDoc is what a trashed version keeps to be put back: the whole
// version, its asset records and the keys of the package state its
// format kept pointing at it (npm's dist-tags).
type trashDoc struct {
	Version model.Version `json:"version"`
	Assets  []model.Asset `json:"assets"`
	State   []string      `json:"state,omitempty"`
}

// trashVersions keeps the versions about to be deleted when the domain
// has a restore window: their records go to the trash and their bytes
// are leased until the window ends, so the collector leaves them.
func (s *Service) trashVersions(tx meta.Tx, domainID int64, pkgID int64, versions map[string]model.VersionResult) error {
	window, err := restoreWindow(tx, domainID)
	if err != nil || window == 0 {
		return err
	}
	now := s.now()
	state, err := tx.PackageState(pkgID)
	if err != nil {
		return err
	}
	for name := range versions {
		v, err := tx.GetVersion(pkgID, name)
		if err != nil {
			return err
		}
		doc := trashDoc{Version: *v}
		for key, sv := range state {
			if sv == name {
				doc.State = append(doc.State, key)
			}
		}
		after := ""
		for {
			as, err := tx.ListAssets(v.ID, after, 200)
			if err != nil {
				return err
			}
			for _, a := range as {
				doc.Assets = append(doc.Assets, *a)
				if err := tx.LeaseBlob(a.Hashes.SHA256, now.Add(window)); err != nil {
					return err
				}
			}
			if len(as) < 200 {
				break
			}
			after = as[len(as)-1].Name
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := tx.TrashVersion(&meta.TrashedVersion{PackageID: pkgID, Version: name, FormerStatus: v.Status, Revision: v.Revision,
			Deleted: now, Expires: now.Add(window), Doc: body}); err != nil {
			return err
		}
	}
	return nil
}

// DeletedVersion is one restorable deleted version.
type DeletedVersion struct {
	Format       model.Format `json:"format"`
	Namespace    string       `json:"namespace,omitempty"`
	Package      string       `json:"package"`
	Version      string       `json:"version"`
	FormerStatus model.Status `json:"formerStatus"`
	Revision     string       `json:"revision"`
	DeletedTime  time.Time    `json:"deletedTime"`
	ExpiresTime  time.Time    `json:"expiresTime"`
}

// ListDeletedVersionsOutput is a page of a repository's restorable
// deleted versions.
type ListDeletedVersionsOutput struct {
	Versions  []DeletedVersion `json:"versions"`
	NextToken string           `json:"nextToken,omitempty"`
}

// ListDeletedVersions lists the deleted versions of a repository that
// its domain's restore window still keeps.
func (s *Service) ListDeletedVersions(ctx context.Context, c Caller, owner, domain, repo, nextToken string) (*ListDeletedVersionsOutput, error) {
	after, err := decodeToken("trash", nextToken)
	if err != nil {
		return nil, err
	}
	afterID, _ := strconv.ParseInt(after, 10, 64)
	out := &ListDeletedVersionsOutput{Versions: []DeletedVersion{}}
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		_, r, err := s.getRepo(tx, ownerOr(owner, c), domain, repo)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "wharf:ListDeletedPackageVersions", s.repoARN(r), r.DomainOwner); err != nil {
			return err
		}
		const limit = 1000
		vs, err := tx.ListTrash(r.ID, s.now(), afterID, limit)
		if err != nil {
			return err
		}
		for _, v := range vs {
			out.Versions = append(out.Versions, DeletedVersion{Format: v.Key.Format, Namespace: v.Key.Namespace, Package: v.Key.Name, Version: v.Version,
				FormerStatus: v.FormerStatus, Revision: v.Revision, DeletedTime: v.Deleted, ExpiresTime: v.Expires})
		}
		if len(vs) == limit {
			out.NextToken = encodeToken("trash", strconv.FormatInt(vs[len(vs)-1].ID, 10))
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list deleted package versions", err)
	}
	return out, nil
}

// RestoreVersion puts a deleted version back as it was when deleted:
// its status, revision, publish time, metadata, assets (whose bytes the
// window kept) and the dist-tags that pointed at it and have not been
// set since.
func (s *Service) RestoreVersion(ctx context.Context, c Caller, ref PackageRef, version string) (*RestoredVersion, error) {
	version = model.NormalizeVersion(ref.Format, version)
	var pkgID int64
	var out RestoredVersion
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolvePackage(ctx, tx, c, ref, "wharf:RestorePackageVersion")
		if err != nil {
			return err
		}
		p, err := s.getPackage(tx, sc.repo, sc.key)
		if err != nil {
			return err
		}
		pkgID = p.ID
		tv, err := tx.GetTrashed(p.ID, version, s.now())
		if errors.Is(err, meta.ErrNotFound) {
			return model.NotFound(model.ResourcePackageVersion, version, "No deleted version %s of %s is within its restore window.", version, model.DisplayName(sc.key))
		}
		if err != nil {
			return err
		}
		var doc trashDoc
		if err := json.Unmarshal(tv.Doc, &doc); err != nil {
			return fmt.Errorf("trashed version %s: %w", version, err)
		}
		if cur, err := tx.GetVersions(p.ID, []string{version}); err != nil {
			return err
		} else if cur[version] != nil {
			return model.Conflict(model.ResourcePackageVersion, version, "Version %s of %s exists.", version, model.DisplayName(sc.key))
		}
		for _, a := range doc.Assets {
			if _, _, err := s.blobs.Stat(ctx, blob.Digest(a.Hashes.SHA256)); err != nil {
				return fmt.Errorf("asset %s of the deleted version: %w", a.Name, err)
			}
		}
		v := doc.Version
		v.ID, v.PackageID = 0, p.ID
		if err := tx.CreateVersion(&v); err != nil {
			return err
		}
		out = RestoredVersion{Version: v.Version, Status: v.Status, Revision: v.Revision}
		for _, a := range doc.Assets {
			a.ID, a.VersionID = 0, v.ID
			if err := tx.PutAsset(&a); err != nil {
				return err
			}
		}
		state, err := tx.PackageState(p.ID)
		if err != nil {
			return err
		}
		for _, key := range doc.State {
			if _, set := state[key]; !set {
				if err := tx.SetPackageState(p.ID, key, version); err != nil {
					return err
				}
			}
		}
		return tx.ForgetTrashed(p.ID, version)
	})
	if err != nil {
		return nil, wrap("restore package version", err)
	}
	s.changed(pkgID)
	return &out, nil
}

// RestoredVersion is a version put back, with its kept status and
// revision.
type RestoredVersion struct {
	Version  string       `json:"version"`
	Status   model.Status `json:"status"`
	Revision string       `json:"revision"`
}
