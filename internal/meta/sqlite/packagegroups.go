package sqlite

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/column"
	"github.com/wharf-dev/wharf/internal/model"
)

// groupCols loads a group with the lengths of its allowed repository
// lists, one correlated count per restriction type.
const groupCols = `g.id, g.domain_id, g.pattern, g.contact_info, g.description, g.mode_publish, g.mode_external_upstream, g.mode_internal_upstream, g.created,
	(SELECT COUNT(*) FROM package_group_allowed_repositories a WHERE a.group_id = g.id AND a.restriction = 'PUBLISH'),
	(SELECT COUNT(*) FROM package_group_allowed_repositories a WHERE a.group_id = g.id AND a.restriction = 'EXTERNAL_UPSTREAM'),
	(SELECT COUNT(*) FROM package_group_allowed_repositories a WHERE a.group_id = g.id AND a.restriction = 'INTERNAL_UPSTREAM')`

func scanGroup(sc interface{ Scan(...any) error }) (*model.PackageGroup, error) {
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

func (t *tx) CreatePackageGroup(g *model.PackageGroup) error {
	r, err := t.exec(`INSERT INTO package_groups (domain_id, pattern, pattern_key, format, contact_info, description, mode_publish, mode_external_upstream, mode_internal_upstream, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.DomainID, g.Pattern, model.PatternKey(g.Pattern), model.PatternFormatOf(g.Pattern), g.ContactInfo, g.Description,
		string(g.Modes[model.RestrictionPublish]), string(g.Modes[model.RestrictionExternalUpstream]), string(g.Modes[model.RestrictionInternalUpstream]),
		column.Nanos(g.CreatedTime))
	if err != nil {
		return err
	}
	g.ID, err = r.LastInsertId()
	return err
}

func (t *tx) GetPackageGroup(domainID int64, pattern string) (*model.PackageGroup, error) {
	return scanGroup(t.row(`SELECT `+groupCols+` FROM package_groups g WHERE g.domain_id = ? AND g.pattern_key = ?`, domainID, model.PatternKey(pattern)))
}

func (t *tx) UpdatePackageGroup(g *model.PackageGroup) error {
	_, err := t.exec(`UPDATE package_groups SET contact_info = ?, description = ?, mode_publish = ?, mode_external_upstream = ?, mode_internal_upstream = ? WHERE id = ?`,
		g.ContactInfo, g.Description,
		string(g.Modes[model.RestrictionPublish]), string(g.Modes[model.RestrictionExternalUpstream]), string(g.Modes[model.RestrictionInternalUpstream]), g.ID)
	return err
}

func (t *tx) DeletePackageGroup(id int64) error {
	_, err := t.exec(`DELETE FROM package_groups WHERE id = ?`, id)
	return err
}

func (t *tx) ListPackageGroups(domainID int64, formats ...model.Format) ([]*model.PackageGroup, error) {
	q := `SELECT ` + groupCols + ` FROM package_groups g WHERE g.domain_id = ?`
	args := []any{domainID}
	if len(formats) > 0 {
		q += ` AND g.format IN (?` + strings.Repeat(`, ?`, len(formats)-1) + `)`
		for _, f := range formats {
			args = append(args, string(f))
		}
	}
	rows, err := t.query(q+` ORDER BY g.pattern`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.PackageGroup
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (t *tx) AddAllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	r, err := t.exec(`INSERT OR IGNORE INTO package_group_allowed_repositories (group_id, restriction, repository_id) VALUES (?, ?, ?)`, groupID, string(rt), repoID)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

func (t *tx) RemoveAllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	r, err := t.exec(`DELETE FROM package_group_allowed_repositories WHERE group_id = ? AND restriction = ? AND repository_id = ?`, groupID, string(rt), repoID)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

func (t *tx) ClearAllowedRepositories(groupID int64, rt model.OriginRestrictionType) ([]string, error) {
	names, err := t.ListAllowedRepositories(groupID, rt, "", 0)
	if err != nil {
		return nil, err
	}
	_, err = t.exec(`DELETE FROM package_group_allowed_repositories WHERE group_id = ? AND restriction = ?`, groupID, string(rt))
	return names, err
}

func (t *tx) ListAllowedRepositories(groupID int64, rt model.OriginRestrictionType, after string, limit int) ([]string, error) {
	rows, err := t.query(`SELECT r.name FROM package_group_allowed_repositories a JOIN repositories r ON r.id = a.repository_id
		WHERE a.group_id = ? AND a.restriction = ? AND r.name > ? ORDER BY r.name LIMIT ?`, groupID, string(rt), after, limitOrAll(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func (t *tx) AllowedRepository(groupID int64, rt model.OriginRestrictionType, repoID int64) (bool, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM package_group_allowed_repositories WHERE group_id = ? AND restriction = ? AND repository_id = ?`, groupID, string(rt), repoID).Scan(&n)
	return n > 0, err
}

func (t *tx) ListDomainPackages(domainID int64, formats []model.Format, after string, limit int) ([]model.PackageKey, error) {
	q := `SELECT DISTINCT p.format, p.namespace, p.name FROM packages p JOIN repositories r ON r.id = p.repository_id WHERE r.domain_id = ?`
	args := []any{domainID}
	if len(formats) > 0 {
		q += ` AND p.format IN (?` + strings.Repeat(`, ?`, len(formats)-1) + `)`
		for _, f := range formats {
			args = append(args, string(f))
		}
	}
	if parts := strings.SplitN(after, "\x00", 3); len(parts) == 3 {
		q += ` AND (p.format, p.namespace, p.name) > (?, ?, ?)`
		args = append(args, parts[0], parts[1], parts[2])
	}
	rows, err := t.query(q+` ORDER BY p.format, p.namespace, p.name LIMIT ?`, append(args, limitOrAll(limit))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.PackageKey
	for rows.Next() {
		var k model.PackageKey
		var f string
		if err := rows.Scan(&f, &k.Namespace, &k.Name); err != nil {
			return nil, err
		}
		k.Format = model.Format(f)
		out = append(out, k)
	}
	return out, rows.Err()
}

var _ meta.PackageGroups = (*tx)(nil)
