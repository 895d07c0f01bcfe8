package apimodel

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// Invalid UTF-8 is refused wherever it travels: encoding/json would
// otherwise replace it with U+FFFD and the service would store a name the
// client never sent.
func TestDecodeInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, op, query, body, msg string
		headers                    []string
	}{
		{name: "query value", op: "DescribePackage", query: "domain=my-domain&repository=my-repo&format=npm&package=%FF%FE",
			msg: "Cannot parse querystring package: invalid UTF-8"},
		{name: "truncated sequence in query", op: "PublishPackageVersion",
			query: "domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=p&version=1&asset=a%C3%28",
			msg:   "Cannot parse querystring asset: invalid UTF-8", headers: []string{"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{name: "body string", op: "DeletePackageVersions", query: pkgQry, body: "{\"versions\":[\"1.0\xff\"]}",
			msg: "Cannot parse request body: invalid UTF-8"},
		{name: "header", op: "PublishPackageVersion",
			query: "domain=my-domain&repository=my-repo&format=generic&namespace=ns&package=p&version=1&asset=a",
			msg:   "Cannot parse header x-amz-content-sha256: invalid UTF-8", headers: []string{"x-amz-content-sha256", "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.op, tt.query, tt.body, tt.headers...)
			wantModelError(t, err, model.ReasonCannotParse, tt.msg)
		})
	}
}
