package audit

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/service"
)

func TestIdentityOf(t *testing.T) {
	tests := []struct {
		caller          service.Caller
		typ, user, name string
	}{
		{service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIAROOT"}, "Root", "", "root"},
		{service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAALICE"}, "IAMUser", "alice", "alice"},
		{service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/path/bob", AccessKeyID: "AKIABOB"}, "IAMUser", "path/bob", "path/bob"},
	}
	for _, tt := range tests {
		id, name := identityOf(tt.caller)
		if id.Type != tt.typ || id.UserName != tt.user || name != tt.name || id.ARN != tt.caller.ARN || id.AccountID != tt.caller.Account || id.AccessKeyID != tt.caller.AccessKeyID {
			t.Errorf("identityOf(%s) = %+v, %q", tt.caller.ARN, id, name)
		}
		if tt.typ == "IAMUser" && (!strings.HasPrefix(id.PrincipalID, "AIDA") || len(id.PrincipalID) != 21) {
			t.Errorf("principalId %q", id.PrincipalID)
		}
		if again, _ := identityOf(tt.caller); again.PrincipalID != id.PrincipalID {
			t.Errorf("principalId of %s is not stable", tt.caller.ARN)
		}
	}
}

func TestResourceOf(t *testing.T) {
	tests := []struct{ arn, typ, account string }{
		{"arn:aws:codeartifact:us-east-1:111122223333:domain/acme", "AWS::CodeArtifact::Domain", "111122223333"},
		{"arn:aws:codeartifact:us-east-1:111122223333:repository/acme/main", "AWS::CodeArtifact::Repository", "111122223333"},
		{"arn:aws:codeartifact:us-east-1:111122223333:package/acme/main/npm//left-pad", "AWS::CodeArtifact::Package", "111122223333"},
		{"arn:aws:codeartifact:us-east-1:111122223333:package-group/acme/a/*", "AWS::CodeArtifact::PackageGroup", "111122223333"},
		{"not an arn", "", ""},
	}
	for _, tt := range tests {
		if r := resourceOf(tt.arn); r.Type != tt.typ || r.AccountID != tt.account || r.ARN != tt.arn {
			t.Errorf("resourceOf(%s) = %+v", tt.arn, r)
		}
	}
}

func TestReadOnlyOperation(t *testing.T) {
	for name, want := range map[string]bool{
		"DescribePackageVersion": true, "ListDomains": true, "GetAuthorizationToken": true, "ReadFromRepository": true,
		"PublishPackageVersion": false, "DeletePackageVersions": false, "UpdatePackageVersionsStatus": false, "PutDomainPermissionsPolicy": false,
	} {
		if got := readOnlyOperation(name); got != want {
			t.Errorf("readOnlyOperation(%s) = %v", name, got)
		}
	}
}

func TestEndpointParameters(t *testing.T) {
	tests := []struct {
		method, path string
		want         map[string]string
	}{
		{"PUT", "/npm/acme-111122223333/main/@scope%2fpkg", map[string]string{"httpMethod": "PUT", "path": "/npm/acme-111122223333/main/@scope%2fpkg",
			"format": "npm", "domain": "acme", "domainOwner": "111122223333", "repository": "main"}},
		{"DELETE", "/cargo/my-dom-111122223333/r/api/v1/crates/x/1.0.0/yank", map[string]string{"httpMethod": "DELETE", "path": "/cargo/my-dom-111122223333/r/api/v1/crates/x/1.0.0/yank",
			"format": "cargo", "domain": "my-dom", "domainOwner": "111122223333", "repository": "r"}},
		{"POST", "/npm", map[string]string{"httpMethod": "POST", "path": "/npm"}},
	}
	for _, tt := range tests {
		var got map[string]string
		if err := json.Unmarshal(endpointParameters(tt.method, tt.path), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s %s: %v", tt.method, tt.path, got)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s %s: %s = %q, want %q", tt.method, tt.path, k, got[k], v)
			}
		}
	}
}

func TestErrorOf(t *testing.T) {
	for status, want := range map[int]string{
		200: "", 201: "", 304: "", 400: "ValidationException", 401: "AccessDeniedException", 403: "AccessDeniedException",
		404: "ResourceNotFoundException", 409: "ConflictException", 413: "ServiceQuotaExceededException", 429: "ThrottlingException",
		500: "InternalServerException", 502: "InternalServerException",
	} {
		code, msg := errorOf(status)
		if code != want || (want != "" && msg != http.StatusText(status)) {
			t.Errorf("errorOf(%d) = %q, %q", status, code, msg)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewID()
		if len(id) != 36 || id[14] != '4' || seen[id] {
			t.Fatalf("NewID() = %q", id)
		}
		seen[id] = true
	}
}
