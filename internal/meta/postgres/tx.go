package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
)

// tx implements meta.Tx. A failed statement aborts a PostgreSQL
// transaction (SQLite carries on), and the service goes on after an
// ErrExists or ErrNotFound within one Update, so writes that may meet an
// existing or missing row are written not to fail: INSERT ... ON
// CONFLICT DO NOTHING, or INSERT ... SELECT ... WHERE EXISTS, and the
// store reports ErrExists or ErrNotFound when no row was written.
type tx struct {
	ctx  context.Context
	pool *pgxpool.Pool
	opts pgx.TxOptions
	lock bool   // take the writer lock
	tx   pgx.Tx // nil until the first statement
}

var _ meta.Tx = (*tx)(nil)

// errUnstorable is what a write of text PostgreSQL cannot hold gets.
var errUnstorable = model.InvalidParameter("Text must be valid UTF-8 without NUL characters.")

// storable reports whether PostgreSQL text can hold every string
// argument: SQLite stores NUL and invalid UTF-8, PostgreSQL refuses them
// with an error that would abort the transaction. The service validates
// names before writing; reads may still be asked for anything (a path
// from a URL), and a row that cannot be stored cannot be found either.
func storable(args []any) bool {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !storableString(v) {
				return false
			}
		case []string:
			for _, s := range v {
				if !storableString(s) {
					return false
				}
			}
		}
	}
	return true
}

func storableString(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// begin sends the first statement of the transaction behind the BEGIN
// and, for an Update, the writer lock, and returns the batch positioned
// at that statement's result.
func (t *tx) begin(q string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.BeginTx(t.opts)
	if t.lock {
		b.Queue(lockWriters)
	}
	b.Queue(q, args...)
	br := t.pool.SendBatch(t.ctx, b)
	t.tx = br.Tx()
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	if t.lock {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("writer lock: %w", err)
		}
	}
	return br, nil
}

func (t *tx) rollback() {
	if t.tx != nil {
		t.tx.Rollback(context.WithoutCancel(t.ctx))
	}
}

func (t *tx) exec(q string, args ...any) (pgconn.CommandTag, error) {
	if !storable(args) {
		return pgconn.CommandTag{}, errUnstorable
	}
	var tag pgconn.CommandTag
	var err error
	if t.tx == nil {
		var br pgx.BatchResults
		if br, err = t.begin(q, args); err != nil {
			return tag, err
		}
		tag, err = br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	} else {
		tag, err = t.tx.Exec(t.ctx, q, args...)
	}
	return tag, mapErr(err)
}

func (t *tx) query(q string, args ...any) (pgx.Rows, error) {
	if !storable(args) {
		return emptyRows{}, nil
	}
	if t.tx != nil {
		return t.tx.Query(t.ctx, q, args...)
	}
	br, err := t.begin(q, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return batchRows{rows, br}, nil
}

func (t *tx) row(q string, args ...any) pgx.Row {
	if !storable(args) {
		return errRow{pgx.ErrNoRows}
	}
	if t.tx != nil {
		return t.tx.QueryRow(t.ctx, q, args...)
	}
	br, err := t.begin(q, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br.QueryRow(), br}
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id and
// reports a conflict as meta.ErrExists.
func (t *tx) insert(what, q string, args ...any) (int64, error) {
	if !storable(args) {
		return 0, errUnstorable
	}
	var id int64
	err := t.row(q, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s", meta.ErrExists, what)
	}
	return id, mapErr(err)
}

// batchRows and batchRow close the batch that began the transaction
// once the first statement's result is read, so the transaction can go
// on.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// emptyRows is a result with no rows.
type emptyRows struct{}

func (emptyRows) Close()                                       {}
func (emptyRows) Err() error                                   { return nil }
func (emptyRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (emptyRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (emptyRows) Next() bool                                   { return false }
func (emptyRows) Scan(...any) error                            { return pgx.ErrNoRows }
func (emptyRows) Values() ([]any, error)                       { return nil, pgx.ErrNoRows }
func (emptyRows) RawValues() [][]byte                          { return nil }
func (emptyRows) Conn() *pgx.Conn                              { return nil }
func (emptyRows) TypeMap() *pgtype.Map                         { return nil }

// PostgreSQL error codes the store maps.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// mapErr turns unique violations into meta.ErrExists.
func mapErr(err error) error {
	if err != nil && pgCode(err) == codeUniqueViolation {
		return fmt.Errorf("%w: %v", meta.ErrExists, err)
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.ErrNotFound
	}
	return err
}

// limitOrAll is a LIMIT argument: NULL means no limit.
func limitOrAll(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}

// args numbers query parameters as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ---- domains

func (t *tx) CreateDomain(d *model.Domain) error {
	id, err := t.insert("domain "+d.Name, `INSERT INTO domains (owner, name, encryption_key, created) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING RETURNING id`, d.Owner, d.Name, d.EncryptionKey, column.Nanos(d.CreatedTime))
	if err != nil {
		return err
	}
	d.ID = id
	return nil
}

const domainCols = `id, owner, name, encryption_key, created`

func scanDomain(sc pgx.Row) (*model.Domain, error) {
	var d model.Domain
	var created int64
	if err := sc.Scan(&d.ID, &d.Owner, &d.Name, &d.EncryptionKey, &created); err != nil {
		return nil, notFound(err)
	}
	d.CreatedTime = column.FromNanos(created)
	return &d, nil
}

func scanDomains(r pgx.Rows) (*model.Domain, error) { return scanDomain(r) }

func (t *tx) GetDomain(owner, name string) (*model.Domain, error) {
	return scanDomain(t.row(`SELECT `+domainCols+` FROM domains WHERE owner = $1 AND name = $2`, owner, name))
}

func (t *tx) ListDomains(owner, after string, limit int) ([]*model.Domain, error) {
	name, afterOwner, _ := strings.Cut(after, "/")
	rows, err := t.query(`SELECT `+domainCols+` FROM domains WHERE ($1 = '' OR owner = $1) AND (name > $2 OR (name = $2 AND owner > $3))
		ORDER BY name, owner LIMIT $4`, owner, name, afterOwner, limitOrAll(limit))
	return collect(rows, err, scanDomains)
}

func (t *tx) DeleteDomain(id int64) error {
	_, err := t.exec(`DELETE FROM domains WHERE id = $1`, id)
	return err
}

func (t *tx) DomainUsage(id int64) (int, int64, error) {
	var repos int
	var size int64
	err := t.row(`SELECT
		(SELECT COUNT(*) FROM repositories WHERE domain_id = $1),
		(SELECT COALESCE(SUM(size), 0)::bigint FROM (SELECT DISTINCT a.sha256, a.size FROM assets a
			JOIN versions v ON v.id = a.version_id
			JOIN packages p ON p.id = v.package_id
			JOIN repositories r ON r.id = p.repository_id
			WHERE r.domain_id = $1 AND v.status != 'Disposed') s)`, id).Scan(&repos, &size)
	return repos, size, err
}

// ---- repositories

const repoCols = `r.id, r.domain_id, d.name, d.owner, r.name, r.description, r.admin_account, r.upstreams, r.external_connections, r.created`

func scanRepo(sc pgx.Row) (*model.Repository, error) {
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

func scanRepos(r pgx.Rows) (*model.Repository, error) { return scanRepo(r) }

func (t *tx) CreateRepository(r *model.Repository) error {
	id, err := t.insert("repository "+r.Name, `INSERT INTO repositories (domain_id, name, description, admin_account, upstreams, external_connections, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
		r.DomainID, r.Name, r.Description, r.AdministratorAccount, column.StringList(r.Upstreams), column.StringList(r.ExternalConnections), column.Nanos(r.CreatedTime))
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

func (t *tx) GetRepository(domainID int64, name string) (*model.Repository, error) {
	return scanRepo(t.row(`SELECT `+repoCols+` FROM repositories r JOIN domains d ON d.id = r.domain_id WHERE r.domain_id = $1 AND r.name = $2`, domainID, name))
}

func (t *tx) UpdateRepository(r *model.Repository) error {
	_, err := t.exec(`UPDATE repositories SET description = $1, upstreams = $2, external_connections = $3 WHERE id = $4`,
		r.Description, column.StringList(r.Upstreams), column.StringList(r.ExternalConnections), r.ID)
	return err
}

func (t *tx) DeleteRepository(id int64) error {
	_, err := t.exec(`DELETE FROM repositories WHERE id = $1`, id)
	return err
}

func (t *tx) ListRepositories(f meta.RepositoryFilter) ([]*model.Repository, error) {
	q := `SELECT ` + repoCols + ` FROM repositories r JOIN domains d ON d.id = r.domain_id WHERE true`
	var a args
	if f.DomainID != 0 {
		q += ` AND r.domain_id = ` + a.add(f.DomainID)
	}
	if f.AdministratorAccount != "" {
		q += ` AND r.admin_account = ` + a.add(f.AdministratorAccount)
	}
	if f.Prefix != "" {
		q += ` AND r.name LIKE ` + a.add(column.LikePrefix(f.Prefix)) + ` ESCAPE '\'`
	}
	if f.After != "" {
		name, idText, _ := strings.Cut(f.After, "/")
		p := a.add(name)
		if id, err := strconv.ParseInt(idText, 10, 64); err == nil {
			q += ` AND (r.name > ` + p + ` OR (r.name = ` + p + ` AND r.id > ` + a.add(id) + `))`
		} else {
			// SQLite compares a non-numeric id as text, greater than any
			// integer: only later names follow.
			q += ` AND r.name > ` + p
		}
	}
	q += ` ORDER BY r.name, r.id LIMIT ` + a.add(limitOrAll(f.Limit))
	rows, err := t.query(q, a...)
	return collect(rows, err, scanRepos)
}

func scanString(r pgx.Rows) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

func (t *tx) Downstreams(domainID int64, name string) ([]string, error) {
	rows, err := t.query(`SELECT name FROM repositories WHERE domain_id = $1 AND upstreams::jsonb @> jsonb_build_array($2::text) ORDER BY name`, domainID, name)
	return collect(rows, err, scanString)
}

// ---- packages

const pkgCols = `id, repository_id, format, namespace, name, origin_publish, origin_upstream, generation`

func scanPkg(sc pgx.Row) (*model.Package, error) {
	var p model.Package
	var format string
	if err := sc.Scan(&p.ID, &p.RepositoryID, &format, &p.Key.Namespace, &p.Key.Name, &p.Origin.Publish, &p.Origin.Upstream, &p.Generation); err != nil {
		return nil, notFound(err)
	}
	p.Key.Format = model.Format(format)
	return &p, nil
}

func scanPkgs(r pgx.Rows) (*model.Package, error) { return scanPkg(r) }

func (t *tx) CreatePackage(p *model.Package) error {
	id, err := t.insert("package "+p.Key.Name, `INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
		p.RepositoryID, string(p.Key.Format), p.Key.Namespace, p.Key.Name, p.Origin.Publish, p.Origin.Upstream)
	if err != nil {
		return err
	}
	p.ID, p.Generation = id, 1
	return nil
}

func (t *tx) GetPackage(repoID int64, k model.PackageKey) (*model.Package, error) {
	return scanPkg(t.row(`SELECT `+pkgCols+` FROM packages WHERE repository_id = $1 AND format = $2 AND namespace = $3 AND name = $4`,
		repoID, string(k.Format), k.Namespace, k.Name))
}

func (t *tx) GetPackageByID(id int64) (*model.Package, error) {
	return scanPkg(t.row(`SELECT `+pkgCols+` FROM packages WHERE id = $1`, id))
}

func (t *tx) SetPackageOrigin(id int64, o model.OriginRestrictions) error {
	_, err := t.exec(`UPDATE packages SET origin_publish = $1, origin_upstream = $2, generation = generation + 1 WHERE id = $3`, o.Publish, o.Upstream, id)
	return err
}

func (t *tx) DeletePackage(id int64) error {
	_, err := t.exec(`DELETE FROM packages WHERE id = $1`, id)
	return err
}

func (t *tx) ListPackages(repoID int64, f meta.PackageFilter) ([]*model.Package, error) {
	a := args{repoID}
	q := `SELECT ` + pkgCols + ` FROM packages WHERE repository_id = $1`
	if f.Format != "" {
		q += ` AND format = ` + a.add(string(f.Format))
	}
	if f.NamespacePrefix != "" {
		q += ` AND namespace LIKE ` + a.add(column.LikePrefix(f.NamespacePrefix)) + ` ESCAPE '\'`
	}
	if f.HasNamespace != nil {
		if *f.HasNamespace {
			q += ` AND namespace != ''`
		} else {
			q += ` AND namespace = ''`
		}
	}
	if f.NamePrefix != "" {
		q += ` AND name LIKE ` + a.add(column.LikePrefix(f.NamePrefix)) + ` ESCAPE '\'`
	}
	if f.Publish != "" {
		q += ` AND origin_publish = ` + a.add(f.Publish)
	}
	if f.Upstream != "" {
		q += ` AND origin_upstream = ` + a.add(f.Upstream)
	}
	if f.After != "" {
		if parts := strings.SplitN(f.After, "\x00", 3); len(parts) == 3 {
			q += ` AND (format, namespace, name) > (` + a.add(parts[0]) + `, ` + a.add(parts[1]) + `, ` + a.add(parts[2]) + `)`
		}
	}
	q += ` ORDER BY format, namespace, name LIMIT ` + a.add(limitOrAll(f.Limit))
	rows, err := t.query(q, a...)
	return collect(rows, err, scanPkgs)
}

func (t *tx) PackageState(pkgID int64) (map[string]string, error) {
	rows, err := t.query(`SELECT key, value FROM package_state WHERE package_id = $1`, pkgID)
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

// SetPackageState and DeletePackageState, like every version and asset
// write, move the package's generation through the schema's triggers.
func (t *tx) SetPackageState(pkgID int64, key, value string) error {
	_, err := t.exec(`INSERT INTO package_state (package_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (package_id, key) DO UPDATE SET value = excluded.value`, pkgID, key, value)
	return err
}

func (t *tx) DeletePackageState(pkgID int64, key string) error {
	_, err := t.exec(`DELETE FROM package_state WHERE package_id = $1 AND key = $2`, pkgID, key)
	return err
}

func (t *tx) TouchPackage(pkgID int64) error {
	_, err := t.exec(`UPDATE packages SET generation = generation + 1 WHERE id = $1`, pkgID)
	return err
}

// ---- versions

func scanVersion(sc pgx.Row, details, fmeta bool) (*model.Version, error) {
	var v model.Version
	var status string
	var published int64
	var display []byte
	dest := []any{&v.ID, &v.PackageID, &v.Version, &display, &v.Revision, &status, &published, &v.OriginType, &v.OriginRepository, &v.OriginExternal}
	var summary, home, src, readme []byte
	var lic, deps string
	if details {
		dest = append(dest, &summary, &home, &src, &lic, &deps, &readme)
	}
	if fmeta {
		dest = append(dest, &v.FormatMetadata)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, notFound(err)
	}
	v.DisplayName = string(display)
	v.Status = model.Status(status)
	v.PublishedTime = column.FromNanos(published)
	if details {
		v.Summary, v.HomePage, v.SourceCodeRepo, v.Readme = string(summary), string(home), string(src), string(readme)
		if err := column.DecodeDetails(&v, lic, deps); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

func (t *tx) CreateVersion(v *model.Version) error {
	id, err := t.insert("version "+v.Version, `INSERT INTO versions (package_id, version, display_name, revision, status, published, origin_type, origin_repository, origin_external,
		summary, home_page, source_code_repo, licenses, dependencies, readme, format_meta) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT DO NOTHING RETURNING id`,
		v.PackageID, v.Version, []byte(v.DisplayName), v.Revision, string(v.Status), column.Nanos(v.PublishedTime), v.OriginType, v.OriginRepository, v.OriginExternal,
		[]byte(v.Summary), []byte(v.HomePage), []byte(v.SourceCodeRepo), column.JSONList(v.Licenses), column.JSONList(v.Dependencies), []byte(v.Readme), v.FormatMetadata)
	if err != nil {
		return err
	}
	v.ID = id
	return nil
}

func (t *tx) GetVersion(pkgID int64, version string) (*model.Version, error) {
	return scanVersion(t.row(`SELECT `+column.Versions(true, true)+` FROM versions WHERE package_id = $1 AND version = $2`, pkgID, version), true, true)
}

func (t *tx) GetVersions(pkgID int64, versions []string) (map[string]*model.Version, error) {
	out := make(map[string]*model.Version, len(versions))
	if len(versions) == 0 {
		return out, nil
	}
	// Names PostgreSQL cannot store cannot exist: look up the others.
	ok := make([]string, 0, len(versions))
	for _, v := range versions {
		if storableString(v) {
			ok = append(ok, v)
		}
	}
	rows, err := t.query(`SELECT `+column.Versions(false, false)+` FROM versions WHERE package_id = $1 AND version = ANY($2)`, pkgID, ok)
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
	_, err := t.exec(`UPDATE versions SET display_name = $1, revision = $2, status = $3, published = $4, origin_type = $5, origin_repository = $6, origin_external = $7,
		summary = $8, home_page = $9, source_code_repo = $10, licenses = $11, dependencies = $12, readme = $13, format_meta = $14 WHERE id = $15`,
		[]byte(v.DisplayName), v.Revision, string(v.Status), column.Nanos(v.PublishedTime), v.OriginType, v.OriginRepository, v.OriginExternal,
		[]byte(v.Summary), []byte(v.HomePage), []byte(v.SourceCodeRepo), column.JSONList(v.Licenses), column.JSONList(v.Dependencies), []byte(v.Readme), v.FormatMetadata, v.ID)
	return err
}

func (t *tx) SetVersionStatus(ids []int64, s model.Status) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := t.exec(`UPDATE versions SET status = $1 WHERE id = ANY($2)`, string(s), ids)
	return err
}

func (t *tx) DeleteVersions(ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := t.exec(`DELETE FROM versions WHERE id = ANY($1)`, ids)
	return err
}

func (t *tx) ListVersions(pkgID int64, f meta.VersionFilter) ([]*model.Version, error) {
	a := args{pkgID}
	q := `SELECT ` + column.Versions(f.WithDetails, f.WithFormatMeta) + ` FROM versions WHERE package_id = $1`
	switch {
	case f.AllStatuses:
	case f.Status != "":
		q += ` AND status = ` + a.add(string(f.Status))
	default:
		q += ` AND status != ` + a.add(string(model.StatusArchived))
	}
	if f.OriginType != "" {
		q += ` AND origin_type = ` + a.add(f.OriginType)
	}
	if !f.PublishedBefore.IsZero() {
		q += ` AND published < ` + a.add(column.Nanos(f.PublishedBefore))
	}
	if f.Sort == meta.SortByPublished {
		if f.After != "" {
			ts, ver, _ := strings.Cut(f.After, "\x00")
			at, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, fmt.Errorf("bad cursor: %w", err)
			}
			p := a.add(column.Nanos(at))
			q += ` AND (published < ` + p + ` OR (published = ` + p + ` AND version > ` + a.add(ver) + `))`
		}
		q += ` ORDER BY published DESC, version`
	} else {
		if f.After != "" {
			q += ` AND version > ` + a.add(f.After)
		}
		q += ` ORDER BY version`
	}
	q += ` LIMIT ` + a.add(limitOrAll(f.Limit))
	rows, err := t.query(q, a...)
	return collect(rows, err, func(r pgx.Rows) (*model.Version, error) { return scanVersion(r, f.WithDetails, f.WithFormatMeta) })
}

// ---- assets

const assetCols = `id, version_id, name, size, md5, sha1, sha256, sha512, created`

func scanAsset(sc pgx.Row) (*model.Asset, error) {
	var a model.Asset
	var created int64
	if err := sc.Scan(&a.ID, &a.VersionID, &a.Name, &a.Size, &a.Hashes.MD5, &a.Hashes.SHA1, &a.Hashes.SHA256, &a.Hashes.SHA512, &created); err != nil {
		return nil, notFound(err)
	}
	a.Created = column.FromNanos(created)
	return &a, nil
}

func scanAssets(r pgx.Rows) (*model.Asset, error) { return scanAsset(r) }

func (t *tx) PutAsset(a *model.Asset) error {
	// The blob is recorded by the same statement, only if the asset was
	// written.
	id, err := t.insert("asset "+a.Name, `WITH a AS (
			INSERT INTO assets (version_id, name, size, md5, sha1, sha256, sha512, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT DO NOTHING RETURNING id
		), b AS (
			INSERT INTO blobs (digest, size) SELECT $6, $3 FROM a ON CONFLICT DO NOTHING
		)
		SELECT id FROM a`,
		a.VersionID, a.Name, a.Size, a.Hashes.MD5, a.Hashes.SHA1, a.Hashes.SHA256, a.Hashes.SHA512, column.Nanos(a.Created))
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

func (t *tx) GetAsset(versionID int64, name string) (*model.Asset, error) {
	return scanAsset(t.row(`SELECT `+assetCols+` FROM assets WHERE version_id = $1 AND name = $2`, versionID, name))
}

func (t *tx) ListAssets(versionID int64, after string, limit int) ([]*model.Asset, error) {
	rows, err := t.query(`SELECT `+assetCols+` FROM assets WHERE version_id = $1 AND name > $2 ORDER BY name LIMIT $3`, versionID, after, limitOrAll(limit))
	return collect(rows, err, scanAssets)
}

func (t *tx) DeleteAssets(versionID int64) error {
	_, err := t.exec(`DELETE FROM assets WHERE version_id = $1`, versionID)
	return err
}

// ---- tags

func (t *tx) GetTags(arn string) ([]meta.Tag, error) {
	rows, err := t.query(`SELECT key, value FROM tags WHERE arn = $1 ORDER BY key`, arn)
	return collect(rows, err, func(r pgx.Rows) (meta.Tag, error) {
		var tg meta.Tag
		err := r.Scan(&tg.Key, &tg.Value)
		return tg, err
	})
}

func (t *tx) SetTags(arn string, tags []meta.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	keys := make([]string, len(tags))
	values := make([]string, len(tags))
	for i, tg := range tags {
		keys[i], values[i] = tg.Key, tg.Value
	}
	// One statement; a key given twice keeps its last value, as
	// successive upserts would.
	_, err := t.exec(`INSERT INTO tags (arn, key, value)
		SELECT DISTINCT ON (k) $1, k, v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(k, v, i) ORDER BY k, i DESC
		ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, keys, values)
	return err
}

func (t *tx) RemoveTags(arn string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := t.exec(`DELETE FROM tags WHERE arn = $1 AND key = ANY($2)`, arn, keys)
	return err
}

func (t *tx) DeleteTags(arn string) error {
	_, err := t.exec(`DELETE FROM tags WHERE arn = $1`, arn)
	return err
}

// ---- blobs

func (t *tx) LeaseBlob(digest string, until time.Time) error {
	_, err := t.exec(`INSERT INTO blob_leases (digest, until) VALUES ($1, $2)`, digest, column.Nanos(until))
	return err
}

func (t *tx) ReleaseBlob(digest string) error {
	// One lease per call: concurrent publishes of the same bytes each hold
	// their own.
	_, err := t.exec(`DELETE FROM blob_leases WHERE id = (SELECT id FROM blob_leases WHERE digest = $1 LIMIT 1)`, digest)
	return err
}

func (t *tx) BlobReferenced(digest string, now time.Time) (bool, error) {
	var ref bool
	err := t.row(`SELECT
		EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = $1 AND v.status != 'Disposed')
		OR EXISTS (SELECT 1 FROM blob_leases WHERE digest = $1 AND until > $2)`, digest, column.Nanos(now)).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // a digest PostgreSQL cannot store
	}
	return ref, err
}

// UnreferencedBlobs looks only at gc_candidates (see the schema), so a
// collection costs what changed since the last one, not what is stored.
// In an Update it also drops the candidates that turned out referenced
// again (or unrecorded), so they are not checked every time; those only
// a lease keeps stay, to be collected once it expires.
func (t *tx) UnreferencedBlobs(now time.Time, limit int) ([]string, error) {
	if t.lock {
		if _, err := t.exec(`DELETE FROM gc_candidates c
			WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = c.digest)
			OR EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = c.digest AND v.status != 'Disposed')`); err != nil {
			return nil, err
		}
	}
	rows, err := t.query(`SELECT c.digest FROM gc_candidates c
		WHERE EXISTS (SELECT 1 FROM blobs b WHERE b.digest = c.digest)
		AND NOT EXISTS (SELECT 1 FROM assets a JOIN versions v ON v.id = a.version_id WHERE a.sha256 = c.digest AND v.status != 'Disposed')
		AND NOT EXISTS (SELECT 1 FROM blob_leases l WHERE l.digest = c.digest AND l.until > $1)
		LIMIT $2`, column.Nanos(now), limitOrAll(limit))
	return collect(rows, err, scanString)
}

func (t *tx) PruneBlobLeases(now time.Time) error {
	_, err := t.exec(`DELETE FROM blob_leases WHERE until <= $1`, column.Nanos(now))
	return err
}

func (t *tx) ForgetBlob(digest string) error {
	_, err := t.exec(`WITH c AS (DELETE FROM gc_candidates WHERE digest = $1) DELETE FROM blobs WHERE digest = $1`, digest)
	return err
}

func (t *tx) KnownBlob(digest string) (bool, error) {
	var known bool
	err := t.row(`SELECT EXISTS (SELECT 1 FROM blobs WHERE digest = $1)`, digest).Scan(&known)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return known, err
}

// ---- settings

func (t *tx) GetSetting(key string) (string, error) {
	var v string
	err := t.row(`SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	return v, notFound(err)
}

func (t *tx) PutSetting(key, value string) error {
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
