//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos)

package fs

import (
	"errors"
	iofs "io/fs"
	"os"
	"time"
)

// staleAge is how long a temp file must have gone unwritten before New
// treats it as a crashed upload's, on platforms where uploads cannot lock
// their temp files. An upload writes at least every few seconds unless its
// client stalls, so a day is far past any live upload.
const staleAge = 24 * time.Hour

// holdTempAcrossRename is false because there is no lock to hold, and
// Windows cannot rename a file that is open.
const holdTempAcrossRename = false

// lockTemp has no lock to take here; see staleAge.
func lockTemp(*os.File) (bool, error) { return true, nil }

// removeIfStale removes the temp file at path if it has not been written to
// for staleAge.
func removeIfStale(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if time.Since(fi.ModTime()) < staleAge {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	return nil
}
