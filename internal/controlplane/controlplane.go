// Package controlplane serves the CodeArtifact API over rest-json: it
// authenticates each request with SigV4, decodes and validates it against
// the service model (internal/apimodel), dispatches to the service layer
// through one table of operations, and encodes results and errors as the
// AWS SDKs expect.
package controlplane

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/apimodel"
	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/deadline"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

// Identities maps access keys to their secret and principal.
type Identities interface {
	LookupKey(ctx context.Context, accessKeyID string) (secret string, c service.Caller, err error)
}

// maxJSONBody bounds control-plane JSON bodies. The service model
// bounds most operations' bodies well under it; for the few it leaves
// unbounded (versionRevisions, upstreams), a megabyte holds far more than
// CodeArtifact's own limits allow.
const maxJSONBody = 1 << 20

// emptyBody is what may be sent to an operation whose input has no JSON
// body: an empty object and some white space.
const emptyBody = 64

// DefaultPreAuthBodyTime is how long reading a body before its signature
// is checked may take, whatever its progress: at most maxJSONBody, so a
// client must send at 50 KiB/s. (Package deadline bounds every read and
// write by progress; this caps the unauthenticated read outright.)
const DefaultPreAuthBodyTime = 20 * time.Second

// preAuthLimit is the most of a body read before the request is
// authenticated: what the operation's input can carry under the service
// model (apimodel.Operation.MaxBodyBytes), within maxJSONBody. A body
// whose hash is signed in X-Amz-Content-Sha256 (PublishPackageVersion's
// asset) is not read before the check at all.
func preAuthLimit(op *apimodel.Operation) int64 {
	n := op.MaxBodyBytes()
	if n < 0 || n > maxJSONBody {
		n = maxJSONBody
	}
	return max(n, emptyBody)
}

// Handler serves the control plane.
type Handler struct {
	svc      *service.Service
	ids      Identities
	verifier *sigv4.Verifier
	log      *slog.Logger
	ops      map[string]operation // by operation name
	throttle func(account, operation string) error
	audit    *audit.Trail
	// preAuthBodyTime is Options.PreAuthBodyTime.
	preAuthBodyTime time.Duration
}

// opFunc runs one operation on decoded input and writes the response.
type opFunc func(ctx context.Context, c service.Caller, in *apimodel.Input, w http.ResponseWriter, r *http.Request) error

// operation is one entry of the table: its implementation and the type
// its input is bound into, which tests check Bind against.
type operation struct {
	serve opFunc
	input reflect.Type
}

// Options configure the handler.
type Options struct {
	// Region is the server's region: a signature scoped to another is
	// refused, as by AWS. Empty accepts any.
	Region  string
	MaxSkew time.Duration
	Now     func() time.Time
	Replay  sigv4.ReplayCache
	Logger  *slog.Logger
	// Throttle, when set, admits or refuses (with a ThrottlingException)
	// each authenticated request before it is decoded.
	Throttle func(account, operation string) error
	// Audit, when set, records every authenticated call.
	Audit *audit.Trail
	// PreAuthBodyTime caps reading a body before the request is
	// authenticated, under deadline.Middleware (0: the default).
	PreAuthBodyTime time.Duration
}

// New builds the control-plane handler.
func New(svc *service.Service, ids Identities, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PreAuthBodyTime <= 0 {
		opt.PreAuthBodyTime = DefaultPreAuthBodyTime
	}
	h := &Handler{svc: svc, ids: ids, log: opt.Logger, throttle: opt.Throttle, audit: opt.Audit, preAuthBodyTime: opt.PreAuthBodyTime}
	h.verifier = &sigv4.Verifier{
		Service: "codeartifact",
		Lookup: func(ctx context.Context, akid string) (string, error) {
			secret, _, err := ids.LookupKey(ctx, akid)
			return secret, err
		},
		Region:  opt.Region,
		MaxSkew: opt.MaxSkew,
		Now:     opt.Now,
		Replay:  opt.Replay,
	}
	h.ops = h.table()
	return h
}

// Routes registers every operation's method and path on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	for _, op := range apimodel.Operations() {
		mux.Handle(op.Method+" "+op.Path, h)
	}
}

// requestID is a random UUID-shaped id, built in place: one allocation.
// It only tells requests apart in logs and client reports, so the
// runtime's fast generator (seeded from the system's entropy) serves, not
// a read from the system's per request.
func requestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Header keys in canonical form, assigned directly so that no request
// pays for canonicalizing them; the names on the wire are what Set would
// have sent.
const (
	hdrRequestID     = "X-Amzn-Requestid" // http.CanonicalHeaderKey("X-Amzn-RequestId")
	hdrContentType   = "Content-Type"
	hdrContentLength = "Content-Length"
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()[hdrRequestID] = []string{requestID()}
	op, err := apimodel.Lookup(r.Method, r.URL.Path)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	metrics.Report(w, op.Name, "")
	lift := deadline.Cap(r, time.Now().Add(h.preAuthBodyTime))
	id, err := h.verifier.VerifyWithin(r, preAuthLimit(op))
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	// Authenticated: a streamed asset takes as long as it keeps coming.
	lift()
	// A body read to check the signature goes back to the verifier's
	// pool once the request is served.
	defer r.Body.Close()
	_, caller, err := h.ids.LookupKey(r.Context(), id.AccessKeyID)
	if err != nil {
		writeError(w, r, h.log, err)
		return
	}
	metrics.Report(w, "", caller.Account)
	// Every authenticated call is audited from here, whatever its outcome.
	var call *audit.Call
	if h.audit != nil {
		var ctx context.Context
		ctx, call = h.audit.Begin(r.Context(), op.Name, caller, audit.Request{
			RequestID: w.Header()[hdrRequestID][0], SourceIP: service.RequestInfoFrom(r.Context()).SourceIP, UserAgent: r.UserAgent()})
		r = r.WithContext(ctx)
	}
	err = h.dispatch(w, r, op, caller, call)
	if err != nil {
		err = bodyError(err)
		h.writeVerifiedError(w, r, id, err)
	}
	if call != nil {
		code, msg := errorCode(err)
		h.audit.Finish(r.Context(), call, code, msg)
	}
}

// dispatch throttles, decodes and runs an authenticated request; the
// error it returns is the answer.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, op *apimodel.Operation, caller service.Caller, call *audit.Call) error {
	if h.throttle != nil {
		if err := h.throttle(caller.Account, op.Name); err != nil {
			return err
		}
	}
	in, err := op.DecodeInput(r, maxJSONBody)
	if err != nil {
		return err
	}
	defer in.Release() // operations keep nothing of it past their return
	fn := h.ops[op.Name].serve
	if fn == nil {
		return &model.Error{Kind: model.KindValidation, Reason: model.ReasonUnknownOperation,
			Message: "Operation " + op.Name + " is not available on this server yet."}
	}
	ctx := r.Context()
	if tagOps[op.Name] || call != nil {
		raw, err := in.Raw()
		if err != nil {
			return err
		}
		if tagOps[op.Name] {
			ctx = withRequestTags(ctx, op.Name, raw)
		}
		if call != nil {
			call.SetParameters(raw)
		}
	}
	return fn(ctx, caller, in, w, r)
}

// jsonContentType is shared by every answer: net/http only reads it.
var jsonContentType = []string{"application/json"}

// writeJSON answers v as encoding/json would marshal it, from a pooled
// buffer and with its Content-Length, so that a large answer goes out in
// one write rather than in chunks.
func writeJSON(w http.ResponseWriter, v any) error {
	buf := getBuffer()
	defer putBuffer(buf)
	b, err := appendJSON((*buf)[:0], v)
	*buf = b
	if err != nil {
		return err
	}
	hd := w.Header()
	hd[hdrContentType] = jsonContentType
	hd[hdrContentLength] = []string{strconv.Itoa(len(b))}
	_, err = w.Write(b)
	return err
}

// call adapts a service method to an operation: bind input, run, encode.
func call[In, Out any](fn func(context.Context, service.Caller, In) (*Out, error)) operation {
	return operation{input: reflect.TypeFor[In](), serve: func(ctx context.Context, c service.Caller, input *apimodel.Input, w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := input.Bind(&in); err != nil {
			return model.InvalidParameter("Cannot parse request: %v", err)
		}
		out, err := fn(ctx, c, in)
		if err != nil {
			return err
		}
		return writeJSON(w, out)
	}}
}
