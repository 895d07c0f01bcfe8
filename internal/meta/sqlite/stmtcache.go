package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// Each connection keeps its prepared statements, keyed by SQL text.
//
// database/sql hands the driver the SQL of every Query and Exec, and
// modernc.org/sqlite parses it anew each time: under the control-plane
// benchmark, parsing was a third of the server's CPU (four lookups per
// request, each a short SELECT). Caching at the connection, rather than
// through sql.Stmt, needs no extra connection to prepare on, so it cannot
// deadlock the single write connection, and it covers every query,
// including those built at run time.
//
// A statement whose rows are still open is busy: the same SQL run again
// meanwhile (a nested loop over the same query) gets a statement of its
// own, closed with its rows.

// stmtCacheSize bounds each connection's cache; queries built with inline
// id lists are all different and would otherwise grow it without end.
const stmtCacheSize = 128

// connector opens driver connections that cache their statements.
type connector struct {
	dsn string
	d   driver.Driver
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c *connector) Driver() driver.Driver { return c.d }

// innerConn is what the wrapped connection must offer.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
}

type cachedStmt struct {
	sql  string
	stmt driver.Stmt
	busy bool // rows from it are open
	used uint64
}

type cachingConn struct {
	inner innerConn
	stmts map[string]*cachedStmt
	clock uint64
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
)

func newCachingConn(c driver.Conn) (*cachingConn, error) {
	in, ok := c.(innerConn)
	if !ok {
		c.Close()
		return nil, errors.New("sqlite: driver connection lacks context methods")
	}
	return &cachingConn{inner: in, stmts: map[string]*cachedStmt{}}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }
func (c *cachingConn) Begin() (driver.Tx, error)                 { return c.inner.Begin() } //nolint:staticcheck // required by driver.Conn
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) Close() error {
	var errs []error
	for _, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
	}
	c.stmts = nil
	return errors.Join(append(errs, c.inner.Close())...)
}

// cacheable leaves out scripts (several statements, as in migrations),
// which the driver re-parses on every run anyway.
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	q = strings.TrimSuffix(q, ";")
	return !strings.Contains(q, ";")
}

// get returns the idle cached statement for query, preparing it on first
// use, or nil when it is busy or not cacheable.
func (c *cachingConn) get(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	c.clock++
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		cs.used = c.clock
		return cs, nil
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= stmtCacheSize {
		c.evict()
	}
	cs := &cachedStmt{sql: query, stmt: st, used: c.clock}
	c.stmts[query] = cs
	return cs, nil
}

// evict closes the least recently used idle statement.
func (c *cachingConn) evict() {
	var old *cachedStmt
	for _, cs := range c.stmts {
		if !cs.busy && (old == nil || cs.used < old.used) {
			old = cs
		}
	}
	if old != nil {
		delete(c.stmts, old.sql)
		old.stmt.Close()
	}
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
