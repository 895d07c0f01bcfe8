package apimodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// FuzzDecode feeds arbitrary query strings, header values and bodies to
// every operation. Decode must never panic, must fail only with a
// ValidationException, and anything it accepts must be a member-keyed
// object that validates again unchanged.
func FuzzDecode(f *testing.F) {
	ops := Operations()
	index := map[string]uint8{}
	for i, op := range ops {
		index[op.Name] = uint8(i)
	}
	seeds := []struct {
		op, query, sha, body string
	}{
		{"ListDomains", "", "", `{"maxResults":5,"nextToken":"tok"}`},
		{"ListDomains", "", "", `{"maxResults":5.5}`},
		{"DescribePackageVersion", pkgQry + "&version=1.0", "", ""},
		{"ListPackageVersions", pkgQry + "&max-results=10&status=Published&sortBy=PUBLISHED_TIME", "", ""},
		{"GetAuthorizationToken", "domain=my-domain&duration=900", "", ""},
		{"ListAssociatedPackages", "domain=my-domain&package-group=/npm/*&preview=false", "", ""},
		{"PublishPackageVersion", "domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=tool&version=1&asset=a.tgz", sha, "payload"},
		{"PutDomainPermissionsPolicy", "", "", `{"domain":"my-domain","policyDocument":"{}"}`},
		{"PutPackageOriginConfiguration", pkgQry, "", `{"restrictions":{"publish":"BLOCK","upstream":"ALLOW"}}`},
		{"UpdatePackageVersionsStatus", pkgQry, "", `{"versions":["1.0"],"versionRevisions":{"1.0":"r"},"targetStatus":"Archived"}`},
		{"UpdatePackageGroupOriginConfiguration", "domain=my-domain&package-group=/npm/*", "", `{"restrictions":{"PUBLISH":"BLOCK"},"addAllowedRepositories":[{"repositoryName":"r1"}]}`},
		{"CreateRepository", "domain=my-domain&repository=my-repo", "", `{"upstreams":[{"repositoryName":"up"}],"tags":[{"key":"k","value":"v"}]}`},
		{"TagResource", "resourceArn=arn", "", `{"tags":[{"key":null}]}`},
		{"DeletePackageVersions", "domain=%zz", "", `[`},
	}
	for _, s := range seeds {
		i, ok := index[s.op]
		if !ok {
			f.Fatalf("no operation %s", s.op)
		}
		f.Add(i, s.query, s.sha, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, i uint8, query, shaHeader string, body []byte) {
		op := ops[int(i)%len(ops)]
		bodyReader := bytes.NewReader(body)
		r := &http.Request{
			Method:        op.Method,
			URL:           &url.URL{Path: op.Path, RawQuery: query},
			Header:        http.Header{"X-Amz-Content-Sha256": {shaHeader}},
			Body:          io.NopCloser(bodyReader),
			ContentLength: int64(len(body)),
		}
		out, err := op.Decode(r, 4096)
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) || me.Kind != model.KindValidation || me.Message == "" {
				t.Fatalf("%s: error %v (%T) is not a ValidationException", op.Name, err, err)
			}
			switch me.Reason {
			case model.ReasonCannotParse, model.ReasonFieldValidation, model.ReasonOther:
			default:
				t.Fatalf("%s: unexpected reason %q", op.Name, me.Reason)
			}
			return
		}
		if op.Payload != "" && bodyReader.Len() != len(body) {
			t.Fatalf("%s: Decode consumed the payload", op.Name)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(out, &obj); err != nil {
			t.Fatalf("%s: output %s is not a JSON object: %v", op.Name, out, err)
		}
		members := map[string]bool{}
		for _, m := range op.input.Members {
			members[m.Name] = !m.Payload
		}
		for k := range obj {
			if !members[k] {
				t.Fatalf("%s: output key %q is not an input member", op.Name, k)
			}
		}
		if err := op.Validate(out); err != nil {
			t.Fatalf("%s: accepted input %s does not re-validate: %v", op.Name, out, err)
		}
	})
}
