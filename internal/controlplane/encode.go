package controlplane

import (
	"bytes"
	"encoding/json"
	"sync"
)

// maxPooledBuffer bounds the buffers kept for reuse: a rare huge answer
// (a 1000-item page) must not pin its memory for good.
const maxPooledBuffer = 256 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	buffers.Put(b)
}

// appendJSON appends v as json.Marshal encodes it.
func appendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	// Encode is Marshal (HTML-safe escaping included) plus a newline.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return dst, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil
}
