package controlplane

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/deadline"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/retention"
	"github.com/wharf-dev/wharf/internal/retention/job"
	"github.com/wharf-dev/wharf/internal/service"
)

// RetentionPrefix is where Wharf's own retention API lives: a path no
// CodeArtifact operation uses. Requests are SigV4-signed as for the
// CodeArtifact API, with JSON bodies, and authorized with the IAM actions
// wharf:PutRetentionRule, wharf:GetRetentionRule,
// wharf:ListRetentionRules, wharf:DeleteRetentionRule,
// wharf:EvaluateRetentionRule and wharf:RunRetentionRule on the domain.
const RetentionPrefix = WharfPrefix + "retention-rules"

// RetentionRoutes registers the retention API on mux, served by rules.
//
//	PUT    /wharf/v1/retention-rules?domain=D              body: the rule
//	GET    /wharf/v1/retention-rules?domain=D              {"rules": [...]}
//	GET    /wharf/v1/retention-rules/NAME?domain=D
//	DELETE /wharf/v1/retention-rules/NAME?domain=D
//	POST   /wharf/v1/retention-rules/NAME/dry-run?domain=D {"versions": [...], "summary": {...}}
//	POST   /wharf/v1/retention-rules/NAME/run?domain=D[&batch-size=N]
//
// Every request takes domain-owner as CodeArtifact's do.
func (h *Handler) RetentionRoutes(mux *http.ServeMux, rules *job.Runner) {
	route := func(pattern, op string, fn wharfHandler) { h.wharfRoute(mux, pattern, op, fn) }
	route("PUT "+RetentionPrefix, "PutRetentionRule", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return model.InvalidParameter("The rule is larger than %d bytes.", maxJSONBody)
			}
			return err
		}
		var rule retention.Rule
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rule); err != nil {
			return model.InvalidParameter("Cannot parse the rule: %v", err)
		}
		info, err := rules.PutRule(ctx, c, owner, domain, rule)
		if err != nil {
			return err
		}
		return writeJSON(w, info)
	})
	route("GET "+RetentionPrefix, "ListRetentionRules", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		list, err := rules.ListRules(ctx, c, owner, domain)
		if err != nil {
			return err
		}
		return writeJSON(w, map[string]any{"rules": list})
	})
	route("GET "+RetentionPrefix+"/{name}", "GetRetentionRule", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		info, err := rules.GetRule(ctx, c, owner, domain, r.PathValue("name"))
		if err != nil {
			return err
		}
		return writeJSON(w, info)
	})
	route("DELETE "+RetentionPrefix+"/{name}", "DeleteRetentionRule", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		if err := rules.DeleteRule(ctx, c, owner, domain, r.PathValue("name")); err != nil {
			return err
		}
		return writeJSON(w, struct{}{})
	})
	route("POST "+RetentionPrefix+"/{name}/dry-run", "EvaluateRetentionRule", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		// The list is streamed: a rule over a large repository selects
		// more versions than an answer should hold in memory. Nothing is
		// written before the first version, so refusals keep their shape.
		var bw *bufio.Writer
		start := func() {
			if bw == nil {
				w.Header()[hdrContentType] = jsonContentType
				bw = bufio.NewWriterSize(w, 32<<10)
				bw.WriteString(`{"versions":[`)
			}
		}
		n := 0
		sum, err := rules.DryRun(ctx, c, owner, domain, r.PathValue("name"), func(it job.Item) error {
			start()
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			_, err = bw.Write(b)
			return err
		})
		if err != nil {
			if bw != nil {
				// Too late for an error answer: cut the document short so
				// the client cannot take it for a complete one.
				bw.Flush()
				panic(http.ErrAbortHandler)
			}
			return err
		}
		start()
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		bw.WriteString(`],"summary":`)
		bw.Write(b)
		bw.WriteString("}\n")
		return bw.Flush()
	})
	route("POST "+RetentionPrefix+"/{name}/run", "RunRetentionRule", func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error {
		batch := 0
		if s := r.URL.Query().Get("batch-size"); s != "" {
			var err error
			if batch, err = strconv.Atoi(s); err != nil || batch < 1 {
				return model.InvalidParameter("batch-size must be between 1 and %d.", model.MaxBatchVersions)
			}
		}
		st, err := rules.Run(ctx, c, owner, domain, r.PathValue("name"), batch)
		if err != nil {
			return err
		}
		return writeJSON(w, st)
	})
}

// wharfHandler serves one operation of Wharf's own API for an
// authenticated caller; owner and domain are the query's domain-owner
// and domain.
type wharfHandler func(ctx context.Context, c service.Caller, owner, domain string, w http.ResponseWriter, r *http.Request) error

// wharfRoute registers one operation of Wharf's own API: SigV4 as for
// the CodeArtifact API, the same throttle, errors in AWS's shape.
func (h *Handler) wharfRoute(mux *http.ServeMux, pattern, op string, fn wharfHandler) {
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[hdrRequestID] = []string{requestID()}
		// Bounded before authentication as the CodeArtifact API is: a rule
		// is a small JSON document, and the read is capped in time.
		lift := deadline.Cap(r, time.Now().Add(h.preAuthBodyTime))
		id, err := h.verifier.VerifyWithin(r, maxJSONBody)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		lift()
		defer r.Body.Close()
		_, caller, err := h.ids.LookupKey(r.Context(), id.AccessKeyID)
		if err != nil {
			writeError(w, r, h.log, err)
			return
		}
		if h.throttle != nil {
			if err := h.throttle(caller.Account, op); err != nil {
				h.writeVerifiedError(w, r, id, err)
				return
			}
		}
		q := r.URL.Query()
		if err := fn(r.Context(), caller, q.Get("domain-owner"), q.Get("domain"), w, r); err != nil {
			h.writeVerifiedError(w, r, id, bodyError(err))
		}
	}))
}
