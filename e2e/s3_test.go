package e2e

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wharf-dev/wharf/internal/blob/s3/s3test"
)

// TestS3BlobStore runs wharf with --blob-store s3 against a real S3 server
// (Versity's gateway, installed on first use): generic assets published
// through the Go SDK land in the bucket under the configured prefix, are
// downloaded from it, and disposing the version makes the collector remove
// the object.
func TestS3BlobStore(t *testing.T) {
	g := s3test.StartT(t)
	const bucket, prefix = "wharf-e2e", "team/wharf"
	if err := g.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	s := StartServerWith(t, ServerOptions{
		Args: []string{"--blob-store", "s3", "--s3-endpoint", g.Endpoint, "--s3-region", s3test.Region,
			"--s3-bucket", bucket, "--s3-prefix", prefix, "--s3-path-style",
			"--gc-grace", "1ms", "--gc-interval", "200ms"}, // so the collection is observable
		Env: []string{"WHARF_S3_ACCESS_KEY_ID=" + s3test.AccessKey, "WHARF_S3_SECRET_ACCESS_KEY=" + s3test.SecretKey},
	})
	c := s.Client()
	Setup(t, c, "s3dom", "repo")
	p := genericPkg(c, "s3dom", "repo", "tools", "bundle")

	small := []byte("a small generic asset stored in S3\n")
	large := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16+5) // multipart: over one 8 MiB part
	shared := []byte("bytes another version keeps")
	p.mustPublish(t, "1.0", "small.txt", small, true)
	p.mustPublish(t, "1.0", "large.bin", large, true)
	p.mustPublish(t, "1.0", "shared.txt", shared, false)
	p.mustPublish(t, "2.0", "shared.txt", shared, false)
	p.mustDownload(t, "1.0", "small.txt", small)
	p.mustDownload(t, "1.0", "large.bin", large)

	s3c := g.Client()
	key := func(content []byte) string {
		d := sha256Hex(content)
		return prefix + "/sha256/" + d[:2] + "/" + d
	}
	for _, content := range [][]byte{small, large, shared} {
		out, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(content))})
		if err != nil {
			t.Fatalf("HeadObject %s: %v", key(content), err)
		}
		if aws.ToInt64(out.ContentLength) != int64(len(content)) {
			t.Errorf("%s holds %d bytes, want %d", key(content), aws.ToInt64(out.ContentLength), len(content))
		}
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "blobs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory has a blobs directory (%v): the S3 store was not used", err)
	}
	// Nothing but the three blobs, and the stamp dating shared's second
	// upload: no temp objects, no open uploads.
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range list.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	stamp := strings.Replace(key(shared), "/sha256/", "/refreshed/", 1)
	if want := []string{stamp, key(small), key(large), key(shared)}; !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("the bucket holds %v, want %v", got, want)
	}
	ups, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups.Uploads))
	}

	// Disposing 1.0 frees small and large; shared stays for 2.0.
	d1 := p.mustDescribe(t, "1.0")
	if _, err := p.dispose([]string{"1.0"}, map[string]string{"1.0": aws.ToString(d1.Revision)}, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, content := range [][]byte{small, large} {
		for {
			_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(content))})
			var nf *s3types.NotFound
			if errors.As(err, &nf) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("disposed blob %s still in the bucket after 15s", key(content))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(shared))}); err != nil {
		t.Errorf("the collector removed bytes version 2.0 uses: %v", err)
	}
	p.mustDownload(t, "2.0", "shared.txt", shared)

	// A restarted server finds its blobs in the bucket.
	s.Restart()
	p.mustDownload(t, "2.0", "shared.txt", shared)
}

// TestS3BlobStoreRefused: wharf serve refuses an S3 configuration it
// cannot use, before listening, with a message naming the problem.
func TestS3BlobStoreRefused(t *testing.T) {
	g := s3test.StartT(t)
	if err := g.CreateBucket(ctx, "exists"); err != nil {
		t.Fatal(err)
	}
	creds := []string{"WHARF_S3_ACCESS_KEY_ID=" + s3test.AccessKey, "WHARF_S3_SECRET_ACCESS_KEY=" + s3test.SecretKey}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown store", []string{"--blob-store", "gcs"}, nil, "want fs or s3"},
		{"no bucket", []string{"--blob-store", "s3", "--s3-endpoint", g.Endpoint}, creds, "needs --s3-bucket"},
		{"s3 flags without the s3 store", []string{"--s3-bucket", "exists"}, creds, "need --blob-store s3"},
		{"absent bucket", []string{"--blob-store", "s3", "--s3-endpoint", g.Endpoint, "--s3-path-style", "--s3-bucket", "absent"}, creds, "bucket absent"},
		{"wrong secret", []string{"--blob-store", "s3", "--s3-endpoint", g.Endpoint, "--s3-path-style", "--s3-bucket", "exists"},
			[]string{"WHARF_S3_ACCESS_KEY_ID=" + s3test.AccessKey, "WHARF_S3_SECRET_ACCESS_KEY=wrong"}, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--listen", freeAddr(t), "--data-dir", t.TempDir()}, tt.args...)
			env := append(os.Environ(), "WHARF_ACCOUNT_ID="+testAccount, "WHARF_ACCESS_KEY_ID="+testKeyID, "WHARF_SECRET_ACCESS_KEY="+testSecret)
			out, err := RunErr(append(env, tt.env...), "", wharfBin, args...)
			if err == nil || !strings.Contains(out, tt.want) {
				t.Errorf("wharf %s: error %v, output %q; want a failure mentioning %q", strings.Join(tt.args, " "), err, out, tt.want)
			}
		})
	}
}
