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

// BenchmarkDecodeInputRead is the handler's cost for a read's input: the
// query decoded, validated and bound, the request built once.
func BenchmarkDecodeInputRead(b *testing.B) {
	op, _ := Lookup("GET", "/v1/package/version")
	r := httptest.NewRequest("GET", "/v1/package/version?"+pkgQry+"&namespace=ns&version=1.0.0000007", nil)
	var dst struct {
		Domain, DomainOwner, Repository, Format, Namespace, Package, PackageVersion string
	}
	b.ReportAllocs()
	for b.Loop() {
		in, err := op.DecodeInput(r, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Bind(&dst); err != nil {
			b.Fatal(err)
		}
	}
}
