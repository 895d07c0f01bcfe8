//go:build !windows

package fs

import "os"

// syncDir fsyncs a directory, making the creation, rename or removal of its
// entries durable. Without it a blob whose content was fsynced can still
// vanish in a power loss, because its name was never written.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
