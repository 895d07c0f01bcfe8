package e2e

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// TestExternalConnections drives AssociateExternalConnection and
// DisassociateExternalConnection with the Go SDK: the wire shapes, one
// connection per repository, no connection beside upstreams, known names
// only, and nothing changed by a refusal.
func TestExternalConnections(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "ext", "store", "team", "other")
	d := aws.String("ext")
	assoc := func(repo, conn string) (*ca.AssociateExternalConnectionOutput, error) {
		return c.AssociateExternalConnection(ctx, &ca.AssociateExternalConnectionInput{Domain: d, Repository: aws.String(repo), ExternalConnection: aws.String(conn)})
	}
	disassoc := func(repo, conn string) (*ca.DisassociateExternalConnectionOutput, error) {
		return c.DisassociateExternalConnection(ctx, &ca.DisassociateExternalConnectionInput{Domain: d, Repository: aws.String(repo), ExternalConnection: aws.String(conn)})
	}
	conns := func(repo string) []types.RepositoryExternalConnectionInfo {
		t.Helper()
		out, err := c.DescribeRepository(ctx, &ca.DescribeRepositoryInput{Domain: d, Repository: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Repository.ExternalConnections
	}

	out, err := assoc("store", "public:npmjs")
	if err != nil {
		t.Fatalf("AssociateExternalConnection: %v", err)
	}
	if r := out.Repository; r == nil || aws.ToString(r.Name) != "store" || len(r.ExternalConnections) != 1 ||
		aws.ToString(r.ExternalConnections[0].ExternalConnectionName) != "public:npmjs" ||
		r.ExternalConnections[0].PackageFormat != types.PackageFormatNpm ||
		r.ExternalConnections[0].Status != types.ExternalConnectionStatusAvailable {
		t.Fatalf("AssociateExternalConnection answered %+v", out.Repository)
	}
	if got := conns("store"); len(got) != 1 || aws.ToString(got[0].ExternalConnectionName) != "public:npmjs" {
		t.Fatalf("DescribeRepository after associate: %+v", got)
	}

	// Refusals, each changing nothing.
	var conflict *types.ConflictException
	if _, err := assoc("store", "public:npmjs"); !errors.As(err, &conflict) {
		t.Errorf("associating the same connection again: %v, want ConflictException", err)
	}
	var quota *types.ServiceQuotaExceededException
	if _, err := assoc("store", "public:pypi"); !errors.As(err, &quota) {
		t.Errorf("a second connection: %v, want ServiceQuotaExceededException", err)
	}
	var ve *types.ValidationException
	if _, err := assoc("other", "public:nosuchregistry"); !errors.As(err, &ve) {
		t.Errorf("unknown connection: %v, want ValidationException", err)
	}
	if _, err := assoc("other", "x"); !errors.As(err, &ve) {
		t.Errorf("connection name against the model's pattern: %v, want ValidationException", err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := assoc("nosuchrepo", "public:npmjs"); !errors.As(err, &nf) {
		t.Errorf("missing repository: %v, want ResourceNotFoundException", err)
	}
	if _, err := c.UpdateRepository(ctx, &ca.UpdateRepositoryInput{Domain: d, Repository: aws.String("team"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("other")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := assoc("team", "public:npmjs"); !errors.As(err, &ve) {
		t.Errorf("connection beside upstreams: %v, want ValidationException", err)
	}
	if got := conns("team"); len(got) != 0 {
		t.Errorf("refused associate changed team: %+v", got)
	}
	if got := conns("store"); len(got) != 1 || aws.ToString(got[0].ExternalConnectionName) != "public:npmjs" {
		t.Errorf("refused associates changed store: %+v", got)
	}
	if got := conns("other"); len(got) != 0 {
		t.Errorf("refused associates changed other: %+v", got)
	}

	// Disassociate: not associated is not found; the answer describes the
	// repository with the removed connection.
	if _, err := disassoc("store", "public:pypi"); !errors.As(err, &nf) {
		t.Errorf("disassociating a connection not associated: %v, want ResourceNotFoundException", err)
	}
	dout, err := disassoc("store", "public:npmjs")
	if err != nil {
		t.Fatalf("DisassociateExternalConnection: %v", err)
	}
	if r := dout.Repository; r == nil || len(r.ExternalConnections) != 1 || aws.ToString(r.ExternalConnections[0].ExternalConnectionName) != "public:npmjs" {
		t.Errorf("DisassociateExternalConnection answered %+v", dout.Repository)
	}
	if got := conns("store"); len(got) != 0 {
		t.Errorf("connection still there after disassociate: %+v", got)
	}
	if _, err := disassoc("store", "public:npmjs"); !errors.As(err, &nf) {
		t.Errorf("disassociating twice: %v, want ResourceNotFoundException", err)
	}
	// The slot is free again, for another format too.
	if _, err := assoc("store", "public:maven-central"); err != nil {
		t.Errorf("associating after disassociate: %v", err)
	}
}
