// Package s3 is a blob.Store on Amazon S3 or any S3-compatible object
// store (MinIO, Ceph RGW, Versity's gateway, ...), through aws-sdk-go-v2.
//
// Layout under the configured prefix (PREFIX/ below; empty prefix, no
// leading slash):
//
//	PREFIX/sha256/ab/abcdef…   one object per blob, named by its digest and
//	                           fanned out like the filesystem store
//	PREFIX/refreshed/ab/…      empty stamps dating re-stores (see
//	                           Modification times)
//	PREFIX/tmp/<random>        uploads whose digest was not known up front,
//	                           copied to their final key once verified
//
// # Writing
//
// S3 has no rename, and a blob's name is its digest, which is only known
// once the last byte has been hashed. Put therefore picks one of three
// paths, cheapest first:
//
//   - Content that fits in one part (8 MiB: most npm tarballs, wheels and
//     jars) is read into memory, hashed, verified and written straight to
//     its final key with one PutObject.
//   - Larger content whose digest the caller announced (want; every
//     CodeArtifact publish carries one) is streamed as a multipart upload
//     straight to the final key. Parts of an upload are invisible until
//     CompleteMultipartUpload, which is only sent once the hashes match;
//     otherwise the upload is aborted. Nothing is ever copied.
//   - Larger content of unknown digest is streamed as a multipart upload to
//     PREFIX/tmp/<random>, then server-side copied to its final key
//     (CopyObject, or UploadPartCopy above 5 GiB) and the temp deleted.
//
// Whatever the path, mismatched, oversized, failed or cancelled uploads
// complete nothing: multipart uploads are aborted and temps deleted.
//
// # Modification times
//
// Stat and Walk report when the blob was last stored or re-stored by Put,
// as on the filesystem store, which is what a garbage collector's grace
// period reads. On S3 that is the later of two Last-Modified times,
// truncated to the second (S3's resolution, and what makes HeadObject and
// ListObjectsV2 agree):
//
//   - the blob object's own, set when Put writes it;
//   - that of an empty stamp object, PREFIX/refreshed/ab/<digest>, which Put
//     writes instead of the blob when the blob is already stored: the
//     content is not uploaded or copied again, a zero-byte PutObject
//     records the re-store.
//
// A stamp rather than copying the object onto itself with replaced
// metadata, the usual way to bump Last-Modified: such a copy rewrites the
// whole object server-side (multipart above 5 GiB) on every re-upload, and
// not every S3-compatible server dates it anew (Versity's posix gateway
// only rewrites the metadata). A stamp costs one tiny PUT anywhere; what it
// costs in return is a second HeadObject in Stat and a second (short,
// merged) listing in Walk. Stamps are deleted with their blob; one left by
// a failure is never listed and is harmless, as the later of the two times
// is always the last store.
//
// S3 dates an object written by multipart upload (or multipart copy) from
// the upload's start, not its end. So that modTime never lags the end of a
// Put by more than refreshAfter (a minute) however slow the client, a Put
// whose final write took longer stamps the blob too.
//
// # Leftovers
//
// A crashed Put can leave a temp object or an incomplete multipart upload
// (under tmp/ or under sha256/). Neither is ever listed by Walk. New removes
// those older than a day (SweepLeftovers), which no live upload reaches:
// CodeArtifact assets are at most 5 GB. Buckets should additionally carry an
// AbortIncompleteMultipartUpload lifecycle rule, as S3 recommends, for
// servers that run for months between restarts.
package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharf-dev/wharf/internal/blob"
)

const (
	blobDir  = "sha256/"
	stampDir = "refreshed/"
	tmpDir   = "tmp/"

	// defaultPartSize is the multipart part size, and so the unit of a
	// Put's memory. S3's minimum part is 5 MiB and its maximum part count
	// 10,000, so 8 MiB parts allow blobs up to 78 GiB, far above
	// CodeArtifact's 5 GB asset limit.
	defaultPartSize = 8 << 20
	maxParts        = 10000
	// defaultConcurrency is how many parts of one Put are in flight while
	// the next is read and hashed, so a large Put holds at most 24 MiB.
	// Against a local gateway the client's hashing is the bottleneck and
	// more parts in flight measured no faster; against a distant S3 the
	// second part hides the round-trip of the first.
	defaultConcurrency = 2

	// defaultCopyLimit is S3's largest single CopyObject (5 GiB); larger
	// objects are copied part by part with UploadPartCopy.
	defaultCopyLimit    = 5 << 30
	defaultCopyPartSize = 512 << 20

	// leftoverAge is how old a temp object or an incomplete multipart
	// upload must be before New removes it.
	leftoverAge = 24 * time.Hour

	// refreshAfter bounds how far a multipart blob's Last-Modified (its
	// upload's start) may lag the end of its Put; see the package doc.
	refreshAfter = time.Minute
)

// Config locates the bucket.
type Config struct {
	// Endpoint is the S3 API's base URL, e.g. http://127.0.0.1:7070 for a
	// local gateway; empty for AWS's endpoint for Region.
	Endpoint string
	// Region signs requests. When empty, the SDK's (AWS_REGION, shared
	// config), else us-east-1, which most S3-compatible servers expect.
	Region string
	// Bucket must exist.
	Bucket string
	// Prefix is prepended to every key, so several stores (or other data)
	// can share a bucket. Leading and trailing slashes are ignored.
	Prefix string
	// AccessKeyID and SecretAccessKey are static credentials. When both
	// are empty, the SDK's default chain is used (environment, shared
	// config, IAM role).
	AccessKeyID     string
	SecretAccessKey string
	// UsePathStyle addresses the bucket as ENDPOINT/BUCKET/KEY rather than
	// BUCKET.ENDPOINT/KEY; most self-hosted S3 servers need it.
	UsePathStyle bool
}

// Store is a blob.Store in an S3 bucket. Its zero value is not usable; call
// New. It is safe for concurrent use, and several Stores (in several
// processes) may share a bucket and prefix.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // "" or ends with "/"

	// Tunables, fixed by New; tests shrink them to reach the multipart and
	// multipart-copy paths with small blobs.
	partSize     int
	maxParts     int32
	concurrency  int
	copyLimit    int64
	copyPartSize int64
	refreshAfter time.Duration
	now          func() time.Time

	bufs sync.Pool // part buffers of partSize bytes
}

var _ blob.Store = (*Store)(nil)

// New connects to the bucket, checks that it is reachable with the
// credentials given, and removes leftovers of crashed uploads older than a
// day.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: new store: no bucket")
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, errors.New("s3: new store: give both an access key id and a secret access key, or neither")
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: new store: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		// Ranged GETs and most S3-compatible servers return no checksum
		// to validate; that is expected, not worth a log line per read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &Store{
		client:       client,
		bucket:       cfg.Bucket,
		prefix:       normPrefix(cfg.Prefix),
		partSize:     defaultPartSize,
		maxParts:     maxParts,
		concurrency:  defaultConcurrency,
		copyLimit:    defaultCopyLimit,
		copyPartSize: defaultCopyPartSize,
		refreshAfter: refreshAfter,
		now:          time.Now,
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err != nil {
		return nil, fmt.Errorf("s3: new store: bucket %s: %w", s.bucket, err)
	}
	if err := s.SweepLeftovers(ctx, leftoverAge); err != nil {
		return nil, fmt.Errorf("s3: new store: %w", err)
	}
	return s, nil
}

// normPrefix turns "/a/b/" or "a/b" into "a/b/", and "" or "/" into "".
func normPrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// key is where the blob with digest d lives. d must be valid.
func (s *Store) key(d blob.Digest) string {
	return s.prefix + blobDir + string(d[:2]) + "/" + string(d)
}

// stampKey is where the blob's re-store stamp lives. d must be valid.
func (s *Store) stampKey(d blob.Digest) string {
	return s.prefix + stampDir + string(d[:2]) + "/" + string(d)
}

// tmpKey names a fresh temp object.
func (s *Store) tmpKey() string {
	var b [16]byte
	rand.Read(b[:])
	return s.prefix + tmpDir + hex.EncodeToString(b[:])
}

// digestOf parses a key listed under PREFIX/sha256/ (with the prefix
// already removed): "ab/abcdef…" with matching fan-out. Anything else is
// not a blob (an operator's stray object) and is skipped, so it never
// stops garbage collection.
func digestOf(rel string) (blob.Digest, bool) {
	fan, name, ok := strings.Cut(rel, "/")
	d := blob.Digest(name)
	if !ok || d.Validate() != nil || fan != name[:2] {
		return "", false
	}
	return d, true
}

// modTime is Last-Modified at the resolution every S3 API reports it
// (HeadObject's HTTP date has whole seconds, ListObjectsV2's XML may have
// milliseconds), so Stat and Walk agree.
func modTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Truncate(time.Second)
}

// isNotFound reports whether err is S3's answer for an absent key (or an
// absent upload): 404, whatever the error code, since HeadObject has no
// body to carry one.
func isNotFound(err error) bool {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return true
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var nsu *types.NoSuchUpload
	return errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsu)
}

// notFound makes an absent key match blob.ErrNotFound, keeping the SDK's
// error for the log.
func notFound(err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}

// head returns the object's size and modification time.
func (s *Store) head(ctx context.Context, key string) (int64, time.Time, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return 0, time.Time{}, notFound(err)
	}
	return aws.ToInt64(out.ContentLength), modTime(out.LastModified), nil
}

// Stat implements blob.Store. The blob and its stamp are looked up at
// once; modTime is the later of the two.
func (s *Store) Stat(ctx context.Context, d blob.Digest) (int64, time.Time, error) {
	if err := d.Validate(); err != nil {
		return 0, time.Time{}, fmt.Errorf("s3: stat: %w", err)
	}
	stamp := make(chan time.Time, 1)
	stampCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, t, _ := s.head(stampCtx, s.stampKey(d)) // absent (or unreadable): no re-store to add
		stamp <- t
	}()
	size, mod, err := s.head(ctx, s.key(d))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("s3: stat %s: %w", d, err)
	}
	if t := <-stamp; t.After(mod) {
		mod = t
	}
	return size, mod, nil
}

// Delete implements blob.Store: the blob, then its stamp. S3's
// DeleteObject already succeeds for an absent key; a 404 from a server
// that disagrees is treated alike.
func (s *Store) Delete(ctx context.Context, d blob.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("s3: delete: %w", err)
	}
	for _, key := range []string{s.key(d), s.stampKey(d)} {
		if err := s.deleteKey(ctx, key); err != nil {
			return fmt.Errorf("s3: delete %s: %w", d, err)
		}
	}
	return nil
}

func (s *Store) deleteKey(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// Walk implements blob.Store. ListObjectsV2 returns keys in ascending
// binary order, and the fan-out directory is the digest's own first two
// characters, so listing PREFIX/sha256/ yields ascending digests; the
// stamps under PREFIX/refreshed/ come in the same order and are merged in.
// Both listings are paginated (1,000 keys a page), so memory stays flat
// whatever the store's size.
func (s *Store) Walk(ctx context.Context, fn func(d blob.Digest, size int64, modTime time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: walk: %w", err)
	}
	blobs, stamps := s.list(blobDir), s.list(stampDir)
	var stamp listed // the first stamp not before the current blob
	stampsDone := false
	for {
		b, ok, err := blobs.next(ctx)
		if err != nil {
			return fmt.Errorf("s3: walk: %w", err)
		}
		if !ok {
			return nil
		}
		for !stampsDone && stamp.d < b.d {
			if stamp, stampsDone, err = stamps.nextOrDone(ctx); err != nil {
				return fmt.Errorf("s3: walk: %w", err)
			}
		}
		mod := b.mod
		if !stampsDone && stamp.d == b.d && stamp.mod.After(mod) {
			mod = stamp.mod
		}
		// fn's error is returned as is: it is the caller's own.
		if err := fn(b.d, b.size, mod); err != nil {
			return err
		}
	}
}

// listed is one digest-named object of a listing.
type listed struct {
	d    blob.Digest
	size int64
	mod  time.Time
}

// listing pages through the digest-named objects under one directory,
// skipping anything else (an operator's stray object never stops garbage
// collection).
type listing struct {
	p    *s3.ListObjectsV2Paginator
	base string
	page []types.Object
}

func (s *Store) list(dir string) *listing {
	base := s.prefix + dir
	return &listing{base: base, p: s3.NewListObjectsV2Paginator(s.client,
		&s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(base)})}
}

// next returns the next object, or ok false at the end. It checks ctx
// between objects, so a cancelled Walk stops within one.
func (l *listing) next(ctx context.Context) (o listed, ok bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return listed{}, false, err
		}
		for len(l.page) > 0 {
			obj := l.page[0]
			l.page = l.page[1:]
			if d, ok := digestOf(strings.TrimPrefix(aws.ToString(obj.Key), l.base)); ok {
				return listed{d: d, size: aws.ToInt64(obj.Size), mod: modTime(obj.LastModified)}, true, nil
			}
		}
		if !l.p.HasMorePages() {
			return listed{}, false, nil
		}
		page, err := l.p.NextPage(ctx)
		if err != nil {
			return listed{}, false, err
		}
		l.page = page.Contents
	}
}

func (l *listing) nextOrDone(ctx context.Context) (o listed, done bool, err error) {
	o, ok, err := l.next(ctx)
	return o, !ok, err
}

// SweepLeftovers removes what crashed Puts left behind: temp objects, and
// incomplete multipart uploads anywhere under the prefix, that are older
// than olderThan. New runs it with a day; a server that runs for months
// may call it periodically. An upload younger than olderThan may be live
// (in this process or another sharing the bucket) and is left alone.
func (s *Store) SweepLeftovers(ctx context.Context, olderThan time.Duration) error {
	cutoff := s.now().Add(-olderThan)
	var errs []error
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + tmpDir)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("sweeping temp objects: %w", err)
		}
		for _, o := range page.Contents {
			if o.LastModified != nil && o.LastModified.Before(cutoff) {
				if err := s.deleteKey(ctx, aws.ToString(o.Key)); err != nil {
					errs = append(errs, fmt.Errorf("deleting temp object %s: %w", aws.ToString(o.Key), err))
				}
			}
		}
	}
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix)}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("sweeping multipart uploads: %w", err))...)
		}
		for _, u := range out.Uploads {
			key := aws.ToString(u.Key)
			// Only our own kinds of key: an operator's unrelated upload
			// under the same prefix is none of our business.
			rel := strings.TrimPrefix(key, s.prefix)
			if !strings.HasPrefix(rel, tmpDir) && !strings.HasPrefix(rel, blobDir) {
				continue
			}
			if u.Initiated != nil && u.Initiated.Before(cutoff) {
				_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
					Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: u.UploadId})
				if err != nil && !isNotFound(err) {
					errs = append(errs, fmt.Errorf("aborting multipart upload of %s: %w", key, err))
				}
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	return errors.Join(errs...)
}
