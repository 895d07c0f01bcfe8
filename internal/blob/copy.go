package blob

import (
	"context"
	"errors"
	"fmt"
)

// Copy copies the blob d from src to dst, unless dst holds it already.
// dst's Put verifies the content against d, so bytes that do not hash to
// their name are refused (ErrDigestMismatch) and nothing is stored. It
// reports whether it copied.
func Copy(ctx context.Context, dst, src Store, d Digest) (bool, error) {
	if _, _, err := dst.Stat(ctx, d); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	r, err := src.Open(ctx, d)
	if err != nil {
		return false, fmt.Errorf("blob %s: %w", d, err)
	}
	defer r.Close()
	if _, err := dst.Put(ctx, r, d, Unlimited); err != nil {
		return false, fmt.Errorf("blob %s: %w", d, err)
	}
	return true, nil
}
