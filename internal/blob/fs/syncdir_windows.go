package fs

// syncDir is a no-op on Windows, which has no way to fsync a directory
// (FlushFileBuffers needs a handle Go does not open for directories); the
// rename's durability rests on NTFS's metadata journal.
func syncDir(string) error { return nil }
