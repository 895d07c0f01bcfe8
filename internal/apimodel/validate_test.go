package apimodel

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestDecodeValidationMessages(t *testing.T) {
	const one = "1 validation error detected: "
	repoQry := "domain=my-domain&repository=my-repo"
	tests := []struct {
		name, op, query, body, msg string
	}{
		{"pattern, with package reported as packageName", "DescribePackage",
			"domain=my-domain&repository=my-repo&format=npm&package=x%20y", "",
			one + `Value 'x y' at 'packageName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\s]+`},
		{"null and min length, joined in member order", "DescribeRepository", "repository=A", "",
			"2 validation errors detected: Value null at 'domain' failed to satisfy constraint: Member must not be null; " +
				"Value 'A' at 'repository' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"max length", "DescribeDomain", "domain=" + strings.Repeat("a", 51), "",
			one + "Value '" + strings.Repeat("a", 51) + "' at 'domain' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"length counts code points, not bytes", "DescribeRepository", repoQry + "&domain-owner=" + strings.Repeat("%C3%A9", 12), "",
			one + "Value '" + strings.Repeat("é", 12) + "' at 'domainOwner' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}"},
		{"enum in model order", "ListPackages", repoQry + "&format=apk", "",
			one + "Value 'apk' at 'format' failed to satisfy constraint: Member must satisfy enum value set: [npm, pypi, maven, nuget, generic, ruby, swift, cargo]"},
		{"minimum value, number unquoted", "ListPackages", repoQry + "&max-results=0", "",
			one + "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"maximum value of a long", "GetAuthorizationToken", "domain=my-domain&duration=43201", "",
			one + "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"negative value", "GetAuthorizationToken", "domain=my-domain&duration=-1", "",
			one + "Value '-1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"header pattern", "PublishPackageVersion",
			"domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=tool&version=1&asset=a", "",
			one + "Value null at 'assetSHA256' failed to satisfy constraint: Member must not be null"},
		{"body member min length", "ListDomains", "", `{"nextToken":""}`,
			one + "Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"nested required members", "PutPackageOriginConfiguration", pkgQry, `{"restrictions":{"publish":"MAYBE"}}`,
			"2 validation errors detected: " +
				"Value 'MAYBE' at 'restrictions.publish' failed to satisfy constraint: Member must satisfy enum value set: [ALLOW, BLOCK]; " +
				"Value null at 'restrictions.upstream' failed to satisfy constraint: Member must not be null"},
		{"list items are 1-based .member", "DeletePackageVersions", pkgQry, `{"versions":["1.0","a b",null]}`,
			"2 validation errors detected: " +
				`Value 'a b' at 'versions.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\s]+; ` +
				"Value null at 'versions.3.member' failed to satisfy constraint: Member must not be null"},
		{"list of structures", "TagResource", "resourceArn=arn:aws:codeartifact:us-west-2:111122223333:domain/d",
			`{"tags":[{"key":"ok","value":"v"},{"value":"v"},{"key":"","value":"x\u0000"}]}`,
			"3 validation errors detected: " +
				"Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null; " +
				"Value '' at 'tags.3.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value 'x\x00' at 'tags.3.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: \\P{C}*"},
		{"map keys and values by key", "UpdatePackageVersionsStatus", pkgQry,
			`{"versions":["1.0"],"targetStatus":"Archived","versionRevisions":{"b":"` + strings.Repeat("r", 51) + `","a b":"r","c":null}}`,
			"3 validation errors detected: " +
				`Value 'a b' at 'versionRevisions.a b.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\s]+; ` +
				"Value '" + strings.Repeat("r", 51) + "' at 'versionRevisions.b.value' failed to satisfy constraint: Member must have length less than or equal to 50; " +
				"Value null at 'versionRevisions.c.value' failed to satisfy constraint: Member must not be null"},
		{"list size uses length wording, value rendered briefly", "DeletePackageVersions", pkgQry,
			`{"versions":[` + versionList(101) + `]}`,
			one + "Value '[v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, ...]' at 'versions' failed to satisfy constraint: Member must have length less than or equal to 100"},
		{"map value rendering", "UpdatePackageGroupOriginConfiguration", "domain=my-domain&package-group=/npm/*",
			`{"restrictions":{"PUBLISH":"NOPE","EXTERNAL_UPSTREAM":"ALLOW"}}`,
			one + "Value 'NOPE' at 'restrictions.PUBLISH.value' failed to satisfy constraint: Member must satisfy enum value set: [ALLOW, ALLOW_SPECIFIC_REPOSITORIES, BLOCK, INHERIT]"},
		{"only the first failing constraint per value", "DescribeDomain", "domain=-", "",
			one + "Value '-' at 'domain' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"whitespace in a package group pattern", "DescribePackageGroup", "domain=my-domain&package-group=/npm/a%C2%A0b", "",
			one + "Value '/npm/a\u00a0b' at 'packageGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\p{C}\\p{IsWhitespace}]+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.op, tt.query, tt.body)
			wantModelError(t, err, model.ReasonFieldValidation, tt.msg)
		})
	}
}

func versionList(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"v` + strconv.Itoa(i) + `"`)
	}
	return b.String()
}

func TestRenderValue(t *testing.T) {
	tests := []struct {
		val  any
		want string
	}{
		{nil, "null"},
		{"it's", "'it's'"},
		{int64(-3), "'-3'"},
		{true, "'true'"},
		{[]any{}, "'[]'"},
		{[]any{"a", nil, int64(2)}, "'[a, null, 2]'"},
		{map[string]any{"b": "2", "a": "1"}, "'{a=1, b=2}'"},
		{[]any{map[string]any{"key": "k", "value": "v"}}, "'[{key=k, value=v}]'"},
	}
	for _, tt := range tests {
		if got := renderValue(tt.val); got != tt.want {
			t.Errorf("renderValue(%#v) = %s, want %s", tt.val, got, tt.want)
		}
	}
}

func TestValidateDocument(t *testing.T) {
	op, err := Lookup("POST", "/v1/package/versions/update_status")
	if err != nil {
		t.Fatal(err)
	}
	valid := `{"domain":"my-domain","repository":"my-repo","format":"npm","package":"p","versions":["1.0"],"targetStatus":"Archived","versionRevisions":{"1.0":"r"}}`
	if err := op.Validate([]byte(valid)); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	// Member names, not wire names, in Validate's form.
	err = op.Validate([]byte(`{"domain":"my-domain","repository":"my-repo","format":"npm","package":"p","versions":[],"target-status":"Archived"}`))
	wantModelError(t, err, model.ReasonFieldValidation,
		"1 validation error detected: Value null at 'targetStatus' failed to satisfy constraint: Member must not be null")
	err = op.Validate([]byte(`{"domain":1}`))
	wantModelError(t, err, model.ReasonCannotParse, "Cannot parse value at 'domain': expected string, got number")
	err = op.Validate([]byte(`[`))
	wantModelError(t, err, model.ReasonCannotParse, "Cannot parse input: unexpected EOF")
}
