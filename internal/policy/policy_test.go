package policy

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	alice   = "arn:aws:iam::111122223333:user/alice"
	bob     = "arn:aws:iam::444455556666:user/bob"
	domARN  = "arn:aws:codeartifact:us-east-1:111122223333:domain/dom"
	repoARN = "arn:aws:codeartifact:us-east-1:111122223333:repository/dom/repo"
	pkgARN  = "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//left-pad"
)

type parser func(string) (*Policy, error)

func mustParse(t *testing.T, parse parser, doc string) *Policy {
	t.Helper()
	p, err := parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

// aliceReq is a same-account request by alice.
func aliceReq(action, resource string, ctx map[string][]string) Request {
	return Request{
		Principal:       Principal{ARN: alice, Account: acctA},
		Action:          action,
		Resource:        resource,
		ResourceAccount: acctA,
		Context:         ctx,
	}
}

// identity builds a one-statement identity policy.
func identity(effect, action, resource string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":%q,"Action":%q,"Resource":%q}]}`, effect, action, resource)
}

func TestParseRejects(t *testing.T) {
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[{` + body + `}]}` }
	allowAll := `"Effect":"Allow","Action":"*","Resource":"*"`
	withCond := func(cond string) string { return stmt(allowAll + `,"Condition":` + cond) }
	tooLong := identity("Allow", "*", "*")
	tooLong += strings.Repeat(" ", MaxDocumentLength+1-len(tooLong))

	tests := []struct {
		name  string
		parse parser
		doc   string
		want  string
	}{
		{"empty", Parse, "", "must not be empty"},
		{"blank", Parse, " \n\t", "must not be empty"},
		{"not JSON", Parse, "not json", "not valid JSON"},
		{"truncated", Parse, `{"Statement": [`, "not valid JSON"},
		{"trailing data", Parse, identity("Allow", "*", "*") + ` {}`, "data after the end"},
		{"array document", Parse, `[]`, "must be a JSON object, not an array"},
		{"string document", Parse, `"policy"`, "must be a JSON object, not a string"},
		{"unknown top-level key", Parse, `{"Statment":[]}`, "unknown element: Statment"},
		{"bad version", Parse, `{"Version":"2020-01-01","Statement":{` + allowAll + `}}`, "invalid Version value: 2020-01-01"},
		{"numeric version", Parse, `{"Version":2012,"Statement":{` + allowAll + `}}`, "Version must be a string, not a number"},
		{"id not string", Parse, `{"Id":[],"Statement":{` + allowAll + `}}`, "Id must be a string"},
		{"no statement", Parse, `{"Version":"2012-10-17"}`, "must contain a Statement"},
		{"empty statement list", Parse, `{"Statement":[]}`, "at least one statement"},
		{"statement is string", Parse, `{"Statement":"allow"}`, "Statement must be an object or an array of objects, not a string"},
		{"statement entry is string", Parse, `{"Statement":["allow"]}`, "Each Statement must be an object, not a string"},
		{"empty statement object", Parse, `{"Statement":[{}]}`, "empty statement"},
		{"missing effect", Parse, stmt(`"Action":"*","Resource":"*"`), "must contain an Effect"},
		{"effect maybe", Parse, stmt(`"Effect":"Maybe","Action":"*","Resource":"*"`), "Policy document contains an invalid Effect value: Maybe"},
		{"effect lower case", Parse, stmt(`"Effect":"allow","Action":"*","Resource":"*"`), "invalid Effect value: allow"},
		{"effect not string", Parse, stmt(`"Effect":true,"Action":"*","Resource":"*"`), "Effect must be a string, not a boolean"},
		{"action and notaction", Parse, stmt(`"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"`), "both Action and NotAction"},
		{"no action", Parse, stmt(`"Effect":"Allow","Resource":"*"`), "must contain actions"},
		{"action number", Parse, stmt(`"Effect":"Allow","Action":5,"Resource":"*"`), "Action must be a string or an array of strings, not a number"},
		{"action array with number", Parse, stmt(`"Effect":"Allow","Action":["s3:Get",5],"Resource":"*"`), "contains a number"},
		{"action empty array", Parse, stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), "Action must not be an empty array"},
		{"action without service", Parse, stmt(`"Effect":"Allow","Action":"DeletePackageVersions","Resource":"*"`), "of the form service:action"},
		{"action empty service", Parse, stmt(`"Effect":"Allow","Action":":Get","Resource":"*"`), "of the form service:action"},
		{"action empty name", Parse, stmt(`"Effect":"Allow","Action":"codeartifact:","Resource":"*"`), "of the form service:action"},
		{"action two colons", Parse, stmt(`"Effect":"Allow","Action":"codeartifact:a:b","Resource":"*"`), "only one colon"},
		{"notaction without service", Parse, stmt(`"Effect":"Allow","NotAction":"x","Resource":"*"`), `NotAction "x" must be`},
		{"resource and notresource", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"`), "both Resource and NotResource"},
		{"resource not arn", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":"my-bucket"`), `Resource my-bucket must be in ARN format or "*"`},
		{"resource object", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":{}`), "Resource must be a string or an array of strings, not an object"},
		{"identity without resource", ParseIdentity, stmt(`"Effect":"Allow","Action":"*"`), "must contain resources"},
		{"identity with principal", ParseIdentity, stmt(allowAll + `,"Principal":"*"`), "should not specify a principal"},
		{"identity with notprincipal", ParseIdentity, stmt(allowAll + `,"NotPrincipal":{"AWS":"111122223333"}`), "should not specify a principal"},
		{"identity sid with space", ParseIdentity, stmt(`"Sid":"read all",` + allowAll), "alpha-numeric"},
		{"resource without principal", ParseResource, stmt(allowAll), "must contain a Principal or NotPrincipal"},
		{"principal and notprincipal", ParseResource, stmt(allowAll + `,"Principal":"*","NotPrincipal":"*"`), "both Principal and NotPrincipal"},
		{"principal bare account", ParseResource, stmt(allowAll + `,"Principal":"111122223333"`), "Invalid principal in policy"},
		{"principal number", ParseResource, stmt(allowAll + `,"Principal":111122223333`), "Invalid principal in policy"},
		{"principal empty object", ParseResource, stmt(allowAll + `,"Principal":{}`), "Principal is empty"},
		{"principal service", ParseResource, stmt(allowAll + `,"Principal":{"Service":"codeartifact.amazonaws.com"}`), `unsupported principal type "Service"`},
		{"principal wildcard arn", ParseResource, stmt(allowAll + `,"Principal":{"AWS":"arn:aws:iam::*:root"}`), "wildcards are only allowed"},
		{"principal wildcard user", ParseResource, stmt(allowAll + `,"Principal":{"AWS":"arn:aws:iam::111122223333:user/*"}`), "wildcards are only allowed"},
		{"principal short account", ParseResource, stmt(allowAll + `,"Principal":{"AWS":"12345"}`), `Invalid principal in policy: "AWS": "12345"`},
		{"principal group", ParseResource, stmt(allowAll + `,"Principal":{"AWS":"arn:aws:iam::111122223333:group/devs"}`), "Invalid principal in policy"},
		{"principal with region", ParseResource, stmt(allowAll + `,"Principal":{"AWS":"arn:aws:iam:us-east-1:111122223333:root"}`), "Invalid principal in policy"},
		{"principal empty array", ParseResource, stmt(allowAll + `,"Principal":{"AWS":[]}`), "must not be an empty array"},
		{"unknown statement key", Parse, stmt(allowAll + `,"Effects":"Allow"`), "unknown element: Effects"},
		{"duplicate key", Parse, stmt(allowAll + `,"Effect":"Deny"`), `duplicate key "Effect"`},
		{"duplicate sid", Parse, `{"Statement":[{"Sid":"A",` + allowAll + `},{"Sid":"A",` + allowAll + `}]}`, "must be unique: A"},
		{"sid not string", Parse, stmt(`"Sid":1,` + allowAll), "Sid must be a string"},
		{"error names statement", Parse, `{"Statement":[{` + allowAll + `},{"Sid":"Two","Effect":"Maybe","Action":"*"}]}`, `invalid Effect value: Maybe (in statement 2, Sid "Two")`},
		{"too long", Parse, tooLong, fmt.Sprintf("too long: %d characters, the maximum is 7168", MaxDocumentLength+1)},
		{"invalid utf-8", Parse, stmt(`"Sid":"` + "\xff" + `",` + allowAll), "not valid UTF-8"},
		{"unsupported operator", Parse, withCond(`{"Foo":{"aws:x":"y"}}`), "unsupported condition operator Foo"},
		{"unsupported set prefix", Parse, withCond(`{"ForSomeValues:StringEquals":{"aws:x":"y"}}`), "unsupported condition operator ForSomeValues:StringEquals"},
		{"bare IfExists", Parse, withCond(`{"IfExists":{"aws:x":"y"}}`), "unsupported condition operator IfExists"},
		{"binary unsupported", Parse, withCond(`{"BinaryEquals":{"aws:x":"eQ=="}}`), "unsupported condition operator BinaryEquals"},
		{"null if exists", Parse, withCond(`{"NullIfExists":{"aws:x":"true"}}`), "Null cannot be combined with IfExists"},
		{"for all values null", Parse, withCond(`{"ForAllValues:Null":{"aws:x":"true"}}`), "Null cannot be combined with ForAllValues"},
		{"numeric not number", Parse, withCond(`{"NumericLessThan":{"aws:x":"abc"}}`), `Condition NumericLessThan on key aws:x: "abc" is not a number`},
		{"numeric NaN", Parse, withCond(`{"NumericEquals":{"aws:x":"NaN"}}`), `"NaN" is not a number`},
		{"numeric hex", Parse, withCond(`{"NumericEquals":{"aws:x":"0x10"}}`), `"0x10" is not a number`},
		{"numeric overflow", Parse, withCond(`{"NumericEquals":{"aws:x":"1e999"}}`), `"1e999" is not a number`},
		{"date not date", Parse, withCond(`{"DateLessThan":{"aws:CurrentTime":"yesterday"}}`), `"yesterday" is not a date`},
		{"bool not bool", Parse, withCond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `"yes" is not true or false`},
		{"null not bool", Parse, withCond(`{"Null":{"aws:x":"maybe"}}`), `"maybe" is not true or false`},
		{"ip bad prefix", Parse, withCond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), "not an IP address or CIDR block"},
		{"ip garbage", Parse, withCond(`{"NotIpAddress":{"aws:SourceIp":"localhost"}}`), "not an IP address or CIDR block"},
		{"condition empty values", Parse, withCond(`{"StringEquals":{"aws:x":[]}}`), "must not be an empty array"},
		{"condition null value", Parse, withCond(`{"StringEquals":{"aws:x":null}}`), "not null"},
		{"condition nested array", Parse, withCond(`{"StringEquals":{"aws:x":[["a"]]}}`), "array values must be strings, numbers or booleans, not an array"},
		{"condition key without service", Parse, withCond(`{"StringEquals":{"team":"core"}}`), `Condition key "team" must be of the form service:key`},
		{"condition key empty name", Parse, withCond(`{"StringEquals":{"aws:":"core"}}`), `Condition key "aws:" must be`},
		{"condition not object", Parse, withCond(`"StringEquals"`), "Condition must be an object, not a string"},
		{"condition operator not object", Parse, withCond(`{"StringEquals":"x"}`), "must map condition keys to values"},
		{"condition keys differ by case", Parse, withCond(`{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}`), "twice"},
		{"variable missing brace", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"`), "is missing its closing brace"},
		{"variable empty", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${}"`), "is empty"},
		{"variable with space", Parse, stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws: username}"`), "invalid variable name"},
		{"variable unquoted default", Parse, withCond(`{"StringEquals":{"aws:x":"${aws:username, nobody}"}}`), "default value that is not in single quotes"},
		{"variable unterminated default", Parse, withCond(`{"StringEquals":{"aws:x":"${aws:username, 'nobody}"}}`), "default value that is not in single quotes"},
		{"variable default without brace", Parse, withCond(`{"StringEquals":{"aws:x":"${aws:username, 'nobody' x"}}`), "missing its closing brace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.parse(tt.doc)
			if err == nil {
				t.Fatalf("accepted %s; want error containing %q", tt.doc, tt.want)
			}
			if p != nil {
				t.Errorf("returned a policy along with error %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	exact := identity("Allow", "*", "*")
	exact += strings.Repeat(" ", MaxDocumentLength-len(exact))

	tests := []struct {
		name  string
		parse parser
		doc   string
	}{
		{"statement object, no version", ParseIdentity, `{"Statement":{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"}}`},
		{"2008 version", ParseIdentity, `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:s3:::x"}]}`},
		{"id and sid", ParseIdentity, `{"Version":"2012-10-17","Id":"p 1","Statement":[{"Sid":"Read1","Effect":"Allow","Action":["codeartifact:Get*","codeartifact:List*"],"Resource":[` + strconv.Quote(repoARN) + `,` + strconv.Quote(pkgARN) + `]}]}`},
		{"exactly max length", ParseIdentity, exact},
		{"principal star", ParseResource, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository"}}`},
		{"principal forms", ParseResource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/team/alice","arn:aws:iam::111122223333:role/builder","arn:aws:sts::111122223333:assumed-role/builder/ci","arn:aws-cn:iam::111122223333:root"]},"Action":"codeartifact:*","Resource":"*"}}`},
		{"notprincipal", ParseResource, `{"Statement":{"Sid":"deny all but alice","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"codeartifact:*","Resource":"*"}}`},
		{"unquoted condition values", Parse, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"codeartifact:x":[10,2.5e1]},"DateGreaterThan":{"aws:CurrentTime":"2026-01-02T15:04:05.123+01:00"},"DateLessThan":{"aws:EpochTime":1767366245},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]}}}}`},
		{"empty condition", Parse, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}`},
		{"variables ignored in 2008", ParseIdentity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"}}`},
		{"variables", ParseIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username}/${*}${?}${$}","Condition":{"StringLike":{"aws:x":"${ aws:PrincipalTag/team , 'it''s' }-*"}}}}`},
		{"aws domain policy example", ParseResource, `{
			"Version": "2012-10-17",
			"Statement": [
				{
					"Sid": "BasicDomainPolicy",
					"Action": [
						"codeartifact:GetDomainPermissionsPolicy",
						"codeartifact:ListRepositoriesInDomain",
						"codeartifact:GetAuthorizationToken",
						"codeartifact:DescribeDomain",
						"codeartifact:CreateRepository",
						"sts:GetServiceBearerToken"
					],
					"Effect": "Allow",
					"Resource": "*",
					"Principal": {"AWS": "arn:aws:iam::123456789012:root"}
				}
			]
		}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.parse(tt.doc); err != nil {
				t.Fatalf("rejected: %v\n%s", err, tt.doc)
			}
			if _, err := Parse(tt.doc); err != nil {
				t.Fatalf("Parse rejected what a kind-specific parser accepts: %v", err)
			}
		})
	}
	t.Run("max length counts characters, not bytes", func(t *testing.T) {
		base := `{"Statement":{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}}`
		sid := strings.Repeat("é", MaxDocumentLength-len(base))
		doc := strings.Replace(base, `"Sid":""`, `"Sid":"`+sid+`"`, 1)
		if _, err := Parse(doc); err != nil {
			t.Fatalf("rejected %d characters (%d bytes): %v", len([]rune(doc)), len(doc), err)
		}
		doc = strings.Replace(base, `"Sid":""`, `"Sid":"`+sid+`é"`, 1)
		if _, err := Parse(doc); err == nil || !strings.Contains(err.Error(), "too long") {
			t.Fatalf("%d characters: err = %v; want too long", len([]rune(doc)), err)
		}
	})
}

func TestActionMatching(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "codeartifact:DeletePackageVersions", true},
		{"codeartifact:*", "codeartifact:DeletePackageVersions", true},
		{"codeartifact:DeletePackageVersions", "codeartifact:DeletePackageVersions", true},
		{"CodeArtifact:deletepackageversions", "codeartifact:DeletePackageVersions", true},
		{"codeartifact:DeletePackageVersions", "CODEARTIFACT:DELETEPACKAGEVERSIONS", true},
		{"codeartifact:Delete*", "codeartifact:DescribeDomain", false},
		{"codeartifact:*Package*", "codeartifact:ListPackageVersions", true},
		{"codeartifact:*Versions", "codeartifact:ListPackageVersionAssets", false},
		{"codeartifact:Get?uthorizationToken", "codeartifact:GetAuthorizationToken", true},
		{"codeartifact:Get?uthorizationToken", "codeartifact:GetAAuthorizationToken", false},
		{"codeartifact:Get?uthorizationToken", "codeartifact:GetuthorizationToken", false},
		{"codeartifact:List", "codeartifact:ListPackages", false}, // no implicit prefix match
		{"codeartifact:ListPackages", "codeartifact:List", false},
		{"s3:*", "codeartifact:ListPackages", false},
		{"codeartifact:*", "codeartifactx:ListPackages", false},
		{"code*:Read*", "codeartifact:ReadFromRepository", true},
		{"*:*", "sts:GetServiceBearerToken", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.action, func(t *testing.T) {
			p := mustParse(t, ParseIdentity, identity("Allow", tt.pattern, "*"))
			if got := p.Evaluate(aliceReq(tt.action, repoARN, nil)) == Allow; got != tt.want {
				t.Errorf("match = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestResourceMatching(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", pkgARN, true},
		{"*", "", true},
		{pkgARN, pkgARN, true},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//Left-Pad", pkgARN, false}, // case-sensitive
		{"arn:aws:CodeArtifact:us-east-1:111122223333:package/dom/repo/npm//left-pad", pkgARN, false},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/*", pkgARN, true},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/*", pkgARN, true}, // * crosses / within the resource part
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/dom/*", pkgARN, false},
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/dom/repo", repoARN + "/x", false},
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/dom/repo", "arn:aws:codeartifact:us-east-1:111122223333:repository/dom/rep", false},
		{"arn:aws:codeartifact:*:111122223333:repository/dom/*", repoARN, true},
		{"arn:aws:codeartifact:us-east-?:111122223333:repository/dom/repo", repoARN, true},
		{"arn:aws:codeartifact:us-east-?:111122223333:repository/dom/repo", "arn:aws:codeartifact:us-east-10:111122223333:repository/dom/repo", false},
		{"arn:aws:codeartifact:us-east-1:*:repository/dom/repo", repoARN, true},
		{"arn:aws:*:us-east-1:111122223333:repository/dom/repo", repoARN, true},
		// A trailing * swallows the remaining parts, but a * does not
		// otherwise cross a colon.
		{"arn:aws:codeartifact:*", repoARN, true},
		{"arn:*", repoARN, true},
		{"arn:aws:codeartifact:us-east-1*", repoARN, true},
		{"arn:aws:codeartifact:us-east-1*:repository/dom/repo", repoARN, false},
		{"arn:aws:codeartifact:*:repository/dom/repo", repoARN, false},
		{"arn:aws:codeartifact:us-east-1", repoARN, false},
		{"arn:aws:codeartifact:us-east-1:111122223333:repository:dom/repo", repoARN, false}, // : and / differ
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/dom:repo", repoARN, false},
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/dom/repo", "arn:aws:codeartifact:us-east-1:111122223333:repository:dom/repo", false},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/maven/*", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/maven/com.x:y", true},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//caf?", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//café", true}, // ? is one character, not one byte
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//caf??", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//café", false},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//*??", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/npm//€", false},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/*/*/left-pad", pkgARN, true},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/*a*a*a*b", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/repo/" + strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.resource, func(t *testing.T) {
			p := mustParse(t, ParseIdentity, identity("Allow", "codeartifact:*", tt.pattern))
			if got := p.Evaluate(aliceReq("codeartifact:ReadFromRepository", tt.resource, nil)) == Allow; got != tt.want {
				t.Errorf("match = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestPrincipalMatching(t *testing.T) {
	const builderSession = "arn:aws:sts::111122223333:assumed-role/builder/ci-42"
	tests := []struct {
		name      string
		principal string // JSON value of Principal
		caller    Principal
		want      bool
	}{
		{"star matches anyone", `"*"`, Principal{ARN: bob, Account: acctB}, true},
		{"star matches anonymous", `"*"`, Principal{}, true},
		{"AWS star", `{"AWS":"*"}`, Principal{ARN: bob, Account: acctB}, true},
		{"account ID matches its user", `{"AWS":"111122223333"}`, Principal{ARN: alice, Account: acctA}, true},
		{"account ID matches its sessions", `{"AWS":"111122223333"}`, Principal{ARN: builderSession, Account: acctA}, true},
		{"account ID needs the account", `{"AWS":"111122223333"}`, Principal{ARN: bob, Account: acctB}, false},
		{"account ID does not match no account", `{"AWS":"111122223333"}`, Principal{}, false},
		{"account from ARN", `{"AWS":"111122223333"}`, Principal{ARN: alice}, true},
		{"root ARN matches every user", `{"AWS":"arn:aws:iam::111122223333:root"}`, Principal{ARN: alice, Account: acctA}, true},
		{"root ARN other account", `{"AWS":"arn:aws:iam::111122223333:root"}`, Principal{ARN: bob, Account: acctB}, false},
		{"user ARN exact", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, Principal{ARN: alice, Account: acctA}, true},
		{"user ARN is not a prefix", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, Principal{ARN: alice + "2", Account: acctA}, false},
		{"user ARN is case-sensitive", `{"AWS":"arn:aws:iam::111122223333:user/Alice"}`, Principal{ARN: alice, Account: acctA}, false},
		{"user ARN not the account", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, Principal{ARN: "arn:aws:iam::111122223333:root", Account: acctA}, false},
		{"list", `{"AWS":["arn:aws:iam::111122223333:user/carol","444455556666"]}`, Principal{ARN: bob, Account: acctB}, true},
		{"list misses", `{"AWS":["arn:aws:iam::111122223333:user/carol","444455556666"]}`, Principal{ARN: alice, Account: acctA}, false},
		{"role matches its sessions", `{"AWS":"arn:aws:iam::111122223333:role/ci/builder"}`, Principal{ARN: builderSession, Account: acctA}, true},
		{"role does not match other roles", `{"AWS":"arn:aws:iam::111122223333:role/builder2"}`, Principal{ARN: builderSession, Account: acctA}, false},
		{"role in another account", `{"AWS":"arn:aws:iam::444455556666:role/builder"}`, Principal{ARN: "arn:aws:sts::444455556666:assumed-role/builder/x"}, true},
		{"role does not match same name elsewhere", `{"AWS":"arn:aws:iam::444455556666:role/builder"}`, Principal{ARN: builderSession, Account: acctA}, false},
		{"session ARN exact", `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci-42"}`, Principal{ARN: builderSession, Account: acctA}, true},
		{"session ARN other session", `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci-43"}`, Principal{ARN: builderSession, Account: acctA}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Statement":{"Effect":"Allow","Principal":` + tt.principal + `,"Action":"codeartifact:*","Resource":"*"}}`
			p := mustParse(t, ParseResource, doc)
			req := Request{Principal: tt.caller, Action: "codeartifact:ReadFromRepository", Resource: repoARN, ResourceAccount: acctA}
			if got := p.Evaluate(req) == Allow; got != tt.want {
				t.Errorf("match = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestNotElements(t *testing.T) {
	notAction := mustParse(t, ParseIdentity, `{"Statement":{"Effect":"Allow","NotAction":["codeartifact:Delete*","codeartifact:Put*"],"Resource":"*"}}`)
	notResource := mustParse(t, ParseIdentity, `{"Statement":{"Effect":"Allow","Action":"codeartifact:*","NotResource":"arn:aws:codeartifact:*:*:package/dom/repo/npm/*"}}`)
	notPrincipal := mustParse(t, ParseResource, `{"Statement":[
		{"Effect":"Allow","Principal":"*","Action":"codeartifact:*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"codeartifact:Delete*"}]}`)
	notPrincipalUser := mustParse(t, ParseResource, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*"}}`)

	carol := Principal{ARN: "arn:aws:iam::111122223333:user/carol", Account: acctA}
	tests := []struct {
		name   string
		policy *Policy
		req    Request
		want   Decision
	}{
		{"NotAction allows others", notAction, aliceReq("codeartifact:ListPackages", repoARN, nil), Allow},
		{"NotAction excludes listed", notAction, aliceReq("codeartifact:DeletePackageVersions", repoARN, nil), ImplicitDeny},
		{"NotAction excludes listed, any case", notAction, aliceReq("CodeArtifact:putpackageorigincontrols", repoARN, nil), ImplicitDeny},
		{"NotAction is not a deny", notAction, aliceReq("s3:GetObject", "arn:aws:s3:::b/k", nil), Allow},
		{"NotResource allows others", notResource, aliceReq("codeartifact:ReadFromRepository", repoARN, nil), Allow},
		{"NotResource excludes listed", notResource, aliceReq("codeartifact:ReadFromRepository", pkgARN, nil), ImplicitDeny},
		{"NotResource still needs the action", notResource, aliceReq("s3:GetObject", repoARN, nil), ImplicitDeny},
		{"NotPrincipal spares listed user", notPrincipal, aliceReq("codeartifact:DeletePackageVersions", pkgARN, nil), Allow},
		{"NotPrincipal spares listed account", notPrincipal, Request{Principal: carol, Action: "codeartifact:DeletePackageVersions", Resource: pkgARN}, Allow},
		{"NotPrincipal denies others", notPrincipal, Request{Principal: Principal{ARN: bob, Account: acctB}, Action: "codeartifact:DeletePackageVersions", Resource: pkgARN}, ExplicitDeny},
		{"NotPrincipal deny only for its actions", notPrincipal, Request{Principal: Principal{ARN: bob, Account: acctB}, Action: "codeartifact:ReadFromRepository", Resource: pkgARN}, Allow},
		{"NotPrincipal user only: same account denied", notPrincipalUser, Request{Principal: carol, Action: "codeartifact:ReadFromRepository", Resource: pkgARN}, ExplicitDeny},
		{"NotPrincipal user only: user spared", notPrincipalUser, aliceReq("codeartifact:ReadFromRepository", pkgARN, nil), ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Evaluate(tt.req); got != tt.want {
				t.Errorf("Evaluate = %v; want %v", got, tt.want)
			}
		})
	}
}

type ctx = map[string][]string

func TestConditions(t *testing.T) {
	when := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	epoch := strconv.FormatInt(when.Unix(), 10)
	now := ctx{"aws:CurrentTime": {"2026-01-02T15:04:05Z"}}
	team := func(v ...string) ctx { return ctx{"aws:ResourceTag/team": v} }
	tags := func(v ...string) ctx { return ctx{"aws:TagKeys": v} }
	num := func(v string) ctx { return ctx{"codeartifact:count": {v}} }
	ip := func(v string) ctx { return ctx{"aws:SourceIp": {v}} }
	tls := func(v string) ctx { return ctx{"aws:SecureTransport": {v}} }

	tests := []struct {
		name string
		cond string // the Condition element
		ctx  ctx
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:ResourceTag/team":"core"}}`, team("core"), true},
		{"StringEquals mismatch", `{"StringEquals":{"aws:ResourceTag/team":"core"}}`, team("web"), false},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:ResourceTag/team":"core"}}`, team("Core"), false},
		{"StringEquals no wildcards", `{"StringEquals":{"aws:ResourceTag/team":"co*"}}`, team("core"), false},
		{"StringEquals missing key", `{"StringEquals":{"aws:ResourceTag/team":"core"}}`, nil, false},
		{"StringEquals values are OR", `{"StringEquals":{"aws:ResourceTag/team":["web","core"]}}`, team("core"), true},
		{"StringEquals key is case-insensitive", `{"StringEquals":{"aws:resourcetag/TEAM":"core"}}`, ctx{"AWS:ResourceTag/Team": {"core"}}, true},
		{"StringEquals empty value present", `{"StringEquals":{"aws:ResourceTag/team":""}}`, team(""), true},
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"aws:ResourceTag/team":"core"}}`, nil, true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"aws:ResourceTag/team":"core"}}`, team("web"), false},
		{"StringEqualsIfExists present match", `{"StringEqualsIfExists":{"aws:ResourceTag/team":"core"}}`, team("core"), true},
		{"operator names are case-insensitive", `{"stringequalsIFEXISTS":{"aws:ResourceTag/team":"core"}}`, team("web"), false},
		{"StringNotEquals mismatch", `{"StringNotEquals":{"aws:ResourceTag/team":"core"}}`, team("web"), true},
		{"StringNotEquals match", `{"StringNotEquals":{"aws:ResourceTag/team":"core"}}`, team("core"), false},
		{"StringNotEquals missing key", `{"StringNotEquals":{"aws:ResourceTag/team":"core"}}`, nil, true},
		{"StringNotEquals any value matching", `{"StringNotEquals":{"aws:ResourceTag/team":["web","core"]}}`, team("core"), false},
		{"StringNotEqualsIfExists present match", `{"StringNotEqualsIfExists":{"aws:ResourceTag/team":"core"}}`, team("core"), false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, team("CoRe"), true},
		{"StringEqualsIgnoreCase mismatch", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, team("cores"), false},
		{"StringEqualsIgnoreCase missing", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, nil, false},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, team("CORE"), false},
		{"StringNotEqualsIgnoreCase differs", `{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, team("web"), true},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"core"}}`, nil, true},
		{"StringLike star", `{"StringLike":{"aws:ResourceTag/team":"core-*"}}`, team("core-api"), true},
		{"StringLike star empty", `{"StringLike":{"aws:ResourceTag/team":"core-*"}}`, team("core-"), true},
		{"StringLike question", `{"StringLike":{"aws:ResourceTag/team":"core-?"}}`, team("core-ab"), false},
		{"StringLike question one", `{"StringLike":{"aws:ResourceTag/team":"core-?"}}`, team("core-a"), true},
		{"StringLike anchored", `{"StringLike":{"aws:ResourceTag/team":"core"}}`, team("core-api"), false},
		{"StringLike case-sensitive", `{"StringLike":{"aws:ResourceTag/team":"core-*"}}`, team("Core-api"), false},
		{"StringLike missing", `{"StringLike":{"aws:ResourceTag/team":"*"}}`, nil, false},
		{"StringLikeIfExists missing", `{"StringLikeIfExists":{"aws:ResourceTag/team":"core-*"}}`, nil, true},
		{"StringNotLike mismatch", `{"StringNotLike":{"aws:ResourceTag/team":"core-*"}}`, team("web"), true},
		{"StringNotLike match", `{"StringNotLike":{"aws:ResourceTag/team":"core-*"}}`, team("core-api"), false},
		{"StringNotLike missing", `{"StringNotLike":{"aws:ResourceTag/team":"core-*"}}`, nil, true},

		// ARN operators; aws:PrincipalArn is derived from the caller.
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}`, nil, true},
		{"ArnLike any account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}`, nil, true},
		{"ArnLike other account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::444455556666:*"}}`, nil, false},
		{"ArnLike part by part", `{"ArnLike":{"aws:SourceArn":"arn:aws:codeartifact:us-east-1*:repository/*"}}`, ctx{"aws:SourceArn": {repoARN}}, false},
		{"ArnLike trailing star", `{"ArnLike":{"aws:SourceArn":"arn:aws:codeartifact:*"}}`, ctx{"aws:SourceArn": {repoARN}}, true},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:codeartifact:*:*:*:*"}}`, ctx{"aws:SourceArn": {"repository/dom/repo"}}, false},
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"` + repoARN + `"}}`, ctx{"aws:SourceArn": {repoARN}}, true},
		{"ArnEquals wildcard like ArnLike", `{"ArnEquals":{"aws:SourceArn":"arn:aws:codeartifact:*:111122223333:repository/dom/*"}}`, ctx{"aws:SourceArn": {repoARN}}, true},
		{"ArnEquals case-sensitive", `{"ArnEquals":{"aws:SourceArn":"` + strings.ToUpper(repoARN) + `"}}`, ctx{"aws:SourceArn": {repoARN}}, false},
		{"ArnEquals missing", `{"ArnEquals":{"aws:SourceArn":"*"}}`, nil, false},
		{"ArnNotEquals mismatch", `{"ArnNotEquals":{"aws:SourceArn":"` + domARN + `"}}`, ctx{"aws:SourceArn": {repoARN}}, true},
		{"ArnNotEquals match", `{"ArnNotEquals":{"aws:SourceArn":"` + repoARN + `"}}`, ctx{"aws:SourceArn": {repoARN}}, false},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`, nil, false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:*"}}`, nil, true},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::*"}}`, nil, true},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"codeartifact:count":"10"}}`, num("10"), true},
		{"NumericEquals decimal", `{"NumericEquals":{"codeartifact:count":10}}`, num("10.0"), true},
		{"NumericEquals mismatch", `{"NumericEquals":{"codeartifact:count":"10"}}`, num("11"), false},
		{"NumericEquals not a number", `{"NumericEquals":{"codeartifact:count":"10"}}`, num("ten"), false},
		{"NumericEquals missing", `{"NumericEquals":{"codeartifact:count":"10"}}`, nil, false},
		{"NumericEqualsIfExists missing", `{"NumericEqualsIfExists":{"codeartifact:count":"10"}}`, nil, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"codeartifact:count":"10"}}`, num("11"), true},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"codeartifact:count":"10"}}`, num("1e1"), false},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"codeartifact:count":"10"}}`, nil, true},
		{"NumericLessThan", `{"NumericLessThan":{"codeartifact:count":10}}`, num("9.5"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"codeartifact:count":10}}`, num("10"), false},
		{"NumericLessThan negative", `{"NumericLessThan":{"codeartifact:count":"-1"}}`, num("-2"), true},
		{"NumericLessThan missing", `{"NumericLessThan":{"codeartifact:count":10}}`, nil, false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"codeartifact:count":10}}`, num("10"), true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"codeartifact:count":10}}`, num("11"), false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"codeartifact:count":10}}`, num("11"), true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"codeartifact:count":10}}`, num("10"), false},
		{"NumericGreaterThanEquals equal", `{"NumericGreaterThanEquals":{"codeartifact:count":10}}`, num("10"), true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"codeartifact:count":10}}`, num("9"), false},
		{"NumericGreaterThanEquals NaN", `{"NumericGreaterThanEquals":{"codeartifact:count":10}}`, num("NaN"), false},
		{"NumericGreaterThanIfExists missing", `{"NumericGreaterThanIfExists":{"codeartifact:count":10}}`, nil, true},

		// Date operators.
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, now, true},
		{"DateEquals other zone", `{"DateEquals":{"aws:CurrentTime":"2026-01-02T16:04:05+01:00"}}`, now, true},
		{"DateEquals epoch policy value", `{"DateEquals":{"aws:CurrentTime":` + epoch + `}}`, now, true},
		{"DateEquals epoch request value", `{"DateEquals":{"aws:EpochTime":"2026-01-02T15:04:05Z"}}`, ctx{"aws:EpochTime": {epoch}}, true},
		{"DateEquals mismatch", `{"DateEquals":{"aws:CurrentTime":"2026-01-02T15:04:06Z"}}`, now, false},
		{"DateEquals missing", `{"DateEquals":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, nil, false},
		{"DateEquals not a date", `{"DateEquals":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, ctx{"aws:CurrentTime": {"soon"}}, false},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-01-01"}}`, now, true},
		{"DateNotEquals equal", `{"DateNotEquals":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, now, false},
		{"DateNotEquals missing", `{"DateNotEquals":{"aws:CurrentTime":"2026-01-01"}}`, nil, true},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2026-01-03"}}`, now, true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-01-02"}}`, now, false},
		{"DateLessThan missing", `{"DateLessThan":{"aws:CurrentTime":"2026-01-03"}}`, nil, false},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, now, true},
		{"DateLessThanEquals after", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-02T15:04:04Z"}}`, now, false},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-02T15:04Z"}}`, now, true},
		{"DateGreaterThan equal", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-02T15:04:05Z"}}`, now, false},
		{"DateGreaterThanEquals equal", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-01-02T15:04:05.000Z"}}`, now, true},
		{"DateGreaterThanEquals before", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2027-01-01"}}`, now, false},
		{"DateGreaterThanIfExists missing", `{"DateGreaterThanIfExists":{"aws:CurrentTime":"2027-01-01"}}`, nil, true},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, tls("true"), true},
		{"Bool JSON true", `{"Bool":{"aws:SecureTransport":true}}`, tls("TRUE"), true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, tls("false"), false},
		{"Bool false", `{"Bool":{"aws:SecureTransport":false}}`, tls("false"), true},
		{"Bool not a bool", `{"Bool":{"aws:SecureTransport":"true"}}`, tls("1"), false},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`, nil, true},
		{"BoolIfExists present false", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`, tls("false"), false},

		// IP addresses.
		{"IpAddress in", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip("203.0.113.7"), true},
		{"IpAddress out", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip("198.51.100.1"), false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ip("203.0.113.7"), true},
		{"IpAddress single address other", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ip("203.0.113.8"), false},
		{"IpAddress unmasked prefix", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, ip("10.200.0.1"), true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ip("2001:db8:1::5"), true},
		{"IpAddress IPv6 out", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ip("2001:db9::1"), false},
		{"IpAddress IPv4 vs IPv6 prefix", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ip("203.0.113.7"), false},
		{"IpAddress mapped IPv4", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip("::ffff:203.0.113.7"), true},
		{"IpAddress mixed list", `{"IpAddress":{"aws:SourceIp":["2001:db8::/32","203.0.113.0/24"]}}`, ip("203.0.113.7"), true},
		{"IpAddress garbage", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ip("not-an-ip"), false},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, nil, false},
		{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"NotIpAddress out", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip("198.51.100.1"), true},
		{"NotIpAddress in", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip("203.0.113.1"), false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},

		// Null.
		{"Null true, missing", `{"Null":{"aws:ResourceTag/team":"true"}}`, nil, true},
		{"Null true, present", `{"Null":{"aws:ResourceTag/team":"true"}}`, team("core"), false},
		{"Null true, empty list", `{"Null":{"aws:ResourceTag/team":true}}`, ctx{"aws:ResourceTag/team": {}}, true},
		{"Null false, present", `{"Null":{"aws:ResourceTag/team":"false"}}`, team("core"), true},
		{"Null false, missing", `{"Null":{"aws:ResourceTag/team":false}}`, nil, false},

		// Set operators on multivalued keys.
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}`, tags("a", "b"), true},
		{"ForAnyValue none match", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}`, tags("a", "d"), false},
		{"ForAnyValue missing", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}`, nil, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"b*"}}`, nil, true},
		{"ForAllValues all match", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, tags("a", "b"), true},
		{"ForAllValues one does not", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, tags("a", "d"), false},
		{"ForAllValues missing is vacuously true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAllValues empty is vacuously true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, tags(), true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*","cost-*"]}}`, tags("team-x", "cost-y"), true},
		{"ForAllValues IgnoreCase", `{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["team"]}}`, tags("TEAM", "Team"), true},
		{"ForAllValues StringNotEquals none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("a", "b"), true},
		{"ForAllValues StringNotEquals one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("a", "secret"), false},
		{"ForAnyValue StringNotEquals one unlisted", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, tags("a", "x"), true},
		{"ForAnyValue StringNotEquals all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, tags("a", "b"), false},
		{"ForAnyValue StringNotEquals missing", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, nil, false},
		{"ForAnyValue NumericGreaterThan", `{"ForAnyValue:NumericGreaterThan":{"codeartifact:count":5}}`, ctx{"codeartifact:count": {"1", "9"}}, true},
		{"ForAllValues NumericGreaterThan", `{"ForAllValues:NumericGreaterThan":{"codeartifact:count":5}}`, ctx{"codeartifact:count": {"1", "9"}}, false},
		{"ForAnyValue IpAddress", `{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"192.0.2.1", "10.0.0.1"}}, true},
		{"set prefix is case-insensitive", `{"forallvalues:StringEquals":{"aws:TagKeys":["a"]}}`, tags("b"), false},
		{"plain positive on many values is any", `{"StringEquals":{"aws:TagKeys":"b"}}`, tags("a", "b"), true},
		{"plain negated on many values is none", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, tags("a", "b"), false},
		{"merged keys differing in case", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, ctx{"aws:TagKeys": {"a"}, "AWS:TAGKEYS": {"z"}}, false},

		// The block is AND across operators and keys.
		{"AND across keys, both hold", `{"StringEquals":{"aws:ResourceTag/team":"core","aws:ResourceTag/env":"prod"}}`, ctx{"aws:ResourceTag/team": {"core"}, "aws:ResourceTag/env": {"prod"}}, true},
		{"AND across keys, one fails", `{"StringEquals":{"aws:ResourceTag/team":"core","aws:ResourceTag/env":"prod"}}`, ctx{"aws:ResourceTag/team": {"core"}, "aws:ResourceTag/env": {"dev"}}, false},
		{"AND across operators, both hold", `{"StringEquals":{"aws:ResourceTag/team":"core"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:ResourceTag/team": {"core"}, "aws:SourceIp": {"10.1.1.1"}}, true},
		{"AND across operators, one fails", `{"StringEquals":{"aws:ResourceTag/team":"core"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:ResourceTag/team": {"core"}, "aws:SourceIp": {"192.0.2.1"}}, false},
		{"same key under two operators", `{"StringLike":{"aws:ResourceTag/team":"c*"},"StringNotEquals":{"aws:ResourceTag/team":"cache"}}`, team("core"), true},
		{"same key under two operators, one fails", `{"StringLike":{"aws:ResourceTag/team":"c*"},"StringNotEquals":{"aws:ResourceTag/team":"cache"}}`, team("cache"), false},

		// Keys derived from the request.
		{"derived PrincipalAccount", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, nil, true},
		{"derived ResourceAccount", `{"StringEquals":{"aws:ResourceAccount":"111122223333"}}`, nil, true},
		{"derived username", `{"StringEquals":{"aws:username":"alice"}}`, nil, true},
		{"derived PrincipalType", `{"StringEquals":{"aws:PrincipalType":"User"}}`, nil, true},
		{"context overrides derived", `{"StringEquals":{"aws:username":"alice"}}`, ctx{"AWS:UserName": {"carol"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"codeartifact:*","Resource":"*","Condition":` + tt.cond + `}}`
			p := mustParse(t, ParseIdentity, doc)
			got := p.Evaluate(aliceReq("codeartifact:ReadFromRepository", repoARN, tt.ctx))
			if (got == Allow) != tt.want {
				t.Errorf("condition held = %v; want %v", got == Allow, tt.want)
			}
			// A Deny with the same condition must apply exactly when the
			// Allow did.
			deny := mustParse(t, ParseIdentity, strings.Replace(doc, `"Allow"`, `"Deny"`, 1))
			if got := deny.Evaluate(aliceReq("codeartifact:ReadFromRepository", repoARN, tt.ctx)); (got == ExplicitDeny) != tt.want {
				t.Errorf("Deny applied = %v; want %v", got == ExplicitDeny, tt.want)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	own := "arn:aws:codeartifact:us-east-1:111122223333:package/dom/${aws:username}/*"
	aliceRepo := "arn:aws:codeartifact:us-east-1:111122223333:package/dom/alice/npm//x"
	bobRepo := "arn:aws:codeartifact:us-east-1:111122223333:package/dom/bob/npm//x"
	literal := "arn:aws:codeartifact:us-east-1:111122223333:package/dom/${aws:username}/npm//x"

	resTests := []struct {
		name, version, pattern, resource string
		req                              func(action, resource string, ctx map[string][]string) Request
		want                             bool
	}{
		{"username substituted", "2012-10-17", own, aliceRepo, aliceReq, true},
		{"other user's path", "2012-10-17", own, bobRepo, aliceReq, false},
		{"not literal in 2012", "2012-10-17", own, literal, aliceReq, false},
		{"literal in 2008", "2008-10-17", own, literal, aliceReq, true},
		{"literal without Version", "", own, aliceRepo, aliceReq, false},
		{"unresolved matches nothing", "2012-10-17", own, aliceRepo, func(a, r string, c map[string][]string) Request {
			req := aliceReq(a, r, c)
			req.Principal = Principal{ARN: "arn:aws:sts::111122223333:assumed-role/builder/alice", Account: acctA}
			return req
		}, false},
		{"substituted value is literal", "2012-10-17", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/${aws:PrincipalTag/repo}/x", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/anything/x", func(a, r string, c map[string][]string) Request {
			return aliceReq(a, r, map[string][]string{"aws:PrincipalTag/repo": {"*"}})
		}, false},
		{"escaped star is literal", "2012-10-17", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/${*}", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/*", aliceReq, true},
		{"escaped star matches only a star", "2012-10-17", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/${*}", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/x", aliceReq, false},
	}
	for _, tt := range resTests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Statement":{"Effect":"Allow","Action":"codeartifact:*","Resource":` + strconv.Quote(tt.pattern) + `}}`
			if tt.version != "" {
				doc = `{"Version":"` + tt.version + `",` + doc[1:]
			}
			p := mustParse(t, ParseIdentity, doc)
			if got := p.Evaluate(tt.req("codeartifact:ReadFromRepository", tt.resource, nil)) == Allow; got != tt.want {
				t.Errorf("match = %v; want %v", got, tt.want)
			}
		})
	}

	condTests := []struct {
		name, cond string
		ctx        ctx
		want       bool
	}{
		{"StringEquals variable", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`, ctx{"aws:ResourceTag/owner": {"alice"}}, true},
		{"StringEquals variable mismatch", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`, ctx{"aws:ResourceTag/owner": {"bob"}}, false},
		{"variable name case-insensitive", `{"StringEquals":{"aws:ResourceTag/owner":"${AWS:UserName}"}}`, ctx{"aws:ResourceTag/owner": {"alice"}}, true},
		{"StringLike variable and wildcard", `{"StringLike":{"aws:ResourceTag/owner":"${aws:username}-*"}}`, ctx{"aws:ResourceTag/owner": {"alice-bot"}}, true},
		{"ArnLike variable", `{"ArnLike":{"aws:SourceArn":"arn:aws:codeartifact:*:${aws:PrincipalAccount}:repository/*"}}`, ctx{"aws:SourceArn": {repoARN}}, true},
		{"default used when missing", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, ctx{"aws:ResourceTag/team": {"none"}}, true},
		{"default ignored when present", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'none'}"}}`, ctx{"aws:ResourceTag/team": {"none"}, "aws:PrincipalTag/team": {"core"}}, false},
		{"default with quote", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'it''s'}"}}`, ctx{"aws:ResourceTag/team": {"it's"}}, true},
		{"default with brace", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team,'a}b'}!"}}`, ctx{"aws:ResourceTag/team": {"a}b!"}}, true},
		{"unresolved matches nothing", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctx{"aws:ResourceTag/team": {""}}, false},
		{"multivalued is unresolved", `{"StringEquals":{"aws:ResourceTag/team":"${aws:TagKeys}"}}`, ctx{"aws:ResourceTag/team": {"a"}, "aws:TagKeys": {"a", "b"}}, false},
		{"escaped star in StringEquals", `{"StringEquals":{"aws:ResourceTag/team":"${*}"}}`, ctx{"aws:ResourceTag/team": {"*"}}, true},
		{"escaped star in StringLike", `{"StringLike":{"aws:ResourceTag/team":"a${*}"}}`, ctx{"aws:ResourceTag/team": {"ab"}}, false},
		{"escaped star in StringLike literal", `{"StringLike":{"aws:ResourceTag/team":"a${*}"}}`, ctx{"aws:ResourceTag/team": {"a*"}}, true},
		{"escaped question", `{"StringLike":{"aws:ResourceTag/team":"${?}*"}}`, ctx{"aws:ResourceTag/team": {"?x"}}, true},
		{"escaped question literal", `{"StringLike":{"aws:ResourceTag/team":"${?}"}}`, ctx{"aws:ResourceTag/team": {"x"}}, false},
		{"escaped dollar", `{"StringEquals":{"aws:ResourceTag/team":"${$}{aws:username}"}}`, ctx{"aws:ResourceTag/team": {"${aws:username}"}}, true},
		{"dollar without brace is literal", `{"StringEquals":{"aws:ResourceTag/team":"$alice"}}`, ctx{"aws:ResourceTag/team": {"$alice"}}, true},
	}
	for _, tt := range condTests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tt.cond + `}}`
			p := mustParse(t, ParseIdentity, doc)
			if got := p.Evaluate(aliceReq("codeartifact:ReadFromRepository", repoARN, tt.ctx)) == Allow; got != tt.want {
				t.Errorf("condition held = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateStatements(t *testing.T) {
	p := mustParse(t, ParseIdentity, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"},
		{"Effect":"Deny","Action":"codeartifact:Delete*","Resource":"arn:aws:codeartifact:*:*:package/dom/repo/*"},
		{"Effect":"Deny","Action":"codeartifact:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	tests := []struct {
		name string
		req  Request
		want Decision
	}{
		{"allowed", aliceReq("codeartifact:ReadFromRepository", pkgARN, nil), Allow},
		{"deny beats allow in the same policy", aliceReq("codeartifact:DeletePackageVersions", pkgARN, nil), ExplicitDeny},
		{"deny needs its resource", aliceReq("codeartifact:DeletePackageVersions", repoARN, nil), Allow},
		{"conditional deny applies", aliceReq("codeartifact:ReadFromRepository", pkgARN, ctx{"aws:SecureTransport": {"false"}}), ExplicitDeny},
		{"conditional deny does not apply", aliceReq("codeartifact:ReadFromRepository", pkgARN, ctx{"aws:SecureTransport": {"true"}}), Allow},
		{"other service", aliceReq("s3:GetObject", "arn:aws:s3:::b/k", nil), ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Evaluate(tt.req); got != tt.want {
				t.Errorf("Evaluate = %v; want %v", got, tt.want)
			}
		})
	}
	var nilPolicy *Policy
	if got := nilPolicy.Evaluate(aliceReq("codeartifact:ReadFromRepository", repoARN, nil)); got != ImplicitDeny {
		t.Errorf("nil policy: %v; want ImplicitDeny", got)
	}
}

func TestDecide(t *testing.T) {
	allowRead := mustParse(t, ParseIdentity, identity("Allow", "codeartifact:ReadFromRepository", "*"))
	allowAll := mustParse(t, ParseIdentity, identity("Allow", "codeartifact:*", "*"))
	denyDelete := mustParse(t, ParseIdentity, identity("Deny", "codeartifact:DeletePackageVersions", "*"))
	resource := func(principal, effect string) *Policy {
		return mustParse(t, ParseResource, `{"Version":"2012-10-17","Statement":{"Effect":"`+effect+`","Principal":`+principal+`,"Action":"codeartifact:*","Resource":"*"}}`)
	}
	resAlice := resource(`{"AWS":"`+alice+`"}`, "Allow")
	resAcctA := resource(`{"AWS":"111122223333"}`, "Allow")
	resRootA := resource(`{"AWS":"arn:aws:iam::111122223333:root"}`, "Allow")
	resAnyone := resource(`"*"`, "Allow")
	resBob := resource(`{"AWS":"`+bob+`"}`, "Allow")
	resAcctB := resource(`{"AWS":"444455556666"}`, "Allow")
	resDenyAll := resource(`"*"`, "Deny")

	read := func(p Principal) Request {
		return Request{Principal: p, Action: "codeartifact:ReadFromRepository", Resource: pkgARN, ResourceAccount: acctA}
	}
	del := func(p Principal) Request {
		r := read(p)
		r.Action = "codeartifact:DeletePackageVersions"
		return r
	}
	a := Principal{ARN: alice, Account: acctA}
	b := Principal{ARN: bob, Account: acctB}

	tests := []struct {
		name     string
		req      Request
		identity []*Policy
		resource []*Policy
		want     Decision
	}{
		{"nothing", read(a), nil, nil, ImplicitDeny},
		{"nil policies skipped", read(a), []*Policy{nil}, []*Policy{nil}, ImplicitDeny},
		{"same account: identity alone", read(a), []*Policy{allowRead}, nil, Allow},
		{"same account: identity for another action", del(a), []*Policy{allowRead}, nil, ImplicitDeny},
		{"same account: resource naming the user alone", read(a), nil, []*Policy{resAlice}, Allow},
		{"same account: resource naming anyone alone", read(a), nil, []*Policy{resAnyone}, Allow},
		{"same account: resource naming the account delegates", read(a), nil, []*Policy{resAcctA}, ImplicitDeny},
		{"same account: resource naming the root delegates", read(a), nil, []*Policy{resRootA}, ImplicitDeny},
		{"same account: delegation plus identity", read(a), []*Policy{allowRead}, []*Policy{resAcctA}, Allow},
		{"same account: root caller named by account", read(Principal{ARN: "arn:aws:iam::111122223333:root"}), nil, []*Policy{resAcctA}, Allow},
		{"same account: account taken from ARN", read(Principal{ARN: alice}), nil, []*Policy{resAlice}, Allow},
		{"same account: identity deny beats resource allow", del(a), []*Policy{denyDelete}, []*Policy{resAlice}, ExplicitDeny},
		{"same account: resource deny beats identity allow", read(a), []*Policy{allowAll}, []*Policy{resDenyAll}, ExplicitDeny},
		{"same account: deny in any identity policy", del(a), []*Policy{allowAll, denyDelete}, nil, ExplicitDeny},
		{"same account: deny elsewhere does not apply", read(a), []*Policy{allowAll, denyDelete}, nil, Allow},
		{"same account: resource allow for someone else", read(a), nil, []*Policy{resBob}, ImplicitDeny},
		{"cross account: identity alone", read(b), []*Policy{allowRead}, nil, ImplicitDeny},
		{"cross account: resource alone", read(b), nil, []*Policy{resBob}, ImplicitDeny},
		{"cross account: resource to anyone alone", read(b), nil, []*Policy{resAnyone}, ImplicitDeny},
		{"cross account: both, naming the user", read(b), []*Policy{allowRead}, []*Policy{resBob}, Allow},
		{"cross account: both, naming the account", read(b), []*Policy{allowRead}, []*Policy{resAcctB}, Allow},
		{"cross account: resource names another account", read(b), []*Policy{allowRead}, []*Policy{resAcctA}, ImplicitDeny},
		{"cross account: identity for another action", del(b), []*Policy{allowRead}, []*Policy{resBob}, ImplicitDeny},
		{"cross account: identity deny wins", del(b), []*Policy{allowAll, denyDelete}, []*Policy{resBob}, ExplicitDeny},
		{"cross account: resource deny wins", read(b), []*Policy{allowAll}, []*Policy{resBob, resDenyAll}, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.req, tt.identity, tt.resource); got != tt.want {
				t.Errorf("Decide = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{ImplicitDeny: "ImplicitDeny", Allow: "Allow", ExplicitDeny: "ExplicitDeny", Decision(7): "Decision(7)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q; want %q", int(d), got, want)
		}
	}
}

// TestConcurrentEvaluate lets the race detector check that a parsed policy
// is safe to share.
func TestConcurrentEvaluate(t *testing.T) {
	p := mustParse(t, ParseIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"codeartifact:*","Resource":"arn:aws:codeartifact:*:*:package/dom/${aws:username}/*","Condition":{"StringLike":{"aws:ResourceTag/team":"${aws:username}-*"}}}}`)
	done := make(chan Decision)
	for i := 0; i < 8; i++ {
		go func() {
			done <- p.Evaluate(aliceReq("codeartifact:ReadFromRepository", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/alice/npm//x", ctx{"aws:ResourceTag/team": {"alice-1"}}))
		}()
	}
	for i := 0; i < 8; i++ {
		if d := <-done; d != Allow {
			t.Errorf("Evaluate = %v; want Allow", d)
		}
	}
}
