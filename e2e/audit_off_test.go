package e2e

import (
	"testing"

	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// TestAuditOnOff: the same calls leave records with the trail on (the
// default, or --audit / WHARF_AUDIT=true) and none with it off
// (--audit=false or WHARF_AUDIT=false).
func TestAuditOnOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     ServerOptions
		records bool
	}{
		{"default", ServerOptions{}, true},
		{"flag on", ServerOptions{Args: []string{"--audit=true"}}, true},
		{"env on", ServerOptions{Env: []string{"WHARF_AUDIT=true"}}, true},
		{"flag off", ServerOptions{Args: []string{"--audit=false"}}, false},
		{"env off", ServerOptions{Env: []string{"WHARF_AUDIT=false"}}, false},
		{"flag overrides env", ServerOptions{Env: []string{"WHARF_AUDIT=true"}, Args: []string{"--audit=false"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := StartServerWith(t, tc.opt)
			c := s.Client()
			Setup(t, c, "acme", "main")
			PublishGeneric(t, c, "acme", "main", "tools", "hello", "1.0.0", "a.txt", []byte("hello"), false)
			if _, err := c.ListDomains(ctx, &ca.ListDomainsInput{}); err != nil {
				t.Fatal(err)
			}
			// Stopping writes what reads queued, so the count is final.
			s.Stop()
			_, recs := auditLog(t, s.DataDir)
			if got := len(recs) > 0; got != tc.records {
				t.Fatalf("records %v, want records: %v", names(recs), tc.records)
			}
			if tc.records {
				want := map[string]bool{"CreateDomain": false, "PublishPackageVersion": false, "ListDomains": false}
				for _, r := range recs {
					if _, ok := want[r.EventName]; ok {
						want[r.EventName] = true
					}
				}
				for n, seen := range want {
					if !seen {
						t.Errorf("no %s record in %v", n, names(recs))
					}
				}
			}
		})
	}
}
