package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// A backup taken while 8 publishers write restores to a server that has
// every version acknowledged before the backup began, none acknowledged
// after it ended, and no version without its bytes.
func TestBackupDuringPublishes(t *testing.T) {
	s := StartServer(t)
	c := s.Client()
	Setup(t, c, "acme", "main")

	type publishRec struct {
		pkg, version   string
		started, acked time.Time
	}
	var mu sync.Mutex
	var recs []publishRec
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkg := fmt.Sprint("pkg", w)
			for i := 0; pctx.Err() == nil; i++ {
				v := fmt.Sprintf("1.%d.0", i)
				body := bytes.Repeat([]byte(pkg+v), 100+i)
				sum := sha256.Sum256(body)
				started := time.Now()
				_, err := c.PublishPackageVersion(pctx, &ca.PublishPackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), PackageVersion: aws.String(v),
					AssetName: aws.String("a.bin"), AssetSHA256: aws.String(hex.EncodeToString(sum[:])), AssetContent: bytes.NewReader(body)})
				if err != nil {
					if pctx.Err() == nil {
						t.Errorf("publish %s@%s: %v", pkg, v, err)
					}
					return
				}
				mu.Lock()
				recs = append(recs, publishRec{pkg, v, started, time.Now()})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	dir := filepath.Join(t.TempDir(), "backup")
	began := time.Now()
	out, err := exec.Command(wharfBin, "backup", "--data-dir", s.DataDir, "--to", dir).CombinedOutput()
	ended := time.Now()
	if err != nil {
		t.Fatalf("wharf backup: %v\n%s", err, out)
	}
	time.Sleep(time.Second) // publishers keep going after the backup
	stop()
	wg.Wait()

	var before, after int
	for _, r := range recs {
		if r.acked.Before(began) {
			before++
		}
		if r.acked.After(ended) {
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("publishes acknowledged before the backup %d, after it %d: the test needs both", before, after)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := exec.Command(wharfBin, "restore", "--from", dir, "--data-dir", restored).CombinedOutput(); err != nil {
		t.Fatalf("wharf restore: %v\n%s", err, out)
	}
	r := StartServerWith(t, ServerOptions{DataDir: restored})
	rc := r.Client()
	has := map[string]bool{}
	for w := range 8 {
		pkg := fmt.Sprint("pkg", w)
		p := ca.NewListPackageVersionsPaginator(rc, &ca.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("main"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				has[pkg+"@"+*v.Version] = true
				// Every restored version has its bytes.
				a, err := rc.GetPackageVersionAsset(ctx, &ca.GetPackageVersionAssetInput{Domain: aws.String("acme"), Repository: aws.String("main"),
					Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(pkg), PackageVersion: v.Version, Asset: aws.String("a.bin")})
				if err != nil {
					t.Fatalf("%s@%s restored without its bytes: %v", pkg, *v.Version, err)
				}
				b, err := io.ReadAll(a.Asset)
				a.Asset.Close()
				if err != nil {
					t.Fatal(err)
				}
				var i int
				fmt.Sscanf(*v.Version, "1.%d.0", &i)
				if !bytes.Equal(b, bytes.Repeat([]byte(pkg+*v.Version), 100+i)) {
					t.Errorf("%s@%s: restored bytes differ", pkg, *v.Version)
				}
			}
		}
	}
	for _, rec := range recs {
		k := rec.pkg + "@" + rec.version
		switch {
		case rec.acked.Before(began) && !has[k]:
			t.Errorf("%s acknowledged before the backup began is missing", k)
		case rec.acked.After(ended) && has[k]:
			t.Errorf("%s acknowledged after the backup ended was restored", k)
		}
	}
	t.Logf("%d publishes, %d acknowledged before the backup, %d after; %d versions restored", len(recs), before, after, len(has))
}
