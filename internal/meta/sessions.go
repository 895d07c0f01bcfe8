package meta

import "time"

// ConsoleSession is a web console sign-in, kept in the store so that every
// replica sharing it knows the session, a restart keeps it, and a
// sign-out on one replica ends it on all of them at once.
type ConsoleSession struct {
	// ID is the SHA-256 (hex) of the token in the browser's cookie: a
	// copy of the store holds no cookie that would sign anyone in.
	ID          string
	Account     string
	ARN         string
	AccessKeyID string
	CSRF        string // the token every form of the session carries
	Flash       string // said once on the session's next page
	Created     time.Time
	Expires     time.Time
}

// ConsoleSessions are the web console's sign-ins.
type ConsoleSessions interface {
	// CreateConsoleSession stores s after removing the sessions expired at
	// s.Created and, to keep at most max sessions, the oldest; ErrExists.
	CreateConsoleSession(s *ConsoleSession, max int) error
	// GetConsoleSession returns the session with this id that is live at
	// now; ErrNotFound when there is none or it has expired.
	GetConsoleSession(id string, now time.Time) (*ConsoleSession, error)
	// DeleteConsoleSession ends a session; no error when there is none.
	DeleteConsoleSession(id string) error
	// SwapConsoleSessionFlash sets the session's flash message and
	// returns the one it replaces; ErrNotFound.
	SwapConsoleSessionFlash(id, flash string) (string, error)
}
