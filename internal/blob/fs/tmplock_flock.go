//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package fs

import (
	"errors"
	iofs "io/fs"
	"os"
	"syscall"
)

// holdTempAcrossRename: Put keeps its temp file open, and so locked, until
// the file has been renamed into place (see lockTemp).
const holdTempAcrossRename = true

// flock applies an advisory lock to f's descriptor. It goes through
// SyscallConn rather than f.Fd, which would switch the file to blocking mode
// as a side effect.
func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = syscall.Flock(int(fd), how)
			if lockErr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return lockErr
}

// lockTemp takes the lock that marks f as a live upload for as long as f
// stays open (the kernel drops it when the descriptor closes, including when
// the process dies, which is what makes a crashed upload's file stale). It
// reports false if a cleanup removed the file before the lock was taken: a
// cleanup only removes files while holding their lock, so once we hold it,
// the name still pointing at our file means it is ours to keep.
func lockTemp(f *os.File) (bool, error) {
	if err := flock(f, syscall.LOCK_EX); err != nil {
		return false, err
	}
	return sameFile(f, f.Name())
}

// removeIfStale removes the temp file at path unless an upload holds its
// lock.
func removeIfStale(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil // finished or cleaned up meanwhile
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil // a live upload
		}
		return err
	}
	// The upload may have finished and renamed the file away between our
	// Open and our lock, and the name be reused by a new upload (not yet
	// locked); only remove the name if it is still the file we locked.
	if same, err := sameFile(f, path); err != nil || !same {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	return nil
}

// sameFile reports whether path names the file f has open.
func sameFile(f *os.File, path string) (bool, error) {
	open, err := f.Stat()
	if err != nil {
		return false, err
	}
	named, err := os.Stat(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(open, named), nil
}
