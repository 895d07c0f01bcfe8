package controlplane

import (
	"io"
	"sync"
)

// 256 KiB keeps syscalls few on multi-GB assets while memory stays flat.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyBody(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}
