package swift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/archive"
	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// signatureFormat is the only signature format SwiftPM knows (SE-0391).
const signatureFormat = "cms-1.0.0"

// publish creates a release (Registry.md 4.6) synchronously: 201 with
// its Location once the release is stored, or a problem and nothing
// stored. The source archive is spooled to a temporary file, because a
// zip is read from its end, and checked before anything is published.
func (h *handler) publish(w http.ResponseWriter, r *http.Request, req *endpoint.Request, rt route) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		writeProblem(w, http.StatusUnsupportedMediaType, "a release is published as multipart/form-data with a source-archive part")
		return
	}
	ref := req.Repo.Package(model.FormatSwift, rt.scope, rt.name)
	// Before reading the body, so a client sending Expect: 100-continue
	// is not asked for an upload that cannot succeed. Publish checks again
	// (any status, and concurrent publishes) in its transaction.
	if _, err := h.svc.ViewVersion(r.Context(), req.Caller, ref, rt.version, service.ViewOptions{}); err == nil {
		writeProblem(w, http.StatusConflict, "a release with version "+rt.version+" of "+rt.scope+"."+rt.name+" already exists")
		return
	}
	spool, err := os.CreateTemp(h.opts.SpoolDir, "wharf-swift-*.zip")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxArchiveBytes+maxMetadataBytes+2*maxSignatureSize+1<<20)
	form, err := readPublishForm(multipart.NewReader(body, params["boundary"]), spool, h.opts.MaxArchiveBytes)
	if err != nil {
		h.refuseUpload(w, r, err)
		return
	}
	sig, err := checkSignatures(form, r.Header.Get("X-Swift-Package-Signature-Format"))
	if err != nil {
		h.refuseUpload(w, r, err)
		return
	}
	meta, err := parseReleaseMetadata(form.metadata)
	if err != nil {
		h.refuseUpload(w, r, err)
		return
	}
	src, err := checkSourceArchive(spool, form.archiveSize)
	if err != nil {
		h.refuseUpload(w, r, err)
		return
	}
	doc := releaseDoc{Metadata: meta.doc, Checksum: form.archiveSHA256, Signing: sig, ToolsVersion: src.manifest.toolsVersion}
	if form.metadataSignature != nil {
		doc.MetadataSignature = base64.StdEncoding.EncodeToString(form.metadataSignature)
	}
	assets := []service.Upload{
		{Name: archiveAsset(rt.name, rt.version), Body: io.NewSectionReader(spool, 0, form.archiveSize), SHA256: form.archiveSHA256},
		{Name: manifestName, Body: bytes.NewReader(src.manifest.content)},
	}
	for _, m := range src.alternate {
		doc.Manifests = append(doc.Manifests, manifestRef{Filename: m.filename, SwiftVersion: m.swiftVersion, ToolsVersion: m.toolsVersion})
		assets = append(assets, service.Upload{Name: m.filename, Body: bytes.NewReader(m.content)})
	}
	docJSON, err := json.Marshal(doc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.svc.Publish(r.Context(), req.Caller, service.PublishRequest{
		Ref: ref, Version: rt.version, Assets: assets, RefuseExisting: true,
		Metadata: versionMetadata(rt.name, meta, docJSON),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", releaseURL(req, rt.scope, rt.name, rt.version))
	w.WriteHeader(http.StatusCreated)
}

// checkSignatures applies SE-0391's rules to a publish: a signed archive
// names its signature format, which must be one SwiftPM knows, and signs
// its metadata too when it has any; a metadata signature comes only with
// a signed archive.
func checkSignatures(f *publishForm, format string) (*signing, error) {
	switch {
	case f.archiveSignature == nil && f.metadataSignature != nil:
		return nil, badForm(http.StatusBadRequest, "a metadata-signature needs a signed source archive (source-archive-signature)")
	case f.archiveSignature == nil:
		return nil, nil
	case format == "":
		return nil, badForm(http.StatusBadRequest, "a signed source archive needs the X-Swift-Package-Signature-Format header")
	case format != signatureFormat:
		return nil, badForm(http.StatusUnprocessableEntity, "unsupported signature format %q; SwiftPM verifies %s", format, signatureFormat)
	case f.metadata != nil && f.metadataSignature == nil:
		return nil, badForm(http.StatusBadRequest, "a signed release signs its metadata too: add a metadata-signature part")
	}
	return &signing{SignatureBase64Encoded: base64.StdEncoding.EncodeToString(f.archiveSignature), SignatureFormat: format}, nil
}

// refuseUpload answers a refused upload: the request's faults as 4xx
// problems, the server's as a logged 500.
func (h *handler) refuseUpload(w http.ResponseWriter, r *http.Request, err error) {
	var fe *formError
	var ae *archiveError
	var me *metadataError
	switch {
	case errors.As(err, &fe):
		writeProblem(w, fe.status, fe.msg)
	case errors.As(err, &ae), errors.As(err, &me):
		writeProblem(w, http.StatusUnprocessableEntity, err.Error())
	case archive.IsRefusal(err):
		writeProblem(w, http.StatusUnprocessableEntity, "the source archive is not a valid zip archive: "+err.Error())
	default:
		h.fail(w, r, err)
	}
}
