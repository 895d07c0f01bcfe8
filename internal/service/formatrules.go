package service

import (
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// FormatRules is what a package format adds to the service's rules. A
// format declares them (internal/format) and they are registered when it
// is installed; the service stays free of format-specific code.
//
// The hooks run inside the transaction that makes the change, after the
// change, so what they write commits or rolls back with it and an error
// fails the whole operation.
type FormatRules struct {
	// State says the format keeps per-package state (npm: dist-tags):
	// views of its packages then carry it (PackageView.State).
	State bool
	// VersionsDeleted is told which versions (normalized) of a package
	// were deleted.
	VersionsDeleted func(tx StateTx, pkgID int64, versions []string) error
	// VersionsCopied is told which versions CopyPackageVersions copied
	// from package from into package to.
	VersionsCopied func(tx StateTx, from, to int64, versions []string) error
	// StatusChanged is told which versions of a package moved to status
	// (UpdatePackageVersionsStatus, DisposePackageVersions, a format
	// finishing unfinished versions).
	StatusChanged func(tx StateTx, pkgID int64, versions []string, status model.Status) error
	// DisplayVersion names the version the package's state designates as
	// its default display version (npm: the latest tag), "" for none. The
	// service uses it when that version is Published, and otherwise the
	// most recently published one.
	DisplayVersion func(state map[string]string) string
}

// StateTx is the part of a transaction a format's hooks work with: the
// per-package state the format owns (meta.PackageStates), string keys to
// string values. The core gives it no meaning; each write moves the
// package's generation.
type StateTx = meta.PackageStates

// noRules is the rules of a format that registered none.
var noRules = &FormatRules{}

// SetFormatRules registers a format's rules. It is called while the
// server is assembled, before any request is served.
func (s *Service) SetFormatRules(f model.Format, r FormatRules) {
	s.rules[f] = &r
}

func (s *Service) rulesOf(f model.Format) *FormatRules {
	if r := s.rules[f]; r != nil {
		return r
	}
	return noRules
}

// loadState reads a package's state when its format keeps any.
func (s *Service) loadState(tx meta.Tx, p *model.Package) (map[string]string, error) {
	if !s.rulesOf(p.Key.Format).State {
		return nil, nil
	}
	return tx.PackageState(p.ID)
}

// setState writes entries of a package's state.
func setState(tx meta.Tx, pkgID int64, state map[string]string) error {
	for k, v := range state {
		if err := tx.SetPackageState(pkgID, k, v); err != nil {
			return err
		}
	}
	return nil
}
