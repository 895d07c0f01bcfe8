package service

import "context"

type bookkeepingKey struct{}

// Bookkeeping marks the write transactions opened with ctx as the
// service's own bookkeeping (blob leases taken and released around an
// upload) rather than a change the caller asked for, so that an audit
// trail does not record the caller's event in them: a crash between the
// lease and the change must not leave an event without its change.
func Bookkeeping(ctx context.Context) context.Context {
	return context.WithValue(ctx, bookkeepingKey{}, true)
}

// IsBookkeeping reports whether ctx was marked by Bookkeeping.
func IsBookkeeping(ctx context.Context) bool {
	v, _ := ctx.Value(bookkeepingKey{}).(bool)
	return v
}
