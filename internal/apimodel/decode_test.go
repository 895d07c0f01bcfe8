package apimodel

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

const (
	sha    = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	pkgQry = "domain=my-domain&domain-owner=111122223333&repository=my-repo&format=npm&package=lodash"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name, op, query, body string
		headers               []string
		want                  string
	}{{
		name: "query only, locationName differs from member name",
		op:   "DescribePackageVersion", query: pkgQry + "&namespace=types&version=4.17.21",
		want: `{"domain":"my-domain","domainOwner":"111122223333","format":"npm","namespace":"types","package":"lodash","packageVersion":"4.17.21","repository":"my-repo"}`,
	}, {
		name: "query and body list, as in the brief",
		op:   "DeletePackageVersions", query: "domain=dd&domain-owner=111122223333&repository=rr&format=pypi&package=p",
		body: `{"versions":["1.0"]}`,
		want: `{"domain":"dd","domainOwner":"111122223333","format":"pypi","package":"p","repository":"rr","versions":["1.0"]}`,
	}, {
		name: "query integer, enums, escaped values",
		op:   "ListPackageVersions", query: pkgQry + "&status=Published&sortBy=PUBLISHED_TIME&max-results=1000&next-token=a%2Bb%3D%3D&originType=INTERNAL",
		want: `{"domain":"my-domain","domainOwner":"111122223333","format":"npm","maxResults":1000,"nextToken":"a+b==","originType":"INTERNAL","package":"lodash","repository":"my-repo","sortBy":"PUBLISHED_TIME","status":"Published"}`,
	}, {
		name: "query long at both bounds",
		op:   "GetAuthorizationToken", query: "domain=my-domain&duration=0",
		want: `{"domain":"my-domain","durationSeconds":0}`,
	}, {
		name: "query boolean",
		op:   "ListAssociatedPackages", query: "domain=my-domain&package-group=/npm/*&preview=true",
		want: `{"domain":"my-domain","packageGroup":"/npm/*","preview":true}`,
	}, {
		name: "repeated query parameter: first wins; unknown parameters ignored",
		op:   "DescribeDomain", query: "domain=first&domain=second&x-unknown=1",
		want: `{"domain":"first"}`,
	}, {
		name: "header member, payload not part of the input",
		op:   "PublishPackageVersion", query: "domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=tool&version=1.0.0&asset=tool.tgz&unfinished=false",
		headers: []string{"X-Amz-Content-Sha256", sha},
		want:    `{"assetName":"tool.tgz","assetSHA256":"` + sha + `","domain":"my-domain","format":"generic","namespace":"ns","package":"tool","packageVersion":"1.0.0","repository":"my-repo","unfinished":false}`,
	}, {
		name: "body only, HTML characters kept verbatim",
		op:   "PutDomainPermissionsPolicy",
		body: `{"domain":"my-domain","domainOwner":"111122223333","policyRevision":"rev1","policyDocument":"{\"a\":\"<&>\"}"}`,
		want: `{"domain":"my-domain","domainOwner":"111122223333","policyDocument":"{\"a\":\"<&>\"}","policyRevision":"rev1"}`,
	}, {
		name: "body integer and token",
		op:   "ListDomains", body: `{"maxResults":5,"nextToken":"tok"}`,
		want: `{"maxResults":5,"nextToken":"tok"}`,
	}, {
		name: "empty body is an empty input",
		op:   "ListDomains",
		want: `{}`,
	}, {
		name: "nested structure",
		op:   "PutPackageOriginConfiguration", query: pkgQry,
		body: `{"restrictions":{"publish":"BLOCK","upstream":"ALLOW"}}`,
		want: `{"domain":"my-domain","domainOwner":"111122223333","format":"npm","package":"lodash","repository":"my-repo","restrictions":{"publish":"BLOCK","upstream":"ALLOW"}}`,
	}, {
		name: "map, list and enums in the body",
		op:   "UpdatePackageVersionsStatus", query: pkgQry,
		body: `{"versions":["1.0.0","2.0.0"],"versionRevisions":{"1.0.0":"REV1","2.0.0":"REV2"},"expectedStatus":"Published","targetStatus":"Archived"}`,
		want: `{"domain":"my-domain","domainOwner":"111122223333","expectedStatus":"Published","format":"npm","package":"lodash","repository":"my-repo","targetStatus":"Archived","versionRevisions":{"1.0.0":"REV1","2.0.0":"REV2"},"versions":["1.0.0","2.0.0"]}`,
	}, {
		name: "list of structures; unknown and null members dropped; body cannot override query members",
		op:   "CreateRepository", query: "domain=my-domain&repository=my-repo",
		body: `{"description":null,"upstreams":[{"repositoryName":"up-1","extra":1}],"tags":[{"key":"team","value":""}],"bogus":[1,2],"domain":"ignored"}`,
		want: `{"domain":"my-domain","repository":"my-repo","tags":[{"key":"team","value":""}],"upstreams":[{"repositoryName":"up-1"}]}`,
	}, {
		name: "map keyed by enum to enum, list of structures",
		op:   "UpdatePackageGroupOriginConfiguration", query: "domain=my-domain&package-group=/npm/*",
		body: `{"restrictions":{"PUBLISH":"BLOCK","EXTERNAL_UPSTREAM":"ALLOW_SPECIFIC_REPOSITORIES"},"addAllowedRepositories":[{"repositoryName":"r1","originRestrictionType":"EXTERNAL_UPSTREAM"}]}`,
		want: `{"addAllowedRepositories":[{"originRestrictionType":"EXTERNAL_UPSTREAM","repositoryName":"r1"}],"domain":"my-domain","packageGroup":"/npm/*","restrictions":{"EXTERNAL_UPSTREAM":"ALLOW_SPECIFIC_REPOSITORIES","PUBLISH":"BLOCK"}}`,
	}, {
		name: "operation without body members ignores any body",
		op:   "DescribeDomain", query: "domain=my-domain", body: `not json at all`,
		want: `{"domain":"my-domain"}`,
	}, {
		name: "invalid UTF-8 in the query is refused, not replaced as encoding/json would",
		op:   "DescribeDomain", query: "domain=my-domain&domain-owner=%FF",
		want: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(t, tt.op, tt.query, tt.body, tt.headers...)
			if tt.want == "" {
				// Only the invalid UTF-8 case: replaced, it could become a
				// valid name the client never sent (see utf8_test.go).
				wantModelError(t, err, model.ReasonCannotParse, "Cannot parse querystring domain-owner: invalid UTF-8")
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Decode =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// failingReader fails the test if the decoder touches a body it must leave
// to the handler.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("Decode read the payload body")
	return 0, io.EOF
}

func TestDecodePublishLeavesPayloadUnread(t *testing.T) {
	op, r := newRequest(t, "PublishPackageVersion",
		"domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=tool&version=1.0.0&asset=tool.tgz",
		failingReader{t}, "x-amz-content-sha256", sha)
	body := r.Body
	out, err := op.Decode(r, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Body != body {
		t.Error("Decode replaced r.Body")
	}
	if !strings.Contains(string(out), `"assetSHA256":"`+sha+`"`) {
		t.Errorf("Decode = %s, want assetSHA256 from the header", out)
	}

	// Without the header the required member is reported missing.
	_, r = newRequest(t, "PublishPackageVersion",
		"domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=tool&version=1.0.0&asset=tool.tgz", failingReader{t})
	_, err = op.Decode(r, 10)
	wantModelError(t, err, model.ReasonFieldValidation,
		"1 validation error detected: Value null at 'assetSHA256' failed to satisfy constraint: Member must not be null")
}

func TestDecodeCannotParse(t *testing.T) {
	tests := []struct {
		name, op, query, body, msg string
	}{
		{"query integer", "ListPackageVersions", pkgQry + "&max-results=ten", "",
			"Cannot parse value 'ten' at 'maxResults' as integer"},
		{"query integer beyond int32", "ListPackageVersions", pkgQry + "&max-results=2147483648", "",
			"Cannot parse value '2147483648' at 'maxResults' as integer"},
		{"query empty integer", "ListPackageVersions", pkgQry + "&max-results=", "",
			"Cannot parse value '' at 'maxResults' as integer"},
		{"query long", "GetAuthorizationToken", "domain=my-domain&duration=1.5", "",
			"Cannot parse value '1.5' at 'durationSeconds' as long"},
		{"query boolean", "ListAssociatedPackages", "domain=my-domain&package-group=/x&preview=TRUE", "",
			"Cannot parse value 'TRUE' at 'preview' as boolean"},
		{"malformed query", "DescribeDomain", "domain=%zz", "",
			`Cannot parse query string: invalid URL escape "%zz"`},
		{"malformed JSON", "ListDomains", "", `{"maxResults":`,
			"Cannot parse request body: unexpected EOF"},
		{"trailing data", "ListDomains", "", `{} {}`,
			"Cannot parse request body: unexpected data after the JSON value"},
		{"body is an array", "ListDomains", "", `[]`,
			"Cannot parse request body: expected a JSON object, got array"},
		{"body is null", "ListDomains", "", `null`,
			"Cannot parse request body: expected a JSON object, got null"},
		{"string for integer", "ListDomains", "", `{"maxResults":"5"}`,
			"Cannot parse value at 'maxResults': expected integer, got string"},
		{"fraction for integer", "ListDomains", "", `{"maxResults":5.5}`,
			"Cannot parse value 5.5 at 'maxResults' as integer"},
		{"number for string", "PutDomainPermissionsPolicy", "", `{"domain":"my-domain","policyDocument":{}}`,
			"Cannot parse value at 'policyDocument': expected string, got object"},
		{"string for boolean", "CopyPackageVersions", "", `{"allowOverwrite":"true"}`,
			"Cannot parse value at 'allowOverwrite': expected boolean, got string"},
		{"object for list", "DeletePackageVersions", pkgQry, `{"versions":{"1":"2"}}`,
			"Cannot parse value at 'versions': expected list, got object"},
		{"wrong type in list", "DeletePackageVersions", pkgQry, `{"versions":["1",2]}`,
			"Cannot parse value at 'versions.2.member': expected string, got number"},
		{"wrong type in nested structure", "PutPackageOriginConfiguration", pkgQry, `{"restrictions":{"publish":true}}`,
			"Cannot parse value at 'restrictions.publish': expected string, got boolean"},
		{"wrong type in map value", "UpdatePackageVersionsStatus", pkgQry, `{"versionRevisions":{"1.0":7}}`,
			"Cannot parse value at 'versionRevisions.1.0.value': expected string, got number"},
		{"wrong type in list of structures", "CreateRepository", "domain=my-domain&repository=my-repo", `{"upstreams":["up"]}`,
			"Cannot parse value at 'upstreams.1.member': expected structure, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.op, tt.query, tt.body)
			wantModelError(t, err, model.ReasonCannotParse, tt.msg)
		})
	}
}

type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestDecodeBodyLimit(t *testing.T) {
	body := `{"nextToken":"` + strings.Repeat("t", 100) + `"}` // 116 bytes
	const msg = "Request body is larger than the limit of 115 bytes"

	// Declared length over the limit: rejected before reading.
	op, r := newRequest(t, "ListDomains", "", strings.NewReader(body))
	_, err := op.Decode(r, 115)
	wantModelError(t, err, model.ReasonOther, msg)

	// Undeclared length: noticed while reading.
	_, r = newRequest(t, "ListDomains", "", chunked{strings.NewReader(body)})
	r.ContentLength = -1
	_, err = op.Decode(r, 115)
	wantModelError(t, err, model.ReasonOther, msg)

	// A server-side http.MaxBytesReader tripping first is the same error.
	_, r = newRequest(t, "ListDomains", "", chunked{strings.NewReader(body)})
	r.ContentLength = -1
	r.Body = http.MaxBytesReader(nil, r.Body, 50)
	_, err = op.Decode(r, 115)
	wantModelError(t, err, model.ReasonOther, "Request body is larger than the limit of 50 bytes")

	// Exactly at the limit is fine.
	_, r = newRequest(t, "ListDomains", "", chunked{strings.NewReader(body)})
	r.ContentLength = -1
	if _, err := op.Decode(r, 116); err != nil {
		t.Fatalf("body at the limit: %v", err)
	}
}

type brokenReader struct{}

var errBroken = errors.New("connection reset")

func (brokenReader) Read([]byte) (int, error) { return 0, errBroken }

func TestDecodeBodyReadErrorIsWrapped(t *testing.T) {
	op, r := newRequest(t, "ListDomains", "", brokenReader{})
	_, err := op.Decode(r, 0)
	if !errors.Is(err, errBroken) {
		t.Fatalf("Decode error = %v, want it to wrap %v", err, errBroken)
	}
	var me *model.Error
	if errors.As(err, &me) {
		t.Fatalf("a transport failure must not pose as a client error: %v", me)
	}
}
