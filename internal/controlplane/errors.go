package controlplane

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// errorBody is AWS's rest-json error document. __type and the
// X-Amzn-ErrorType header both carry the code, so botocore and
// aws-sdk-go-v2 decode it whichever they read first.
type errorBody struct {
	Type         string `json:"__type"`
	Message      string `json:"message"`
	Reason       string `json:"reason,omitempty"`
	ResourceID   string `json:"resourceId,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
}

func writeJSONError(w http.ResponseWriter, status int, code string, body errorBody) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", code)
	body.Type = code
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// writeError answers err in AWS's error shape. Errors that are not a
// CodeArtifact exception are logged and reported as InternalServer without
// their text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		writeJSONError(w, se.Status, se.Code, errorBody{Message: se.Message})
		return
	}
	var me *model.Error
	if !errors.As(err, &me) {
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	e := model.AsError(err)
	if e.Kind == model.KindThrottling && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	writeJSONError(w, e.Kind.Status(), string(e.Kind), errorBody{Message: e.Message, Reason: e.Reason, ResourceID: e.ResourceID, ResourceType: e.ResourceType})
}

// errorCode is the code and message err is answered with, for the audit
// record; an internal error's text is not shown there either.
func errorCode(err error) (string, string) {
	if err == nil {
		return "", ""
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.Code, se.Message
	}
	e := model.AsError(err)
	return string(e.Kind), e.Message
}
