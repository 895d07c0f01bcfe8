package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/wharf-dev/wharf/internal/blob/s3/s3test"
	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
)

// A data directory migrated into PostgreSQL and Versity's S3 gateway (and
// back) serves the same answers: every ListPackageVersions,
// DescribePackageVersion and ListPackageVersionAssets, and every asset's
// bytes by digest. The first migration is killed early and run again.
func TestMigrateDataDirToPostgresS3(t *testing.T) {
	dsn := pgtest.Database(t) // skips without PostgreSQL, fails under CI=true
	g := s3test.StartT(t)
	const bucket = "wharf-migrate"
	if err := g.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	s3Env := []string{"WHARF_S3_ACCESS_KEY_ID=" + s3test.AccessKey, "WHARF_S3_SECRET_ACCESS_KEY=" + s3test.SecretKey}
	s3Args := []string{"--s3-endpoint", g.Endpoint, "--s3-region", s3test.Region, "--s3-path-style"}

	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main", "other")
	for p := range 6 {
		pkg := fmt.Sprint("tool", p)
		for v := range 8 {
			version := fmt.Sprintf("1.%d.0", v)
			PublishGeneric(t, c, "acme", "main", "ns", pkg, version, "a.bin", fmt.Appendf(nil, "%s %s a", pkg, version), true)
			PublishGeneric(t, c, "acme", "main", "ns", pkg, version, "b.txt", fmt.Appendf(nil, "%s %s b", pkg, version), false)
		}
		for v, st := range map[string]types.PackageVersionStatus{"1.1.0": types.PackageVersionStatusUnlisted, "1.2.0": types.PackageVersionStatusArchived} {
			if _, err := c.UpdatePackageVersionsStatus(ctx, &ca.UpdatePackageVersionsStatusInput{Domain: aws.String("acme"), Repository: aws.String("main"),
				Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), Versions: []string{v}, TargetStatus: st}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.DisposePackageVersions(ctx, &ca.DisposePackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), Versions: []string{"1.3.0"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CopyPackageVersions(ctx, &ca.CopyPackageVersionsInput{Domain: aws.String("acme"), SourceRepository: aws.String("main"),
		DestinationRepository: aws.String("other"), Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("tool0"),
		Versions: []string{"1.0.0", "1.4.0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePackageGroup(ctx, &ca.CreatePackageGroupInput{Domain: aws.String("acme"), PackageGroup: aws.String("/generic/ns/*"),
		Description: aws.String("tools")}); err != nil {
		t.Fatal(err)
	}
	want := answers(t, c)
	s.Stop()

	migrate := func(args ...string) *exec.Cmd {
		cmd := exec.Command(wharfBin, append([]string{"migrate"}, args...)...)
		cmd.Env = append(append(os.Environ(), s3Env...), "WHARF_POSTGRES_DSN="+dsn)
		return cmd
	}
	toPG := append([]string{"--from-data-dir", s.DataDir, "--to-postgres", "-", "--to-s3-bucket", bucket}, s3Args...)
	// A blob whose bytes no longer match its digest stops the first run
	// part way; put right, the next run carries on from there.
	var files []string
	filepath.Walk(filepath.Join(s.DataDir, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && len(fi.Name()) == 64 {
			files = append(files, p)
		}
		return err
	})
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	if len(files) < 10 {
		t.Fatalf("%d blob files", len(files))
	}
	damaged := files[len(files)/2]
	good, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, append(good, '!'), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := migrate(toPG...).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("mismatch")) {
		t.Fatalf("migrating a damaged blob: %v\n%s", err, out)
	}
	if err := os.WriteFile(damaged, good, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = migrate(toPG...).CombinedOutput()
	if err != nil {
		t.Fatalf("wharf migrate: %v\n%s", err, out)
	}
	var rep struct{ Blobs, BlobsCopied int }
	if err := json.Unmarshal(out[bytes.IndexByte(out, '{'):], &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.BlobsCopied != rep.Blobs-len(files)/2 {
		t.Errorf("the second run copied %d of %d blobs, want those from the damaged one on (%d)", rep.BlobsCopied, rep.Blobs, rep.Blobs-len(files)/2)
	}
	t.Logf("the run after the cut one:\n%s", out)
	out, err = migrate(toPG...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("already complete")) {
		t.Fatalf("a third run: %v\n%s", err, out)
	}

	pgArgs := append([]string{"--meta-store", "postgres", "--postgres-dsn", dsn, "--blob-store", "s3", "--s3-bucket", bucket}, s3Args...)
	m := StartServerWith(t, ServerOptions{Args: pgArgs, Env: s3Env})
	compareAnswers(t, "PostgreSQL + S3", want, answers(t, m.Client()))
	// New rows get ids of their own after the migrated ones.
	PublishGeneric(t, m.Client(), "acme", "main", "ns", "tool0", "9.0.0", "a.bin", []byte("after the move"), false)
	want = answers(t, m.Client())
	m.Stop()

	// And back into a data directory.
	back := filepath.Join(t.TempDir(), "back")
	if out, err := migrate(append([]string{"--from-postgres", "-", "--from-s3-bucket", bucket, "--to-data-dir", back}, s3Args...)...).CombinedOutput(); err != nil {
		t.Fatalf("wharf migrate back: %v\n%s", err, out)
	}
	r := StartServerWith(t, ServerOptions{DataDir: back})
	compareAnswers(t, "data directory again", want, answers(t, r.Client()))
}

// answers is what a server says about every package of domain acme: one
// entry per call, its output as JSON, and the SHA-256 of every asset's
// bytes.
func answers(t *testing.T, c *ca.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(k string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	dom := aws.String("acme")
	for _, repo := range []string{"main", "other"} {
		pkgs, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: dom, Repository: aws.String(repo)})
		if err != nil {
			t.Fatal(err)
		}
		put(repo+" ListPackages", pkgs.Packages)
		for _, p := range pkgs.Packages {
			coords := func() (*string, *string, types.PackageFormat) { return p.Namespace, p.Package, p.Format }
			ns, name, f := coords()
			vs, err := c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: dom, Repository: aws.String(repo), Format: f, Namespace: ns, Package: name})
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("%s %s/%s", repo, *ns, *name)
			put(key+" ListPackageVersions", vs)
			for _, v := range vs.Versions {
				vk := key + "@" + *v.Version
				d, err := c.DescribePackageVersion(ctx, &ca.DescribePackageVersionInput{Domain: dom, Repository: aws.String(repo), Format: f, Namespace: ns, Package: name, PackageVersion: v.Version})
				if err != nil {
					t.Fatal(err)
				}
				put(vk+" DescribePackageVersion", d.PackageVersion)
				as, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: dom, Repository: aws.String(repo), Format: f, Namespace: ns, Package: name, PackageVersion: v.Version})
				if err != nil {
					t.Fatal(err)
				}
				put(vk+" ListPackageVersionAssets", as.Assets)
				if v.Status == types.PackageVersionStatusDisposed {
					continue
				}
				for _, a := range as.Assets {
					got, err := c.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{Domain: dom, Repository: aws.String(repo), Format: f, Namespace: ns, Package: name, PackageVersion: v.Version, Asset: a.Name})
					if err != nil {
						t.Fatalf("%s %s: %v", vk, *a.Name, err)
					}
					b, err := io.ReadAll(got.Asset)
					got.Asset.Close()
					if err != nil {
						t.Fatal(err)
					}
					sum := sha256.Sum256(b)
					out[vk+" "+*a.Name+" bytes"] = hex.EncodeToString(sum[:])
				}
			}
		}
	}
	return out
}

func compareAnswers(t *testing.T, where string, want, got map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	bad := 0
	for _, k := range keys {
		if want[k] != got[k] {
			if bad++; bad <= 10 {
				t.Errorf("%s: %s\n got %s\nwant %s", where, k, got[k], want[k])
			}
		}
	}
	if bad == 0 && len(want) < 100 {
		t.Errorf("%s: only %d answers compared", where, len(want))
	}
}
