package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// TestRestartKeepsData: every acknowledged version and its bytes survive a
// restart on the same data directory.
func TestRestartKeepsData(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "keep", "repo")
	want := map[string][]byte{}
	for _, v := range []string{"1.0", "1.1", "2.0"} {
		want[v] = []byte("content of " + v)
		PublishGeneric(t, c, "keep", "repo", "ns", "pkg", v, "a.bin", want[v], false)
	}
	s.Restart()
	c = s.Client()
	for v, content := range want {
		out, err := c.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{
			Domain: aws.String("keep"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("ns"), Package: aws.String("pkg"), PackageVersion: aws.String(v), Asset: aws.String("a.bin"),
		})
		if err != nil {
			t.Fatalf("GetPackageVersionAsset %s after restart: %v", v, err)
		}
		got := make([]byte, len(content)+1)
		n, _ := out.Asset.Read(got)
		out.Asset.Close()
		if string(got[:n]) != string(content) {
			t.Errorf("version %s after restart: %q, want %q", v, got[:n], content)
		}
	}
	_, err := c.DescribeDomain(ctx, &ca.DescribeDomainInput{Domain: aws.String("missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeDomain(missing) = %v, want ResourceNotFoundException", err)
	}
}

// A second wharf serve on a data directory in use exits with a clear
// error instead of serving beside the first (whose read cache assumes it
// is the only writer); the first goes on serving.
func TestSecondServerOnDataDirRefused(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "one", "repo")
	// Were it not refused it would serve until killed.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wharfBin, "serve", "--listen", freeAddr(t), "--data-dir", s.DataDir).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "in use by another wharf server") {
		t.Fatalf("second server on %s: err %v, output:\n%s", s.DataDir, err, out)
	}
	if _, err := c.ListRepositories(context.Background(), &ca.ListRepositoriesInput{}); err != nil {
		t.Fatalf("first server after the refusal: %v", err)
	}
}
