package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// pageSize is how many rows a listing shows; the next page is fetched
// with the service's own page token.
const pageSize = 25

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"when": func(t *service.Timestamp) string {
		if t == nil {
			return ""
		}
		return time.Time(*t).UTC().Format("2006-01-02 15:04 UTC")
	},
	"bytes":  humanBytes,
	"lower":  strings.ToLower,
	"origin": originText,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"stamp": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"json": func(v any) (string, error) {
		b, err := json.MarshalIndent(v, "", "  ")
		return string(b), err
	},
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func originText(o *service.VersionOrigin) string {
	if o == nil {
		return ""
	}
	s := o.OriginType
	if ep := o.DomainEntryPoint; ep != nil {
		if ep.RepositoryName != "" {
			s += " (entered through " + ep.RepositoryName + ")"
		} else if ep.ExternalConnectionName != "" {
			s += " (from " + ep.ExternalConnectionName + ")"
		}
	}
	return s
}

// ---- locations

// repoLoc names a repository in console URLs.
type repoLoc struct {
	Owner, Domain, Repo string
}

// DomainURL is the page of the domain.
func (l repoLoc) DomainURL() string {
	return Prefix + "d/" + url.PathEscape(l.Owner) + "/" + url.PathEscape(l.Domain) + "/"
}

// URL is the page of the repository.
func (l repoLoc) URL() string { return l.DomainURL() + "r/" + url.PathEscape(l.Repo) + "/" }

// PackageURL is the page of a package in this repository.
func (l repoLoc) PackageURL(f model.Format, ns, name string) string {
	return l.URL() + "package?" + pkgQuery(f, ns, name).Encode()
}

// VersionURL is the page of one version.
func (l repoLoc) VersionURL(f model.Format, ns, name, version string) string {
	q := pkgQuery(f, ns, name)
	q.Set("version", version)
	return l.URL() + "version?" + q.Encode()
}

// AssetURL downloads one asset.
func (l repoLoc) AssetURL(f model.Format, ns, name, version, asset string) string {
	q := pkgQuery(f, ns, name)
	q.Set("version", version)
	q.Set("asset", asset)
	return l.URL() + "asset?" + q.Encode()
}

func pkgQuery(f model.Format, ns, name string) url.Values {
	q := url.Values{"format": {string(f)}, "package": {name}}
	if ns != "" {
		q.Set("namespace", ns)
	}
	return q
}

func (l repoLoc) pkgRef(r *http.Request) service.PackageRef {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	return service.PackageRef{Domain: l.Domain, DomainOwner: l.Owner, Repository: l.Repo,
		Format: model.Format(q.Get("format")), Namespace: q.Get("namespace"), Package: q.Get("package")}
}

func locOf(r *http.Request) repoLoc {
	return repoLoc{Owner: r.PathValue("owner"), Domain: r.PathValue("domain"), Repo: r.PathValue("repo")}
}

func (l repoLoc) crumbs(more ...crumb) []crumb {
	cs := []crumb{{"Domains", Prefix}, {l.Domain, l.DomainURL()}}
	if l.Repo != "" {
		cs = append(cs, crumb{l.Repo, l.URL()})
	}
	return append(cs, more...)
}

// ---- pages

type domainsData struct {
	Domains []service.DomainSummary
	Next    string
}

func (c *Console) domainsPage(w http.ResponseWriter, r *http.Request, s *session) {
	out, err := c.svc.ListDomains(r.Context(), s.Caller, service.ListDomainsInput{MaxResults: pageSize, NextToken: r.URL.Query().Get("next")})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "domains", page{Title: "Domains", Session: s, Crumbs: []crumb{{"Domains", Prefix}},
		Data: domainsData{Domains: out.Domains, Next: out.NextToken}})
}

// policyView is a permissions policy, or why there is none to show.
type policyView struct {
	Document string
	Note     string
}

func policyOf(out *service.PolicyOutput, err error) policyView {
	var me *model.Error
	switch {
	case err == nil && out.Policy != nil:
		// Indented for reading; a document that is somehow not JSON is
		// shown as stored.
		var b bytes.Buffer
		if json.Indent(&b, []byte(out.Policy.Document), "", "  ") != nil {
			return policyView{Document: out.Policy.Document}
		}
		return policyView{Document: b.String()}
	case err == nil, errors.As(err, &me) && me.Kind == model.KindNotFound:
		return policyView{Note: "No permissions policy is set."}
	case errors.As(err, &me):
		return policyView{Note: me.Message}
	default:
		return policyView{Note: "The policy could not be read."}
	}
}

type domainData struct {
	Loc    repoLoc
	Domain service.DomainDescription
	Repos  []service.RepositorySummary
	Next   string
	Policy policyView
	// Retention says whether the console serves retention rule pages.
	Retention bool
}

func (c *Console) domainPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ctx := r.Context()
	d, err := c.svc.DescribeDomain(ctx, s.Caller, service.DomainInput{Domain: l.Domain, DomainOwner: l.Owner})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	repos, err := c.svc.ListRepositoriesInDomain(ctx, s.Caller, service.ListRepositoriesInDomainInput{Domain: l.Domain, DomainOwner: l.Owner,
		MaxResults: pageSize, NextToken: r.URL.Query().Get("next")})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	pol := policyOf(c.svc.GetDomainPermissionsPolicy(ctx, s.Caller, service.DomainInput{Domain: l.Domain, DomainOwner: l.Owner}))
	c.render(w, r, http.StatusOK, "domain", page{Title: l.Domain, Session: s, Crumbs: l.crumbs(),
		Data: domainData{Loc: l, Domain: d.Domain, Repos: repos.Repositories, Next: repos.NextToken, Policy: pol, Retention: c.rules != nil}})
}

type groupsData struct {
	Loc    repoLoc
	Groups []service.PackageGroupDescription
	Next   string
	Types  []model.OriginRestrictionType
}

func (c *Console) groupsPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	out, err := c.svc.ListPackageGroups(r.Context(), s.Caller, service.ListPackageGroupsInput{Domain: l.Domain, DomainOwner: l.Owner,
		MaxResults: pageSize, NextToken: r.URL.Query().Get("next")})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "groups", page{Title: "Package groups in " + l.Domain, Session: s, Crumbs: l.crumbs(crumb{"Package groups", ""}),
		Data: groupsData{Loc: l, Groups: out.PackageGroups, Next: out.NextToken, Types: restrictionTypes}})
}

type repositoryData struct {
	Loc      repoLoc
	Repo     service.RepositoryDescription
	Policy   policyView
	Packages []service.PackageSummary
	Next     string
	Formats  []model.Format
	Filter   service.ListPackagesInput
	PageURL  string
}

func (c *Console) repositoryPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	rin := service.RepositoryInput{Domain: l.Domain, DomainOwner: l.Owner, Repository: l.Repo}
	repo, err := c.svc.DescribeRepository(ctx, s.Caller, rin)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	filter := service.ListPackagesInput{Domain: l.Domain, DomainOwner: l.Owner, Repository: l.Repo,
		Format: model.Format(q.Get("format")), Namespace: q.Get("namespace"), PackagePrefix: q.Get("prefix"),
		MaxResults: pageSize, NextToken: q.Get("next")}
	pkgs, err := c.svc.ListPackages(ctx, s.Caller, filter)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	// The next page keeps the filters.
	nq := url.Values{}
	for _, k := range []string{"format", "namespace", "prefix"} {
		if v := q.Get(k); v != "" {
			nq.Set(k, v)
		}
	}
	next := ""
	if pkgs.NextToken != "" {
		nq.Set("next", pkgs.NextToken)
		next = l.URL() + "?" + nq.Encode()
	}
	pol := policyOf(c.svc.GetRepositoryPermissionsPolicy(ctx, s.Caller, rin))
	c.render(w, r, http.StatusOK, "repository", page{Title: l.Repo, Session: s, Crumbs: l.crumbs(),
		Data: repositoryData{Loc: l, Repo: repo.Repository, Policy: pol, Packages: pkgs.Packages, Next: next,
			Formats: model.Formats, Filter: filter}})
}

// versionRow is one row of a package's version list.
type versionRow struct {
	service.PackageVersionSummary
	Published *service.Timestamp
	Size      int64
	Assets    int
}

type packageData struct {
	Loc       repoLoc
	Ref       service.PackageRef
	Package   service.PackageDescription
	Versions  []versionRow
	Default   string
	Status    string
	Statuses  []model.Status
	Next      string
	Can       perms
	Repos     []service.RepositorySummary
	CSRF      string
	ActionURL string
}

// perms are the actions the signed-in principal may take, so that the
// page offers only those (the actions still authorize themselves).
type perms struct {
	Status, Dispose, Delete, Copy bool
}

// Any says whether the page shows any action at all.
func (p perms) Any() bool { return p.Status || p.Dispose || p.Delete || p.Copy }

func (c *Console) permsFor(r *http.Request, s *session, ref service.PackageRef) perms {
	m, err := c.svc.PermittedOnPackage(r.Context(), s.Caller, ref, "UpdatePackageVersionsStatus", "DisposePackageVersions", "DeletePackageVersions", "CopyPackageVersions")
	if err != nil {
		return perms{}
	}
	return perms{Status: m["UpdatePackageVersionsStatus"], Dispose: m["DisposePackageVersions"], Delete: m["DeletePackageVersions"], Copy: m["CopyPackageVersions"]}
}

// otherRepos lists the domain's other repositories, as copy destinations.
func (c *Console) otherRepos(r *http.Request, s *session, l repoLoc) []service.RepositorySummary {
	out, err := c.svc.ListRepositoriesInDomain(r.Context(), s.Caller, service.ListRepositoriesInDomainInput{Domain: l.Domain, DomainOwner: l.Owner, MaxResults: 100})
	if err != nil {
		return nil
	}
	var rs []service.RepositorySummary
	for _, x := range out.Repositories {
		if x.Name != l.Repo {
			rs = append(rs, x)
		}
	}
	return rs
}

func (c *Console) packagePage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ctx := r.Context()
	ref := l.pkgRef(r)
	q := r.URL.Query()
	pkg, err := c.svc.DescribePackage(ctx, s.Caller, ref)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	status := model.Status(q.Get("status"))
	vs, err := c.svc.ListPackageVersions(ctx, s.Caller, service.ListPackageVersionsInput{PackageRef: ref, Status: status,
		MaxResults: pageSize, NextToken: q.Get("next")})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	rows := make([]versionRow, len(vs.Versions))
	for i, v := range vs.Versions {
		rows[i] = versionRow{PackageVersionSummary: v}
		vr := service.VersionRef{PackageRef: ref, PackageVersion: v.Version}
		if d, err := c.svc.DescribePackageVersion(ctx, s.Caller, vr); err == nil {
			rows[i].Published = d.PackageVersion.PublishedTime
		}
		if as, err := c.svc.ListPackageVersionAssets(ctx, s.Caller, service.ListPackageVersionAssetsInput{VersionRef: vr, MaxResults: 1000}); err == nil {
			for _, a := range as.Assets {
				rows[i].Size += a.Size
			}
			rows[i].Assets = len(as.Assets)
		}
	}
	next := ""
	if vs.NextToken != "" {
		nq := pkgQuery(ref.Format, ref.Namespace, ref.Package)
		if status != "" {
			nq.Set("status", string(status))
		}
		nq.Set("next", vs.NextToken)
		next = l.URL() + "package?" + nq.Encode()
	}
	can := c.permsFor(r, s, ref)
	var repos []service.RepositorySummary
	if can.Copy {
		repos = c.otherRepos(r, s, l)
	}
	name := model.DisplayName(model.PackageKey{Format: ref.Format, Namespace: pkg.Package.Namespace, Name: pkg.Package.Name})
	c.render(w, r, http.StatusOK, "package", page{Title: name, Session: s, Crumbs: l.crumbs(crumb{name, ""}),
		Data: packageData{Loc: l, Ref: ref, Package: pkg.Package, Versions: rows, Default: vs.DefaultDisplayVersion,
			Status: string(status), Statuses: model.Statuses, Next: next, Can: can, Repos: repos, CSRF: s.CSRF, ActionURL: l.URL() + "action"}})
}

type versionData struct {
	Loc       repoLoc
	Ref       service.PackageRef
	Version   service.PackageVersionDescription
	Assets    []service.AssetSummary
	Deps      []model.Dependency
	Readme    template.HTML
	Can       perms
	Repos     []service.RepositorySummary
	CSRF      string
	ActionURL string
}

func (c *Console) versionPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	ctx := r.Context()
	ref := l.pkgRef(r)
	vr := service.VersionRef{PackageRef: ref, PackageVersion: r.URL.Query().Get("version")}
	d, err := c.svc.DescribePackageVersion(ctx, s.Caller, vr)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	data := versionData{Loc: l, Ref: ref, Version: d.PackageVersion, CSRF: s.CSRF, ActionURL: l.URL() + "action"}
	if as, err := c.svc.ListPackageVersionAssets(ctx, s.Caller, service.ListPackageVersionAssetsInput{VersionRef: vr, MaxResults: 1000}); err == nil {
		data.Assets = as.Assets
	} else {
		c.fail(w, r, s, err)
		return
	}
	for tok := ""; ; {
		deps, err := c.svc.ListPackageVersionDependencies(ctx, s.Caller, service.ListPackageVersionDependenciesInput{VersionRef: vr, NextToken: tok})
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		data.Deps = append(data.Deps, deps.Dependencies...)
		if tok = deps.NextToken; tok == "" || len(data.Deps) >= 1000 {
			break
		}
	}
	if rd, err := c.svc.GetPackageVersionReadme(ctx, s.Caller, vr); err == nil && rd.Readme != "" {
		data.Readme = renderReadme(rd.Readme)
	}
	data.Can = c.permsFor(r, s, ref)
	if data.Can.Copy {
		data.Repos = c.otherRepos(r, s, l)
	}
	name := model.DisplayName(model.PackageKey{Format: ref.Format, Namespace: d.PackageVersion.Namespace, Name: d.PackageVersion.PackageName})
	c.render(w, r, http.StatusOK, "version", page{Title: name + " " + d.PackageVersion.Version, Session: s,
		Crumbs: l.crumbs(crumb{name, l.PackageURL(ref.Format, ref.Namespace, ref.Package)}, crumb{d.PackageVersion.Version, ""}), Data: data})
}

// asset downloads an asset with GetPackageVersionAsset's semantics (only
// Published and Unlisted versions, authorized as that operation). It is
// always an attachment, never rendered: an HTML asset must not run in the
// console's origin.
func (c *Console) asset(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	q := r.URL.Query()
	in := service.GetPackageVersionAssetInput{VersionRef: service.VersionRef{PackageRef: l.pkgRef(r), PackageVersion: q.Get("version")}, Asset: q.Get("asset")}
	a, err := c.svc.GetPackageVersionAsset(r.Context(), s.Caller, in)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	defer a.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Asset.Name}))
	h.Set("Content-Length", strconv.FormatInt(a.Asset.Size, 10))
	h.Set("X-AssetName", a.Asset.Name)
	h.Set("X-PackageVersion", a.Version)
	h.Set("X-PackageVersionRevision", a.Revision)
	if _, err := io.Copy(w, a.Body); err != nil {
		c.log.Warn("console: asset download cut short", "asset", a.Asset.Name, "err", err)
	}
}

// restrictionTypes are the columns of the package-group page.
var restrictionTypes = []model.OriginRestrictionType{model.RestrictionPublish, model.RestrictionExternalUpstream, model.RestrictionInternalUpstream}
