package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// pgARN is a package group's ARN as CodeArtifact spells it: the pattern
// without its leading slash, '*' and '$' percent-encoded in lowercase.
func pgARN(domain, encoded string) string {
	return "arn:aws:codeartifact:us-east-1:" + testAccount + ":package-group/" + domain + "/" + encoded
}

// groupDoc renders a PackageGroupDescription (or summary) as the JSON the
// service sent, createdTime left out (the tests check it on its own).
func groupDoc(g *types.PackageGroupDescription) map[string]any {
	if g == nil {
		return nil
	}
	ref := func(r *types.PackageGroupReference) map[string]any {
		return map[string]any{"arn": aws.ToString(r.Arn), "pattern": aws.ToString(r.Pattern)}
	}
	doc := map[string]any{"arn": aws.ToString(g.Arn), "pattern": aws.ToString(g.Pattern),
		"domainName": aws.ToString(g.DomainName), "domainOwner": aws.ToString(g.DomainOwner)}
	if g.ContactInfo != nil {
		doc["contactInfo"] = *g.ContactInfo
	}
	if g.Description != nil {
		doc["description"] = *g.Description
	}
	if g.Parent != nil {
		doc["parent"] = ref(g.Parent)
	}
	if g.OriginConfiguration != nil {
		rs := map[string]any{}
		for k, r := range g.OriginConfiguration.Restrictions {
			m := map[string]any{"mode": string(r.Mode), "effectiveMode": string(r.EffectiveMode)}
			if r.RepositoriesCount != nil {
				m["repositoriesCount"] = float64(*r.RepositoriesCount)
			}
			if r.InheritedFrom != nil {
				m["inheritedFrom"] = ref(r.InheritedFrom)
			}
			rs[k] = m
		}
		doc["originConfiguration"] = map[string]any{"restrictions": rs}
	}
	return doc
}

// summaryDoc renders a PackageGroupSummary the same way.
func summaryDoc(g types.PackageGroupSummary) map[string]any {
	return groupDoc(&types.PackageGroupDescription{Arn: g.Arn, Pattern: g.Pattern, DomainName: g.DomainName, DomainOwner: g.DomainOwner,
		ContactInfo: g.ContactInfo, Description: g.Description, OriginConfiguration: g.OriginConfiguration, Parent: g.Parent})
}

// restriction is the JSON of one restriction type's configuration.
func restriction(mode, effective, from string, count int) string {
	s := `{"mode":"` + mode + `","effectiveMode":"` + effective + `","repositoriesCount":` + jsonNumber(count)
	if from != "" {
		s += `,"inheritedFrom":` + from
	}
	return s + "}"
}

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }

// ref is the JSON of a PackageGroupReference.
func ref(domain, pattern, encoded string) string {
	return `{"arn":"` + pgARN(domain, encoded) + `","pattern":"` + pattern + `"}`
}

type pgClient struct {
	c      *ca.Client
	domain string
}

func (p pgClient) create(pattern string) (*ca.CreatePackageGroupOutput, error) {
	return p.c.CreatePackageGroup(ctx, &ca.CreatePackageGroupInput{Domain: aws.String(p.domain), PackageGroup: aws.String(pattern)})
}

func (p pgClient) mustCreate(t *testing.T, patterns ...string) {
	t.Helper()
	for _, pattern := range patterns {
		if _, err := p.create(pattern); err != nil {
			t.Fatalf("CreatePackageGroup %s: %v", pattern, err)
		}
	}
}

func (p pgClient) describe(pattern string) (*types.PackageGroupDescription, error) {
	out, err := p.c.DescribePackageGroup(ctx, &ca.DescribePackageGroupInput{Domain: aws.String(p.domain), PackageGroup: aws.String(pattern)})
	if err != nil {
		return nil, err
	}
	return out.PackageGroup, nil
}

func (p pgClient) mustDescribe(t *testing.T, pattern string) *types.PackageGroupDescription {
	t.Helper()
	g, err := p.describe(pattern)
	if err != nil {
		t.Fatalf("DescribePackageGroup %s: %v", pattern, err)
	}
	return g
}

func (p pgClient) setOrigin(restrictions map[string]types.PackageGroupOriginRestrictionMode, add, remove []types.PackageGroupAllowedRepository, pattern string) (*ca.UpdatePackageGroupOriginConfigurationOutput, error) {
	return p.c.UpdatePackageGroupOriginConfiguration(ctx, &ca.UpdatePackageGroupOriginConfigurationInput{
		Domain: aws.String(p.domain), PackageGroup: aws.String(pattern), Restrictions: restrictions,
		AddAllowedRepositories: add, RemoveAllowedRepositories: remove,
	})
}

func allowed(rt types.PackageGroupOriginRestrictionType, repos ...string) []types.PackageGroupAllowedRepository {
	var out []types.PackageGroupAllowedRepository
	for _, r := range repos {
		out = append(out, types.PackageGroupAllowedRepository{OriginRestrictionType: rt, RepositoryName: aws.String(r)})
	}
	return out
}

func modes(kv ...string) map[string]types.PackageGroupOriginRestrictionMode {
	m := map[string]types.PackageGroupOriginRestrictionMode{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = types.PackageGroupOriginRestrictionMode(kv[i+1])
	}
	return m
}

// subGroups follows ListSubPackageGroups' pages.
func (p pgClient) subGroups(t *testing.T, pattern string) []string {
	t.Helper()
	var out []string
	pg := ca.NewListSubPackageGroupsPaginator(p.c, &ca.ListSubPackageGroupsInput{Domain: aws.String(p.domain), PackageGroup: aws.String(pattern), MaxResults: aws.Int32(1)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSubPackageGroups %s: %v", pattern, err)
		}
		for _, g := range page.PackageGroups {
			out = append(out, aws.ToString(g.Pattern))
		}
	}
	return out
}

// associated follows ListAssociatedPackages' pages, as "ns/name TYPE".
func (p pgClient) associated(t *testing.T, pattern string, preview bool, pageSize int32) []string {
	t.Helper()
	var out []string
	pg := ca.NewListAssociatedPackagesPaginator(p.c, &ca.ListAssociatedPackagesInput{Domain: aws.String(p.domain), PackageGroup: aws.String(pattern),
		Preview: aws.Bool(preview), MaxResults: aws.Int32(pageSize)})
	pages := 0
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAssociatedPackages %s: %v", pattern, err)
		}
		pages++
		if len(page.Packages) > int(pageSize) {
			t.Errorf("ListAssociatedPackages %s: %d packages on a page of %d", pattern, len(page.Packages), pageSize)
		}
		for _, a := range page.Packages {
			out = append(out, string(a.Format)+":"+aws.ToString(a.Namespace)+"/"+aws.ToString(a.Package)+" "+string(a.AssociationType))
		}
	}
	return out
}

// TestPackageGroupsLifecycle: create, describe, update, tag and delete
// groups, with the exact response of each, and the refusals.
func TestPackageGroupsLifecycle(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "pg", "main")
	p := pgClient{c, "pg"}
	dom, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("pg")})
	if err != nil {
		t.Fatal(err)
	}

	// The root group exists from the domain's creation and allows every
	// origin.
	rootRef := ref("pg", "/*", "%2a")
	root := p.mustDescribe(t, "/*")
	jsonEqual(t, "root group", groupDoc(root), `{"arn":"`+pgARN("pg", "%2a")+`","pattern":"/*","domainName":"pg","domainOwner":"`+testAccount+`",
		"originConfiguration":{"restrictions":{
			"PUBLISH":`+restriction("ALLOW", "ALLOW", "", 0)+`,
			"EXTERNAL_UPSTREAM":`+restriction("ALLOW", "ALLOW", "", 0)+`,
			"INTERNAL_UPSTREAM":`+restriction("ALLOW", "ALLOW", "", 0)+`}}}`)
	if root.CreatedTime == nil || !root.CreatedTime.Equal(*dom.Domain.CreatedTime) {
		t.Errorf("root createdTime %v, want the domain's %v", root.CreatedTime, dom.Domain.CreatedTime)
	}

	before := time.Now()
	out, err := c.CreatePackageGroup(ctx, &ca.CreatePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/npm/space/*"),
		ContactInfo: aws.String("ui-team@example.com"), Description: aws.String("UI components"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ui")}}})
	if err != nil {
		t.Fatal(err)
	}
	inheritAll := `{"restrictions":{
		"PUBLISH":` + restriction("INHERIT", "ALLOW", rootRef, 0) + `,
		"EXTERNAL_UPSTREAM":` + restriction("INHERIT", "ALLOW", rootRef, 0) + `,
		"INTERNAL_UPSTREAM":` + restriction("INHERIT", "ALLOW", rootRef, 0) + `}}`
	spaceARN := pgARN("pg", "npm/space/%2a")
	wantSpace := `{"arn":"` + spaceARN + `","pattern":"/npm/space/*","domainName":"pg","domainOwner":"` + testAccount + `",
		"contactInfo":"ui-team@example.com","description":"UI components","parent":` + rootRef + `,"originConfiguration":` + inheritAll + `}`
	jsonEqual(t, "CreatePackageGroup", groupDoc(out.PackageGroup), wantSpace)
	within(t, "createdTime", out.PackageGroup.CreatedTime, before, time.Now())
	created := *out.PackageGroup.CreatedTime
	got := p.mustDescribe(t, "/npm/space/*")
	jsonEqual(t, "DescribePackageGroup", groupDoc(got), wantSpace)
	if !got.CreatedTime.Equal(created) {
		t.Errorf("describe createdTime %v, create said %v", got.CreatedTime, created)
	}
	// A group created under it has it as parent and inherits through it.
	out, err = p.create("/npm/space/ui$")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "CreatePackageGroup /npm/space/ui$", groupDoc(out.PackageGroup), `{"arn":"`+pgARN("pg", "npm/space/ui%24")+`","pattern":"/npm/space/ui$",
		"domainName":"pg","domainOwner":"`+testAccount+`","parent":`+ref("pg", "/npm/space/*", "npm/space/%2a")+`,"originConfiguration":`+inheritAll+`}`)

	// Tags on groups, by the ARN exactly as CodeArtifact spells it.
	tags := func(arn string) map[string]string {
		t.Helper()
		o, err := c.ListTagsForResource(ctx, &ca.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", arn, err)
		}
		m := map[string]string{}
		for _, tag := range o.Tags {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		return m
	}
	if got := tags(spaceARN); len(got) != 1 || got["team"] != "ui" {
		t.Errorf("tags from CreatePackageGroup = %v", got)
	}
	if _, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(spaceARN), Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &ca.UntagResourceInput{ResourceArn: aws.String(spaceARN), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(spaceARN); len(got) != 1 || got["tier"] != "1" {
		t.Errorf("tags after TagResource and UntagResource = %v", got)
	}
	if _, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(pgARN("pg", "%2a")), Tags: []types.Tag{{Key: aws.String("root"), Value: aws.String("yes")}}}); err != nil {
		t.Errorf("tagging the root group: %v", err)
	}
	for _, bad := range []string{pgARN("pg", "npm/space/%2A"), pgARN("pg", "npm/other/%2a"), pgARN("nodomain", "%2a")} {
		_, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(bad), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		asErr[*types.ResourceNotFoundException](t, err)
		_, err = c.ListTagsForResource(ctx, &ca.ListTagsForResourceInput{ResourceArn: aws.String(bad)})
		asErr[*types.ResourceNotFoundException](t, err)
	}

	// Duplicates, case variants included, and the root are conflicts.
	for _, dup := range []string{"/npm/space/*", "/npm/SPACE/*", "/*"} {
		_, err := p.create(dup)
		cf := asErr[*types.ConflictException](t, err)
		if string(cf.ResourceType) != "package-group" || !strings.Contains(aws.ToString(cf.Message), "already exists in domain pg") {
			t.Errorf("duplicate %s: %v", dup, err)
		}
	}

	// Bad patterns: the service model's constraints, then the syntax.
	_, err = p.create("x")
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed,
		"1 validation error detected: Value 'x' at 'packageGroup' failed to satisfy constraint: Member must have length greater than or equal to 2")
	_, err = p.create("/npm/sp ace/*")
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "at 'packageGroup' failed to satisfy constraint: Member must satisfy regular expression pattern")
	for _, tt := range []struct{ pattern, why string }{
		{"npm/*", "it must start with '/'"},
		{"/npm/space", "it must end with '$' (exact match), '~' (prefix match) or '*' (any value)"},
		{"/npm/space/ui", "it must end with '$'"},
		{"/npm/space$", "'$' ends a full package path"},
		{"/npm~", "'~' ends a namespace or name prefix"},
		{"/npm/sp*", "'*' must be a whole path component"},
		{"/npm/a/b/*", "'*' may follow a format or a namespace"},
		{"/rpm/*", "'rpm' is not a package format"},
		{"/pypi/ns/*", "packages of format pypi have no namespace"},
		{"/maven//lib$", "packages of format maven always have a namespace"},
		{"/pypi//My_Pkg$", "pypi package names are normalized; use 'my-pkg'"},
		{"/npm/space/~", "a name prefix must not be empty"},
	} {
		_, err := p.create(tt.pattern)
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "Invalid package group pattern '"+tt.pattern+"': "+tt.why)
		_, err = p.describe(tt.pattern)
		asErr[*types.ValidationException](t, err)
	}

	// Missing groups and domains.
	missing := "/npm/nothere/*"
	_, err = p.describe(missing)
	wantNotFound(t, err, "package-group", missing)
	_, err = c.UpdatePackageGroup(ctx, &ca.UpdatePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String(missing), Description: aws.String("x")})
	wantNotFound(t, err, "package-group", missing)
	_, err = c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String(missing)})
	wantNotFound(t, err, "package-group", missing)
	_, err = p.setOrigin(modes("PUBLISH", "BLOCK"), nil, nil, missing)
	wantNotFound(t, err, "package-group", missing)
	_, err = c.ListSubPackageGroups(ctx, &ca.ListSubPackageGroupsInput{Domain: aws.String("pg"), PackageGroup: aws.String(missing)})
	wantNotFound(t, err, "package-group", missing)
	_, err = c.ListAssociatedPackages(ctx, &ca.ListAssociatedPackagesInput{Domain: aws.String("pg"), PackageGroup: aws.String(missing)})
	wantNotFound(t, err, "package-group", missing)
	_, err = c.ListAllowedRepositoriesForGroup(ctx, &ca.ListAllowedRepositoriesForGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String(missing),
		OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish})
	wantNotFound(t, err, "package-group", missing)
	_, err = c.DescribePackageGroup(ctx, &ca.DescribePackageGroupInput{Domain: aws.String("nodomain"), PackageGroup: aws.String("/*")})
	wantNotFound(t, err, "domain", "nodomain")
	_, err = c.GetAssociatedPackageGroup(ctx, &ca.GetAssociatedPackageGroupInput{Domain: aws.String("nodomain"), Format: types.PackageFormatNpm, Package: aws.String("x")})
	wantNotFound(t, err, "domain", "nodomain")

	// UpdatePackageGroup changes only what it is given.
	up, err := c.UpdatePackageGroup(ctx, &ca.UpdatePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/npm/space/*"), Description: aws.String("UI kit")})
	if err != nil {
		t.Fatal(err)
	}
	wantUpdated := strings.Replace(wantSpace, `"UI components"`, `"UI kit"`, 1)
	jsonEqual(t, "UpdatePackageGroup", groupDoc(up.PackageGroup), wantUpdated)
	jsonEqual(t, "after UpdatePackageGroup", groupDoc(p.mustDescribe(t, "/npm/space/*")), wantUpdated)
	up, err = c.UpdatePackageGroup(ctx, &ca.UpdatePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/npm/space/*"), ContactInfo: aws.String("")})
	if err != nil {
		t.Fatal(err)
	}
	if up.PackageGroup.ContactInfo != nil || aws.ToString(up.PackageGroup.Description) != "UI kit" {
		t.Errorf("clearing contactInfo: %v", groupDoc(up.PackageGroup))
	}

	// The root cannot be deleted; another group can, once.
	_, err = c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/*")})
	wantValidation(t, err, types.ValidationExceptionReasonOther, "The root package group /* cannot be deleted")
	del, err := c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/npm/space/ui$")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.PackageGroup.Pattern) != "/npm/space/ui$" || aws.ToString(del.PackageGroup.Parent.Pattern) != "/npm/space/*" {
		t.Errorf("DeletePackageGroup = %v", groupDoc(del.PackageGroup))
	}
	_, err = c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: aws.String("pg"), PackageGroup: aws.String("/npm/space/ui$")})
	wantNotFound(t, err, "package-group", "/npm/space/ui$")
	_, err = c.ListTagsForResource(ctx, &ca.ListTagsForResourceInput{ResourceArn: aws.String(pgARN("pg", "npm/space/ui%24"))})
	asErr[*types.ResourceNotFoundException](t, err)

	// Deleting the domain takes its groups' tags along: a new domain of
	// the same name starts clean.
	if _, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("pg"), Repository: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("pg")}); err != nil {
		t.Fatal(err)
	}
	Setup(t, c, "pg")
	p.mustCreate(t, "/npm/space/*")
	if got := tags(spaceARN); len(got) != 0 {
		t.Errorf("a re-created group has its predecessor's tags: %v", got)
	}
	if got := tags(pgARN("pg", "%2a")); len(got) != 0 {
		t.Errorf("a new root group has its predecessor's tags: %v", got)
	}
}

// TestPackageGroupHierarchyAndOrigin: parents, sub-groups, inherited
// modes, allowed repository lists, re-parenting on delete and pagination.
func TestPackageGroupHierarchyAndOrigin(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "tree", "main", "other", "third")
	p := pgClient{c, "tree"}
	p.mustCreate(t, "/npm/*", "/npm/space/*", "/npm/space/anycompany~", "/npm/space/anycompany-ui~", "/maven/com.anycompany~", "/pypi//*")
	rootRef := ref("tree", "/*", "%2a")
	npmRef := ref("tree", "/npm/*", "npm/%2a")

	parent := func(pattern string) string {
		t.Helper()
		g := p.mustDescribe(t, pattern)
		if g.Parent == nil {
			return ""
		}
		return aws.ToString(g.Parent.Pattern)
	}
	for child, want := range map[string]string{"/npm/*": "/*", "/npm/space/*": "/npm/*", "/npm/space/anycompany~": "/npm/space/*",
		"/npm/space/anycompany-ui~": "/npm/space/anycompany~", "/maven/com.anycompany~": "/*", "/*": ""} {
		if got := parent(child); got != want {
			t.Errorf("parent of %s = %q, want %q", child, got, want)
		}
	}
	if got := p.subGroups(t, "/*"); !slices.Equal(got, []string{"/maven/com.anycompany~", "/npm/*", "/pypi//*"}) {
		t.Errorf("ListSubPackageGroups /* = %v", got)
	}
	if got := p.subGroups(t, "/npm/space/*"); !slices.Equal(got, []string{"/npm/space/anycompany~"}) {
		t.Errorf("ListSubPackageGroups /npm/space/* = %v", got)
	}
	if got := p.subGroups(t, "/npm/space/anycompany-ui~"); len(got) != 0 {
		t.Errorf("ListSubPackageGroups of a leaf = %v", got)
	}

	// Block publishing under /npm/* and allow two repositories to ingest
	// from external upstreams.
	up, err := p.setOrigin(modes("PUBLISH", "BLOCK", "EXTERNAL_UPSTREAM", "ALLOW_SPECIFIC_REPOSITORIES"),
		allowed(types.PackageGroupOriginRestrictionTypeExternalUpstream, "other", "main"), nil, "/npm/*")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "UpdatePackageGroupOriginConfiguration", groupDoc(up.PackageGroup), `{"arn":"`+pgARN("tree", "npm/%2a")+`","pattern":"/npm/*",
		"domainName":"tree","domainOwner":"`+testAccount+`","parent":`+rootRef+`,"originConfiguration":{"restrictions":{
		"PUBLISH":`+restriction("BLOCK", "BLOCK", "", 0)+`,
		"EXTERNAL_UPSTREAM":`+restriction("ALLOW_SPECIFIC_REPOSITORIES", "ALLOW_SPECIFIC_REPOSITORIES", "", 2)+`,
		"INTERNAL_UPSTREAM":`+restriction("INHERIT", "ALLOW", rootRef, 0)+`}}}`)
	if want := map[string]map[string][]string{"EXTERNAL_UPSTREAM": {"ADDED": {"other", "main"}}}; !jsonSame(up.AllowedRepositoryUpdates, want) {
		t.Errorf("allowedRepositoryUpdates = %v, want %v", up.AllowedRepositoryUpdates, want)
	}
	// Grandchildren inherit, and say from where.
	jsonEqual(t, "inherited modes", groupDoc(p.mustDescribe(t, "/npm/space/anycompany~"))["originConfiguration"], `{"restrictions":{
		"PUBLISH":`+restriction("INHERIT", "BLOCK", npmRef, 0)+`,
		"EXTERNAL_UPSTREAM":`+restriction("INHERIT", "ALLOW_SPECIFIC_REPOSITORIES", npmRef, 0)+`,
		"INTERNAL_UPSTREAM":`+restriction("INHERIT", "ALLOW", rootRef, 0)+`}}`)
	// A mode of its own stops the inheritance for its subtree.
	if _, err := p.setOrigin(modes("PUBLISH", "ALLOW"), nil, nil, "/npm/space/*"); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "PUBLISH under /npm/space/*", groupDoc(p.mustDescribe(t, "/npm/space/anycompany-ui~"))["originConfiguration"].(map[string]any)["restrictions"].(map[string]any)["PUBLISH"],
		restriction("INHERIT", "ALLOW", ref("tree", "/npm/space/*", "npm/space/%2a"), 0))

	// ListAllowedRepositoriesForGroup, a page at a time.
	var listed []string
	pg := ca.NewListAllowedRepositoriesForGroupPaginator(c, &ca.ListAllowedRepositoriesForGroupInput{Domain: aws.String("tree"), PackageGroup: aws.String("/npm/*"),
		OriginRestrictionType: types.PackageGroupOriginRestrictionTypeExternalUpstream, MaxResults: aws.Int32(1)})
	for pages := 0; pg.HasMorePages(); pages++ {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.AllowedRepositories) > 1 || pages > 2 {
			t.Fatalf("page %d = %v", pages, page.AllowedRepositories)
		}
		listed = append(listed, page.AllowedRepositories...)
	}
	if !slices.Equal(listed, []string{"main", "other"}) {
		t.Errorf("allowed repositories = %v", listed)
	}
	la, err := c.ListAllowedRepositoriesForGroup(ctx, &ca.ListAllowedRepositoriesForGroupInput{Domain: aws.String("tree"), PackageGroup: aws.String("/npm/*"),
		OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish})
	if err != nil || la.AllowedRepositories == nil || len(la.AllowedRepositories) != 0 || la.NextToken != nil {
		t.Errorf("empty list = %+v, %v", la, err)
	}

	// Refusals change nothing.
	_, err = p.setOrigin(nil, allowed(types.PackageGroupOriginRestrictionTypePublish, "main"), nil, "/npm/*")
	wantValidation(t, err, types.ValidationExceptionReasonOther, "its PUBLISH mode is BLOCK, not ALLOW_SPECIFIC_REPOSITORIES")
	_, err = p.setOrigin(nil, allowed(types.PackageGroupOriginRestrictionTypeExternalUpstream, "nosuchrepo"), nil, "/npm/*")
	wantNotFound(t, err, "repository", "nosuchrepo")
	_, err = p.setOrigin(modes("PUBLISH", "INHERIT"), nil, nil, "/*")
	wantValidation(t, err, types.ValidationExceptionReasonOther, "The root package group /* has no parent to inherit PUBLISH from")
	_, err = p.setOrigin(modes("PUBLISH", "SOMETIMES"), nil, nil, "/npm/*")
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "Member must satisfy enum value set")
	var many []string
	for range 101 {
		many = append(many, "main")
	}
	_, err = p.setOrigin(nil, allowed(types.PackageGroupOriginRestrictionTypeExternalUpstream, many...), nil, "/npm/*")
	wantValidation(t, err, types.ValidationExceptionReasonOther, "at most 100 allowed repositories")
	if g := p.mustDescribe(t, "/npm/*"); *g.OriginConfiguration.Restrictions["EXTERNAL_UPSTREAM"].RepositoriesCount != 2 ||
		g.OriginConfiguration.Restrictions["PUBLISH"].Mode != types.PackageGroupOriginRestrictionModeBlock {
		t.Errorf("a refused update changed the group: %v", groupDoc(g))
	}

	// Removing one repository, then leaving ALLOW_SPECIFIC_REPOSITORIES,
	// which empties the list.
	up, err = p.setOrigin(nil, nil, allowed(types.PackageGroupOriginRestrictionTypeExternalUpstream, "other", "third"), "/npm/*")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]map[string][]string{"EXTERNAL_UPSTREAM": {"REMOVED": {"other"}}}; !jsonSame(up.AllowedRepositoryUpdates, want) {
		t.Errorf("remove: allowedRepositoryUpdates = %v", up.AllowedRepositoryUpdates)
	}
	up, err = p.setOrigin(modes("EXTERNAL_UPSTREAM", "ALLOW"), nil, nil, "/npm/*")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]map[string][]string{"EXTERNAL_UPSTREAM": {"REMOVED": {"main"}}}; !jsonSame(up.AllowedRepositoryUpdates, want) {
		t.Errorf("mode change: allowedRepositoryUpdates = %v", up.AllowedRepositoryUpdates)
	}
	if r := up.PackageGroup.OriginConfiguration.Restrictions["EXTERNAL_UPSTREAM"]; r.Mode != "ALLOW" || *r.RepositoriesCount != 0 {
		t.Errorf("EXTERNAL_UPSTREAM after leaving ALLOW_SPECIFIC_REPOSITORIES = %+v", r)
	}

	// Deleting a group re-parents its children to its parent, and their
	// inherited modes follow.
	if _, err := p.setOrigin(modes("PUBLISH", "INHERIT"), nil, nil, "/npm/space/*"); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: aws.String("tree"), PackageGroup: aws.String("/npm/space/*")})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "DeletePackageGroup", groupDoc(del.PackageGroup)["parent"], npmRef)
	if got := parent("/npm/space/anycompany~"); got != "/npm/*" {
		t.Errorf("after delete, parent of /npm/space/anycompany~ = %q", got)
	}
	if got := p.subGroups(t, "/npm/*"); !slices.Equal(got, []string{"/npm/space/anycompany~"}) {
		t.Errorf("after delete, ListSubPackageGroups /npm/* = %v", got)
	}
	jsonEqual(t, "re-parented PUBLISH", groupDoc(p.mustDescribe(t, "/npm/space/anycompany~"))["originConfiguration"].(map[string]any)["restrictions"].(map[string]any)["PUBLISH"],
		restriction("INHERIT", "BLOCK", npmRef, 0))

	// ListPackageGroups: every group, ordered by pattern, a page at a time;
	// and filtered by prefix.
	var all []string
	lpg := ca.NewListPackageGroupsPaginator(c, &ca.ListPackageGroupsInput{Domain: aws.String("tree"), MaxResults: aws.Int32(2)})
	for lpg.HasMorePages() {
		page, err := lpg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.PackageGroups) > 2 {
			t.Errorf("page of %d", len(page.PackageGroups))
		}
		for _, g := range page.PackageGroups {
			all = append(all, aws.ToString(g.Pattern))
			if aws.ToString(g.Pattern) == "/npm/*" {
				jsonEqual(t, "ListPackageGroups summary", summaryDoc(g)["originConfiguration"], `{"restrictions":{
					"PUBLISH":`+restriction("BLOCK", "BLOCK", "", 0)+`,
					"EXTERNAL_UPSTREAM":`+restriction("ALLOW", "ALLOW", "", 0)+`,
					"INTERNAL_UPSTREAM":`+restriction("INHERIT", "ALLOW", rootRef, 0)+`}}`)
				if g.CreatedTime == nil || summaryDoc(g)["parent"] == nil {
					t.Errorf("summary without createdTime or parent: %v", summaryDoc(g))
				}
			}
		}
	}
	want := []string{"/*", "/maven/com.anycompany~", "/npm/*", "/npm/space/anycompany-ui~", "/npm/space/anycompany~", "/pypi//*"}
	if !slices.Equal(all, want) {
		t.Errorf("ListPackageGroups = %v, want %v", all, want)
	}
	lp, err := c.ListPackageGroups(ctx, &ca.ListPackageGroupsInput{Domain: aws.String("tree"), Prefix: aws.String("/npm/space/")})
	if err != nil {
		t.Fatal(err)
	}
	var prefixed []string
	for _, g := range lp.PackageGroups {
		prefixed = append(prefixed, aws.ToString(g.Pattern))
	}
	if !slices.Equal(prefixed, []string{"/npm/space/anycompany-ui~", "/npm/space/anycompany~"}) || lp.NextToken != nil {
		t.Errorf("prefix /npm/space/ = %v (next %v)", prefixed, lp.NextToken)
	}
	_, err = c.ListPackageGroups(ctx, &ca.ListPackageGroupsInput{Domain: aws.String("tree"), NextToken: aws.String("bm90IGEgdG9rZW4")})
	wantValidation(t, err, types.ValidationExceptionReasonOther, "nextToken")
}

// jsonSame compares two values by their JSON.
func jsonSame(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestPackageGroupAssociation: each package belongs to its most specific
// group — npm scoped and unscoped, PyPI by its normalized name, Maven by
// namespace prefix, exact name and case variant — whether or not it is in
// a repository.
func TestPackageGroupAssociation(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "assoc", "main", "second")
	p := pgClient{c, "assoc"}
	// PutPackageOriginConfiguration creates an empty package: enough for
	// groups, which look at coordinates only.
	put := func(repo string, f types.PackageFormat, ns, name string) {
		t.Helper()
		_, err := c.PutPackageOriginConfiguration(ctx, &ca.PutPackageOriginConfigurationInput{Domain: aws.String("assoc"), Repository: aws.String(repo),
			Format: f, Namespace: optString(ns), Package: aws.String(name),
			Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamBlock}})
		if err != nil {
			t.Fatalf("create %s %s/%s: %v", f, ns, name, err)
		}
	}
	for _, k := range []struct {
		f        types.PackageFormat
		ns, name string
	}{
		{types.PackageFormatNpm, "", "react"}, {types.PackageFormatNpm, "", "react-dom"}, {types.PackageFormatNpm, "", "reactive"},
		{types.PackageFormatNpm, "space", "anycompany-ui"}, {types.PackageFormatNpm, "space", "aui.components"},
		{types.PackageFormatPypi, "", "My_Pkg"}, {types.PackageFormatPypi, "", "requests"},
		{types.PackageFormatMaven, "com.anycompany", "lib"}, {types.PackageFormatMaven, "com.anycompany.ui", "widgets"},
		{types.PackageFormatMaven, "Com.AnyCompany", "lib"}, {types.PackageFormatMaven, "org.other", "thing"},
	} {
		put("main", k.f, k.ns, k.name)
	}
	put("second", types.PackageFormatNpm, "", "react") // listed once all the same

	p.mustCreate(t, "/npm//react~", "/npm/space/*", "/npm/space/anycompany~", "/pypi//my-pkg$", "/maven/com.anycompany~", "/maven/com.anycompany/lib$")

	for _, tt := range []struct {
		f          types.PackageFormat
		ns, name   string
		group, typ string
	}{
		{types.PackageFormatNpm, "", "react", "/npm//react~", "STRONG"},
		{types.PackageFormatNpm, "", "react-dom", "/npm//react~", "STRONG"},
		{types.PackageFormatNpm, "", "reactive", "/*", "STRONG"}, // a prefix ends on a word boundary
		{types.PackageFormatNpm, "space", "anycompany-ui", "/npm/space/anycompany~", "STRONG"},
		{types.PackageFormatNpm, "space", "aui.components", "/npm/space/*", "STRONG"},
		{types.PackageFormatNpm, "other", "react", "/*", "STRONG"}, // scoped: not /npm//react~
		{types.PackageFormatPypi, "", "My_Pkg", "/pypi//my-pkg$", "STRONG"},
		{types.PackageFormatPypi, "", "my.pkg", "/pypi//my-pkg$", "STRONG"},
		{types.PackageFormatMaven, "com.anycompany", "lib", "/maven/com.anycompany/lib$", "STRONG"},
		{types.PackageFormatMaven, "com.anycompany.ui", "widgets", "/maven/com.anycompany~", "STRONG"},
		{types.PackageFormatMaven, "com.anycompanyx", "widgets", "/*", "STRONG"},
		{types.PackageFormatMaven, "Com.AnyCompany", "lib", "/maven/com.anycompany/lib$", "WEAK"},
		{types.PackageFormatCargo, "", "serde", "/*", "STRONG"}, // in no repository
	} {
		out, err := c.GetAssociatedPackageGroup(ctx, &ca.GetAssociatedPackageGroupInput{Domain: aws.String("assoc"), Format: tt.f,
			Namespace: optString(tt.ns), Package: aws.String(tt.name)})
		if err != nil {
			t.Errorf("GetAssociatedPackageGroup %s %s/%s: %v", tt.f, tt.ns, tt.name, err)
			continue
		}
		if aws.ToString(out.PackageGroup.Pattern) != tt.group || string(out.AssociationType) != tt.typ {
			t.Errorf("GetAssociatedPackageGroup %s %s/%s = %s %s, want %s %s", tt.f, tt.ns, tt.name,
				aws.ToString(out.PackageGroup.Pattern), out.AssociationType, tt.group, tt.typ)
		}
		if out.PackageGroup.OriginConfiguration == nil || out.PackageGroup.Arn == nil || out.PackageGroup.CreatedTime == nil {
			t.Errorf("GetAssociatedPackageGroup gives a partial description: %v", groupDoc(out.PackageGroup))
		}
	}
	_, err := c.GetAssociatedPackageGroup(ctx, &ca.GetAssociatedPackageGroupInput{Domain: aws.String("assoc"), Format: types.PackageFormatMaven, Package: aws.String("lib")})
	wantValidation(t, err, types.ValidationExceptionReasonOther, "namespace is required")

	for _, tt := range []struct {
		group string
		want  []string
	}{
		{"/npm//react~", []string{"npm:/react STRONG", "npm:/react-dom STRONG"}},
		{"/npm/space/*", []string{"npm:space/aui.components STRONG"}},
		{"/pypi//my-pkg$", []string{"pypi:/my-pkg STRONG"}},
		{"/maven/com.anycompany/lib$", []string{"maven:Com.AnyCompany/lib WEAK", "maven:com.anycompany/lib STRONG"}},
		{"/maven/com.anycompany~", []string{"maven:com.anycompany.ui/widgets STRONG"}},
		{"/*", []string{"maven:org.other/thing STRONG", "npm:/reactive STRONG", "pypi:/requests STRONG"}},
	} {
		for _, size := range []int32{1, 100} {
			if got := p.associated(t, tt.group, false, size); !slices.Equal(got, tt.want) {
				t.Errorf("ListAssociatedPackages %s (pages of %d) = %v, want %v", tt.group, size, got, tt.want)
			}
		}
	}
	// preview shows what a group would take before it exists.
	if got := p.associated(t, "/npm//*", true, 100); !slices.Equal(got, []string{"npm:/reactive STRONG"}) {
		t.Errorf("preview /npm//* = %v", got)
	}
	if got := p.associated(t, "/npm/space/anycompany~", true, 100); !slices.Equal(got, []string{"npm:space/anycompany-ui STRONG"}) {
		t.Errorf("preview of an existing group = %v", got)
	}
	_, err = c.ListAssociatedPackages(ctx, &ca.ListAssociatedPackagesInput{Domain: aws.String("assoc"), PackageGroup: aws.String("/npm//*")})
	wantNotFound(t, err, "package-group", "/npm//*")
}

// npmTarball builds a minimal npm package tarball.
func npmTarball(t *testing.T, manifest map[string]any) []byte {
	t.Helper()
	pj, _ := json.Marshal(manifest)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "package/package.json", Mode: 0o644, Size: int64(len(pj)), ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	tw.Write(pj)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// npmPut publishes an npm package version the way npm does (a packument
// PUT with the tarball attached) and returns the status and body.
func npmPut(t *testing.T, endpoint, token, scope, name, version string) (int, string) {
	t.Helper()
	full := "@" + scope + "/" + name
	manifest := map[string]any{"name": full, "version": version}
	tgz := npmTarball(t, manifest)
	file := name + "-" + version + ".tgz"
	doc := map[string]any{
		"_id": full, "name": full, "dist-tags": map[string]string{"latest": version},
		"versions":     map[string]any{version: merge(manifest, map[string]any{"dist": map[string]any{"tarball": endpoint + full + "/-/" + file}})},
		"_attachments": map[string]any{file: map[string]any{"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}},
	}
	body, _ := json.Marshal(doc)
	req, err := http.NewRequest(http.MethodPut, endpoint+"@"+scope+"%2f"+name, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPackageGroupPublishEnforcement: a group's PUBLISH=BLOCK refuses
// publishes of its packages (and of its subgroups' that inherit), through
// the control plane and a package manager's endpoint alike;
// ALLOW_SPECIFIC_REPOSITORIES lets them in to the listed repositories
// only; a package-level block still applies.
func TestPackageGroupPublishEnforcement(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "enf", "main", "other")
	p := pgClient{c, "enf"}
	hello := genericPkg(c, "enf", "main", "tools", "hello")
	hello.mustPublish(t, "1.0", "hello.txt", []byte("one"), false)

	p.mustCreate(t, "/generic/tools/*", "/generic/tools/hello$")
	if _, err := p.setOrigin(modes("PUBLISH", "BLOCK"), nil, nil, "/generic/tools/*"); err != nil {
		t.Fatal(err)
	}
	refused := func(pk pkgRef, version string, fragments ...string) {
		t.Helper()
		content := []byte("refused " + pk.repo + " " + version)
		_, err := pk.publish(version, "hello.txt", content, false)
		ad := asErr[*types.AccessDeniedException](t, err)
		if httpStatus(err) != 403 {
			t.Errorf("status %d", httpStatus(err))
		}
		for _, f := range fragments {
			if !strings.Contains(aws.ToString(ad.Message), f) {
				t.Errorf("message %q does not contain %q", aws.ToString(ad.Message), f)
			}
		}
		if _, err := pk.describe(version); err == nil {
			t.Errorf("refused %s@%s exists", pk.name, version)
		}
		if files := blobFiles(t, s.DataDir); files[sha256Hex(content)] {
			t.Errorf("a refused publish left its bytes behind")
		}
	}
	// hello's own group inherits the BLOCK; a new package in the namespace
	// is blocked by the group itself.
	refused(hello, "2.0", "Publishing to package tools/hello is blocked by the origin configuration of package group /generic/tools/* (PUBLISH=BLOCK)")
	refused(genericPkg(c, "enf", "main", "tools", "fresh"), "1.0", "package group /generic/tools/* (PUBLISH=BLOCK)")
	// Other namespaces are not in the group.
	genericPkg(c, "enf", "main", "misc", "hello").mustPublish(t, "1.0", "hello.txt", []byte("misc"), false)

	// ALLOW_SPECIFIC_REPOSITORIES with main: main takes publishes again,
	// other does not.
	if _, err := p.setOrigin(modes("PUBLISH", "ALLOW_SPECIFIC_REPOSITORIES"), allowed(types.PackageGroupOriginRestrictionTypePublish, "main"), nil, "/generic/tools/*"); err != nil {
		t.Fatal(err)
	}
	hello.mustPublish(t, "2.0", "hello.txt", []byte("two"), false)
	otherHello := genericPkg(c, "enf", "other", "tools", "hello")
	refused(otherHello, "2.0", "Publishing package tools/hello to repository other is blocked by the origin configuration of package group /generic/tools/*",
		"PUBLISH=ALLOW_SPECIFIC_REPOSITORIES")
	// A subgroup with a mode of its own decides for its packages.
	if _, err := p.setOrigin(modes("PUBLISH", "ALLOW"), nil, nil, "/generic/tools/hello$"); err != nil {
		t.Fatal(err)
	}
	otherHello.mustPublish(t, "2.0", "hello.txt", []byte("two"), false)
	refused(genericPkg(c, "enf", "other", "tools", "fresh"), "1.0", "PUBLISH=ALLOW_SPECIFIC_REPOSITORIES")

	// A package-level block wins over a group that allows.
	if _, err := hello.setOrigin(types.AllowPublishBlock, types.AllowUpstreamBlock); err != nil {
		t.Fatal(err)
	}
	refused(hello, "3.0", "blocked by its origin configuration (publish=BLOCK)")

	// The npm endpoint enforces the same rule.
	npmEndpoint := s.Endpoint(t, "enf", "main", types.PackageFormatNpm)
	token := s.Token(t, "enf")
	p.mustCreate(t, "/npm/space/*")
	if _, err := p.setOrigin(modes("PUBLISH", "BLOCK"), nil, nil, "/npm/space/*"); err != nil {
		t.Fatal(err)
	}
	if st, body := npmPut(t, npmEndpoint, token, "space", "ui", "1.0.0"); st != http.StatusForbidden || !strings.Contains(body, "package group /npm/space/* (PUBLISH=BLOCK)") {
		t.Errorf("npm publish under a blocking group = %d %s", st, body)
	}
	_, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String("enf"), Repository: aws.String("main"), Format: types.PackageFormatNpm,
		Namespace: aws.String("space"), Package: aws.String("ui"), PackageVersion: aws.String("1.0.0")})
	asErr[*types.ResourceNotFoundException](t, err)
	if _, err := p.setOrigin(modes("PUBLISH", "ALLOW_SPECIFIC_REPOSITORIES"), allowed(types.PackageGroupOriginRestrictionTypePublish, "main"), nil, "/npm/space/*"); err != nil {
		t.Fatal(err)
	}
	if st, body := npmPut(t, npmEndpoint, token, "space", "ui", "1.0.0"); st != http.StatusOK && st != http.StatusCreated {
		t.Errorf("npm publish to an allowed repository = %d %s", st, body)
	}
	v, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: aws.String("enf"), Repository: aws.String("main"), Format: types.PackageFormatNpm,
		Namespace: aws.String("space"), Package: aws.String("ui"), PackageVersion: aws.String("1.0.0")})
	if err != nil || v.PackageVersion.Status != types.PackageVersionStatusPublished {
		t.Errorf("npm version after an allowed publish: %v, %v", v, err)
	}
}

// TestCLIPackageGroups: the aws CLI's view of package groups.
func TestCLIPackageGroups(t *testing.T) {
	t.Parallel()
	needTool(t, "aws")
	s := StartServer(t)
	env := s.Env(t)
	dir := t.TempDir()
	Setup(t, s.Client(), "cli", "main")

	before := time.Now()
	out := awsJSON(t, env, dir, "create-package-group", "--domain", "cli", "--package-group", "/npm/space/*",
		"--contact-info", "ui-team@example.com", "--description", "UI components", "--tags", "key=team,value=ui")
	g, _ := out["packageGroup"].(map[string]any)
	// aws CLI v1 prints timestamps as they came: epoch seconds.
	secs, ok := g["createdTime"].(float64)
	if created := time.UnixMilli(int64(secs * 1000)); !ok || created.Before(before.Truncate(time.Millisecond)) || created.After(time.Now()) {
		t.Errorf("createdTime %v", g["createdTime"])
	}
	delete(g, "createdTime")
	rootRef := `{"arn":"arn:aws:codeartifact:us-east-1:111122223333:package-group/cli/%2a","pattern":"/*"}`
	inherit := `{"mode":"INHERIT","effectiveMode":"ALLOW","inheritedFrom":` + rootRef + `,"repositoriesCount":0}`
	jsonEqual(t, "create-package-group", out, `{"packageGroup":{
		"arn":"arn:aws:codeartifact:us-east-1:111122223333:package-group/cli/npm/space/%2a",
		"pattern":"/npm/space/*","domainName":"cli","domainOwner":"111122223333",
		"contactInfo":"ui-team@example.com","description":"UI components",
		"originConfiguration":{"restrictions":{"EXTERNAL_UPSTREAM":`+inherit+`,"INTERNAL_UPSTREAM":`+inherit+`,"PUBLISH":`+inherit+`}},
		"parent":`+rootRef+`}}`)

	up := awsJSON(t, env, dir, "update-package-group-origin-configuration", "--domain", "cli", "--package-group", "/npm/space/*",
		"--restrictions", "PUBLISH=ALLOW_SPECIFIC_REPOSITORIES", "--add-allowed-repositories", "originRestrictionType=PUBLISH,repositoryName=main")
	jsonEqual(t, "allowedRepositoryUpdates", up["allowedRepositoryUpdates"], `{"PUBLISH":{"ADDED":["main"]}}`)
	jsonEqual(t, "PUBLISH after update", up["packageGroup"].(map[string]any)["originConfiguration"].(map[string]any)["restrictions"].(map[string]any)["PUBLISH"],
		`{"mode":"ALLOW_SPECIFIC_REPOSITORIES","effectiveMode":"ALLOW_SPECIFIC_REPOSITORIES","repositoriesCount":1}`)

	la := awsJSON(t, env, dir, "list-allowed-repositories-for-group", "--domain", "cli", "--package-group", "/npm/space/*", "--origin-restriction-type", "PUBLISH")
	jsonEqual(t, "list-allowed-repositories-for-group", la, `{"allowedRepositories":["main"]}`)

	ga := awsJSON(t, env, dir, "get-associated-package-group", "--domain", "cli", "--format", "npm", "--namespace", "space", "--package", "button")
	if str(ga["associationType"]) != "STRONG" || str(ga["packageGroup"].(map[string]any)["pattern"]) != "/npm/space/*" {
		t.Errorf("get-associated-package-group = %v", ga)
	}

	// A bad pattern: the CLI shows the service's message.
	msg, err := runStdout(env, dir, "aws", "codeartifact", "create-package-group", "--domain", "cli", "--package-group", "/npm/space")
	if err == nil || !strings.Contains(err.Error(), "ValidationException") || !strings.Contains(err.Error(), "Invalid package group pattern '/npm/space'") {
		t.Errorf("create-package-group with a bad pattern: %v %s", err, msg)
	}
}
