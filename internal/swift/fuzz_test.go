package swift

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime/multipart"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive"
)

// FuzzReadPublishForm feeds arbitrary bodies through everything a
// publish runs before storing: the multipart reader, the signature
// rules, the metadata and the source archive checks. Seeds, in
// testdata/fuzz/FuzzReadPublishForm, are the bodies SwiftPM and curl send
// (with a real source archive), with the boundary "B". Nothing may
// panic; every refusal is one of the registry's own (a 4xx formError, a
// metadataError, an archiveError or an archive refusal); an accepted
// body yields exactly the archive bytes it hashed.
func FuzzReadPublishForm(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var spool bytes.Buffer
		form, err := readPublishForm(multipart.NewReader(bytes.NewReader(body), "B"), &spool, 1<<20)
		if err != nil {
			var fe *formError
			if !errors.As(err, &fe) || fe.status < 400 || fe.status > 499 {
				t.Fatalf("refusal %v (%T) is not a 4xx formError", err, err)
			}
			return
		}
		sum := sha256.Sum256(spool.Bytes())
		if int64(spool.Len()) != form.archiveSize || hex.EncodeToString(sum[:]) != form.archiveSHA256 || form.archiveSize == 0 {
			t.Fatalf("archive: %d bytes spooled, form says %d bytes, %s", spool.Len(), form.archiveSize, form.archiveSHA256)
		}
		if _, err := checkSignatures(form, signatureFormat); err != nil {
			var fe *formError
			if !errors.As(err, &fe) {
				t.Fatalf("signature refusal %v (%T)", err, err)
			}
		}
		if _, err := parseReleaseMetadata(form.metadata); err != nil {
			var me *metadataError
			if !errors.As(err, &me) {
				t.Fatalf("metadata refusal %v (%T)", err, err)
			}
		}
		sa, err := checkSourceArchive(bytes.NewReader(spool.Bytes()), int64(spool.Len()))
		if err != nil {
			var ae *archiveError
			if !errors.As(err, &ae) && !archive.IsRefusal(err) {
				t.Fatalf("archive refusal %v (%T)", err, err)
			}
			return
		}
		if sa.manifest == nil || sa.manifest.filename != manifestName || sa.manifest.toolsVersion == "" {
			t.Fatalf("accepted archive without a usable manifest: %+v", sa)
		}
		for _, m := range sa.alternate {
			if !altManifestRE.MatchString(m.filename) || m.toolsVersion == "" {
				t.Fatalf("accepted alternate manifest %+v", m)
			}
		}
	})
}
