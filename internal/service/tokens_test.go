package service

import (
	"context"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/token"
)

// GetAuthorizationToken needs sts:GetServiceBearerToken as well as its own
// action, as in CodeArtifact; refusing either refuses the token.
func TestGetAuthorizationTokenNeedsBothActions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		deny    string
		message string // part of the refusal, "" when allowed
	}{
		{"", ""},
		{"GetAuthorizationToken", "codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:us-east-1:111122223333:domain/dom"},
		{ActionGetServiceBearerToken, "not authorized to perform: sts:GetServiceBearerToken on resource: *"},
	}
	for _, tt := range tests {
		t.Run("deny "+tt.deny, func(t *testing.T) {
			s, az := newPolicyService(t)
			s.SetTokenIssuer(token.NewIssuer(make([]byte, 32)))
			az.deny[tt.deny] = true
			out, err := s.GetAuthorizationToken(ctx, admin, GetAuthorizationTokenInput{Domain: "dom"})
			if tt.message == "" {
				if err != nil || out.AuthorizationToken == "" {
					t.Fatalf("GetAuthorizationToken = %+v, %v", out, err)
				}
				if c := az.last(); c.action != ActionGetServiceBearerToken || c.arn != "*" {
					t.Errorf("last check %+v, want %s on *", c, ActionGetServiceBearerToken)
				}
				return
			}
			if kindOf(err) != model.KindAccessDenied || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("GetAuthorizationToken: %v, want AccessDenied with %q", err, tt.message)
			}
		})
	}
}

func TestIAMAction(t *testing.T) {
	for in, want := range map[string]string{
		"GetAuthorizationToken":     "codeartifact:GetAuthorizationToken",
		ActionGetServiceBearerToken: "sts:GetServiceBearerToken",
	} {
		if got := IAMAction(in); got != want {
			t.Errorf("IAMAction(%q) = %q, want %q", in, got, want)
		}
	}
}
