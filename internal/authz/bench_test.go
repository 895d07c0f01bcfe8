package authz

import (
	"context"
	"testing"

	"github.com/wharf-dev/wharf/internal/service"
)

// BenchmarkAuthorize is the cost every request pays: a read of a package
// by a user with an identity policy, under domain and repository policies.
func BenchmarkAuthorize(b *testing.B) {
	f := &fakePolicies{
		identity: map[string][]string{reader.ARN: {doc(stmt("Allow", "", "codeartifact:ReadFromRepository", "*", ""), stmt("Allow", "", "codeartifact:List*", "*", ""))}},
		resource: map[string]string{
			acctA + "/dom":      doc(stmt("Deny", `{"AWS":"`+pub.ARN+`"}`, "codeartifact:Delete*", "*", "")),
			acctA + "/dom/repo": doc(stmt("Allow", `{"AWS":"`+carol.ARN+`"}`, "codeartifact:ReadFromRepository", "*", "")),
		},
	}
	// Parse once, as the directory does.
	cached := &cachedPolicies{f: f}
	a := &Authorizer{P: cached}
	ctx := service.WithRequestInfo(context.Background(), service.RequestInfo{SourceIP: "10.0.0.1"})
	for _, c := range []struct {
		name string
		c    service.Caller
	}{{"root", rootA}, {"user", reader}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Authorize(ctx, c.c, "ReadFromRepository", repoARN, acctA); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Without resource policies the root has nothing to evaluate.
	b.Run("root, no resource policies", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Authorize(ctx, rootA, "ReadFromRepository", "arn:aws:codeartifact:us-east-1:"+acctA+":package/dom2/repo/npm//left-pad", acctA); err != nil {
				b.Fatal(err)
			}
		}
	})
}
