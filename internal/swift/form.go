package swift

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"strings"
)

// The parts of a publish request (Registry.md 4.6).
const (
	partArchive      = "source-archive"
	partArchiveSig   = "source-archive-signature"
	partMetadata     = "metadata"
	partMetadataSig  = "metadata-signature"
	maxSignatureSize = 64 << 10
)

// formError is a publish request the registry refuses before looking at
// the archive: malformed (400), too large (413).
type formError struct {
	status int
	msg    string
}

func (e *formError) Error() string { return e.msg }

func badForm(status int, format string, args ...any) error {
	return &formError{status: status, msg: fmt.Sprintf(format, args...)}
}

// publishForm is a publish request's parts, the archive's bytes having
// gone to the writer readPublishForm was given.
type publishForm struct {
	archiveSize       int64
	archiveSHA256     string // hex
	archiveSignature  []byte
	metadata          []byte // raw JSON; nil without a metadata part
	metadataSignature []byte
}

// spoolError is a failure to keep the archive's bytes: the server's
// fault, not the request's.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return "spool source archive: " + e.err.Error() }
func (e *spoolError) Unwrap() error { return e.err }

// spoolWriter marks the spool's write errors, so they are not taken for
// a malformed body.
type spoolWriter struct{ w io.Writer }

func (s spoolWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &spoolError{err}
	}
	return n, err
}

// readPublishForm reads a publish request's multipart body, in any part
// order: source-archive (required, at most maxArchive bytes, copied to
// archive and hashed on the way), metadata, source-archive-signature and
// metadata-signature (each optional, at most once). Parts may carry a
// Content-Transfer-Encoding of binary, 8bit, 7bit, base64 or
// quoted-printable, which is undone; SwiftPM labels its metadata part
// quoted-printable but sends the JSON as it is, so a metadata part that
// is already valid JSON is taken as sent. Unknown parts are refused, so
// a misspelt part name is a clear error rather than ignored data.
func readPublishForm(mr *multipart.Reader, archive io.Writer, maxArchive int64) (*publishForm, error) {
	f := &publishForm{}
	seen := map[string]bool{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, badForm(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", mbe.Limit)
			}
			return nil, badForm(http.StatusBadRequest, "malformed multipart/form-data body: %v", err)
		}
		name := p.FormName()
		switch name {
		case partArchive, partArchiveSig, partMetadata, partMetadataSig:
		default:
			return nil, badForm(http.StatusBadRequest, "unexpected part %q: a release is published with the parts %s, %s, %s and %s", name, partArchive, partMetadata, partArchiveSig, partMetadataSig)
		}
		if seen[name] {
			return nil, badForm(http.StatusBadRequest, "the part %s appears more than once", name)
		}
		seen[name] = true
		cte := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
		switch name {
		case partArchive:
			body, err := decodeTransfer(p, cte)
			if err != nil {
				return nil, err
			}
			h := sha256.New()
			n, err := io.Copy(io.MultiWriter(spoolWriter{archive}, h), io.LimitReader(body, maxArchive+1))
			if err != nil {
				return nil, partErr(name, err)
			}
			if n > maxArchive {
				return nil, badForm(http.StatusRequestEntityTooLarge, "the source archive is larger than %d bytes", maxArchive)
			}
			if n == 0 {
				return nil, badForm(http.StatusUnprocessableEntity, "the source archive is empty")
			}
			f.archiveSize, f.archiveSHA256 = n, hex.EncodeToString(h.Sum(nil))
		case partMetadata:
			if !knownTransfer(cte) {
				return nil, badForm(http.StatusBadRequest, "unsupported Content-Transfer-Encoding %q", cte)
			}
			raw, err := readLimited(p, name, maxMetadataBytes)
			if err != nil {
				return nil, err
			}
			if !(cte == "quoted-printable" && json.Valid(raw)) {
				if raw, err = readLimited(mustDecode(bytes.NewReader(raw), cte), name, maxMetadataBytes); err != nil {
					return nil, err
				}
			}
			f.metadata = raw
		default:
			body, err := decodeTransfer(p, cte)
			if err != nil {
				return nil, err
			}
			sig, err := readLimited(body, name, maxSignatureSize)
			if err != nil {
				return nil, err
			}
			if len(sig) == 0 {
				return nil, badForm(http.StatusBadRequest, "the part %s is empty", name)
			}
			if name == partArchiveSig {
				f.archiveSignature = sig
			} else {
				f.metadataSignature = sig
			}
		}
	}
	switch {
	case !seen[partArchive]:
		return nil, badForm(http.StatusBadRequest, "the request has no %s part; publish with -F %s=@PACKAGE.zip", partArchive, partArchive)
	case seen[partMetadataSig] && !seen[partMetadata]:
		return nil, badForm(http.StatusBadRequest, "the request has a %s part but no %s part", partMetadataSig, partMetadata)
	}
	return f, nil
}

// knownTransfer reports whether cte is a Content-Transfer-Encoding the
// registry undoes.
func knownTransfer(cte string) bool {
	switch cte {
	case "", "binary", "8bit", "7bit", "base64", "quoted-printable":
		return true
	}
	return false
}

// decodeTransfer undoes a part's Content-Transfer-Encoding.
func decodeTransfer(r io.Reader, cte string) (io.Reader, error) {
	if !knownTransfer(cte) {
		return nil, badForm(http.StatusBadRequest, "unsupported Content-Transfer-Encoding %q", cte)
	}
	return mustDecode(r, cte), nil
}

// mustDecode wraps r in the decoder for a known transfer encoding.
func mustDecode(r io.Reader, cte string) io.Reader {
	switch cte {
	case "base64":
		// Line breaks are ignored by the decoder, as MIME wants.
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// readLimited reads a small part whole, refusing more than max bytes.
func readLimited(r io.Reader, name string, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, partErr(name, err)
	}
	if int64(len(b)) > max {
		return nil, badForm(http.StatusRequestEntityTooLarge, "the part %s is larger than %d bytes", name, max)
	}
	return b, nil
}

// partErr reports a failure while reading a part: a spool failure is the
// server's, anything else (a truncated body, bad base64) the request's.
func partErr(name string, err error) error {
	var se *spoolError
	if errors.As(err, &se) {
		return se
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return badForm(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", mbe.Limit)
	}
	return badForm(http.StatusBadRequest, "malformed or truncated part %s: %v", name, err)
}
