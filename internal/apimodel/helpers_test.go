package apimodel

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// newRequest builds a request for the named operation; target is the
// query string (without '?'), headers alternate name and value.
func newRequest(t testing.TB, opName, query string, body io.Reader, headers ...string) (*Operation, *http.Request) {
	t.Helper()
	var op *Operation
	for _, o := range Operations() {
		if o.Name == opName {
			op = o
		}
	}
	if op == nil {
		t.Fatalf("no operation %s", opName)
	}
	target := op.Path
	if query != "" {
		target += "?" + query
	}
	r := httptest.NewRequest(op.Method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return op, r
}

func decode(t testing.TB, opName, query, body string, headers ...string) (string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	op, r := newRequest(t, opName, query, rd, headers...)
	out, err := op.Decode(r, 0)
	return string(out), err
}

// wantModelError asserts err is a ValidationException with reason and
// message.
func wantModelError(t testing.TB, err error, reason, msg string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("error = %v (%T), want *model.Error", err, err)
	}
	if me.Kind != model.KindValidation || me.Reason != reason || me.Message != msg {
		t.Fatalf("error = %s/%s %q\nwant      %s/%s %q", me.Kind, me.Reason, me.Message, model.KindValidation, reason, msg)
	}
}
