package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/meta/postgres/pgtest"
)

// TestPostgresReplicas runs two wharf processes on one PostgreSQL
// database and one blob directory, as replicas behind a load balancer:
// what one publishes the other serves, what one deletes is gone from the
// other, concurrent DeletePackageVersions through both have one winner
// per version, and the bytes of deleted versions are collected from the
// shared directory while those of live versions stay. wharf admin
// manages users in the same database.
func TestPostgresReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t) // skips without PostgreSQL, fails under CI=true
	// One replica takes the store from its flags, the other from the
	// environment, as a container would.
	gc := []string{"WHARF_GC_GRACE=1ms", "WHARF_GC_INTERVAL=1h"}
	pgEnv := []string{"WHARF_META_STORE=postgres", "WHARF_POSTGRES_DSN=" + dsn}
	a := StartServerWith(t, ServerOptions{Env: gc, Args: []string{"--meta-store", "postgres", "--postgres-dsn", dsn}})
	b := StartServerWith(t, ServerOptions{Env: append(gc, pgEnv...), DataDir: a.DataDir})
	if _, err := os.Stat(filepath.Join(a.DataDir, "wharf.db")); err == nil {
		t.Fatal("a SQLite database was created in the data directory")
	}

	c1, c2 := a.Client(), b.Client()
	Setup(t, c1, "pg", "repo")
	pa, pb := genericPkg(c1, "pg", "repo", "ns", "tool"), genericPkg(c2, "pg", "repo", "ns", "tool")
	const n = 24
	all := make([]string, n)
	revs := map[string]string{}
	for i := range n {
		all[i] = fmt.Sprintf("1.0.%d", i)
		revs[all[i]] = aws.ToString(pa.mustPublish(t, all[i], "tool.bin", pgContent(all[i]), false).VersionRevision)
	}
	kept := []byte("kept by a live version")
	genericPkg(c1, "pg", "repo", "ns", "keeper").mustPublish(t, "1", "k", kept, false)

	// The other replica sees every version and serves its bytes.
	if got := pb.versions(t, ""); len(got) != n {
		t.Fatalf("second replica lists %d versions, want %d", len(got), n)
	}
	if d := pb.mustDescribe(t, all[3]); aws.ToString(d.Revision) != revs[all[3]] {
		t.Errorf("second replica describes revision %s, want %s", aws.ToString(d.Revision), revs[all[3]])
	}
	pb.mustDownload(t, all[3], "tool.bin", pgContent(all[3]))

	// wharf admin works on the same database: a user it creates calls
	// either replica.
	u := newUser(t, a, pgEnv, testAccount, "reader", allow("codeartifact:ListPackageVersions"))
	// Each replica picks up wharf admin's changes within its refresh
	// interval; it may have seen the new key before the user's policy.
	eventually(t, "the reader's policy on the second replica", func() error {
		_, err := versionsIn(b.ClientWith(u.key, u.secret), testAccount, "pg", "repo", "ns", "tool")
		return err
	})
	if got := genericPkg(b.ClientWith(u.key, u.secret), "pg", "repo", "ns", "tool").versions(t, ""); len(got) != n {
		t.Errorf("a user made by wharf admin lists %d versions through the second replica, want %d", len(got), n)
	}

	// Deleted through the second, gone through the first.
	if out, err := pb.deleteVersions([]string{all[0]}, ""); err != nil || out.SuccessfulVersions[all[0]].Status != types.PackageVersionStatusDeleted {
		t.Fatalf("delete through the second replica: %+v, %v", out, err)
	}
	if _, err := pa.describe(all[0]); err == nil {
		t.Error("a version deleted through one replica is still described by the other")
	}
	if _, _, err := pa.download(all[0], "tool.bin", ""); err == nil {
		t.Error("a version deleted through one replica still downloads from the other")
	}

	// Concurrent deletes through both replicas: overlapping batches of
	// three, then every version alone, so each is certainly contested.
	rest := all[1:]
	wins := deleteContested(t, []pkgRef{pa, pb}, rest, revs, 6, 6, 11)
	for _, v := range rest {
		if wins[v] != 1 {
			t.Errorf("version %s deleted %d times across the replicas", v, wins[v])
		}
	}
	for name, p := range map[string]pkgRef{"first": pa, "second": pb} {
		if got := p.versions(t, ""); len(got) != 0 {
			t.Errorf("%s replica still lists %v", name, got)
		}
	}

	// Both replicas' collectors share the blob directory: the deleted
	// versions' bytes go, the live version's stay.
	deadline := time.Now().Add(10 * time.Second)
	for {
		files := blobFiles(t, a.DataDir)
		left := 0
		for _, v := range all {
			if files[sha256Hex(pgContent(v))] {
				left++
			}
		}
		if !files[sha256Hex(kept)] {
			t.Fatal("the collector removed bytes a live version uses")
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deleted versions' bytes still in the blob directory after 10s", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	genericPkg(c2, "pg", "repo", "ns", "keeper").mustDownload(t, "1", "k", kept)
}

func pgContent(version string) []byte { return []byte("tool " + version + "\n") }
