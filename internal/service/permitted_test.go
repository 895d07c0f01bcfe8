package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// readOnly, once on, allows only the actions whose names start with
// Describe, List or Get, and records what it was asked about.
type readOnly struct {
	on    bool
	asked []string
}

func (a *readOnly) Authorize(_ context.Context, c Caller, action, arn, account string) error {
	if !a.on {
		return nil
	}
	a.asked = append(a.asked, action+" "+arn)
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(action, p) {
			return nil
		}
	}
	return accessDenied(c, action, arn)
}

func TestPermittedOnPackage(t *testing.T) {
	az := &readOnly{}
	s, _ := newTestServiceWith(t, az)
	az.on = true
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ref  PackageRef
		want map[string]bool
		err  model.Kind
	}{
		// The package need not exist: the answer is about its ARN.
		{"read-only caller", genericRef("p"), map[string]bool{"DescribePackageVersion": true, "DeletePackageVersions": false, "UpdatePackageVersionsStatus": false}, ""},
		{"missing repository", PackageRef{Domain: "dom", Repository: "nope", Format: model.FormatGeneric, Namespace: "ns", Package: "p"}, nil, model.KindNotFound},
		{"bad namespace", PackageRef{Domain: "dom", Repository: "repo", Format: model.FormatGeneric, Package: "p"}, nil, model.KindValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			az.asked = nil
			var actions []string
			for a := range tc.want {
				actions = append(actions, a)
			}
			got, err := s.PermittedOnPackage(ctx, admin, tc.ref, actions...)
			var me *model.Error
			if tc.err != "" {
				if !errors.As(err, &me) || me.Kind != tc.err {
					t.Fatalf("err %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for a, w := range tc.want {
				if got[a] != w {
					t.Errorf("%s: %v, want %v", a, got[a], w)
				}
			}
			arn := model.PackageARN(s.Region(), admin.Account, "dom", "repo", model.PackageKey{Format: model.FormatGeneric, Namespace: "ns", Name: "p"})
			if len(az.asked) != len(actions) {
				t.Errorf("asked the authorizer %v, want once per action", az.asked)
			}
			for _, q := range az.asked {
				if !strings.HasSuffix(q, " "+arn) {
					t.Errorf("authorized %q, want the package's ARN %s", q, arn)
				}
			}
		})
	}
}
