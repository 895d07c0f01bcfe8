package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// writeVerifiedError answers an error for a request whose signature was
// accepted. When the SDKs will retry the answer (throttling, server
// errors), the signature is released from the replay cache first:
// botocore signs its retry within the same second identically, and it
// must not be refused as a replay.
func (h *Handler) writeVerifiedError(w http.ResponseWriter, r *http.Request, id sigv4.Identity, err error) {
	if retried(err) {
		h.verifier.Release(id)
	}
	writeError(w, r, h.log, err)
}

// retried reports whether the SDKs retry the answer to err.
func retried(err error) bool {
	var se *sigv4.Error
	if errors.As(err, &se) {
		// RequestTimeoutException is on the SDKs' retryable list.
		return se.Status >= 500 || se.Status == http.StatusRequestTimeout
	}
	var me *model.Error
	if errors.As(err, &me) {
		return me.Kind == model.KindThrottling || me.Kind == model.KindInternal
	}
	return true // answered as InternalServerException
}

// bodyError turns what went wrong with the body while reading it (to
// decode JSON or to store an asset) into the answer it calls for: a body
// that did not match its signed hash is a signature refusal; one that
// stopped arriving (package deadline) is the client's timeout, which the
// SDKs retry, not an internal error.
func bodyError(err error) error {
	switch {
	case errors.Is(err, sigv4.ErrBodyHashMismatch):
		return &sigv4.Error{Code: "InvalidSignatureException", Status: http.StatusForbidden, Message: "The request body does not match its signed payload hash."}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &sigv4.Error{Code: "RequestTimeoutException", Status: http.StatusRequestTimeout, Message: "The request body stopped arriving for longer than the server waits."}
	}
	return err
}

// tagOps are the operations whose input sets or removes tags, which IAM
// conditions see as aws:RequestTag/KEY and aws:TagKeys.
var tagOps = map[string]bool{
	"CreateDomain": true, "CreateRepository": true, "CreatePackageGroup": true,
	"TagResource": true, "UntagResource": true,
}

// withRequestTags adds the request's tags to the request information in
// ctx, for the operations that carry tags.
func withRequestTags(ctx context.Context, op string, in json.RawMessage) context.Context {
	if !tagOps[op] {
		return ctx
	}
	var t struct {
		Tags []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"tags"`
		TagKeys []string `json:"tagKeys"`
	}
	if json.Unmarshal(in, &t) != nil || len(t.Tags)+len(t.TagKeys) == 0 {
		return ctx
	}
	ri := service.RequestInfoFrom(ctx)
	ri.RequestTags = make(map[string]string, len(t.Tags))
	ri.TagKeys = t.TagKeys
	for _, tag := range t.Tags {
		ri.RequestTags[tag.Key] = tag.Value
		ri.TagKeys = append(ri.TagKeys, tag.Key)
	}
	return service.WithRequestInfo(ctx, ri)
}
