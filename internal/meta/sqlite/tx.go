package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

type tx struct {
	ctx   context.Context
	quiet context.Context // ctx without its cancellation
	tx    *sql.Tx         // nil until a read transaction's first statement
	write bool            // an Update transaction
	// scopes caches domains and repositories for read transactions
	// (scopecache.go); scopeGen is this transaction's scope_generation.
	scopes   *scopeCache
	scopeGen int64

	// Read transactions begin lazily on db (readcache.go). rc is nil when
	// this transaction does not use the read cache; epoch is the one it
	// reads in; served says it has answered from rc; stale that it must
	// be run again.
	db     *sql.DB
	rc     *readCache
	epoch  uint64
	served bool
	stale  bool
}

func newTx(ctx context.Context, sqlTx *sql.Tx, write bool, scopes *scopeCache) *tx {
	return &tx{ctx: ctx, quiet: context.WithoutCancel(ctx), tx: sqlTx, write: write, scopes: scopes}
}

// begin starts a read transaction at its first statement. Reading
// scope_generation pins the snapshot (and serves the scope cache); if a
// commit has happened since the transaction took its epoch, what it
// answered from the read cache may be older than the snapshot.
func (t *tx) begin() error {
	if t.stale {
		return errStale
	}
	if t.tx != nil {
		return nil
	}
	sqlTx, err := t.db.BeginTx(t.quiet, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	t.tx = sqlTx
	if t.rc == nil {
		return nil
	}
	t.rc.begins.Add(1)
	if err := t.tx.QueryRowContext(t.qctx(), `SELECT value FROM scope_generation WHERE id = 1`).Scan(&t.scopeGen); err != nil {
		t.scopeGen = -1
	}
	if t.rc.epoch.Load() != t.epoch {
		if t.served {
			t.stale = true
			return errStale
		}
		t.rc = nil
	}
	return nil
}

// scanner is a row to scan: *sql.Row, or the error that kept a statement
// from running.
type scanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// qctx is the context a statement runs with. A cancellable context makes
// the driver start a watcher goroutine for every statement, a quarter of
// the cost of a point query; statements are short, so cancellation is
// checked between them instead: once ctx is done, the next statement
// gets it and fails at once.
func (t *tx) qctx() context.Context {
	if t.ctx.Err() != nil {
		return t.ctx
	}
	return t.quiet
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	if err := t.begin(); err != nil {
		return nil, err
	}
	r, err := t.tx.ExecContext(t.qctx(), q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return r, nil
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	if err := t.begin(); err != nil {
		return nil, err
	}
	return t.tx.QueryContext(t.qctx(), q, args...)
}

func (t *tx) row(q string, args ...any) scanner {
	if err := t.begin(); err != nil {
		return errRow{err}
	}
	return t.tx.QueryRowContext(t.qctx(), q, args...)
}

// mapErr turns constraint violations into meta.ErrExists.
func mapErr(err error) error {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", meta.ErrExists, err)
		}
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return meta.ErrNotFound
	}
	return err
}

// ---- domains

func (t *tx) CreateDomain(d *model.Domain) error {
	r, err := t.exec(`INSERT INTO domains(owner, name, encryption_key, created) VALUES (?, ?, ?, ?)`,
		d.Owner, d.Name, d.EncryptionKey, column.Nanos(d.CreatedTime))
	if err != nil {
		return err
	}
	d.ID, err = r.LastInsertId()
	return err
}

const domainCols = `id, owner, name, encryption_key, created`

func scanDomain(sc interface{ Scan(...any) error }) (*model.Domain, error) {
	var d model.Domain
	var created int64
	if err := sc.Scan(&d.ID, &d.Owner, &d.Name, &d.EncryptionKey, &created); err != nil {
		return nil, notFound(err)
	}
	d.CreatedTime = column.FromNanos(created)
	return &d, nil
}

func (t *tx) GetDomain(owner, name string) (*model.Domain, error) {
	load := func() (*model.Domain, error) {
		return t.cachedDomain(owner, name, func() (*model.Domain, error) {
			return scanDomain(t.row(`SELECT `+domainCols+` FROM domains WHERE owner = ? AND name = ?`, owner, name))
		})
	}
	if t.rc == nil {
		return load()
	}
	key := cacheKey('d', nil, owner, name)
	if v, ok := t.cached(key); ok {
		d := v.(model.Domain)
		return &d, nil
	}
	d, err := load()
	if err == nil {
		t.remember(key, *d, 128+len(key))
	}
	return d, err
}

func (t *tx) ListDomains(owner, after string, limit int) ([]*model.Domain, error) {
	name, afterOwner, _ := strings.Cut(after, "/")
	rows, err := t.query(`SELECT `+domainCols+` FROM domains WHERE (? = '' OR owner = ?) AND (name > ? OR (name = ? AND owner > ?)) ORDER BY name, owner LIMIT ?`,
		owner, owner, name, name, afterOwner, limitOrAll(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func limitOrAll(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

func (t *tx) DeleteDomain(id int64) error {
	_, err := t.exec(`DELETE FROM domains WHERE id = ?`, id)
	return err
}

func (t *tx) DomainUsage(id int64) (int, int64, error) {
	var repos int
	if err := t.row(`SELECT COUNT(*) FROM repositories WHERE domain_id = ?`, id).Scan(&repos); err != nil {
		return 0, 0, err
	}
	var size sql.NullInt64
	err := t.row(`SELECT SUM(size) FROM (SELECT DISTINCT a.sha256, a.size FROM assets a
		JOIN versions v ON v.id = a.version_id
		JOIN packages p ON p.id = v.package_id
		JOIN repositories r ON r.id = p.repository_id
		WHERE r.domain_id = ? AND v.status != 'Disposed')`, id).Scan(&size)
	return repos, size.Int64, err
}

// ---- repositories

const repoCols = `r.id, r.domain_id, d.name, d.owner, r.name, r.description, r.admin_account, r.upstreams, r.external_connections, r.created`

func scanRepo(sc interface{ Scan(...any) error }) (*model.Repository, error) {
	var r model.Repository
	var ups, ext string
	var created int64
	if err := sc.Scan(&r.ID, &r.DomainID, &r.DomainName, &r.DomainOwner, &r.Name, &r.Description, &r.AdministratorAccount, &ups, &ext, &created); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(ups), &r.Upstreams); err != nil {
		return nil, fmt.Errorf("repository %d upstreams: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(ext), &r.ExternalConnections); err != nil {
		return nil, fmt.Errorf("repository %d external connections: %w", r.ID, err)
	}
	r.CreatedTime = column.FromNanos(created)
	return &r, nil
}

func (t *tx) CreateRepository(r *model.Repository) error {
	res, err := t.exec(`INSERT INTO repositories(domain_id, name, description, admin_account, upstreams, external_connections, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.DomainID, r.Name, r.Description, r.AdministratorAccount, column.StringList(r.Upstreams), column.StringList(r.ExternalConnections), column.Nanos(r.CreatedTime))
	if err != nil {
		return err
	}
	r.ID, err = res.LastInsertId()
	return err
}

func (t *tx) GetRepository(domainID int64, name string) (*model.Repository, error) {
	load := func() (*model.Repository, error) {
		return t.cachedRepository(domainID, name, func() (*model.Repository, error) {
			return scanRepo(t.row(`SELECT `+repoCols+` FROM repositories r JOIN domains d ON d.id = r.domain_id WHERE r.domain_id = ? AND r.name = ?`, domainID, name))
		})
	}
	if t.rc == nil {
		return load()
	}
	key := cacheKey('r', []int64{domainID}, name)
	if v, ok := t.cached(key); ok {
		return cloneRepo(v.(model.Repository)), nil
	}
	r, err := load()
	if err == nil {
		size := 256 + len(r.Description)
		for _, u := range r.Upstreams {
			size += len(u) + 16
		}
		for _, c := range r.ExternalConnections {
			size += len(c) + 16
		}
		t.remember(key, *cloneRepo(*r), size)
	}
	return r, err
}

func (t *tx) UpdateRepository(r *model.Repository) error {
	_, err := t.exec(`UPDATE repositories SET description = ?, upstreams = ?, external_connections = ? WHERE id = ?`,
		r.Description, column.StringList(r.Upstreams), column.StringList(r.ExternalConnections), r.ID)
	return err
}

func (t *tx) DeleteRepository(id int64) error {
	_, err := t.exec(`DELETE FROM repositories WHERE id = ?`, id)
	return err
}

func (t *tx) ListRepositories(f meta.RepositoryFilter) ([]*model.Repository, error) {
	q := `SELECT ` + repoCols + ` FROM repositories r JOIN domains d ON d.id = r.domain_id WHERE 1=1`
	var args []any
	if f.DomainID != 0 {
		q += ` AND r.domain_id = ?`
		args = append(args, f.DomainID)
	}
	if f.AdministratorAccount != "" {
		q += ` AND r.admin_account = ?`
		args = append(args, f.AdministratorAccount)
	}
	if f.Prefix != "" {
		q += ` AND r.name LIKE ? ESCAPE '\'`
		args = append(args, column.LikePrefix(f.Prefix))
	}
	if f.After != "" {
		name, id, _ := strings.Cut(f.After, "/")
		q += ` AND (r.name > ? OR (r.name = ? AND r.id > ?))`
		args = append(args, name, name, id)
	}
	q += ` ORDER BY r.name, r.id LIMIT ?`
	args = append(args, limitOrAll(f.Limit))
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Repository
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *tx) Downstreams(domainID int64, name string) ([]string, error) {
	rows, err := t.query(`SELECT r.name FROM repositories r, json_each(r.upstreams) u WHERE r.domain_id = ? AND u.value = ? ORDER BY r.name`, domainID, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ---- packages

const pkgCols = `id, repository_id, format, namespace, name, origin_publish, origin_upstream, generation`

func scanPkg(sc interface{ Scan(...any) error }) (*model.Package, error) {
	var p model.Package
	var format string
	if err := sc.Scan(&p.ID, &p.RepositoryID, &format, &p.Key.Namespace, &p.Key.Name, &p.Origin.Publish, &p.Origin.Upstream, &p.Generation); err != nil {
		return nil, notFound(err)
	}
	p.Key.Format = model.Format(format)
	return &p, nil
}

func (t *tx) CreatePackage(p *model.Package) error {
	// SQLite reuses the rowid of a deleted last row, so a re-created
	// package may get its predecessor's ID. Starting the generation at the
	// clock keeps (ID, generation) unique, which caches on other replicas
	// key on.
	gen := time.Now().UnixNano()
	res, err := t.exec(`INSERT INTO packages(repository_id, format, namespace, name, origin_publish, origin_upstream, generation) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.RepositoryID, string(p.Key.Format), p.Key.Namespace, p.Key.Name, p.Origin.Publish, p.Origin.Upstream, gen)
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	p.Generation = gen
	return err
}

func (t *tx) GetPackage(repoID int64, k model.PackageKey) (*model.Package, error) {
	return t.cachedPackage(repoID, k, func() (*model.Package, error) {
		return scanPkg(t.row(`SELECT `+pkgCols+` FROM packages WHERE repository_id = ? AND format = ? AND namespace = ? AND name = ?`,
			repoID, string(k.Format), k.Namespace, k.Name))
	})
}

func (t *tx) GetPackageByID(id int64) (*model.Package, error) {
	return scanPkg(t.row(`SELECT `+pkgCols+` FROM packages WHERE id = ?`, id))
}

func (t *tx) SetPackageOrigin(id int64, o model.OriginRestrictions) error {
	_, err := t.exec(`UPDATE packages SET origin_publish = ?, origin_upstream = ?, generation = generation + 1 WHERE id = ?`, o.Publish, o.Upstream, id)
	return err
}

func (t *tx) DeletePackage(id int64) error {
	_, err := t.exec(`DELETE FROM packages WHERE id = ?`, id)
	return err
}

func (t *tx) ListPackages(repoID int64, f meta.PackageFilter) ([]*model.Package, error) {
	q := `SELECT ` + pkgCols + ` FROM packages WHERE repository_id = ?`
	args := []any{repoID}
	if f.Format != "" {
		q += ` AND format = ?`
		args = append(args, string(f.Format))
	}
	if f.NamespacePrefix != "" {
		q += ` AND namespace LIKE ? ESCAPE '\'`
		args = append(args, column.LikePrefix(f.NamespacePrefix))
	}
	if f.HasNamespace != nil {
		if *f.HasNamespace {
			q += ` AND namespace != ''`
		} else {
			q += ` AND namespace = ''`
		}
	}
	if f.NamePrefix != "" {
		q += ` AND name LIKE ? ESCAPE '\'`
		args = append(args, column.LikePrefix(f.NamePrefix))
	}
	if f.Publish != "" {
		q += ` AND origin_publish = ?`
		args = append(args, f.Publish)
	}
	if f.Upstream != "" {
		q += ` AND origin_upstream = ?`
		args = append(args, f.Upstream)
	}
	if f.After != "" {
		parts := strings.SplitN(f.After, "\x00", 3)
		if len(parts) == 3 {
			q += ` AND (format, namespace, name) > (?, ?, ?)`
			args = append(args, parts[0], parts[1], parts[2])
		}
	}
	q += ` ORDER BY format, namespace, name LIMIT ?`
	args = append(args, limitOrAll(f.Limit))
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Package
	for rows.Next() {
		p, err := scanPkg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) PackageState(pkgID int64) (map[string]string, error) {
	return t.cachedPackageState(pkgID, func() (map[string]string, error) { return t.packageState(pkgID) })
}

func (t *tx) packageState(pkgID int64) (map[string]string, error) {
	rows, err := t.query(`SELECT key, value FROM package_state WHERE package_id = ?`, pkgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

func (t *tx) SetPackageState(pkgID int64, key, value string) error {
	if _, err := t.exec(`INSERT INTO package_state(package_id, key, value) VALUES (?, ?, ?) ON CONFLICT(package_id, key) DO UPDATE SET value = excluded.value`, pkgID, key, value); err != nil {
		return err
	}
	return t.TouchPackage(pkgID)
}

func (t *tx) DeletePackageState(pkgID int64, key string) error {
	if _, err := t.exec(`DELETE FROM package_state WHERE package_id = ? AND key = ?`, pkgID, key); err != nil {
		return err
	}
	return t.TouchPackage(pkgID)
}

func (t *tx) TouchPackage(pkgID int64) error {
	_, err := t.exec(`UPDATE packages SET generation = generation + 1 WHERE id = ?`, pkgID)
	return err
}

// ---- versions

func scanVersion(sc interface{ Scan(...any) error }, details, fmeta bool) (*model.Version, error) {
	var v model.Version
	var status string
	var published int64
	dest := []any{&v.ID, &v.PackageID, &v.Version, &v.DisplayName, &v.Revision, &status, &published, &v.OriginType, &v.OriginRepository, &v.OriginExternal}
	var lic, deps string
	if details {
		dest = append(dest, &v.Summary, &v.HomePage, &v.SourceCodeRepo, &lic, &deps, &v.Readme)
	}
	if fmeta {
		dest = append(dest, &v.FormatMetadata)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, notFound(err)
	}
	v.Status = model.Status(status)
	v.PublishedTime = column.FromNanos(published)
	if details {
		if err := column.DecodeDetails(&v, lic, deps); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

func (t *tx) CreateVersion(v *model.Version) error {
	res, err := t.exec(`INSERT INTO versions(package_id, version, display_name, revision, status, published, origin_type, origin_repository, origin_external,
		summary, home_page, source_code_repo, licenses, dependencies, readme, format_meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.PackageID, v.Version, v.DisplayName, v.Revision, string(v.Status), column.Nanos(v.PublishedTime), v.OriginType, v.OriginRepository, v.OriginExternal,
		v.Summary, v.HomePage, v.SourceCodeRepo, column.JSONList(v.Licenses), column.JSONList(v.Dependencies), v.Readme, v.FormatMetadata)
	if err != nil {
		return err
	}
	if v.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return t.TouchPackage(v.PackageID)
}

func (t *tx) GetVersion(pkgID int64, version string) (*model.Version, error) {
	return t.cachedVersion(pkgID, version, func() (*model.Version, error) {
		return scanVersion(t.row(`SELECT `+column.Versions(true, true)+` FROM versions WHERE package_id = ? AND version = ?`, pkgID, version), true, true)
	})
}

func (t *tx) GetVersions(pkgID int64, versions []string) (map[string]*model.Version, error) {
	if len(versions) == 1 {
		return t.cachedVersionSummary(pkgID, versions[0], func() (map[string]*model.Version, error) {
			return t.getVersions(pkgID, versions)
		})
	}
	return t.getVersions(pkgID, versions)
}

func (t *tx) getVersions(pkgID int64, versions []string) (map[string]*model.Version, error) {
	out := make(map[string]*model.Version, len(versions))
	if len(versions) == 0 {
		return out, nil
	}
	args := []any{pkgID}
	for _, v := range versions {
		args = append(args, v)
	}
	rows, err := t.query(`SELECT `+column.Versions(false, false)+` FROM versions WHERE package_id = ? AND version IN (?`+strings.Repeat(",?", len(versions)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows, false, false)
		if err != nil {
			return nil, err
		}
		out[v.Version] = v
	}
	return out, rows.Err()
}

func (t *tx) UpdateVersion(v *model.Version) error {
	_, err := t.exec(`UPDATE versions SET display_name = ?, revision = ?, status = ?, published = ?, origin_type = ?, origin_repository = ?, origin_external = ?,
		summary = ?, home_page = ?, source_code_repo = ?, licenses = ?, dependencies = ?, readme = ?, format_meta = ? WHERE id = ?`,
		v.DisplayName, v.Revision, string(v.Status), column.Nanos(v.PublishedTime), v.OriginType, v.OriginRepository, v.OriginExternal,
		v.Summary, v.HomePage, v.SourceCodeRepo, column.JSONList(v.Licenses), column.JSONList(v.Dependencies), v.Readme, v.FormatMetadata, v.ID)
	if err != nil {
		return err
	}
	return t.TouchPackage(v.PackageID)
}

// idList renders ids for an IN clause; they are integers, so inlining
// them is safe and avoids SQLite's bound-parameter limit.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", id)
	}
	return b.String()
}

func (t *tx) touchVersionsPackages(ids []int64) error {
	_, err := t.exec(`UPDATE packages SET generation = generation + 1 WHERE id IN (SELECT DISTINCT package_id FROM versions WHERE id IN (` + idList(ids) + `))`)
	return err
}

func (t *tx) SetVersionStatus(ids []int64, s model.Status) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(`UPDATE versions SET status = ? WHERE id IN (`+idList(ids)+`)`, string(s)); err != nil {
		return err
	}
	return t.touchVersionsPackages(ids)
}

func (t *tx) DeleteVersions(ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := t.touchVersionsPackages(ids); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM versions WHERE id IN (` + idList(ids) + `)`)
	return err
}

func (t *tx) ListVersions(pkgID int64, f meta.VersionFilter) ([]*model.Version, error) {
	return t.cachedVersionList(pkgID, f, func() ([]*model.Version, error) { return t.listVersions(pkgID, f) })
}

func (t *tx) listVersions(pkgID int64, f meta.VersionFilter) ([]*model.Version, error) {
	q := `SELECT ` + column.Versions(f.WithDetails, f.WithFormatMeta) + ` FROM versions WHERE package_id = ?`
	args := []any{pkgID}
	switch {
	case f.AllStatuses:
	case f.Status != "":
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	default:
		q += ` AND status != ?`
		args = append(args, string(model.StatusArchived))
	}
	if f.OriginType != "" {
		q += ` AND origin_type = ?`
		args = append(args, f.OriginType)
	}
	if !f.PublishedBefore.IsZero() {
		q += ` AND published < ?`
		args = append(args, column.Nanos(f.PublishedBefore))
	}
	if f.Sort == meta.SortByPublished {
		if f.After != "" {
			ts, ver, _ := strings.Cut(f.After, "\x00")
			at, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, fmt.Errorf("bad cursor: %w", err)
			}
			q += ` AND (published < ? OR (published = ? AND version > ?))`
			args = append(args, column.Nanos(at), column.Nanos(at), ver)
		}
		q += ` ORDER BY published DESC, version`
	} else {
		if f.After != "" {
			q += ` AND version > ?`
			args = append(args, f.After)
		}
		q += ` ORDER BY version`
	}
	q += ` LIMIT ?`
	args = append(args, limitOrAll(f.Limit))
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Version
	for rows.Next() {
		v, err := scanVersion(rows, f.WithDetails, f.WithFormatMeta)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ---- assets

const assetCols = `id, version_id, name, size, md5, sha1, sha256, sha512, created`

func scanAsset(sc interface{ Scan(...any) error }) (*model.Asset, error) {
	var a model.Asset
	var created int64
	if err := sc.Scan(&a.ID, &a.VersionID, &a.Name, &a.Size, &a.Hashes.MD5, &a.Hashes.SHA1, &a.Hashes.SHA256, &a.Hashes.SHA512, &created); err != nil {
		return nil, notFound(err)
	}
	a.Created = column.FromNanos(created)
	return &a, nil
}

func (t *tx) PutAsset(a *model.Asset) error {
	res, err := t.exec(`INSERT INTO assets(version_id, name, size, md5, sha1, sha256, sha512, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.VersionID, a.Name, a.Size, a.Hashes.MD5, a.Hashes.SHA1, a.Hashes.SHA256, a.Hashes.SHA512, column.Nanos(a.Created))
	if err != nil {
		return err
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO blobs(digest, size) VALUES (?, ?) ON CONFLICT(digest) DO NOTHING`, a.Hashes.SHA256, a.Size); err != nil {
		return err
	}
	_, err = t.exec(`UPDATE packages SET generation = generation + 1 WHERE id = (SELECT package_id FROM versions WHERE id = ?)`, a.VersionID)
	return err
}

func (t *tx) GetAsset(versionID int64, name string) (*model.Asset, error) {
	return t.cachedAsset(versionID, name, func() (*model.Asset, error) {
		return scanAsset(t.row(`SELECT `+assetCols+` FROM assets WHERE version_id = ? AND name = ?`, versionID, name))
	})
}

func (t *tx) ListAssets(versionID int64, after string, limit int) ([]*model.Asset, error) {
	rows, err := t.query(`SELECT `+assetCols+` FROM assets WHERE version_id = ? AND name > ? ORDER BY name LIMIT ?`, versionID, after, limitOrAll(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *tx) DeleteAssets(versionID int64) error {
	if _, err := t.exec(`DELETE FROM assets WHERE version_id = ?`, versionID); err != nil {
		return err
	}
	_, err := t.exec(`UPDATE packages SET generation = generation + 1 WHERE id = (SELECT package_id FROM versions WHERE id = ?)`, versionID)
	return err
}

// ---- tags

func (t *tx) GetTags(arn string) ([]meta.Tag, error) {
	rows, err := t.query(`SELECT key, value FROM tags WHERE arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.Tag
	for rows.Next() {
		var tg meta.Tag
		if err := rows.Scan(&tg.Key, &tg.Value); err != nil {
			return nil, err
		}
		out = append(out, tg)
	}
	return out, rows.Err()
}

func (t *tx) SetTags(arn string, tags []meta.Tag) error {
	for _, tg := range tags {
		if _, err := t.exec(`INSERT INTO tags(arn, key, value) VALUES (?, ?, ?) ON CONFLICT(arn, key) DO UPDATE SET value = excluded.value`, arn, tg.Key, tg.Value); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) RemoveTags(arn string, keys []string) error {
	for _, k := range keys {
		if _, err := t.exec(`DELETE FROM tags WHERE arn = ? AND key = ?`, arn, k); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) DeleteTags(arn string) error {
	_, err := t.exec(`DELETE FROM tags WHERE arn = ?`, arn)
	return err
}

// ---- blobs

func (t *tx) LeaseBlob(digest string, until time.Time) error {
	_, err := t.exec(`INSERT INTO blob_leases(digest, until) VALUES (?, ?)`, digest, column.Nanos(until))
	return err
}

func (t *tx) ReleaseBlob(digest string) error {
	// One lease per call: concurrent publishes of the same bytes each hold
	// their own.
	_, err := t.exec(`DELETE FROM blob_leases WHERE rowid = (SELECT rowid FROM blob_leases WHERE digest = ? LIMIT 1)`, digest)
	return err
}

func (t *tx) BlobReferenced(digest string, now time.Time) (bool, error) {
	var n int
	err := t.row(`SELECT
		EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = ? AND v.status != 'Disposed')
		OR EXISTS (SELECT 1 FROM blob_leases WHERE digest = ? AND until > ?)`, digest, digest, column.Nanos(now)).Scan(&n)
	return n != 0, err
}

// UnreferencedBlobs looks only at gc_candidates (see the schema), so a
// collection costs what changed since the last one, not what is stored.
// In an Update it also drops the candidates that turned out referenced
// again (or unrecorded), so they are not checked every time.
func (t *tx) UnreferencedBlobs(now time.Time, limit int) ([]string, error) {
	if t.write {
		if _, err := t.exec(`DELETE FROM gc_candidates WHERE digest IN (SELECT c.digest FROM gc_candidates c
			WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = c.digest)
			OR EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = c.digest AND v.status != 'Disposed'))`); err != nil {
			return nil, err
		}
	}
	rows, err := t.query(`SELECT c.digest FROM gc_candidates c
		WHERE EXISTS (SELECT 1 FROM blobs b WHERE b.digest = c.digest)
		AND NOT EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = c.digest AND v.status != 'Disposed')
		AND NOT EXISTS (SELECT 1 FROM blob_leases l WHERE l.digest = c.digest AND l.until > ?)
		LIMIT ?`, column.Nanos(now), limitOrAll(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *tx) PruneBlobLeases(now time.Time) error {
	_, err := t.exec(`DELETE FROM blob_leases WHERE until <= ?`, column.Nanos(now))
	return err
}

func (t *tx) ForgetBlob(digest string) error {
	if _, err := t.exec(`DELETE FROM gc_candidates WHERE digest = ?`, digest); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM blobs WHERE digest = ?`, digest)
	return err
}

func (t *tx) KnownBlob(digest string) (bool, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM blobs WHERE digest = ?`, digest).Scan(&n)
	return n > 0, err
}

// ---- settings

func (t *tx) GetSetting(key string) (string, error) {
	var v string
	err := t.row(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

func (t *tx) PutSetting(key, value string) error {
	_, err := t.exec(`INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
