package policy

import (
	"testing"
)

// fuzzSeeds are valid and malformed documents that reach every part of the
// parser; the fuzzer mutates them.
var fuzzSeeds = []struct {
	doc   string
	valid bool // Parse accepts it
}{
	{``, false},
	{`{}`, false},
	{`[]`, false},
	{`{"Statement":[]}`, false},
	{`{"Statement":[{}]}`, false},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, true},
	{`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["codeartifact:Delete*","s3:?et"],"NotResource":"arn:aws:codeartifact:*:*:package/${aws:username}/*"}]}`, true},
	{`{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Action":"codeartifact:*","Resource":"arn:aws:codeartifact:us-east-1:111122223333:package/dom/${aws:username}/*"}]}`, true},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository","Resource":"*"}}`, true},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:role/ci/builder","arn:aws:sts::111122223333:assumed-role/builder/s"]},"Action":"codeartifact:*"}}`, true},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*","Resource":"*"}}`, true},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEquals":{"aws:ResourceTag/team":["core","${aws:username}"]},
		"StringNotLikeIfExists":{"aws:PrincipalTag/x":"a*b?c${*}${?}${$}"},
		"StringEqualsIgnoreCase":{"aws:username":"${aws:PrincipalTag/u, 'it''s'}"},
		"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"},
		"ArnNotEquals":{"aws:SourceArn":"arn:aws:codeartifact:*"},
		"NumericLessThanEquals":{"codeartifact:count":[10,"2.5e1"]},
		"NumericNotEquals":{"codeartifact:count":"-3"},
		"DateGreaterThan":{"aws:CurrentTime":"2026-01-02T15:04:05Z"},
		"DateLessThanIfExists":{"aws:EpochTime":1767366245},
		"Bool":{"aws:SecureTransport":true},
		"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]},
		"NotIpAddress":{"aws:SourceIp":"10.1.0.0/16"},
		"Null":{"aws:ResourceTag/env":"true"},
		"ForAllValues:StringLike":{"aws:TagKeys":["team*","env"]},
		"ForAnyValue:StringNotEquals":{"aws:TagKeys":"secret"}}}}`, true},
	{`{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`, false},
	{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Foo":{"aws:x":"y"}}}}`, false},
	{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:x":"true"}}}}`, false},
	{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Effect":"Deny"}}`, false},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"}}`, false},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${x, 'a}b'}${}"}}`, false},
	{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"*"}}`, false},
	{`{"Statement":{"Effect":"Allow","Action":"a:b:c","Resource":"x"}} trailing`, false},
	{`{"Statement":[{"Effect":"Allow","Action":[1,null,{}],"Resource":[[]]}]}`, false},
}

// fuzzRequests builds requests that use the fuzzer's strings for every
// input the evaluator looks at.
func fuzzRequests(action, resource, value string) []Request {
	ctx := map[string][]string{
		"aws:SourceIp":          {value},
		"aws:CurrentTime":       {value},
		"aws:EpochTime":         {value},
		"aws:SecureTransport":   {value},
		"aws:ResourceTag/team":  {value},
		"AWS:RESOURCETAG/TEAM":  {"core"},
		"aws:TagKeys":           {value, "team", "env"},
		"codeartifact:count":    {value},
		"aws:PrincipalTag/u":    {value},
		"aws:PrincipalTag/x":    {},
		"aws:SourceArn":         {resource},
		"aws:PrincipalArn":      {value},
		"aws:ResourceTag/empty": {""},
	}
	return []Request{
		{Principal: Principal{ARN: alice, Account: acctA}, Action: action, Resource: resource, ResourceAccount: acctA, Context: ctx},
		{Principal: Principal{ARN: bob}, Action: action, Resource: resource, ResourceAccount: acctA, Context: ctx},
		{Principal: Principal{ARN: value, Account: value}, Action: "codeartifact:ReadFromRepository", Resource: pkgARN, ResourceAccount: value},
		{Principal: Principal{ARN: "arn:aws:sts::111122223333:assumed-role/builder/s"}, Action: action, Resource: value, ResourceAccount: acctA},
		{},
	}
}

// FuzzParse checks that no input makes the parser or evaluator panic, that
// errors always carry a message, that the kind-specific parsers only accept
// what Parse accepts, and that a document that parses evaluates the same way
// every time and after being parsed again.
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed.doc, "codeartifact:ReadFromRepository", pkgARN, "10.1.2.3")
	}
	f.Add(fuzzSeeds[11].doc, "CODEARTIFACT:readfromrepository", repoARN, "2026-01-02T15:04:06Z")
	f.Add(fuzzSeeds[7].doc, "codeartifact:GetPackageVersionAsset", "arn:aws:codeartifact:us-east-1:111122223333:package/dom/alice/npm//x", "café")

	f.Fuzz(func(t *testing.T, doc, action, resource, value string) {
		generic, genericErr := Parse(doc)
		if genericErr != nil && genericErr.Error() == "" {
			t.Fatal("Parse returned an error with no message")
		}
		for _, parse := range []parser{Parse, ParseIdentity, ParseResource} {
			p, err := parse(doc)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("error with no message")
				}
				if p != nil {
					t.Fatal("policy returned with an error")
				}
				continue
			}
			if genericErr != nil {
				t.Fatalf("kind-specific parser accepted what Parse rejects (%v):\n%s", genericErr, doc)
			}
			again, err := parse(doc)
			if err != nil {
				t.Fatalf("second parse failed: %v", err)
			}
			for _, req := range fuzzRequests(action, resource, value) {
				d := p.Evaluate(req)
				if d != ImplicitDeny && d != Allow && d != ExplicitDeny {
					t.Fatalf("Evaluate returned %v", d)
				}
				if d2 := p.Evaluate(req); d2 != d {
					t.Fatalf("Evaluate not deterministic: %v then %v", d, d2)
				}
				if d3 := again.Evaluate(req); d3 != d {
					t.Fatalf("re-parsed policy evaluates to %v, first to %v", d3, d)
				}
				if d4 := generic.Evaluate(req); d4 != d {
					t.Fatalf("Parse's policy evaluates to %v, kind-specific one to %v", d4, d)
				}
				dec := Decide(req, []*Policy{p}, []*Policy{again})
				if dec2 := Decide(req, []*Policy{again}, []*Policy{p}); dec2 != dec {
					t.Fatalf("Decide not deterministic: %v then %v", dec, dec2)
				}
				if d == ExplicitDeny && dec != ExplicitDeny {
					t.Fatalf("Decide = %v with an explicitly denying policy", dec)
				}
			}
		}
	})
}

// TestFuzzSeeds keeps the seed corpus honest: the valid seeds must parse, so
// that fuzzing starts from documents that reach the evaluator.
func TestFuzzSeeds(t *testing.T) {
	for i, seed := range fuzzSeeds {
		if _, err := Parse(seed.doc); (err == nil) != seed.valid {
			t.Errorf("seed %d: Parse error = %v; want valid = %v", i, err, seed.valid)
		}
	}
}
