package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/controlplane"
)

// ---- helpers shared by the control-plane tests (controlplane, batch,
// sigv4 and cli files)

// asErr fails the test unless err's chain holds a T, and returns it.
func asErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

// wantNotFound checks a ResourceNotFoundException and what it names.
func wantNotFound(t *testing.T, err error, resourceType, resourceID string) {
	t.Helper()
	nf := asErr[*types.ResourceNotFoundException](t, err)
	if got := string(nf.ResourceType); got != resourceType {
		t.Errorf("resourceType = %q, want %q (%v)", got, resourceType, err)
	}
	if got := aws.ToString(nf.ResourceId); got != resourceID {
		t.Errorf("resourceId = %q, want %q (%v)", got, resourceID, err)
	}
}

// wantValidation checks a ValidationException's reason and that its
// message contains every fragment.
func wantValidation(t *testing.T, err error, reason types.ValidationExceptionReason, fragments ...string) {
	t.Helper()
	ve := asErr[*types.ValidationException](t, err)
	if ve.Reason != reason {
		t.Errorf("reason = %q, want %q (%v)", ve.Reason, reason, err)
	}
	for _, f := range fragments {
		if !strings.Contains(aws.ToString(ve.Message), f) {
			t.Errorf("message %q does not contain %q", aws.ToString(ve.Message), f)
		}
	}
}

// httpStatus is the status code of an SDK operation error.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errorCode is the AWS error code of an SDK operation error.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// within checks that an epoch-millisecond timestamp lies in [from, to].
func within(t *testing.T, what string, got *time.Time, from, to time.Time) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing", what)
		return
	}
	if got.Before(from.Truncate(time.Millisecond)) || got.After(to) {
		t.Errorf("%s = %s, want within [%s, %s]", what, got.UTC(), from.UTC(), to.UTC())
	}
}

func hexSum(content []byte) map[string]string {
	m := md5.Sum(content)
	s1 := sha1.Sum(content)
	s256 := sha256.Sum256(content)
	s512 := sha512.Sum512(content)
	return map[string]string{
		"MD5": hex.EncodeToString(m[:]), "SHA-1": hex.EncodeToString(s1[:]),
		"SHA-256": hex.EncodeToString(s256[:]), "SHA-512": hex.EncodeToString(s512[:]),
	}
}

func sha256Hex(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}

// checkAsset compares an AssetSummary with the content it describes:
// size and the digests of all four algorithms.
func checkAsset(t *testing.T, a types.AssetSummary, name string, content []byte) {
	t.Helper()
	if aws.ToString(a.Name) != name {
		t.Errorf("asset name = %q, want %q", aws.ToString(a.Name), name)
	}
	if aws.ToInt64(a.Size) != int64(len(content)) {
		t.Errorf("asset %s size = %d, want %d", name, aws.ToInt64(a.Size), len(content))
	}
	want := hexSum(content)
	got := map[string]string{}
	for k, v := range a.Hashes {
		got[string(k)] = v
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("asset %s hashes = %v, want %v", name, got, want)
	}
}

// isRevision reports whether s looks like CodeArtifact's revisions:
// base64 of 32 bytes.
func isRevision(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// blobFiles lists the content digests present in the data directory's
// blob store.
func blobFiles(t *testing.T, dataDir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && len(d.Name()) == 64 {
			out[d.Name()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pkgRef is one package coordinate and the client to reach it with.
type pkgRef struct {
	c      *ca.Client
	domain string
	repo   string
	format types.PackageFormat
	ns     string
	name   string
}

func genericPkg(c *ca.Client, domain, repo, ns, name string) pkgRef {
	return pkgRef{c: c, domain: domain, repo: repo, format: types.PackageFormatGeneric, ns: ns, name: name}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (p pkgRef) publish(version, asset string, content []byte, unfinished bool) (*ca.PublishPackageVersionOutput, error) {
	return p.c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), PackageVersion: aws.String(version),
		AssetName: aws.String(asset), AssetSHA256: aws.String(sha256Hex(content)),
		AssetContent: bytes.NewReader(content), Unfinished: aws.Bool(unfinished),
	})
}

func (p pkgRef) mustPublish(t *testing.T, version, asset string, content []byte, unfinished bool) *ca.PublishPackageVersionOutput {
	t.Helper()
	out, err := p.publish(version, asset, content, unfinished)
	if err != nil {
		t.Fatalf("publish %s@%s/%s: %v", p.name, version, asset, err)
	}
	return out
}

func (p pkgRef) describe(version string) (*types.PackageVersionDescription, error) {
	out, err := p.c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), PackageVersion: aws.String(version),
	})
	if err != nil {
		return nil, err
	}
	return out.PackageVersion, nil
}

func (p pkgRef) mustDescribe(t *testing.T, version string) *types.PackageVersionDescription {
	t.Helper()
	d, err := p.describe(version)
	if err != nil {
		t.Fatalf("describe %s@%s: %v", p.name, version, err)
	}
	return d
}

// download fetches an asset and reads it whole.
func (p pkgRef) download(version, asset, revision string) ([]byte, *ca.GetPackageVersionAssetOutput, error) {
	out, err := p.c.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), PackageVersion: aws.String(version),
		Asset: aws.String(asset), PackageVersionRevision: optString(revision),
	})
	if err != nil {
		return nil, nil, err
	}
	defer out.Asset.Close()
	b, err := io.ReadAll(out.Asset)
	return b, out, err
}

func (p pkgRef) mustDownload(t *testing.T, version, asset string, want []byte) *ca.GetPackageVersionAssetOutput {
	t.Helper()
	got, out, err := p.download(version, asset, "")
	if err != nil {
		t.Fatalf("download %s@%s/%s: %v", p.name, version, asset, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("download %s@%s/%s: %d bytes %q..., want %d bytes", p.name, version, asset, len(got), got[:min(len(got), 32)], len(want))
	}
	return out
}

// versions lists every version (all pages) matching the filter.
func (p pkgRef) versions(t *testing.T, status types.PackageVersionStatus) map[string]types.PackageVersionSummary {
	t.Helper()
	out := map[string]types.PackageVersionSummary{}
	var token *string
	for {
		page, err := p.c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{
			Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
			Namespace: optString(p.ns), Package: aws.String(p.name), Status: status, NextToken: token,
		})
		if err != nil {
			t.Fatalf("ListPackageVersions %s: %v", p.name, err)
		}
		for _, v := range page.Versions {
			if _, dup := out[aws.ToString(v.Version)]; dup {
				t.Fatalf("version %s listed twice", aws.ToString(v.Version))
			}
			out[aws.ToString(v.Version)] = v
		}
		if page.NextToken == nil {
			return out
		}
		token = page.NextToken
	}
}

func (p pkgRef) deleteVersions(versions []string, expected types.PackageVersionStatus) (*ca.DeletePackageVersionsOutput, error) {
	return p.c.DeletePackageVersions(ctx, &ca.DeletePackageVersionsInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), Versions: versions, ExpectedStatus: expected,
	})
}

func (p pkgRef) updateStatus(versions []string, revs map[string]string, expected, target types.PackageVersionStatus) (*ca.UpdatePackageVersionsStatusOutput, error) {
	return p.c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), Versions: versions,
		VersionRevisions: revs, ExpectedStatus: expected, TargetStatus: target,
	})
}

func (p pkgRef) dispose(versions []string, revs map[string]string, expected types.PackageVersionStatus) (*ca.DisposePackageVersionsOutput, error) {
	return p.c.DisposePackageVersions(ctx, &ca.DisposePackageVersionsInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name), Versions: versions,
		VersionRevisions: revs, ExpectedStatus: expected,
	})
}

func (p pkgRef) setOrigin(publish types.AllowPublish, upstream types.AllowUpstream) (*ca.PutPackageOriginConfigurationOutput, error) {
	return p.c.PutPackageOriginConfiguration(ctx, &ca.PutPackageOriginConfigurationInput{
		Domain: aws.String(p.domain), Repository: aws.String(p.repo), Format: p.format,
		Namespace: optString(p.ns), Package: aws.String(p.name),
		Restrictions: &types.PackageOriginRestrictions{Publish: publish, Upstream: upstream},
	})
}

// result is one version's outcome in a batch response, flattened so whole
// responses compare with reflect.DeepEqual.
type result struct {
	Revision, Status, Code, Message string
}

func flatten(ok map[string]types.SuccessfulPackageVersionInfo, failed map[string]types.PackageVersionError) map[string]result {
	out := map[string]result{}
	for v, r := range ok {
		out[v] = result{Revision: aws.ToString(r.Revision), Status: string(r.Status)}
	}
	for v, e := range failed {
		out[v] = result{Code: string(e.ErrorCode), Message: aws.ToString(e.ErrorMessage)}
	}
	return out
}

func skipped(v string) result {
	return result{Code: "SKIPPED", Message: "version " + v + " is skipped"}
}

func wantResults(t *testing.T, what string, got, want map[string]result) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// ---- domains, repositories, endpoints, tokens

func TestDomainsAndRepositories(t *testing.T) {
	s := StartServer(t)
	c := s.Client()

	before := time.Now()
	cd, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("acme"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("build")}}})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	d := cd.Domain
	if aws.ToString(d.Name) != "acme" || aws.ToString(d.Owner) != testAccount || d.Status != types.DomainStatusActive ||
		aws.ToString(d.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:domain/acme" ||
		d.RepositoryCount != 0 || d.AssetSizeBytes != 0 {
		t.Errorf("CreateDomain = %+v", *d)
	}
	within(t, "createdTime", d.CreatedTime, before, after)

	_, err = c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("acme")})
	cf := asErr[*types.ConflictException](t, err)
	if string(cf.ResourceType) != "domain" || aws.ToString(cf.ResourceId) != "acme" {
		t.Errorf("duplicate domain conflict names %s/%s", string(cf.ResourceType), aws.ToString(cf.ResourceId))
	}
	_, err = c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("Bad_Name")})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed,
		`1 validation error detected: Value 'Bad_Name' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\-]{0,48}[a-z0-9]`)
	if httpStatus(err) != 400 {
		t.Errorf("validation status = %d, want 400", httpStatus(err))
	}

	dd, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	if !dd.Domain.CreatedTime.Equal(*d.CreatedTime) || aws.ToString(dd.Domain.Arn) != aws.ToString(d.Arn) {
		t.Errorf("DescribeDomain = %+v, want what CreateDomain returned", *dd.Domain)
	}
	_, err = c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme"), DomainOwner: aws.String("999988887777")})
	wantNotFound(t, err, "domain", "acme")

	// ListDomains walks pages of one.
	for _, n := range []string{"beta", "gamma"} {
		if _, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var token *string
	pages := 0
	for {
		out, err := c.ListDomains(ctx, &ca.ListDomainsInput{MaxResults: aws.Int32(1), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ds := range out.Domains {
			names = append(names, aws.ToString(ds.Name))
			if aws.ToString(ds.Owner) != testAccount || ds.Status != types.DomainStatusActive || ds.CreatedTime == nil ||
				aws.ToString(ds.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:domain/"+aws.ToString(ds.Name) {
				t.Errorf("domain summary %+v", ds)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !slices.Equal(names, []string{"acme", "beta", "gamma"}) || pages < 3 {
		t.Errorf("ListDomains pages=%d names=%v", pages, names)
	}

	// Repositories.
	before = time.Now()
	cr, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("base"),
		Description: aws.String("the base")})
	if err != nil {
		t.Fatal(err)
	}
	after = time.Now()
	r := cr.Repository
	if aws.ToString(r.Name) != "base" || aws.ToString(r.DomainName) != "acme" || aws.ToString(r.DomainOwner) != testAccount ||
		aws.ToString(r.AdministratorAccount) != testAccount || aws.ToString(r.Description) != "the base" ||
		aws.ToString(r.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/base" ||
		len(r.Upstreams) != 0 || len(r.ExternalConnections) != 0 {
		t.Errorf("CreateRepository = %+v", *r)
	}
	within(t, "repository createdTime", r.CreatedTime, before, after)
	cr, err = c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("base")}},
		Tags:      []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.Repository.Upstreams) != 1 || aws.ToString(cr.Repository.Upstreams[0].RepositoryName) != "base" {
		t.Errorf("upstreams = %+v", cr.Repository.Upstreams)
	}
	_, err = c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main")})
	cf = asErr[*types.ConflictException](t, err)
	if string(cf.ResourceType) != "repository" || aws.ToString(cf.ResourceId) != "main" {
		t.Errorf("duplicate repository conflict names %s/%s", string(cf.ResourceType), aws.ToString(cf.ResourceId))
	}
	_, err = c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("other"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("nope")}}})
	wantNotFound(t, err, "repository", "nope")
	_, err = c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("nodomain"), Repository: aws.String("x1")})
	wantNotFound(t, err, "domain", "nodomain")

	desc, err := c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Repository.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/main" ||
		!desc.Repository.CreatedTime.Equal(*cr.Repository.CreatedTime) {
		t.Errorf("DescribeRepository = %+v", *desc.Repository)
	}
	_, err = c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("nope")})
	wantNotFound(t, err, "repository", "nope")
	_, err = c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), DomainOwner: aws.String("999988887777"), Repository: aws.String("main")})
	wantNotFound(t, err, "domain", "acme")

	// UpdateRepository: description, upstream list replaced, cycles refused.
	up, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("base"),
		Description: aws.String("renamed")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Repository.Description) != "renamed" {
		t.Errorf("UpdateRepository description = %q", aws.ToString(up.Repository.Description))
	}
	_, err = c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("base"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("main")}}})
	asErr[*types.ValidationException](t, err)
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("side")}); err != nil {
		t.Fatal(err)
	}
	up, err = c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("side")}, {RepositoryName: aws.String("base")}}})
	if err != nil {
		t.Fatal(err)
	}
	var ups []string
	for _, u := range up.Repository.Upstreams {
		ups = append(ups, aws.ToString(u.RepositoryName))
	}
	if !slices.Equal(ups, []string{"side", "base"}) {
		t.Errorf("upstreams after update = %v", ups)
	}

	// ListRepositories and ListRepositoriesInDomain, one per page.
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("beta"), Repository: aws.String("beta-repo")}); err != nil {
		t.Fatal(err)
	}
	listAll := func(inDomain bool, prefix string) []string {
		var names []string
		var token *string
		for {
			var repos []types.RepositorySummary
			if inDomain {
				out, err := c.ListRepositoriesInDomain(ctx, &ca.ListRepositoriesInDomainInput{Domain: aws.String("acme"),
					MaxResults: aws.Int32(1), NextToken: token, RepositoryPrefix: optString(prefix)})
				if err != nil {
					t.Fatal(err)
				}
				repos, token = out.Repositories, out.NextToken
			} else {
				out, err := c.ListRepositories(ctx, &ca.ListRepositoriesInput{MaxResults: aws.Int32(1), NextToken: token, RepositoryPrefix: optString(prefix)})
				if err != nil {
					t.Fatal(err)
				}
				repos, token = out.Repositories, out.NextToken
			}
			for _, r := range repos {
				names = append(names, aws.ToString(r.DomainName)+"/"+aws.ToString(r.Name))
				if aws.ToString(r.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:repository/"+aws.ToString(r.DomainName)+"/"+aws.ToString(r.Name) ||
					aws.ToString(r.AdministratorAccount) != testAccount || aws.ToString(r.DomainOwner) != testAccount || r.CreatedTime == nil {
					t.Errorf("repository summary %+v", r)
				}
			}
			if token == nil {
				return names
			}
		}
	}
	if got := listAll(true, ""); !slices.Equal(got, []string{"acme/base", "acme/main", "acme/side"}) {
		t.Errorf("ListRepositoriesInDomain = %v", got)
	}
	if got := listAll(false, ""); !slices.Equal(got, []string{"acme/base", "beta/beta-repo", "acme/main", "acme/side"}) {
		t.Errorf("ListRepositories = %v", got)
	}
	if got := listAll(false, "si"); !slices.Equal(got, []string{"acme/side"}) {
		t.Errorf("ListRepositories(prefix si) = %v", got)
	}
	_, err = c.ListRepositoriesInDomain(ctx, &ca.ListRepositoriesInDomainInput{Domain: aws.String("nodomain")})
	wantNotFound(t, err, "domain", "nodomain")

	// Endpoints: {public-url}/{format}/{domain}-{owner}/{repo}/.
	for _, f := range []types.PackageFormat{types.PackageFormatNpm, types.PackageFormatPypi, types.PackageFormatGeneric, types.PackageFormatMaven} {
		out, err := c.GetRepositoryEndpoint(ctx, &ca.GetRepositoryEndpointInput{Domain: aws.String("acme"), Repository: aws.String("main"), Format: f})
		if err != nil {
			t.Fatal(err)
		}
		if want := s.URL + "/" + string(f) + "/acme-111122223333/main/"; aws.ToString(out.RepositoryEndpoint) != want {
			t.Errorf("GetRepositoryEndpoint(%s) = %s, want %s", f, aws.ToString(out.RepositoryEndpoint), want)
		}
	}
	_, err = c.GetRepositoryEndpoint(ctx, &ca.GetRepositoryEndpointInput{Domain: aws.String("acme"), Repository: aws.String("nope"), Format: types.PackageFormatNpm})
	wantNotFound(t, err, "repository", "nope")

	// Authorization tokens: 12 h by default, durationSeconds honoured,
	// out-of-range durations refused.
	before = time.Now()
	tok, err := c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	after = time.Now()
	if aws.ToString(tok.AuthorizationToken) == "" {
		t.Error("empty authorization token")
	}
	within(t, "token expiration", tok.Expiration, before.Add(12*time.Hour).Truncate(time.Second), after.Add(12*time.Hour))
	tok, err = c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(900)})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "token expiration (900s)", tok.Expiration, before.Add(15*time.Minute).Truncate(time.Second), time.Now().Add(15*time.Minute))
	_, err = c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("acme"), DurationSeconds: aws.Int64(100)})
	asErr[*types.ValidationException](t, err)
	_, err = c.GetAuthorizationToken(ctx, &ca.GetAuthorizationTokenInput{Domain: aws.String("nodomain")})
	wantNotFound(t, err, "domain", "nodomain")

	// Counts and sizes: distinct bytes across the domain.
	p := genericPkg(c, "acme", "main", "ns", "sized")
	p.mustPublish(t, "1", "a", []byte("12345"), false)
	p.mustPublish(t, "2", "a", []byte("12345"), false) // same bytes count once
	genericPkg(c, "acme", "side", "ns", "sized").mustPublish(t, "1", "b", []byte("1234567"), false)
	dd, err = c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	if dd.Domain.RepositoryCount != 3 || dd.Domain.AssetSizeBytes != 12 {
		t.Errorf("DescribeDomain counts: repositories=%d assetSizeBytes=%d, want 3 and 12",
			dd.Domain.RepositoryCount, dd.Domain.AssetSizeBytes)
	}

	// A domain with repositories cannot be deleted.
	_, err = c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("acme")})
	cf = asErr[*types.ConflictException](t, err)
	if string(cf.ResourceType) != "domain" || aws.ToString(cf.ResourceId) != "acme" || httpStatus(err) != 409 {
		t.Errorf("DeleteDomain conflict: %v (status %d)", err, httpStatus(err))
	}
	if _, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")}); err != nil {
		t.Fatalf("domain gone after refused delete: %v", err)
	}

	// Deleting an upstream drops it from its downstreams' lists.
	del, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("side")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.Repository.Name) != "side" || aws.ToString(del.Repository.Arn) != "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/side" {
		t.Errorf("DeleteRepository = %+v", *del.Repository)
	}
	desc, err = c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Repository.Upstreams) != 1 || aws.ToString(desc.Repository.Upstreams[0].RepositoryName) != "base" {
		t.Errorf("main's upstreams after deleting side = %+v", desc.Repository.Upstreams)
	}
	_, err = c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("side")})
	wantNotFound(t, err, "repository", "side")
	for _, r := range []string{"main", "base"} {
		if _, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String(r)}); err != nil {
			t.Fatal(err)
		}
	}
	dl, err := c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dl.Domain.Name) != "acme" || dl.Domain.Status != types.DomainStatusDeleted || dl.Domain.RepositoryCount != 0 {
		t.Errorf("DeleteDomain = %+v", *dl.Domain)
	}
	_, err = c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("acme")})
	wantNotFound(t, err, "domain", "acme")
	_, err = c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("acme")})
	wantNotFound(t, err, "domain", "acme")
}

// TestDomainEncryptionKeyAndBucket: a domain created without
// --encryption-key reports a managed KMS key ARN, as CodeArtifact does,
// the same in CreateDomain, DescribeDomain, ListDomains and DeleteDomain
// and after a restart; a domain's own key is reported as given.
// DescribeDomain reports the asset bucket as CodeArtifact shapes it.
func TestDomainEncryptionKeyAndBucket(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	managedKey := regexp.MustCompile(`^arn:aws:kms:us-east-1:111122223333:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	const ownKey = "arn:aws:kms:us-east-1:111122223333:key/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
	const bucket = "arn:aws:s3:::assets-111122223333-us-east-1"

	keys := map[string]string{}
	for _, in := range []*ca.CreateDomainInput{
		{Domain: aws.String("plain")}, {Domain: aws.String("other")}, {Domain: aws.String("own"), EncryptionKey: aws.String(ownKey)},
	} {
		out, err := c.CreateDomain(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		keys[aws.ToString(in.Domain)] = aws.ToString(out.Domain.EncryptionKey)
		if aws.ToString(out.Domain.S3BucketArn) != bucket {
			t.Errorf("CreateDomain %s s3BucketArn = %q, want %q", aws.ToString(in.Domain), aws.ToString(out.Domain.S3BucketArn), bucket)
		}
	}
	if !managedKey.MatchString(keys["plain"]) || !managedKey.MatchString(keys["other"]) || keys["plain"] == keys["other"] {
		t.Errorf("managed keys: plain %q, other %q; want two distinct KMS key ARNs", keys["plain"], keys["other"])
	}
	if keys["own"] != ownKey {
		t.Errorf("CreateDomain with a key reports %q, want %q", keys["own"], ownKey)
	}

	check := func(when string) {
		t.Helper()
		for name, key := range keys {
			dd, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(dd.Domain.EncryptionKey) != key || aws.ToString(dd.Domain.S3BucketArn) != bucket {
				t.Errorf("%s: DescribeDomain %s: encryptionKey %q s3BucketArn %q, want %q and %q", when, name,
					aws.ToString(dd.Domain.EncryptionKey), aws.ToString(dd.Domain.S3BucketArn), key, bucket)
			}
		}
		ld, err := c.ListDomains(ctx, &ca.ListDomainsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ld.Domains) != len(keys) {
			t.Errorf("%s: ListDomains = %d domains, want %d", when, len(ld.Domains), len(keys))
		}
		for _, d := range ld.Domains {
			if got, want := aws.ToString(d.EncryptionKey), keys[aws.ToString(d.Name)]; got != want {
				t.Errorf("%s: ListDomains %s encryptionKey %q, want %q", when, aws.ToString(d.Name), got, want)
			}
		}
	}
	check("after create")
	s.Restart()
	check("after a restart")

	del, err := c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.Domain.EncryptionKey) != keys["plain"] || del.Domain.Status != types.DomainStatusDeleted {
		t.Errorf("DeleteDomain = encryptionKey %q status %s, want %q and Deleted", aws.ToString(del.Domain.EncryptionKey), del.Domain.Status, keys["plain"])
	}
	// A domain created again under the same name is another domain.
	again, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	if k := aws.ToString(again.Domain.EncryptionKey); !managedKey.MatchString(k) || k == keys["plain"] {
		t.Errorf("recreated domain's key %q, want a managed key other than %q", k, keys["plain"])
	}
}

func TestTags(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	if _, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("build")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("tagged"), Repository: aws.String("repo"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	domainARN := "arn:aws:codeartifact:us-east-1:111122223333:domain/tagged"
	repoARN := "arn:aws:codeartifact:us-east-1:111122223333:repository/tagged/repo"
	tags := func(arn string) map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &ca.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", arn, err)
		}
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := tags(domainARN); !reflect.DeepEqual(got, map[string]string{"team": "build"}) {
		t.Errorf("domain tags = %v", got)
	}
	if got := tags(repoARN); !reflect.DeepEqual(got, map[string]string{"env": "prod"}) {
		t.Errorf("repository tags = %v", got)
	}
	if _, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(repoARN), Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("owner"), Value: aws.String("me")}}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(repoARN); !reflect.DeepEqual(got, map[string]string{"env": "dev", "owner": "me"}) {
		t.Errorf("repository tags after TagResource = %v", got)
	}
	if _, err := c.UntagResource(ctx, &ca.UntagResourceInput{ResourceArn: aws.String(repoARN), TagKeys: []string{"env", "absent"}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(repoARN); !reflect.DeepEqual(got, map[string]string{"owner": "me"}) {
		t.Errorf("repository tags after UntagResource = %v", got)
	}
	if got := tags(domainARN); !reflect.DeepEqual(got, map[string]string{"team": "build"}) {
		t.Errorf("domain tags changed by repository tagging: %v", got)
	}
	for _, arn := range []string{
		"arn:aws:codeartifact:us-east-1:111122223333:repository/tagged/nope",
		"arn:aws:codeartifact:us-east-1:111122223333:domain/nope",
		"arn:aws:codeartifact:us-east-1:999988887777:domain/tagged",
	} {
		_, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		asErr[*types.ResourceNotFoundException](t, err)
		_, err = c.ListTagsForResource(ctx, &ca.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		asErr[*types.ResourceNotFoundException](t, err)
		_, err = c.UntagResource(ctx, &ca.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}})
		asErr[*types.ResourceNotFoundException](t, err)
	}
	// A repository deleted and created again starts without tags.
	if _, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("tagged"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRepository(ctx, &ca.CreateRepositoryInput{Domain: aws.String("tagged"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if got := tags(repoARN); len(got) != 0 {
		t.Errorf("re-created repository inherited tags %v", got)
	}
	// So does a domain.
	if _, err := c.DeleteRepository(ctx, &ca.DeleteRepositoryInput{Domain: aws.String("tagged"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteDomain(ctx, &ca.DeleteDomainInput{Domain: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDomain(ctx, &ca.CreateDomainInput{Domain: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	if got := tags(domainARN); len(got) != 0 {
		t.Errorf("re-created domain inherited tags %v", got)
	}
	// At most 50 tags per resource: ServiceQuotaExceededException (402),
	// and nothing is added.
	var many []types.Tag
	for i := range 51 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(domainARN), Tags: many})
	asErr[*types.ServiceQuotaExceededException](t, err)
	if httpStatus(err) != 402 {
		t.Errorf("51 tags: status %d, want 402", httpStatus(err))
	}
	if _, err := c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(domainARN), Tags: many[:50]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagResource(ctx, &ca.TagResourceInput{ResourceArn: aws.String(domainARN), Tags: many[50:]})
	asErr[*types.ServiceQuotaExceededException](t, err)
	if got := tags(domainARN); len(got) != 50 {
		t.Errorf("%d tags after a refused 51st", len(got))
	}
}

// TestEveryOperationImplemented: every operation of the service model is
// in the control plane's table, and the 18 served beyond the core 30 reach
// their implementation: called on a domain that does not exist, each is
// honest about it (ResourceNotFoundException), never UNKNOWN_OPERATION and
// never a success that did nothing.
func TestEveryOperationImplemented(t *testing.T) {
	served := controlplane.Implemented()
	ops := apimodel.Operations()
	if len(ops) != 48 {
		t.Errorf("%d operations in the service model, want 48", len(ops))
	}
	for _, op := range ops {
		if !slices.Contains(served, op.Name) {
			t.Errorf("%s is not in the control plane's table", op.Name)
		}
	}
	s := StartServer(t)
	c := s.Client()
	d, r, g := aws.String("nodomain"), aws.String("repo"), aws.String("/generic/ns/*")
	policy := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},` +
		`"Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`)
	calls := map[string]func() error{
		"AssociateExternalConnection": func() error {
			_, err := c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: d, Repository: r, ExternalConnection: aws.String("public:npmjs")})
			return err
		},
		"DisassociateExternalConnection": func() error {
			_, err := c.DisassociateExternalConnection(ctx, &ca.DisassociateExternalConnectionInput{Domain: d, Repository: r, ExternalConnection: aws.String("public:npmjs")})
			return err
		},
		"CreatePackageGroup": func() error {
			_, err := c.CreatePackageGroup(ctx, &ca.CreatePackageGroupInput{Domain: d, PackageGroup: g})
			return err
		},
		"DeletePackageGroup": func() error {
			_, err := c.DeletePackageGroup(ctx, &ca.DeletePackageGroupInput{Domain: d, PackageGroup: g})
			return err
		},
		"DescribePackageGroup": func() error {
			_, err := c.DescribePackageGroup(ctx, &ca.DescribePackageGroupInput{Domain: d, PackageGroup: g})
			return err
		},
		"UpdatePackageGroup": func() error {
			_, err := c.UpdatePackageGroup(ctx, &ca.UpdatePackageGroupInput{Domain: d, PackageGroup: g})
			return err
		},
		"UpdatePackageGroupOriginConfiguration": func() error {
			_, err := c.UpdatePackageGroupOriginConfiguration(ctx, &ca.UpdatePackageGroupOriginConfigurationInput{Domain: d, PackageGroup: g})
			return err
		},
		"ListPackageGroups": func() error {
			_, err := c.ListPackageGroups(ctx, &ca.ListPackageGroupsInput{Domain: d})
			return err
		},
		"ListSubPackageGroups": func() error {
			_, err := c.ListSubPackageGroups(ctx, &ca.ListSubPackageGroupsInput{Domain: d, PackageGroup: g})
			return err
		},
		"ListAssociatedPackages": func() error {
			_, err := c.ListAssociatedPackages(ctx, &ca.ListAssociatedPackagesInput{Domain: d, PackageGroup: g})
			return err
		},
		"ListAllowedRepositoriesForGroup": func() error {
			_, err := c.ListAllowedRepositoriesForGroup(ctx, &ca.ListAllowedRepositoriesForGroupInput{Domain: d, PackageGroup: g,
				OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish})
			return err
		},
		"GetAssociatedPackageGroup": func() error {
			_, err := c.GetAssociatedPackageGroup(ctx, &ca.GetAssociatedPackageGroupInput{Domain: d, Format: types.PackageFormatGeneric,
				Namespace: aws.String("ns"), Package: aws.String("p")})
			return err
		},
		"GetDomainPermissionsPolicy": func() error {
			_, err := c.GetDomainPermissionsPolicy(ctx, &ca.GetDomainPermissionsPolicyInput{Domain: d})
			return err
		},
		"PutDomainPermissionsPolicy": func() error {
			_, err := c.PutDomainPermissionsPolicy(ctx, &ca.PutDomainPermissionsPolicyInput{Domain: d, PolicyDocument: policy})
			return err
		},
		"DeleteDomainPermissionsPolicy": func() error {
			_, err := c.DeleteDomainPermissionsPolicy(ctx, &ca.DeleteDomainPermissionsPolicyInput{Domain: d})
			return err
		},
		"GetRepositoryPermissionsPolicy": func() error {
			_, err := c.GetRepositoryPermissionsPolicy(ctx, &ca.GetRepositoryPermissionsPolicyInput{Domain: d, Repository: r})
			return err
		},
		"PutRepositoryPermissionsPolicy": func() error {
			_, err := c.PutRepositoryPermissionsPolicy(ctx, &ca.PutRepositoryPermissionsPolicyInput{Domain: d, Repository: r, PolicyDocument: policy})
			return err
		},
		"DeleteRepositoryPermissionsPolicy": func() error {
			_, err := c.DeleteRepositoryPermissionsPolicy(ctx, &ca.DeleteRepositoryPermissionsPolicyInput{Domain: d, Repository: r})
			return err
		},
	}
	if len(calls) != 18 {
		t.Fatalf("%d operations listed, want the 18 beyond the core 30", len(calls))
	}
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Errorf("%s on a missing domain succeeded", name)
			continue
		}
		st := httpStatus(err)
		if st < 400 || st >= 500 {
			t.Errorf("%s: status %d (%v), want a 4xx", name, st, err)
		}
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: %v, want ResourceNotFoundException", name, err)
		}
	}
}

// ---- packages and versions

func TestPublishAndDescribe(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "pub", "repo", "other")
	p := genericPkg(c, "pub", "repo", "tools", "hello")
	content := []byte("hello, wharf\n")

	before := time.Now()
	out := p.mustPublish(t, "1.0.0", "hello.txt", content, false)
	after := time.Now()
	if out.Format != types.PackageFormatGeneric || aws.ToString(out.Namespace) != "tools" || aws.ToString(out.Package) != "hello" ||
		aws.ToString(out.Version) != "1.0.0" || out.Status != types.PackageVersionStatusPublished || !isRevision(aws.ToString(out.VersionRevision)) {
		t.Errorf("PublishPackageVersion = %+v", *out)
	}
	checkAsset(t, *out.Asset, "hello.txt", content)
	rev := aws.ToString(out.VersionRevision)

	d := p.mustDescribe(t, "1.0.0")
	if d.Format != types.PackageFormatGeneric || aws.ToString(d.Namespace) != "tools" || aws.ToString(d.PackageName) != "hello" ||
		aws.ToString(d.DisplayName) != "hello" || aws.ToString(d.Version) != "1.0.0" || aws.ToString(d.Revision) != rev ||
		d.Status != types.PackageVersionStatusPublished || len(d.Licenses) != 0 ||
		d.Origin == nil || d.Origin.OriginType != types.PackageVersionOriginTypeInternal ||
		d.Origin.DomainEntryPoint == nil || aws.ToString(d.Origin.DomainEntryPoint.RepositoryName) != "repo" ||
		d.Origin.DomainEntryPoint.ExternalConnectionName != nil {
		t.Errorf("DescribePackageVersion = %+v origin %+v", *d, d.Origin)
	}
	within(t, "publishedTime", d.PublishedTime, before, after)

	// Identical bytes again: idempotent, same revision.
	again := p.mustPublish(t, "1.0.0", "hello.txt", content, false)
	if aws.ToString(again.VersionRevision) != rev {
		t.Errorf("identical re-publish changed the revision %s -> %s", rev, aws.ToString(again.VersionRevision))
	}
	// Different bytes under the same name: 409, nothing changes.
	_, err := p.publish("1.0.0", "hello.txt", []byte("other"), false)
	cf := asErr[*types.ConflictException](t, err)
	if httpStatus(err) != 409 || string(cf.ResourceType) != "asset" {
		t.Errorf("conflicting re-publish: %v", err)
	}
	p.mustDownload(t, "1.0.0", "hello.txt", content)

	// GetPackageVersionAsset: bytes and headers through the SDK's fields.
	ga := p.mustDownload(t, "1.0.0", "hello.txt", content)
	if aws.ToString(ga.AssetName) != "hello.txt" || aws.ToString(ga.PackageVersion) != "1.0.0" || aws.ToString(ga.PackageVersionRevision) != rev {
		t.Errorf("GetPackageVersionAsset headers: name=%q version=%q revision=%q", aws.ToString(ga.AssetName), aws.ToString(ga.PackageVersion), aws.ToString(ga.PackageVersionRevision))
	}
	if _, _, err := p.download("1.0.0", "hello.txt", rev); err != nil {
		t.Errorf("download at the current revision: %v", err)
	}
	_, _, err = p.download("1.0.0", "hello.txt", "bm90LXRoZS1yZXZpc2lvbg==")
	asErr[*types.ResourceNotFoundException](t, err)
	_, _, err = p.download("1.0.0", "missing.txt", "")
	wantNotFound(t, err, "asset", "missing.txt")
	_, _, err = p.download("9.9.9", "hello.txt", "")
	wantNotFound(t, err, "package-version", "9.9.9")
	_, err = p.describe("9.9.9")
	wantNotFound(t, err, "package-version", "9.9.9")
	_, err = genericPkg(c, "pub", "repo", "tools", "nope").describe("1.0.0")
	wantNotFound(t, err, "package", "nope")

	// A large asset streams through intact.
	big := make([]byte, 8<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	bo := p.mustPublish(t, "2.0.0", "big.bin", big, false)
	checkAsset(t, *bo.Asset, "big.bin", big)
	p.mustDownload(t, "2.0.0", "big.bin", big)

	// An empty asset is an asset.
	eo := p.mustPublish(t, "2.1.0", "empty.txt", []byte{}, false)
	checkAsset(t, *eo.Asset, "empty.txt", []byte{})
	p.mustDownload(t, "2.1.0", "empty.txt", []byte{})

	// Unfinished: assets accumulate, the revision changes with each, and
	// the last publish without the flag makes it Published.
	u1 := p.mustPublish(t, "3.0.0", "a.txt", []byte("a"), true)
	if u1.Status != types.PackageVersionStatusUnfinished {
		t.Errorf("unfinished publish status = %s", u1.Status)
	}
	_, _, err = p.download("3.0.0", "a.txt", "")
	asErr[*types.ResourceNotFoundException](t, err)
	u2 := p.mustPublish(t, "3.0.0", "b.txt", []byte("bb"), true)
	if aws.ToString(u2.VersionRevision) == aws.ToString(u1.VersionRevision) {
		t.Error("adding an asset did not change the revision")
	}
	u3 := p.mustPublish(t, "3.0.0", "c.txt", []byte("ccc"), false)
	if u3.Status != types.PackageVersionStatusPublished {
		t.Errorf("final publish status = %s", u3.Status)
	}
	p.mustDownload(t, "3.0.0", "a.txt", []byte("a"))

	// ListPackageVersionAssets: every asset with its hashes, in pages of 2.
	var assets []types.AssetSummary
	var token *string
	pages := 0
	for {
		la, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String("pub"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("3.0.0"),
			MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if la.Format != types.PackageFormatGeneric || aws.ToString(la.Namespace) != "tools" || aws.ToString(la.Package) != "hello" ||
			aws.ToString(la.Version) != "3.0.0" || aws.ToString(la.VersionRevision) != aws.ToString(u3.VersionRevision) {
			t.Errorf("ListPackageVersionAssets header fields = %+v", *la)
		}
		assets = append(assets, la.Assets...)
		if token = la.NextToken; token == nil {
			break
		}
	}
	if pages != 2 || len(assets) != 3 {
		t.Fatalf("ListPackageVersionAssets: %d pages, %d assets", pages, len(assets))
	}
	for i, want := range []struct{ name, content string }{{"a.txt", "a"}, {"b.txt", "bb"}, {"c.txt", "ccc"}} {
		checkAsset(t, assets[i], want.name, []byte(want.content))
	}

	// Readme and dependencies: generic versions have neither.
	rd, err := c.GetPackageVersionReadme(ctx, &ca.GetPackageVersionReadmeInput{Domain: aws.String("pub"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("3.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Format != types.PackageFormatGeneric || aws.ToString(rd.Namespace) != "tools" || aws.ToString(rd.Package) != "hello" ||
		aws.ToString(rd.Version) != "3.0.0" || aws.ToString(rd.VersionRevision) != aws.ToString(u3.VersionRevision) || aws.ToString(rd.Readme) != "" {
		t.Errorf("GetPackageVersionReadme = %+v", *rd)
	}
	dep, err := c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: aws.String("pub"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("3.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Format != types.PackageFormatGeneric || aws.ToString(dep.Namespace) != "tools" || aws.ToString(dep.Package) != "hello" ||
		aws.ToString(dep.Version) != "3.0.0" || aws.ToString(dep.VersionRevision) != aws.ToString(u3.VersionRevision) ||
		len(dep.Dependencies) != 0 || dep.NextToken != nil {
		t.Errorf("ListPackageVersionDependencies = %+v", *dep)
	}
	_, err = c.GetPackageVersionReadme(ctx, &ca.GetPackageVersionReadmeInput{Domain: aws.String("pub"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("7")})
	wantNotFound(t, err, "package-version", "7")
	_, err = c.ListPackageVersionDependencies(ctx, &ca.ListPackageVersionDependenciesInput{Domain: aws.String("pub"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("hello"), PackageVersion: aws.String("7")})
	wantNotFound(t, err, "package-version", "7")

	// Only generic packages may be published through the API.
	_, err = pkgRef{c: c, domain: "pub", repo: "repo", format: types.PackageFormatNpm, name: "left-pad"}.publish("1.0.0", "x.tgz", []byte("x"), false)
	asErr[*types.ValidationException](t, err)
	_, err = genericPkg(c, "pub", "nope", "tools", "hello").publish("1.0.0", "x", []byte("x"), false)
	wantNotFound(t, err, "repository", "nope")
	_, err = genericPkg(c, "nodomain", "repo", "tools", "hello").publish("1.0.0", "x", []byte("x"), false)
	wantNotFound(t, err, "domain", "nodomain")
}

// TestPublishRefusals: a publish that fails stores nothing, neither
// metadata nor bytes.
func TestPublishRefusals(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "refuse", "repo")
	p := genericPkg(c, "refuse", "repo", "ns", "pkg")

	// SHA-256 that does not match the content. assetSHA256 travels as
	// X-Amz-Content-Sha256, which the Go SDK sends as given while signing
	// the hash it computes itself: the signature cannot match, so the
	// refusal is a 403 InvalidSignatureException before any byte is kept.
	// (botocore signs the header's value; see TestCLIPublishSHA256Mismatch.)
	content := []byte("the real content")
	_, err := c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String("refuse"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String("1.0"),
		AssetName: aws.String("a.bin"), AssetSHA256: aws.String(sha256Hex([]byte("something else"))),
		AssetContent: bytes.NewReader(content),
	})
	if errorCode(err) != "InvalidSignatureException" || httpStatus(err) != 403 {
		t.Errorf("publish with a wrong SHA-256 = %v, want 403 InvalidSignatureException", err)
	}
	_, err = p.describe("1.0")
	wantNotFound(t, err, "package", "pkg")
	if files := blobFiles(t, s.DataDir); files[sha256Hex(content)] || files[sha256Hex([]byte("something else"))] {
		t.Errorf("a refused publish left bytes in the blob store: %v", files)
	}
	// A malformed SHA-256 is refused by validation.
	_, err = c.PublishPackageVersion(ctx, &ca.PublishPackageVersionInput{
		Domain: aws.String("refuse"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String("1.0"),
		AssetName: aws.String("a.bin"), AssetSHA256: aws.String(strings.ToUpper(sha256Hex(content))),
		AssetContent: bytes.NewReader(content),
	})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "assetSHA256")

	// publish=BLOCK refuses PublishPackageVersion for new and existing
	// versions alike.
	p.mustPublish(t, "1.0", "a.bin", content, false)
	oc, err := p.setOrigin(types.AllowPublishBlock, types.AllowUpstreamAllow)
	if err != nil {
		t.Fatal(err)
	}
	if oc.OriginConfiguration.Restrictions.Publish != types.AllowPublishBlock || oc.OriginConfiguration.Restrictions.Upstream != types.AllowUpstreamAllow {
		t.Errorf("PutPackageOriginConfiguration = %+v", oc.OriginConfiguration.Restrictions)
	}
	blocked := []byte("blocked bytes")
	_, err = p.publish("2.0", "a.bin", blocked, false)
	asErr[*types.AccessDeniedException](t, err)
	if httpStatus(err) != 403 {
		t.Errorf("blocked publish status %d, want 403", httpStatus(err))
	}
	_, err = p.describe("2.0")
	wantNotFound(t, err, "package-version", "2.0")
	if blobFiles(t, s.DataDir)[sha256Hex(blocked)] {
		t.Error("a blocked publish stored its bytes")
	}
	// Blocking also covers a package that does not exist yet.
	q := genericPkg(c, "refuse", "repo", "ns", "reserved")
	if _, err := q.setOrigin(types.AllowPublishBlock, types.AllowUpstreamBlock); err != nil {
		t.Fatal(err)
	}
	_, err = q.publish("1.0", "a.bin", content, false)
	asErr[*types.AccessDeniedException](t, err)
	if got := q.versions(t, ""); len(got) != 0 {
		t.Errorf("reserved package has versions %v", got)
	}
	if _, err := p.setOrigin(types.AllowPublishAllow, types.AllowUpstreamBlock); err != nil {
		t.Fatal(err)
	}
	p.mustPublish(t, "2.0", "a.bin", blocked, false)

	// An Archived (or Disposed) version cannot be published into.
	if _, err := p.updateStatus([]string{"2.0"}, nil, "", types.PackageVersionStatusArchived); err != nil {
		t.Fatal(err)
	}
	_, err = p.publish("2.0", "b.bin", []byte("more"), false)
	cf := asErr[*types.ConflictException](t, err)
	if string(cf.ResourceType) != "package-version" || aws.ToString(cf.ResourceId) != "2.0" {
		t.Errorf("publish into Archived: %v", err)
	}
	_, err = p.publish("2.0", "a.bin", blocked, false)
	asErr[*types.ConflictException](t, err)
	if d := p.mustDescribe(t, "2.0"); d.Status != types.PackageVersionStatusArchived {
		t.Errorf("status after refused publish = %s", d.Status)
	}
	if _, err := p.dispose([]string{"2.0"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	_, err = p.publish("2.0", "a.bin", blocked, false)
	asErr[*types.ConflictException](t, err)

	// Bad coordinates.
	_, err = genericPkg(c, "refuse", "repo", "", "pkg").publish("1.0", "a.bin", content, false)
	asErr[*types.ValidationException](t, err)
	_, err = genericPkg(c, "refuse", "repo", "ns", "bad/name").publish("1.0", "a.bin", content, false)
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "at 'packageName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\\s]+")
}

func TestPackages(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "pkgs", "repo")
	for _, k := range []struct{ ns, name string }{{"alpha", "one"}, {"alpha", "two"}, {"alpha-ext", "one"}, {"beta", "three"}, {"beta", "tool"}} {
		genericPkg(c, "pkgs", "repo", k.ns, k.name).mustPublish(t, "1", "f", []byte(k.ns+k.name), false)
	}
	reserved := pkgRef{c: c, domain: "pkgs", repo: "repo", format: types.PackageFormatPypi, name: "reserved"}
	if _, err := reserved.setOrigin(types.AllowPublishBlock, types.AllowUpstreamBlock); err != nil {
		t.Fatal(err)
	}
	list := func(in ca.ListPackagesInput) []string {
		t.Helper()
		in.Domain, in.Repository, in.MaxResults = aws.String("pkgs"), aws.String("repo"), aws.Int32(2)
		var out []string
		for {
			page, err := c.ListPackages(ctx, &in)
			if err != nil {
				t.Fatalf("ListPackages: %v", err)
			}
			if len(page.Packages) > 2 {
				t.Fatalf("page of %d packages with maxResults 2", len(page.Packages))
			}
			for _, p := range page.Packages {
				r := p.OriginConfiguration.Restrictions
				out = append(out, fmt.Sprintf("%s:%s/%s:%s/%s", p.Format, aws.ToString(p.Namespace), aws.ToString(p.Package), r.Publish, r.Upstream))
			}
			if in.NextToken = page.NextToken; in.NextToken == nil {
				return out
			}
		}
	}
	all := []string{
		"generic:alpha/one:ALLOW/BLOCK", "generic:alpha/two:ALLOW/BLOCK", "generic:alpha-ext/one:ALLOW/BLOCK",
		"generic:beta/three:ALLOW/BLOCK", "generic:beta/tool:ALLOW/BLOCK", "pypi:/reserved:BLOCK/BLOCK",
	}
	if got := list(ca.ListPackagesInput{}); !slices.Equal(got, all) {
		t.Errorf("ListPackages = %v\nwant %v", got, all)
	}
	// namespace matches as a prefix.
	if got := list(ca.ListPackagesInput{Format: types.PackageFormatGeneric, Namespace: aws.String("alpha")}); !slices.Equal(got, all[:3]) {
		t.Errorf("ListPackages(namespace alpha) = %v", got)
	}
	if got := list(ca.ListPackagesInput{PackagePrefix: aws.String("t")}); !slices.Equal(got, []string{all[1], all[3], all[4]}) {
		t.Errorf("ListPackages(prefix t) = %v", got)
	}
	if got := list(ca.ListPackagesInput{Publish: types.AllowPublishBlock}); !slices.Equal(got, all[5:]) {
		t.Errorf("ListPackages(publish BLOCK) = %v", got)
	}
	if got := list(ca.ListPackagesInput{Format: types.PackageFormatPypi}); !slices.Equal(got, all[5:]) {
		t.Errorf("ListPackages(pypi) = %v", got)
	}
	_, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String("pkgs"), Repository: aws.String("nope")})
	wantNotFound(t, err, "repository", "nope")

	// DescribePackage, then DeletePackage removing the versions and the
	// origin configuration with it.
	p := genericPkg(c, "pkgs", "repo", "beta", "tool")
	dp, err := c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String("pkgs"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("beta"), Package: aws.String("tool")})
	if err != nil {
		t.Fatal(err)
	}
	if dp.Package.Format != types.PackageFormatGeneric || aws.ToString(dp.Package.Namespace) != "beta" || aws.ToString(dp.Package.Name) != "tool" ||
		dp.Package.OriginConfiguration.Restrictions.Publish != types.AllowPublishAllow || dp.Package.OriginConfiguration.Restrictions.Upstream != types.AllowUpstreamBlock {
		t.Errorf("DescribePackage = %+v", *dp.Package)
	}
	if _, err := p.setOrigin(types.AllowPublishAllow, types.AllowUpstreamAllow); err != nil {
		t.Fatal(err)
	}
	p.mustPublish(t, "2", "f", []byte("second"), false)
	del, err := c.DeletePackage(ctx, &ca.DeletePackageInput{Domain: aws.String("pkgs"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("beta"), Package: aws.String("tool")})
	if err != nil {
		t.Fatal(err)
	}
	dpk := del.DeletedPackage
	if dpk.Format != types.PackageFormatGeneric || aws.ToString(dpk.Namespace) != "beta" || aws.ToString(dpk.Package) != "tool" ||
		dpk.OriginConfiguration.Restrictions.Publish != types.AllowPublishAllow || dpk.OriginConfiguration.Restrictions.Upstream != types.AllowUpstreamAllow {
		t.Errorf("DeletePackage = %+v %+v", *dpk, dpk.OriginConfiguration)
	}
	_, err = c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String("pkgs"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("beta"), Package: aws.String("tool")})
	wantNotFound(t, err, "package", "tool")
	_, _, err = p.download("2", "f", "")
	asErr[*types.ResourceNotFoundException](t, err)
	_, err = c.DeletePackage(ctx, &ca.DeletePackageInput{Domain: aws.String("pkgs"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("beta"), Package: aws.String("tool")})
	wantNotFound(t, err, "package", "tool")
	// Published again it starts afresh, with the default origin controls.
	p.mustPublish(t, "2", "f", []byte("third"), false)
	p.mustDownload(t, "2", "f", []byte("third"))
	dp, err = c.DescribePackage(ctx, &ca.DescribePackageInput{Domain: aws.String("pkgs"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("beta"), Package: aws.String("tool")})
	if err != nil {
		t.Fatal(err)
	}
	if r := dp.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishAllow || r.Upstream != types.AllowUpstreamBlock {
		t.Errorf("origin after delete and re-publish = %+v", *r)
	}
	if got := p.versions(t, ""); len(got) != 1 {
		t.Errorf("versions after delete and re-publish = %v", got)
	}

	// PutPackageOriginConfiguration: an invalid value, and a missing repository.
	_, err = p.setOrigin("MAYBE", types.AllowUpstreamAllow)
	asErr[*types.ValidationException](t, err)
	_, err = genericPkg(c, "pkgs", "nope", "ns", "x").setOrigin(types.AllowPublishAllow, types.AllowUpstreamAllow)
	wantNotFound(t, err, "repository", "nope")
}

// TestListPackageVersions: filters, sort orders, and pagination that stays
// exact while versions are added and removed between pages.
func TestListPackageVersions(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "lpv", "repo")
	p := genericPkg(c, "lpv", "repo", "ns", "pkg")
	revs := map[string]string{}
	for i := range 10 {
		v := fmt.Sprintf("v%02d", i)
		revs[v] = aws.ToString(p.mustPublish(t, v, "f", []byte(v), false).VersionRevision)
	}
	list := func(in ca.ListPackageVersionsInput) (*ca.ListPackageVersionsOutput, error) {
		in.Domain, in.Repository, in.Format, in.Namespace, in.Package = aws.String("lpv"), aws.String("repo"), types.PackageFormatGeneric, aws.String("ns"), aws.String("pkg")
		return c.ListPackageVersions(ctx, &in)
	}
	names := func(vs []types.PackageVersionSummary) []string {
		var out []string
		for _, v := range vs {
			out = append(out, aws.ToString(v.Version))
		}
		return out
	}

	first, err := list(ca.ListPackageVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Format != types.PackageFormatGeneric || aws.ToString(first.Namespace) != "ns" || aws.ToString(first.Package) != "pkg" ||
		aws.ToString(first.DefaultDisplayVersion) != "v09" || len(first.Versions) != 10 || first.NextToken != nil {
		t.Errorf("ListPackageVersions = format %s ns %q pkg %q default %q, %d versions", first.Format, aws.ToString(first.Namespace),
			aws.ToString(first.Package), aws.ToString(first.DefaultDisplayVersion), len(first.Versions))
	}
	for _, v := range first.Versions {
		ver := aws.ToString(v.Version)
		if aws.ToString(v.Revision) != revs[ver] || v.Status != types.PackageVersionStatusPublished || v.Origin == nil ||
			v.Origin.OriginType != types.PackageVersionOriginTypeInternal || v.Origin.DomainEntryPoint == nil ||
			aws.ToString(v.Origin.DomainEntryPoint.RepositoryName) != "repo" {
			t.Errorf("summary of %s = %+v", ver, v)
		}
	}

	// Walk pages of 3 in version order while the package changes under
	// the cursor: changes behind it stay unseen, changes ahead are seen.
	var walked []string
	page, err := list(ca.ListPackageVersionsInput{MaxResults: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	walked = append(walked, names(page.Versions)...)
	if !slices.Equal(walked, []string{"v00", "v01", "v02"}) || page.NextToken == nil {
		t.Fatalf("first page %v token %v", walked, page.NextToken)
	}
	if _, err := p.deleteVersions([]string{"v01", "v05"}, ""); err != nil { // one behind, one ahead
		t.Fatal(err)
	}
	p.mustPublish(t, "v015", "f", []byte("v015"), false) // behind
	p.mustPublish(t, "v045", "f", []byte("v045"), false) // ahead
	if _, err := p.updateStatus([]string{"v07"}, nil, "", types.PackageVersionStatusArchived); err != nil {
		t.Fatal(err) // ahead, and hidden by default
	}
	for i := 0; page.NextToken != nil; i++ {
		page, err = list(ca.ListPackageVersionsInput{MaxResults: aws.Int32(3), NextToken: page.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Versions) > 3 {
			t.Fatalf("page of %d with maxResults 3", len(page.Versions))
		}
		walked = append(walked, names(page.Versions)...)
		if i == 0 {
			// Between later pages: remove what is ahead, add at the end.
			if _, err := p.deleteVersions([]string{"v08"}, ""); err != nil {
				t.Fatal(err)
			}
			p.mustPublish(t, "v10", "f", []byte("v10"), false)
		}
	}
	if want := []string{"v00", "v01", "v02", "v03", "v04", "v045", "v06", "v09", "v10"}; !slices.Equal(walked, want) {
		t.Errorf("walk with changes between pages = %v\nwant %v", walked, want)
	}

	// PUBLISHED_TIME: newest first, pages of 2; a version published during
	// the walk is newer than the cursor and so not seen.
	var byTime []string
	var token *string
	for i := 0; ; i++ {
		page, err := list(ca.ListPackageVersionsInput{SortBy: types.PackageVersionSortTypePublishedTime, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		byTime = append(byTime, names(page.Versions)...)
		if i == 0 {
			p.mustPublish(t, "v11", "f", []byte("v11"), false)
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	if want := []string{"v10", "v045", "v015", "v09", "v06", "v04", "v03", "v02", "v00"}; !slices.Equal(byTime, want) {
		t.Errorf("PUBLISHED_TIME walk = %v\nwant %v", byTime, want)
	}
	// A token belongs to its sort order.
	page, err = list(ca.ListPackageVersionsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = list(ca.ListPackageVersionsInput{SortBy: types.PackageVersionSortTypePublishedTime, MaxResults: aws.Int32(1), NextToken: page.NextToken})
	asErr[*types.ValidationException](t, err)
	_, err = list(ca.ListPackageVersionsInput{NextToken: aws.String("garbage")})
	asErr[*types.ValidationException](t, err)
	for _, n := range []int32{0, 1001} {
		_, err = list(ca.ListPackageVersionsInput{MaxResults: aws.Int32(n)})
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "maxResults")
	}

	// Status filters.
	p.mustPublish(t, "w-unfinished", "f", []byte("u"), true)
	if _, err := p.updateStatus([]string{"v02"}, nil, "", types.PackageVersionStatusUnlisted); err != nil {
		t.Fatal(err)
	}
	byStatus := func(st types.PackageVersionStatus) []string {
		got := p.versions(t, st)
		out := make([]string, 0, len(got))
		for v, sum := range got {
			if st != "" && sum.Status != st {
				t.Errorf("status filter %s returned %s in status %s", st, v, sum.Status)
			}
			out = append(out, v)
		}
		sort.Strings(out)
		return out
	}
	if got := byStatus(types.PackageVersionStatusArchived); !slices.Equal(got, []string{"v07"}) {
		t.Errorf("Archived = %v", got)
	}
	if got := byStatus(types.PackageVersionStatusUnlisted); !slices.Equal(got, []string{"v02"}) {
		t.Errorf("Unlisted = %v", got)
	}
	if got := byStatus(types.PackageVersionStatusUnfinished); !slices.Equal(got, []string{"w-unfinished"}) {
		t.Errorf("Unfinished = %v", got)
	}
	if got := byStatus(""); slices.Contains(got, "v07") || !slices.Contains(got, "w-unfinished") || !slices.Contains(got, "v02") || len(got) != 11 {
		t.Errorf("default listing = %v (want all 11 but the Archived v07)", got)
	}
	// Origin type filters.
	out, err := list(ca.ListPackageVersionsInput{OriginType: types.PackageVersionOriginTypeExternal})
	if err != nil || len(out.Versions) != 0 {
		t.Errorf("originType EXTERNAL = %v, %v", out, err)
	}
	out, err = list(ca.ListPackageVersionsInput{OriginType: types.PackageVersionOriginTypeInternal})
	if err != nil || len(out.Versions) != 11 {
		t.Errorf("originType INTERNAL: %v, %v", err, out)
	}
	// defaultDisplayVersion follows the newest Published version.
	if out, err := list(ca.ListPackageVersionsInput{}); err != nil || aws.ToString(out.DefaultDisplayVersion) != "v11" {
		t.Errorf("defaultDisplayVersion = %v (%v), want v11", out, err)
	}

	_, err = genericPkg(c, "lpv", "repo", "ns", "absent").describe("1")
	wantNotFound(t, err, "package", "absent")
	_, err = c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("lpv"), Repository: aws.String("repo"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("absent")})
	wantNotFound(t, err, "package", "absent")
	_, err = c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String("lpv"), DomainOwner: aws.String("999988887777"),
		Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("pkg")})
	wantNotFound(t, err, "domain", "lpv")
}

// TestCrashRestartKeepsAcknowledged: versions acknowledged by concurrent
// publishers, and status changes, survive a SIGKILL and restart on the
// same data directory, bytes included.
func TestCrashRestartKeepsAcknowledged(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "crash", "repo")
	p := genericPkg(c, "crash", "repo", "ns", "pkg")
	type acked struct {
		content []byte
		rev     string
	}
	var mu sync.Mutex
	got := map[string]acked{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				v := fmt.Sprintf("%d.%d", w, i)
				content := bytes.Repeat([]byte(v+";"), 1000+w*100+i)
				out, err := p.publish(v, "data.bin", content, false)
				if err != nil {
					t.Errorf("publish %s: %v", v, err)
					return
				}
				mu.Lock()
				got[v] = acked{content, aws.ToString(out.VersionRevision)}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if _, err := p.updateStatus([]string{"0.0", "1.1"}, nil, "", types.PackageVersionStatusUnlisted); err != nil {
		t.Fatal(err)
	}
	if _, err := p.deleteVersions([]string{"2.2"}, ""); err != nil {
		t.Fatal(err)
	}
	delete(got, "2.2")
	s.Kill()
	s.start()
	c = s.Client()
	p.c = c
	listed := p.versions(t, "")
	if len(listed) != len(got) {
		t.Errorf("%d versions after restart, want %d", len(listed), len(got))
	}
	for v, a := range got {
		sum, ok := listed[v]
		if !ok {
			t.Errorf("version %s lost", v)
			continue
		}
		want := types.PackageVersionStatusPublished
		if v == "0.0" || v == "1.1" {
			want = types.PackageVersionStatusUnlisted
		}
		if sum.Status != want || aws.ToString(sum.Revision) != a.rev {
			t.Errorf("version %s after restart: status %s revision %s, want %s %s", v, sum.Status, aws.ToString(sum.Revision), want, a.rev)
		}
		p.mustDownload(t, v, "data.bin", a.content)
	}
	_, err := p.describe("2.2")
	wantNotFound(t, err, "package-version", "2.2")
}

// TestOddNames: names, versions and asset names with every character the
// model allows survive the query string, the database and the response
// headers unchanged.
func TestOddNames(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "odd", "repo.with-dots_1")
	p := genericPkg(c, "odd", "repo.with-dots_1", "com.acme+tools~x", "my-tool_x.y@z")
	versions := []string{"1.0.0+build.5", "2.0.0-rc.1", "3.0%20", "v&x=y"}
	// Generic asset names: letters and digits of any script, single inner
	// spaces and ~!@^&()-`_+[]{};,. (CodeArtifact's documented rule).
	assets := []string{"file with spaces (1).tar.gz", "weird~!@^&()-`_+[]{};,.txt", "résumé ñ 日本.txt", "Ⅻ٣.bin"}
	for _, v := range versions {
		for i, a := range assets {
			content := []byte(v + "|" + a)
			out, err := p.publish(v, a, content, i < len(assets)-1)
			if err != nil {
				t.Fatalf("publish %q/%q: %v", v, a, err)
			}
			if aws.ToString(out.Version) != v || aws.ToString(out.Asset.Name) != a || aws.ToString(out.Namespace) != p.ns || aws.ToString(out.Package) != p.name {
				t.Errorf("publish %q/%q echoed %q/%q in %q/%q", v, a, aws.ToString(out.Version), aws.ToString(out.Asset.Name), aws.ToString(out.Namespace), aws.ToString(out.Package))
			}
		}
	}
	listed := p.versions(t, "")
	for _, v := range versions {
		if listed[v].Status != types.PackageVersionStatusPublished {
			t.Errorf("version %q listed as %+v", v, listed[v])
		}
		for _, a := range assets {
			ga := p.mustDownload(t, v, a, []byte(v+"|"+a))
			if aws.ToString(ga.AssetName) != a || aws.ToString(ga.PackageVersion) != v {
				t.Errorf("X-AssetName %q X-PackageVersion %q, want %q %q", aws.ToString(ga.AssetName), aws.ToString(ga.PackageVersion), a, v)
			}
		}
	}
	out, err := p.deleteVersions(versions, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SuccessfulVersions) != len(versions) {
		t.Errorf("delete odd versions: %+v", flatten(out.SuccessfulVersions, out.FailedVersions))
	}
	// Outside the rule: refused with a ValidationException, nothing kept.
	for _, a := range []string{"dir/file.bin", `dir\file.bin`, "100%.bin", "a?b.txt", "euro€.txt", " lead.txt", "two  spaces", "..", "tab\tx"} {
		_, err := p.publish("9.9", a, []byte("x"), false)
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "assetName")
	}
	for _, v := range []string{"..", "."} {
		_, err := p.publish(v, "a.txt", []byte("x"), false)
		wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "packageVersion")
	}
	if got := p.versions(t, ""); len(got) != 0 {
		t.Errorf("refused publishes left versions %v", got)
	}
}
