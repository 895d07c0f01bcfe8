package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
)

var _ meta.PackageGroups = (*tx)(nil)

// groupCols loads a group with the lengths of its allowed repository
// lists.
const groupCols = `g.id, g.domain_id, g.pattern, g.contact_info, g.description, g.mode_publish, g.mode_external_upstream, g.mode_internal_upstream, g.created,
	(SELECT COUNT(*) FILTER (WHERE a.restriction = 'PUBLISH') FROM package_group_allowed_repositories a WHERE a.group_id = g.id),
	(SELECT COUNT(*) FILTER (WHERE a.restriction = 'EXTERNAL_UPSTREAM') FROM package_group_allowed_repositories a WHERE a.group_id = g.id),
	(SELECT COUNT(*) FILTER (WHERE a.restriction = 'INTERNAL_UPSTREAM') FROM package_group_allowed_repositories a WHERE a.group_id = g.id)`

func scanGroup(sc pgx.Row) (*model.PackageGroup, error) {
	var g model.PackageGroup
	var pub, ext, internal string
	var nPub, nExt, nInt int
	var created int64
	if err := sc.Scan(&g.ID, &g.DomainID, &g.Pattern, &g.ContactInfo, &g.Description, &pub, &ext, &internal, &created, &nPub, &nExt, &nInt); err != nil {
		return nil, notFound(err)
	}
	g.CreatedTime = column.FromNanos(created)
	g.SetStored(pub, ext, internal, nPub, nExt, nInt)
	return &g, nil
}

func scanGroups(r pgx.Rows) (*model.PackageGroup, error) { return scanGroup(r) }

func (t *tx) CreatePackageGroup(g *model.PackageGroup) error {
	id, err := t.insert("package group "+g.Pattern, `INSERT INTO package_groups (domain_id, pattern, pattern_key, format, contact_info, description,
			mode_publish, mode_external_upstream, mode_internal_upstream, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id`,
		g.DomainID, g.Pattern, model.PatternKey(g.Pattern), model.PatternFormatOf(g.Pattern), g.ContactInfo, g.Description,
		string(g.Modes[model.RestrictionPublish]), string(g.Modes[model.RestrictionExternalUpstream]), string(g.Modes[model.RestrictionInternalUpstream]),
		column.Nanos(g.CreatedTime))
	if err != nil {
		return err
	}
	g.ID = id
	return nil
}

func (t *tx) GetPackageGroup(domainID int64, pattern string) (*model.PackageGroup, error) {
	return scanGroup(t.row(`SELECT `+groupCols+` FROM package_groups g WHERE g.domain_id = $1 AND g.pattern_key = $2`, domainID, model.PatternKey(pattern)))
}

func (t *tx) UpdatePackageGroup(g *model.PackageGroup) error {
	_, err := t.exec(`UPDATE package_groups SET contact_info = $1, description = $2, mode_publish = $3, mode_external_upstream = $4, mode_internal_upstream = $5 WHERE id = $6`,
		g.ContactInfo, g.Description,
		string(g.Modes[model.RestrictionPublish]), string(g.Modes[model.RestrictionExternalUpstream]), string(g.Modes[model.RestrictionInternalUpstream]), g.ID)
	return err
}

func (t *tx) DeletePackageGroup(id int64) error {
	_, err := t.exec(`DELETE FROM package_groups WHERE id = $1`, id)
	return err
}

func formatStrings(formats []model.Format) []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = string(f)
	}
	return out
}

func (t *tx) ListPackageGroups(domainID int64, formats ...model.Format) ([]*model.PackageGroup, error) {
	a := args{domainID}
	q := `SELECT ` + groupCols + ` FROM package_groups g WHERE g.domain_id = $1`
	if len(formats) > 0 {
		q += ` AND g.format = ANY(` + a.add(formatStrings(formats)) + `)`
	}
	rows, err := t.query(q+` ORDER BY g.pattern`, a...)
	return collect(rows, err, scanGroups)
}

func (t *tx) AddAllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	tag, err := t.exec(`INSERT INTO package_group_allowed_repositories (group_id, restriction, repository_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		groupID, string(rt), repoID)
	return tag.RowsAffected() > 0, err
}

func (t *tx) RemoveAllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	tag, err := t.exec(`DELETE FROM package_group_allowed_repositories WHERE group_id = $1 AND restriction = $2 AND repository_id = $3`,
		groupID, string(rt), repoID)
	return tag.RowsAffected() > 0, err
}

func (t *tx) ClearAllowedRepositories(groupID int64, rt model.OriginRestrictionType) ([]string, error) {
	rows, err := t.query(`WITH gone AS (
			DELETE FROM package_group_allowed_repositories WHERE group_id = $1 AND restriction = $2 RETURNING repository_id
		)
		SELECT r.name FROM gone JOIN repositories r ON r.id = gone.repository_id ORDER BY r.name`, groupID, string(rt))
	return collect(rows, err, scanString)
}

func (t *tx) ListAllowedRepositories(groupID int64, rt model.OriginRestrictionType, after string, limit int) ([]string, error) {
	rows, err := t.query(`SELECT r.name FROM package_group_allowed_repositories a JOIN repositories r ON r.id = a.repository_id
		WHERE a.group_id = $1 AND a.restriction = $2 AND r.name > $3 ORDER BY r.name LIMIT $4`, groupID, string(rt), after, limitOrAll(limit))
	return collect(rows, err, scanString)
}

func (t *tx) AllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	var ok bool
	err := t.row(`SELECT EXISTS (SELECT 1 FROM package_group_allowed_repositories WHERE group_id = $1 AND restriction = $2 AND repository_id = $3)`,
		groupID, string(rt), repoID).Scan(&ok)
	return ok, err
}

func (t *tx) ListDomainPackages(domainID int64, formats []model.Format, after string, limit int) ([]model.PackageKey, error) {
	a := args{domainID}
	q := `SELECT DISTINCT p.format, p.namespace, p.name FROM packages p JOIN repositories r ON r.id = p.repository_id WHERE r.domain_id = $1`
	if len(formats) > 0 {
		q += ` AND p.format = ANY(` + a.add(formatStrings(formats)) + `)`
	}
	if parts := strings.SplitN(after, "\x00", 3); len(parts) == 3 {
		q += ` AND (p.format, p.namespace, p.name) > (` + a.add(parts[0]) + `, ` + a.add(parts[1]) + `, ` + a.add(parts[2]) + `)`
	}
	q += ` ORDER BY p.format, p.namespace, p.name LIMIT ` + a.add(limitOrAll(limit))
	rows, err := t.query(q, a...)
	return collect(rows, err, func(r pgx.Rows) (model.PackageKey, error) {
		var k model.PackageKey
		var f string
		err := r.Scan(&f, &k.Namespace, &k.Name)
		k.Format = model.Format(f)
		return k, err
	})
}
