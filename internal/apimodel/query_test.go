package apimodel

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// checkScan compares queryScan with url.ParseQuery for op's parameters:
// the same error, and the same first value of each.
func checkScan(t *testing.T, op *Operation, raw string) (scanned bool) {
	t.Helper()
	var qs queryScan
	if !qs.scannable(op, raw) {
		return false
	}
	err := qs.scan(op, raw)
	want, wantErr := url.ParseQuery(raw)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s %q: scan error %v, ParseQuery error %v", op.Name, raw, err, wantErr)
	}
	if err != nil {
		return true
	}
	for i, m := range op.query {
		vs := want[m.LocationName]
		if qs.found[i] != (len(vs) > 0) || (qs.found[i] && qs.first[i] != vs[0]) {
			t.Fatalf("%s %q: %s = %q (%v), ParseQuery %q", op.Name, raw, m.LocationName, qs.first[i], qs.found[i], vs)
		}
	}
	return true
}

func TestQueryScanIsParseQuery(t *testing.T) {
	op, _ := Lookup("POST", "/v1/package/versions")
	tests := []struct {
		raw     string
		scanned bool
	}{
		{"", true},
		{listQry, true},
		{"domain=a&domain=b&&=x&domain-owner&repository=", true},
		{"next-token=a%2Bb+c%3D&namespace=%40scope&package=%E6%97%A5", true},
		{"domain=%zz&package=%", true},            // the first bad escape is the error
		{"package=%&domain=%zz", true},            // in query order
		{"%zz=1&domain=d", true},                  // in a key too
		{"domain=d&unknown=%41%4", true},          // in a parameter nobody reads
		{"domain=%FF&package=%c3%28", true},       // unescapes to invalid UTF-8, as ParseQuery does
		{"domain=a;b", false},                     // ';' is ParseQuery's to refuse
		{"domain=%zz&x=1;2", false},               // even after an earlier error
		{strings.Repeat("x=1&", 100) + "", false}, // many parameters: its limit applies
		{"DOMAIN=upper&Domain=mixed&domain=lower", true},
	}
	for _, tt := range tests {
		if got := checkScan(t, op, tt.raw); got != tt.scanned {
			t.Errorf("%q: scanned %v, want %v", tt.raw, got, tt.scanned)
		}
	}
}

// FuzzQueryScan: wherever queryScan is used it finds what url.ParseQuery
// finds, error included.
func FuzzQueryScan(f *testing.F) {
	for _, s := range []string{listQry, pkgQry + "&version=1.0%2Bb", "domain=%zz", "a=%&b=%zz", "domain=x&domain=y", "&&=&domain"} {
		f.Add(uint8(0), s)
	}
	ops := Operations()
	f.Fuzz(func(t *testing.T, i uint8, raw string) {
		checkScan(t, ops[int(i)%len(ops)], raw)
	})
}
