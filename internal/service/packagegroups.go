package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Package groups: the ten operations, and the PUBLISH restriction that
// Publish enforces. Patterns, matching and the hierarchy are the model's
// (model.ParsePattern, model.GroupSet); this file resolves, authorizes and
// stores.
//
// Decisions where CodeArtifact's documentation is silent:
//   - Adding repositories to a restriction type's allowed list needs that
//     type's mode (after the request's restrictions apply) to be
//     ALLOW_SPECIFIC_REPOSITORIES, and moving a type off that mode empties
//     its list (reported as REMOVED), so a list never lingers unused.
//   - One request adds and removes at most 100 repositories in all (AWS's
//     CloudFormation provider splits larger changes at 100).
//   - The root group /* cannot INHERIT and cannot be deleted.
//   - Missing groups are ResourceNotFoundExceptions with resourceType
//     "package-group" (the model's ResourceType enum predates groups).
//   - GetAssociatedPackageGroup and ListPackageGroups authorize on the
//     domain; every other operation on the group's ARN.

// maxAllowedRepositoryUpdates bounds additions plus removals per request.
const maxAllowedRepositoryUpdates = 100

// resourcePackageGroup is the resourceType of errors about groups.
const resourcePackageGroup = "package-group"

// PackageGroupReference names a package group by ARN and pattern.
type PackageGroupReference struct {
	Arn     string `json:"arn"`
	Pattern string `json:"pattern"`
}

// PackageGroupOriginRestriction is one origin restriction of a group, as set and as in effect.
type PackageGroupOriginRestriction struct {
	Mode              model.OriginRestrictionMode `json:"mode"`
	EffectiveMode     model.OriginRestrictionMode `json:"effectiveMode"`
	InheritedFrom     *PackageGroupReference      `json:"inheritedFrom,omitempty"`
	RepositoriesCount int64                       `json:"repositoriesCount"`
}

// PackageGroupOriginConfiguration is a group's origin restrictions by type.
type PackageGroupOriginConfiguration struct {
	Restrictions map[model.OriginRestrictionType]PackageGroupOriginRestriction `json:"restrictions"`
}

// PackageGroupDescription is also the shape of PackageGroupSummary.
type PackageGroupDescription struct {
	Arn                 string                           `json:"arn"`
	Pattern             string                           `json:"pattern"`
	DomainName          string                           `json:"domainName"`
	DomainOwner         string                           `json:"domainOwner"`
	CreatedTime         *Timestamp                       `json:"createdTime,omitempty"`
	ContactInfo         string                           `json:"contactInfo,omitempty"`
	Description         string                           `json:"description,omitempty"`
	OriginConfiguration *PackageGroupOriginConfiguration `json:"originConfiguration,omitempty"`
	Parent              *PackageGroupReference           `json:"parent,omitempty"`
}

// AssociatedPackage is a package associated with a group, strongly or weakly.
type AssociatedPackage struct {
	Format          model.Format `json:"format"`
	Namespace       string       `json:"namespace,omitempty"`
	Package         string       `json:"package"`
	AssociationType string       `json:"associationType"`
}

// tokenKind scopes a pagination token to one listing: a digest of what
// the listing depends on keeps the token short whatever the pattern.
func tokenKind(kind, scope string) string {
	h := sha256.Sum256([]byte(scope))
	return kind + ":" + hex.EncodeToString(h[:8])
}

func groupNotFound(domain, pattern string) error {
	return model.NotFound(resourcePackageGroup, pattern, "Package group not found. Domain: %s, PackageGroup: %s", domain, pattern)
}

func (s *Service) groupARN(d *model.Domain, pattern string) string {
	return model.PackageGroupARN(s.cfg.Region, d.Owner, d.Name, pattern)
}

func (s *Service) groupRef(d *model.Domain, g *model.PackageGroup) *PackageGroupReference {
	return &PackageGroupReference{Arn: s.groupARN(d, g.Pattern), Pattern: g.Pattern}
}

func (s *Service) describeGroup(set *model.GroupSet, d *model.Domain, g *model.PackageGroup) PackageGroupDescription {
	out := PackageGroupDescription{
		Arn: s.groupARN(d, g.Pattern), Pattern: g.Pattern, DomainName: d.Name, DomainOwner: d.Owner,
		CreatedTime: ts(g.CreatedTime), ContactInfo: g.ContactInfo, Description: g.Description,
		OriginConfiguration: &PackageGroupOriginConfiguration{Restrictions: map[model.OriginRestrictionType]PackageGroupOriginRestriction{}},
	}
	for _, rt := range model.RestrictionTypes {
		mode := g.Modes[rt]
		eff, from := set.Effective(g, rt)
		r := PackageGroupOriginRestriction{Mode: mode, EffectiveMode: eff, RepositoriesCount: int64(g.AllowedCounts[rt])}
		if mode == model.ModeInherit && from != nil {
			r.InheritedFrom = s.groupRef(d, from)
		}
		out.OriginConfiguration.Restrictions[rt] = r
	}
	if p := set.Parent(g); p != nil {
		out.Parent = s.groupRef(d, p)
	}
	return out
}

// groupFormats are the formats whose groups can be g's ancestors,
// descendants or matches: every format for the root, else the pattern's
// own and the root ("").
func groupFormats(p model.Pattern) []model.Format {
	if p.Kind == model.PatternAll {
		return nil
	}
	return []model.Format{"", p.Format}
}

func (s *Service) groupSet(tx meta.Tx, d *model.Domain, formats []model.Format) (*model.GroupSet, error) {
	gs, err := tx.ListPackageGroups(d.ID, formats...)
	if err != nil {
		return nil, err
	}
	return model.NewGroupSet(gs)
}

// groupScope is a resolved and authorized group request.
type groupScope struct {
	domain  *model.Domain
	pattern model.Pattern
	arn     string
	set     *model.GroupSet     // the groups related to the pattern
	group   *model.PackageGroup // nil if it does not exist
}

// resolveGroup parses the pattern, resolves the domain, authorizes action
// on the group's ARN and loads the groups its answer depends on.
func (s *Service) resolveGroup(ctx context.Context, tx meta.Tx, c Caller, domain, owner, pattern, action string) (*groupScope, error) {
	p, err := model.ParsePattern(pattern)
	if err != nil {
		return nil, err
	}
	d, err := s.getDomain(tx, ownerOr(owner, c), domain)
	if err != nil {
		return nil, err
	}
	sc := &groupScope{domain: d, pattern: p}
	if g, err := tx.GetPackageGroup(d.ID, pattern); err == nil {
		// The stored spelling names the group, whatever case asked for it.
		sc.arn = s.groupARN(d, g.Pattern)
	} else if errors.Is(err, meta.ErrNotFound) {
		sc.arn = s.groupARN(d, pattern)
	} else {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, sc.arn, d.Owner); err != nil {
		return nil, err
	}
	if sc.set, err = s.groupSet(tx, d, groupFormats(p)); err != nil {
		return nil, err
	}
	sc.group = sc.set.Find(pattern)
	return sc, nil
}

// existingGroup is resolveGroup for a group that must exist.
func (s *Service) existingGroup(ctx context.Context, tx meta.Tx, c Caller, domain, owner, pattern, action string) (*groupScope, error) {
	sc, err := s.resolveGroup(ctx, tx, c, domain, owner, pattern, action)
	if err != nil {
		return nil, err
	}
	if sc.group == nil {
		return nil, groupNotFound(sc.domain.Name, pattern)
	}
	return sc, nil
}

// ---- create, describe, update, delete

// PackageGroupInput names a package group by its pattern.
type PackageGroupInput struct {
	Domain       string `json:"domain"`
	DomainOwner  string `json:"domainOwner"`
	PackageGroup string `json:"packageGroup"`
}

// CreatePackageGroupInput is CreatePackageGroup's request.
type CreatePackageGroupInput struct {
	PackageGroupInput
	ContactInfo string `json:"contactInfo"`
	Description string `json:"description"`
	Tags        []Tag  `json:"tags"`
}

// UpdatePackageGroupInput is UpdatePackageGroup's request; nil members stay as they are.
type UpdatePackageGroupInput struct {
	PackageGroupInput
	ContactInfo *string `json:"contactInfo"`
	Description *string `json:"description"`
}

// PackageGroupOutput is the answer of the package group operations that describe one group.
type PackageGroupOutput struct {
	PackageGroup PackageGroupDescription `json:"packageGroup"`
}

// CreatePackageGroup creates a package group for a pattern in a domain.
func (s *Service) CreatePackageGroup(ctx context.Context, c Caller, in CreatePackageGroupInput) (*PackageGroupOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out PackageGroupOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolveGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "CreatePackageGroup")
		if err != nil {
			return err
		}
		exists := func(pattern string) error {
			return model.Conflict(resourcePackageGroup, pattern, "Package group %s already exists in domain %s", pattern, sc.domain.Name)
		}
		if sc.group != nil {
			return exists(sc.group.Pattern)
		}
		g := &model.PackageGroup{DomainID: sc.domain.ID, Pattern: in.PackageGroup, ContactInfo: in.ContactInfo, Description: in.Description,
			CreatedTime: s.now(), Modes: model.DefaultGroupModes(in.PackageGroup)}
		if err := tx.CreatePackageGroup(g); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return exists(in.PackageGroup)
			}
			return err
		}
		if err := tx.SetTags(sc.arn, toMetaTags(in.Tags)); err != nil {
			return err
		}
		set, err := s.groupSet(tx, sc.domain, groupFormats(sc.pattern))
		if err != nil {
			return err
		}
		out.PackageGroup = s.describeGroup(set, sc.domain, set.Find(g.Pattern))
		return nil
	})
	return &out, wrap("create package group", err)
}

// DescribePackageGroup describes a package group and its effective origin configuration.
func (s *Service) DescribePackageGroup(ctx context.Context, c Caller, in PackageGroupInput) (*PackageGroupOutput, error) {
	var out PackageGroupOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.existingGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "DescribePackageGroup")
		if err != nil {
			return err
		}
		out.PackageGroup = s.describeGroup(sc.set, sc.domain, sc.group)
		return nil
	})
	return &out, wrap("describe package group", err)
}

// UpdatePackageGroup changes a group's contact information and description.
func (s *Service) UpdatePackageGroup(ctx context.Context, c Caller, in UpdatePackageGroupInput) (*PackageGroupOutput, error) {
	var out PackageGroupOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.existingGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "UpdatePackageGroup")
		if err != nil {
			return err
		}
		g := sc.group
		if in.ContactInfo != nil {
			g.ContactInfo = *in.ContactInfo
		}
		if in.Description != nil {
			g.Description = *in.Description
		}
		if err := tx.UpdatePackageGroup(g); err != nil {
			return err
		}
		out.PackageGroup = s.describeGroup(sc.set, sc.domain, g)
		return nil
	})
	return &out, wrap("update package group", err)
}

// DeletePackageGroup deletes a package group other than the root; its children then hang from its parent.
func (s *Service) DeletePackageGroup(ctx context.Context, c Caller, in PackageGroupInput) (*PackageGroupOutput, error) {
	var out PackageGroupOutput
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.resolveGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "DeletePackageGroup")
		if err != nil {
			return err
		}
		if sc.pattern.Kind == model.PatternAll {
			return model.InvalidParameter("The root package group %s cannot be deleted.", model.RootPattern)
		}
		if sc.group == nil {
			return groupNotFound(sc.domain.Name, in.PackageGroup)
		}
		// Its children need no update: the hierarchy is worked out from the
		// patterns, so they now hang from the deleted group's parent.
		out.PackageGroup = s.describeGroup(sc.set, sc.domain, sc.group)
		if err := tx.DeleteTags(sc.arn); err != nil {
			return err
		}
		return tx.DeletePackageGroup(sc.group.ID)
	})
	return &out, wrap("delete package group", err)
}

// deletePackageGroupTags drops the tags of a domain's groups, whose rows
// go with the domain.
func (s *Service) deletePackageGroupTags(tx meta.Tx, d *model.Domain) error {
	gs, err := tx.ListPackageGroups(d.ID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if err := tx.DeleteTags(s.groupARN(d, g.Pattern)); err != nil {
			return err
		}
	}
	return nil
}

// taggableGroup checks that a package-group ARN names an existing group
// exactly as CodeArtifact spells it (ARNs match exactly: "npm/%2A" is not
// "npm/%2a").
func (s *Service) taggableGroup(tx meta.Tx, d *model.Domain, arn, pattern string) bool {
	g, err := tx.GetPackageGroup(d.ID, pattern)
	return err == nil && s.groupARN(d, g.Pattern) == arn
}

// ---- origin configuration

// PackageGroupAllowedRepository is a repository allowed by one of a group's restriction types.
type PackageGroupAllowedRepository struct {
	RepositoryName        string                      `json:"repositoryName"`
	OriginRestrictionType model.OriginRestrictionType `json:"originRestrictionType"`
}

// UpdatePackageGroupOriginConfigurationInput is UpdatePackageGroupOriginConfiguration's request.
type UpdatePackageGroupOriginConfigurationInput struct {
	PackageGroupInput
	Restrictions              map[model.OriginRestrictionType]model.OriginRestrictionMode `json:"restrictions"`
	AddAllowedRepositories    []PackageGroupAllowedRepository                             `json:"addAllowedRepositories"`
	RemoveAllowedRepositories []PackageGroupAllowedRepository                             `json:"removeAllowedRepositories"`
}

// Allowed repository update types (PackageGroupAllowedRepositoryUpdateType).
const (
	repositoriesAdded   = "ADDED"
	repositoriesRemoved = "REMOVED"
)

// UpdatePackageGroupOriginConfigurationOutput is UpdatePackageGroupOriginConfiguration's answer.
type UpdatePackageGroupOriginConfigurationOutput struct {
	PackageGroup             PackageGroupDescription                             `json:"packageGroup"`
	AllowedRepositoryUpdates map[model.OriginRestrictionType]map[string][]string `json:"allowedRepositoryUpdates"`
}

func checkAllowedRepositories(what string, list []PackageGroupAllowedRepository) error {
	for _, a := range list {
		if !a.OriginRestrictionType.Valid() {
			return model.Validationf("Each of %s needs an originRestrictionType, one of EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH (got '%s').", what, a.OriginRestrictionType)
		}
		if a.RepositoryName == "" {
			return model.Validationf("Each of %s needs a repositoryName.", what)
		}
	}
	return nil
}

// UpdatePackageGroupOriginConfiguration sets a group's origin modes and its allowed repositories.
func (s *Service) UpdatePackageGroupOriginConfiguration(ctx context.Context, c Caller, in UpdatePackageGroupOriginConfigurationInput) (*UpdatePackageGroupOriginConfigurationOutput, error) {
	for rt, m := range in.Restrictions {
		if !rt.Valid() || !m.Valid() {
			return nil, model.Validationf("Invalid restriction %s=%s: the type must be one of EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH and the mode one of ALLOW, ALLOW_SPECIFIC_REPOSITORIES, BLOCK, INHERIT.", rt, m)
		}
	}
	if n := len(in.AddAllowedRepositories) + len(in.RemoveAllowedRepositories); n > maxAllowedRepositoryUpdates {
		return nil, model.InvalidParameter("A request can add and remove at most %d allowed repositories in all; this one has %d.", maxAllowedRepositoryUpdates, n)
	}
	if err := checkAllowedRepositories("addAllowedRepositories", in.AddAllowedRepositories); err != nil {
		return nil, err
	}
	if err := checkAllowedRepositories("removeAllowedRepositories", in.RemoveAllowedRepositories); err != nil {
		return nil, err
	}
	for _, a := range in.AddAllowedRepositories {
		if slices.Contains(in.RemoveAllowedRepositories, a) {
			return nil, model.InvalidParameter("Repository %s is both added to and removed from the %s allowed repositories.", a.RepositoryName, a.OriginRestrictionType)
		}
	}
	out := UpdatePackageGroupOriginConfigurationOutput{AllowedRepositoryUpdates: map[model.OriginRestrictionType]map[string][]string{}}
	record := func(rt model.OriginRestrictionType, kind, name string) {
		if out.AllowedRepositoryUpdates[rt] == nil {
			out.AllowedRepositoryUpdates[rt] = map[string][]string{}
		}
		out.AllowedRepositoryUpdates[rt][kind] = append(out.AllowedRepositoryUpdates[rt][kind], name)
	}
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		sc, err := s.existingGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "UpdatePackageGroupOriginConfiguration")
		if err != nil {
			return err
		}
		g := sc.group
		old := maps.Clone(g.Modes)
		for rt, m := range in.Restrictions {
			if m == model.ModeInherit && sc.pattern.Kind == model.PatternAll {
				return model.InvalidParameter("The root package group %s has no parent to inherit %s from.", model.RootPattern, rt)
			}
			g.Modes[rt] = m
		}
		repo := func(name string) (*model.Repository, error) {
			r, err := tx.GetRepository(sc.domain.ID, name)
			if errors.Is(err, meta.ErrNotFound) {
				return nil, repoNotFound(sc.domain.Name, name)
			}
			return r, err
		}
		for _, a := range in.AddAllowedRepositories {
			if m := g.Modes[a.OriginRestrictionType]; m != model.ModeAllowSpecificRepo {
				return model.InvalidParameter("Repository %s cannot be added to the %s allowed repositories of package group %s: its %s mode is %s, not ALLOW_SPECIFIC_REPOSITORIES.",
					a.RepositoryName, a.OriginRestrictionType, g.Pattern, a.OriginRestrictionType, m)
			}
		}
		if err := tx.UpdatePackageGroup(g); err != nil {
			return err
		}
		for _, rt := range model.RestrictionTypes {
			if old[rt] == model.ModeAllowSpecificRepo && g.Modes[rt] != model.ModeAllowSpecificRepo {
				names, err := tx.ClearAllowedRepositories(g.ID, rt)
				if err != nil {
					return err
				}
				for _, n := range names {
					record(rt, repositoriesRemoved, n)
				}
			}
		}
		for _, a := range in.RemoveAllowedRepositories {
			r, err := repo(a.RepositoryName)
			if err != nil {
				return err
			}
			if removed, err := tx.RemoveAllowedRepository(g.ID, a.OriginRestrictionType, r.ID); err != nil {
				return err
			} else if removed {
				record(a.OriginRestrictionType, repositoriesRemoved, r.Name)
			}
		}
		for _, a := range in.AddAllowedRepositories {
			r, err := repo(a.RepositoryName)
			if err != nil {
				return err
			}
			if added, err := tx.AddAllowedRepository(g.ID, a.OriginRestrictionType, r.ID); err != nil {
				return err
			} else if added {
				record(a.OriginRestrictionType, repositoriesAdded, r.Name)
			}
		}
		// Reload for the new list lengths and the modes children inherit.
		set, err := s.groupSet(tx, sc.domain, groupFormats(sc.pattern))
		if err != nil {
			return err
		}
		out.PackageGroup = s.describeGroup(set, sc.domain, set.Find(g.Pattern))
		return nil
	})
	if err != nil {
		return nil, wrap("update package group origin configuration", err)
	}
	return &out, nil
}

// ListAllowedRepositoriesForGroupInput is ListAllowedRepositoriesForGroup's request.
type ListAllowedRepositoriesForGroupInput struct {
	PackageGroupInput
	OriginRestrictionType model.OriginRestrictionType `json:"originRestrictionType"`
	MaxResults            int                         `json:"maxResults"`
	NextToken             string                      `json:"nextToken"`
}

// ListAllowedRepositoriesForGroupOutput is one page of ListAllowedRepositoriesForGroup.
type ListAllowedRepositoriesForGroupOutput struct {
	AllowedRepositories []string `json:"allowedRepositories"`
	NextToken           string   `json:"nextToken,omitempty"`
}

// ListAllowedRepositoriesForGroup lists the repositories a group allows for one restriction type.
func (s *Service) ListAllowedRepositoriesForGroup(ctx context.Context, c Caller, in ListAllowedRepositoriesForGroupInput) (*ListAllowedRepositoriesForGroupOutput, error) {
	if !in.OriginRestrictionType.Valid() {
		return nil, model.Validationf("Invalid originRestrictionType '%s': use one of EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH.", in.OriginRestrictionType)
	}
	kind := tokenKind("allowed-repositories", in.Domain+"\x00"+in.PackageGroup+"\x00"+string(in.OriginRestrictionType))
	after, err := decodeToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 100)
	out := ListAllowedRepositoriesForGroupOutput{AllowedRepositories: []string{}}
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.existingGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "ListAllowedRepositoriesForGroup")
		if err != nil {
			return err
		}
		names, err := tx.ListAllowedRepositories(sc.group.ID, in.OriginRestrictionType, after, limit+1)
		if err != nil {
			return err
		}
		if len(names) > limit {
			names = names[:limit]
			out.NextToken = encodeToken(kind, names[limit-1])
		}
		out.AllowedRepositories = append(out.AllowedRepositories, names...)
		return nil
	})
	return &out, wrap("list allowed repositories for group", err)
}

// ---- listings

// ListPackageGroupsInput is ListPackageGroups' request.
type ListPackageGroupsInput struct {
	Domain      string `json:"domain"`
	DomainOwner string `json:"domainOwner"`
	Prefix      string `json:"prefix"`
	MaxResults  int    `json:"maxResults"`
	NextToken   string `json:"nextToken"`
}

// ListSubPackageGroupsInput is ListSubPackageGroups' request.
type ListSubPackageGroupsInput struct {
	PackageGroupInput
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

// ListPackageGroupsOutput is one page of ListPackageGroups or ListSubPackageGroups.
type ListPackageGroupsOutput struct {
	PackageGroups []PackageGroupDescription `json:"packageGroups"`
	NextToken     string                    `json:"nextToken,omitempty"`
}

// pageGroups describes the groups (ordered by pattern) after the token's
// pattern, one page of them.
func (s *Service) pageGroups(set *model.GroupSet, d *model.Domain, gs []*model.PackageGroup, kind, token string, max int) (*ListPackageGroupsOutput, error) {
	after, err := decodeToken(kind, token)
	if err != nil {
		return nil, err
	}
	limit := pageSize(max, 100)
	out := &ListPackageGroupsOutput{PackageGroups: []PackageGroupDescription{}}
	for _, g := range gs {
		if after != "" && g.Pattern <= after {
			continue
		}
		if len(out.PackageGroups) == limit {
			out.NextToken = encodeToken(kind, out.PackageGroups[limit-1].Pattern)
			break
		}
		out.PackageGroups = append(out.PackageGroups, s.describeGroup(set, d, g))
	}
	return out, nil
}

// ListPackageGroups lists a domain's package groups, optionally by pattern prefix.
func (s *Service) ListPackageGroups(ctx context.Context, c Caller, in ListPackageGroupsInput) (*ListPackageGroupsOutput, error) {
	var out *ListPackageGroupsOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "ListPackageGroups", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		set, err := s.groupSet(tx, d, nil)
		if err != nil {
			return err
		}
		var gs []*model.PackageGroup
		for _, g := range set.Groups() {
			if strings.HasPrefix(g.Pattern, in.Prefix) {
				gs = append(gs, g)
			}
		}
		out, err = s.pageGroups(set, d, gs, tokenKind("package-groups", in.Domain+"\x00"+in.Prefix), in.NextToken, in.MaxResults)
		return err
	})
	return out, wrap("list package groups", err)
}

// ListSubPackageGroups lists the groups whose parent is the given group.
func (s *Service) ListSubPackageGroups(ctx context.Context, c Caller, in ListSubPackageGroupsInput) (*ListPackageGroupsOutput, error) {
	var out *ListPackageGroupsOutput
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.existingGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "ListSubPackageGroups")
		if err != nil {
			return err
		}
		out, err = s.pageGroups(sc.set, sc.domain, sc.set.Children(sc.group), tokenKind("sub-package-groups", sc.domain.Name+"\x00"+sc.group.Pattern), in.NextToken, in.MaxResults)
		return err
	})
	return out, wrap("list sub package groups", err)
}

// ListAssociatedPackagesInput is ListAssociatedPackages' request.
type ListAssociatedPackagesInput struct {
	PackageGroupInput
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
	Preview    bool   `json:"preview"`
}

// ListAssociatedPackagesOutput is one page of ListAssociatedPackages.
type ListAssociatedPackagesOutput struct {
	Packages  []AssociatedPackage `json:"packages"`
	NextToken string              `json:"nextToken,omitempty"`
}

// associationScan is how many package coordinates ListAssociatedPackages
// reads from the store at a time while filling a page (a variable so
// tests can make batches small).
var associationScan = 500

// ListAssociatedPackages lists the domain's packages a group is associated with (with preview, before it exists).
func (s *Service) ListAssociatedPackages(ctx context.Context, c Caller, in ListAssociatedPackagesInput) (*ListAssociatedPackagesOutput, error) {
	kind := tokenKind("associated-packages", in.Domain+"\x00"+in.PackageGroup)
	after, err := decodeToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults, 100)
	out := ListAssociatedPackagesOutput{Packages: []AssociatedPackage{}}
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		sc, err := s.resolveGroup(ctx, tx, c, in.Domain, in.DomainOwner, in.PackageGroup, "ListAssociatedPackages")
		if err != nil {
			return err
		}
		set, g := sc.set, sc.group
		if g == nil {
			if !in.Preview {
				return groupNotFound(sc.domain.Name, in.PackageGroup)
			}
			// What the group would hold if it were created now.
			g = &model.PackageGroup{Pattern: in.PackageGroup, Modes: model.DefaultGroupModes(in.PackageGroup)}
			if set, err = model.NewGroupSet(append(slices.Clone(set.Groups()), g)); err != nil {
				return err
			}
		}
		var formats []model.Format
		if sc.pattern.Kind != model.PatternAll {
			formats = []model.Format{sc.pattern.Format}
		}
		var found []model.PackageKey
		for len(found) <= limit {
			keys, err := tx.ListDomainPackages(sc.domain.ID, formats, after, associationScan)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if a, typ := set.Associated(k); a == g {
					found = append(found, k)
					out.Packages = append(out.Packages, AssociatedPackage{Format: k.Format, Namespace: k.Namespace, Package: k.Name, AssociationType: typ})
					if len(found) > limit {
						break
					}
				}
			}
			if len(keys) < associationScan {
				break
			}
			after = meta.PackageCursor(&model.Package{Key: keys[len(keys)-1]})
		}
		if len(found) > limit {
			out.Packages = out.Packages[:limit]
			out.NextToken = encodeToken(kind, meta.PackageCursor(&model.Package{Key: found[limit-1]}))
		}
		return nil
	})
	return &out, wrap("list associated packages", err)
}

// GetAssociatedPackageGroupInput is GetAssociatedPackageGroup's request.
type GetAssociatedPackageGroupInput struct {
	Domain      string       `json:"domain"`
	DomainOwner string       `json:"domainOwner"`
	Format      model.Format `json:"format"`
	Namespace   string       `json:"namespace"`
	Package     string       `json:"package"`
}

// GetAssociatedPackageGroupOutput is GetAssociatedPackageGroup's answer.
type GetAssociatedPackageGroupOutput struct {
	PackageGroup    PackageGroupDescription `json:"packageGroup"`
	AssociationType string                  `json:"associationType"`
}

// GetAssociatedPackageGroup answers for any coordinate, whether or not a
// repository holds the package. Names are normalized first, as stored
// packages' are.
func (s *Service) GetAssociatedPackageGroup(ctx context.Context, c Caller, in GetAssociatedPackageGroupInput) (*GetAssociatedPackageGroupOutput, error) {
	k, err := PackageRef{Format: in.Format, Namespace: in.Namespace, Package: in.Package}.key()
	if err != nil {
		return nil, err
	}
	var out GetAssociatedPackageGroupOutput
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		d, err := s.getDomain(tx, ownerOr(in.DomainOwner, c), in.Domain)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "GetAssociatedPackageGroup", s.domainARN(d), d.Owner); err != nil {
			return err
		}
		set, err := s.groupSet(tx, d, []model.Format{"", k.Format})
		if err != nil {
			return err
		}
		g, typ := set.Associated(k)
		if g == nil {
			return groupNotFound(d.Name, model.RootPattern) // every domain has its root
		}
		out.PackageGroup, out.AssociationType = s.describeGroup(set, d, g), typ
		return nil
	})
	return &out, wrap("get associated package group", err)
}

// ---- enforcement

// checkGroupPublish refuses a publish that the PUBLISH restriction of the
// package's group (its own mode or the one it inherits) does not allow
// into this repository. Package-level origin controls are checked beside
// it (checkPublishable): a block in either wins.
func (s *Service) checkGroupPublish(tx meta.Tx, sc *pkgScope) error {
	set, err := s.groupSet(tx, sc.domain, []model.Format{"", sc.key.Format})
	if err != nil {
		return err
	}
	g, _ := set.Associated(sc.key)
	if g == nil {
		return nil
	}
	mode, from := set.Effective(g, model.RestrictionPublish)
	switch mode {
	case model.ModeBlock:
		return model.AccessDenied("Publishing to package %s is blocked by the origin configuration of package group %s (PUBLISH=BLOCK).",
			model.DisplayName(sc.key), from.Pattern)
	case model.ModeAllowSpecificRepo:
		ok, err := tx.AllowedRepository(from.ID, model.RestrictionPublish, sc.repo.ID)
		if err != nil {
			return err
		}
		if !ok {
			return model.AccessDenied("Publishing package %s to repository %s is blocked by the origin configuration of package group %s (PUBLISH=ALLOW_SPECIFIC_REPOSITORIES, and %s is not an allowed repository).",
				model.DisplayName(sc.key), sc.repo.Name, from.Pattern, sc.repo.Name)
		}
	}
	return nil
}
