package controlplane

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apimodel"
)

// wideQuery names every query member of the operations with a value
// each accepts; unknown parameters are ignored.
const wideQuery = "domain=my-domain&domain-owner=111122223333&repository=my-repo&format=npm&namespace=ns&package=pkg" +
	"&version=1.0.0&revision=rev&asset=a.tgz&max-results=25&next-token=a%2Bb%3D%3D&status=Published&sortBy=PUBLISHED_TIME" +
	"&originType=INTERNAL&duration=900&package-group=/npm/*&preview=true&resourceArn=arn:aws:codeartifact:us-west-2:111122223333:domain/my-domain" +
	"&external-connection=public:npmjs&description=d&administrator-account=111122223333&repository-prefix=my&domain-name=my-domain" +
	"&policy-revision=rev&prefix=p&publish=ALLOW&upstream=ALLOW&unfinished=true&source-repository=src&destination-repository=dst" +
	"&originRestrictionType=PUBLISH"

// bodies gives the operations with body members an input that fills them.
var bodies = map[string]string{
	"CreateDomain":                          `{"tags":[{"key":"team","value":"core"}],"encryptionKey":"arn:aws:kms:us-west-2:111122223333:key/k"}`,
	"CreateRepository":                      `{"description":"d","upstreams":[{"repositoryName":"up"}],"tags":[{"key":"k","value":"v"}]}`,
	"UpdateRepository":                      `{"description":"d","upstreams":[{"repositoryName":"up"}]}`,
	"DeletePackageVersions":                 `{"versions":["1.0","2.0"],"expectedStatus":"Published"}`,
	"DisposePackageVersions":                `{"versions":["1.0"],"versionRevisions":{"1.0":"r"},"expectedStatus":"Archived"}`,
	"UpdatePackageVersionsStatus":           `{"versions":["1.0"],"versionRevisions":{"1.0":"r"},"expectedStatus":"Published","targetStatus":"Archived"}`,
	"CopyPackageVersions":                   `{"versions":["1.0"],"allowOverwrite":true,"includeFromUpstream":false}`,
	"PutPackageOriginConfiguration":         `{"restrictions":{"publish":"BLOCK","upstream":"ALLOW"}}`,
	"TagResource":                           `{"tags":[{"key":"k","value":"v"}]}`,
	"UntagResource":                         `{"tagKeys":["k"]}`,
	"ListDomains":                           `{"maxResults":5,"nextToken":"tok"}`,
	"ListRepositories":                      `{"maxResults":5}`,
	"PutDomainPermissionsPolicy":            `{"domain":"my-domain","policyDocument":"{\"a\":\"<&>\"}","policyRevision":"r"}`,
	"PutRepositoryPermissionsPolicy":        `{"policyDocument":"{}"}`,
	"CreatePackageGroup":                    `{"packageGroup":"/npm/*","contactInfo":"c","description":"d","tags":[{"key":"k","value":"v"}]}`,
	"UpdatePackageGroup":                    `{"packageGroup":"/npm/*","contactInfo":"c"}`,
	"UpdatePackageGroupOriginConfiguration": `{"packageGroup":"/npm/*","restrictions":{"PUBLISH":"BLOCK"},"addAllowedRepositories":[{"repositoryName":"r1","originRestrictionType":"PUBLISH"}]}`,
}

// Every operation's input binds into the table's own input type exactly
// as json.Unmarshal of Decode's document would set it.
func TestBindMatchesUnmarshalForEveryOperation(t *testing.T) {
	table := (&Handler{}).table()
	for _, op := range apimodel.Operations() {
		entry, ok := table[op.Name]
		if !ok {
			continue
		}
		t.Run(op.Name, func(t *testing.T) {
			r := httptest.NewRequest(op.Method, op.Path+"?"+wideQuery, strings.NewReader(bodies[op.Name]))
			r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			in, err := op.DecodeInput(r, 0)
			if err != nil {
				t.Fatalf("the test input does not serve this operation: %v", err)
			}
			raw, err := in.Raw()
			if err != nil {
				t.Fatal(err)
			}
			got, want := reflect.New(entry.input), reflect.New(entry.input)
			gotErr := in.Bind(got.Interface())
			wantErr := json.Unmarshal(raw, want.Interface())
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("Bind error %v, Unmarshal error %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("from %s\nBind      %+v\nUnmarshal %+v", raw, got.Elem(), want.Elem())
			}
		})
	}
}

// The reads the benchmarks measure bind without encoding the input or
// allocating.
func TestHotReadsBindWithoutAllocating(t *testing.T) {
	table := (&Handler{}).table()
	for _, name := range []string{"DescribePackageVersion", "ListPackageVersions", "ListPackageVersionAssets", "DescribePackage", "ListPackages"} {
		var op *apimodel.Operation
		for _, o := range apimodel.Operations() {
			if o.Name == name {
				op = o
			}
		}
		r := httptest.NewRequest(op.Method, op.Path+"?"+wideQuery, nil)
		in, err := op.DecodeInput(r, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dst := reflect.New(table[name].input).Interface()
		if n := testing.AllocsPerRun(10, func() { in.Bind(dst) }); n != 0 {
			t.Errorf("%s: Bind allocates %v times", name, n)
		}
	}
}
