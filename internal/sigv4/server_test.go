package sigv4

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// testService is a stand-in for Wharf's control plane: it runs Verify on
// every request, reads the body to EOF as a real handler must, and answers
// "{}" or an error in AWS's JSON shape.
type testService struct {
	v *Verifier

	// failFirst lists paths whose first attempt (per amz-sdk-invocation-id)
	// is answered with a retryable 500 after verifying, and whether the
	// handler then calls Verifier.Release.
	failFirst map[string]bool

	mu       sync.Mutex
	attempts map[string]int // by invocation id
	signed   map[string]string
	refusals []string
}

// newTestService starts the service; failFirst is fixed from then on.
func newTestService(t *testing.T, v *Verifier, failFirst map[string]bool) (*testService, *httptest.Server) {
	s := &testService{v: v, failFirst: failFirst, attempts: map[string]int{}, signed: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *testService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.signed[r.Method+" "+r.URL.Path] = signedHeadersOf(r) + queryOr(r, "X-Amz-SignedHeaders")
	s.mu.Unlock()

	id, err := s.v.Verify(r)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		if errors.Is(err, ErrBodyHashMismatch) {
			err = &Error{Code: CodeValidation, Status: http.StatusBadRequest, Message: "The asset's SHA-256 does not match its content."}
		}
		s.refuse(w, r, err)
		return
	}

	inv := r.Header.Get("Amz-Sdk-Invocation-Id")
	s.mu.Lock()
	s.attempts[inv]++
	first := s.attempts[inv] == 1
	release, fail := s.failFirst[r.URL.Path]
	s.mu.Unlock()
	if fail && first {
		if release {
			s.v.Release(id)
		}
		writeAWSError(w, &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Message: "try again"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}

func (s *testService) refuse(w http.ResponseWriter, r *http.Request, err error) {
	s.mu.Lock()
	s.refusals = append(s.refusals, r.Method+" "+r.URL.Path+": "+err.Error())
	s.mu.Unlock()
	writeAWSError(w, err)
}

func queryOr(r *http.Request, k string) string { return r.URL.Query().Get(k) }

func writeAWSError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeInternal, Status: 500, Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

func (s *testService) attemptCounts() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n []int
	for _, c := range s.attempts {
		n = append(n, c)
	}
	return n
}

func (s *testService) logSigned(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.signed {
		t.Logf("signed %-45s %s", k, v)
	}
	if len(s.refusals) > 0 {
		t.Logf("refusals:\n  %s", strings.Join(s.refusals, "\n  "))
	}
}
