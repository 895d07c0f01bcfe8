package apimodel

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

func BenchmarkDecodePolicy(b *testing.B) {
	doc, _ := json.Marshal(strings.Repeat(`{"Effect":"Allow","Principal":"*"} é `, 7000/40))
	body := `{"domain":"my-domain","policyDocument":` + string(doc) + `}`
	op, _ := Lookup("PUT", "/v1/domain/permissions/policy")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("PUT", "/v1/domain/permissions/policy", strings.NewReader(body))
		if _, err := op.Decode(r, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeQuery(b *testing.B) {
	op, _ := Lookup("POST", "/v1/package/versions")
	target := "/v1/package/versions?" + pkgQry + "&max-results=100&status=Published"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := op.Decode(httptest.NewRequest("POST", target, nil), 0); err != nil {
			b.Fatal(err)
		}
	}
}
