package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/sigv4"
)

func TestWithRequestTags(t *testing.T) {
	base := service.WithRequestInfo(context.Background(), service.RequestInfo{SourceIP: "10.0.0.1"})
	tests := []struct {
		op, in  string
		tags    map[string]string
		tagKeys []string
	}{
		{"CreateDomain", `{"domain":"d","tags":[{"key":"team","value":"core"},{"key":"env","value":""}]}`,
			map[string]string{"team": "core", "env": ""}, []string{"team", "env"}},
		{"CreateRepository", `{"domain":"d","repository":"r"}`, nil, nil},
		{"UntagResource", `{"resourceArn":"arn","tagKeys":["a","b"]}`, nil, []string{"a", "b"}},
		// Only operations that carry tags are looked at.
		{"DescribeDomain", `{"tags":[{"key":"k","value":"v"}]}`, nil, nil},
	}
	for _, tt := range tests {
		ri := service.RequestInfoFrom(withRequestTags(base, tt.op, json.RawMessage(tt.in)))
		if ri.SourceIP != "10.0.0.1" {
			t.Errorf("%s: lost the source address", tt.op)
		}
		if fmt.Sprint(ri.RequestTags) != fmt.Sprint(tt.tags) && !(len(ri.RequestTags) == 0 && len(tt.tags) == 0) {
			t.Errorf("%s: RequestTags %v, want %v", tt.op, ri.RequestTags, tt.tags)
		}
		if !slices.Equal(ri.TagKeys, tt.tagKeys) {
			t.Errorf("%s: TagKeys %v, want %v", tt.op, ri.TagKeys, tt.tagKeys)
		}
	}
}

func TestRetried(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&model.Error{Kind: model.KindThrottling}, true},
		{fmt.Errorf("wrapped: %w", &model.Error{Kind: model.KindThrottling}), true},
		{&model.Error{Kind: model.KindInternal}, true},
		{errors.New("disk on fire"), true},
		{&model.Error{Kind: model.KindAccessDenied}, false},
		{&model.Error{Kind: model.KindConflict}, false},
		{&model.Error{Kind: model.KindValidation}, false},
		{&sigv4.Error{Code: "InvalidSignatureException", Status: 403}, false},
		{&sigv4.Error{Code: "InternalFailure", Status: 500}, true},
	}
	for _, tt := range tests {
		if got := retried(tt.err); got != tt.want {
			t.Errorf("retried(%v) = %v", tt.err, got)
		}
	}
}

// A body that fails its signed hash while being decoded is a signature
// refusal (403), and one that stopped arriving a timeout (408), not
// internal errors.
func TestBodyHashError(t *testing.T) {
	err := bodyError(fmt.Errorf("read body: %w", sigv4.ErrBodyHashMismatch))
	var se *sigv4.Error
	if !errors.As(err, &se) || se.Status != 403 || se.Code != "InvalidSignatureException" {
		t.Errorf("got %v", err)
	}
	err = bodyError(fmt.Errorf("store asset: %w", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}))
	if !errors.As(err, &se) || se.Status != http.StatusRequestTimeout || se.Code != "RequestTimeoutException" {
		t.Errorf("a body that stopped arriving: %v", err)
	}
	other := errors.New("x")
	if bodyError(other) != other {
		t.Error("other errors must pass through")
	}
}
