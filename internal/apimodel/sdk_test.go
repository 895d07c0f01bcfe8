package apimodel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// recorder is a fake CodeArtifact endpoint that keeps the last request the
// SDK sent and answers every call with an empty success.
type recorder struct {
	mu   sync.Mutex
	req  *http.Request
	body []byte
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.req, rec.body = r.Clone(context.Background()), body
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}

// replay rebuilds the recorded request as a server would receive it.
func (rec *recorder) replay() *http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := httptest.NewRequest(rec.req.Method, rec.req.URL.RequestURI(), bytes.NewReader(rec.body))
	r.Header = rec.req.Header.Clone()
	return r
}

type sdkCase struct {
	op   string
	in   any
	call func(context.Context) error
}

func sdkCall[In, Out any](op string, in *In, f func(context.Context, *In, ...func(*codeartifact.Options)) (Out, error)) sdkCase {
	return sdkCase{op, in, func(ctx context.Context) error { _, err := f(ctx, in); return err }}
}

// TestDecodeRoundTripsTheRealSDK sends requests with aws-sdk-go-v2's
// codeartifact client and checks that Decode recovers exactly the input
// the SDK was given, which proves the generated bindings (locations, wire
// names, types) match what real clients send.
func TestDecodeRoundTripsTheRealSDK(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c := codeartifact.NewFromConfig(aws.Config{
		Region:      "us-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}, func(o *codeartifact.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = aws.NopRetryer{}
	})

	content := []byte("tarball bytes")
	sum := sha256.Sum256(content)
	s := aws.String
	cases := []sdkCase{
		sdkCall("ListDomains", &codeartifact.ListDomainsInput{MaxResults: aws.Int32(25), NextToken: s("page+2/==")}, c.ListDomains),
		sdkCall("PutDomainPermissionsPolicy", &codeartifact.PutDomainPermissionsPolicyInput{
			Domain: s("my-domain"), DomainOwner: s("111122223333"), PolicyRevision: s("rev-1"),
			PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"}]}`),
		}, c.PutDomainPermissionsPolicy),
		sdkCall("UpdatePackageVersionsStatus", &codeartifact.UpdatePackageVersionsStatusInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Format: types.PackageFormatMaven,
			Namespace: s("com.example"), Package: s("lib"), Versions: []string{"1.0", "1.1"},
			VersionRevisions: map[string]string{"1.0": "REV/1", "1.1": "REV+2"},
			ExpectedStatus:   types.PackageVersionStatusPublished, TargetStatus: types.PackageVersionStatusUnlisted,
		}, c.UpdatePackageVersionsStatus),
		sdkCall("PutPackageOriginConfiguration", &codeartifact.PutPackageOriginConfigurationInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Format: types.PackageFormatNpm,
			Namespace: s("types"), Package: s("node"),
			Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishBlock, Upstream: types.AllowUpstreamAllow},
		}, c.PutPackageOriginConfiguration),
		sdkCall("ListPackageVersions", &codeartifact.ListPackageVersionsInput{
			Domain: s("my-domain"), DomainOwner: s("111122223333"), Repository: s("my-repo"),
			Format: types.PackageFormatPypi, Package: s("requests"), MaxResults: aws.Int32(1000),
			NextToken: s("a+b&c=d/%=="), Status: types.PackageVersionStatusArchived,
			SortBy: types.PackageVersionSortTypePublishedTime, OriginType: types.PackageVersionOriginTypeExternal,
		}, c.ListPackageVersions),
		sdkCall("GetAuthorizationToken", &codeartifact.GetAuthorizationTokenInput{
			Domain: s("my-domain"), DomainOwner: s("111122223333"), DurationSeconds: aws.Int64(43200),
		}, c.GetAuthorizationToken),
		sdkCall("GetAuthorizationToken", &codeartifact.GetAuthorizationTokenInput{
			Domain: s("my-domain"), DurationSeconds: aws.Int64(0),
		}, c.GetAuthorizationToken),
		sdkCall("CreateRepository", &codeartifact.CreateRepositoryInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Description: s("Team répertoire <&>"),
			Upstreams: []types.UpstreamRepository{{RepositoryName: s("up-a")}, {RepositoryName: s("up-b")}},
			Tags:      []types.Tag{{Key: s("team"), Value: s("")}},
		}, c.CreateRepository),
		sdkCall("UpdatePackageGroupOriginConfiguration", &codeartifact.UpdatePackageGroupOriginConfigurationInput{
			Domain: s("my-domain"), PackageGroup: s("/npm/@scope/*"),
			Restrictions: map[string]types.PackageGroupOriginRestrictionMode{
				"PUBLISH": types.PackageGroupOriginRestrictionModeBlock, "EXTERNAL_UPSTREAM": types.PackageGroupOriginRestrictionModeAllowSpecificRepositories,
			},
			AddAllowedRepositories: []types.PackageGroupAllowedRepository{
				{RepositoryName: s("npm-proxy"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypeExternalUpstream},
			},
		}, c.UpdatePackageGroupOriginConfiguration),
		sdkCall("ListAssociatedPackages", &codeartifact.ListAssociatedPackagesInput{
			Domain: s("my-domain"), PackageGroup: s("/pypi/*"), Preview: aws.Bool(true), MaxResults: aws.Int32(1),
		}, c.ListAssociatedPackages),
		sdkCall("CopyPackageVersions", &codeartifact.CopyPackageVersionsInput{
			Domain: s("my-domain"), SourceRepository: s("src"), DestinationRepository: s("dst"),
			Format: types.PackageFormatCargo, Package: s("serde"), Versions: []string{"1.0.0"},
			AllowOverwrite: aws.Bool(false), IncludeFromUpstream: aws.Bool(true),
		}, c.CopyPackageVersions),
		sdkCall("UntagResource", &codeartifact.UntagResourceInput{
			ResourceArn: s("arn:aws:codeartifact:us-west-2:111122223333:repository/my-domain/my-repo"),
			TagKeys:     []string{"team", "cost center"},
		}, c.UntagResource),
		sdkCall("DeletePackage", &codeartifact.DeletePackageInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Format: types.PackageFormatSwift,
			Namespace: s("github.com"), Package: s("swift-nio"),
		}, c.DeletePackage),
		sdkCall("DescribePackageVersion", &codeartifact.DescribePackageVersionInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Format: types.PackageFormatNuget,
			Package: s("Newtonsoft.Json"), PackageVersion: s("13.0.3-beta+meta"),
		}, c.DescribePackageVersion),
		sdkCall("PublishPackageVersion", &codeartifact.PublishPackageVersionInput{
			Domain: s("my-domain"), Repository: s("my-repo"), Format: types.PackageFormatGeneric,
			Namespace: s("tools"), Package: s("cli"), PackageVersion: s("2.0.0"), AssetName: s("cli-linux.tar.gz"),
			AssetSHA256: s(hex.EncodeToString(sum[:])), Unfinished: aws.Bool(true),
			AssetContent: bytes.NewReader(content),
		}, c.PublishPackageVersion),
	}

	ctx := context.Background()
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			if err := tc.call(ctx); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			r := rec.replay()
			op, err := Lookup(r.Method, r.URL.Path)
			if err != nil {
				t.Fatalf("Lookup(%s %s): %v", r.Method, r.URL.Path, err)
			}
			if op.Name != tc.op {
				t.Fatalf("Lookup(%s %s) = %s, want %s", r.Method, r.URL.Path, op.Name, tc.op)
			}
			seen[op.Name] = true
			got, err := op.Decode(r, 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want, err := json.Marshal(sdkInput(reflect.ValueOf(tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, want) {
				t.Fatalf("Decode =\n%s\nSDK input was\n%s", got, want)
			}
			if op.Payload != "" {
				// The payload is still there for the handler.
				if b, _ := io.ReadAll(r.Body); !bytes.Equal(b, content) {
					t.Fatalf("payload after Decode = %q, want %q", b, content)
				}
			}
		})
	}
	if len(seen) < 10 {
		t.Errorf("only %d operations exercised", len(seen))
	}
}

// sdkInput converts an SDK input struct to the member-keyed form Decode
// produces. SDK field names are the member names with an upper-case first
// letter; unset pointers, enums and slices are what the SDK does not send.
// The streaming payload (an io.Reader) is not part of Decode's output.
func sdkInput(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return sdkInput(v.Elem())
	case reflect.Interface:
		return nil
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if x := sdkInput(v.Field(i)); x != nil {
				r := []rune(f.Name)
				r[0] = unicode.ToLower(r[0])
				out[string(r)] = x
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = sdkInput(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = sdkInput(v.MapIndex(k))
		}
		return out
	case reflect.String:
		if v.String() == "" && v.Type() != reflect.TypeFor[string]() {
			return nil // an unset enum
		}
		return v.String()
	default:
		return v.Interface()
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
