package apimodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// Types to bind into, each exercising one of encoding/json's rules.
type (
	bindRef struct {
		Domain      string `json:"domain"`
		DomainOwner string `json:"domainOwner"`
		Repository  string `json:"repository"`
		Format      string `json:"format"`
		Namespace   string `json:"namespace"`
		Package     string `json:"package"`
	}
	bindStatus string
	bindList   struct {
		bindRef
		Status     bindStatus `json:"status"`
		SortBy     string     `json:"sortBy"`
		MaxResults int        `json:"maxResults"`
		NextToken  string     `json:"nextToken"`
		OriginType string     `json:"originType"`
	}
	bindFolded struct { // no tags: names match members by case folding
		DOMAIN     string
		Package    string
		Maxresults int32
		Extra      string
		//lint:ignore U1000 only the binder meets it, and must leave it alone
		hidden string
	}
	bindSmallInt struct {
		MaxResults int8 `json:"maxResults"`
	}
	bindQuoted struct {
		MaxResults int `json:"maxResults,string"`
	}
	bindUpper  string
	bindCustom struct {
		Domain bindUpper `json:"domain"`
	}
	bindPointers struct {
		Domain     *string `json:"domain"`
		MaxResults *int    `json:"maxResults"`
	}
	bindAny struct {
		MaxResults any `json:"maxResults"`
	}
	bindDomainA struct{ Domain string }
	bindDomainB struct{ Domain string }
	bindDup     struct { // Domain twice at one depth: Unmarshal ignores both
		bindDomainA
		bindDomainB
		C string `json:"nextToken"`
	}
	bindEmbeddedPtr struct {
		*bindRef
		NextToken string `json:"nextToken"`
	}
	bindDash struct {
		Domain  string `json:"-"`
		Package string `json:"package"`
	}
	bindWrongKind struct {
		Domain     int    `json:"domain"`
		MaxResults string `json:"maxResults"`
	}
	bindUint struct {
		MaxResults uint `json:"maxResults"`
	}
	bindSelf struct {
		Domain string `json:"domain"`
	}
	bindOddTag struct {
		Domain string `json:"domain!"`
	}
	bindTagged struct {
		Ref       bindRef `json:"ref"`
		Package   string  `json:"package"`
		NextToken string  `json:"nextToken"`
	}
	bindToken struct {
		Domain   string `json:"domain"`
		Duration int64  `json:"durationSeconds"`
	}
	bindPreview struct {
		Preview    bool   `json:"preview"`
		MaxResults int16  `json:"maxResults"`
		Group      string `json:"packageGroup"`
	}
	bindBody struct {
		Domain     string   `json:"domain"`
		Versions   []string `json:"versions"`
		Expected   string   `json:"expectedStatus"`
		TargetStat string   `json:"targetStatus"`
	}
)

func (u *bindUpper) UnmarshalText(b []byte) error {
	*u = bindUpper(strings.ToUpper(string(b)))
	return nil
}

func (s *bindSelf) UnmarshalJSON(b []byte) error {
	s.Domain = "custom " + string(b)
	return nil
}

const listQry = pkgQry + "&namespace=ns&status=Published&sortBy=PUBLISHED_TIME&max-results=1000&next-token=a%2Bb&originType=INTERNAL"

func TestBindIsUnmarshal(t *testing.T) {
	tests := []struct {
		op, query, body string
		dst             func() any
		fast            bool // the fast path serves it
	}{
		{"ListPackageVersions", listQry, "", func() any { return new(bindList) }, true},
		{"ListPackageVersions", pkgQry, "", func() any { return new(bindList) }, true},
		{"ListPackageVersions", listQry, "", func() any { return new(bindFolded) }, true},
		{"ListPackageVersions", listQry, "", func() any { return new(bindSmallInt) }, false}, // 1000 overflows int8
		{"ListPackageVersions", pkgQry + "&max-results=100", "", func() any { return new(bindSmallInt) }, true},
		{"ListPackageVersions", pkgQry, "", func() any { return new(bindSmallInt) }, true}, // absent member
		{"ListPackageVersions", listQry, "", func() any { return new(bindQuoted) }, false},
		{"ListPackageVersions", pkgQry, "", func() any { return new(bindQuoted) }, true}, // the quoted field is not in the input
		{"ListPackageVersions", listQry, "", func() any { return new(bindCustom) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindPointers) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindAny) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindDup) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindEmbeddedPtr) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindDash) }, true},
		{"ListPackageVersions", listQry, "", func() any { return new(bindWrongKind) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindUint) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindSelf) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindOddTag) }, false},
		{"ListPackageVersions", listQry, "", func() any { return new(bindTagged) }, true},
		{"ListPackageVersions", listQry, "", func() any { return new(map[string]any) }, false},
		{"ListPackageVersions", listQry, "", func() any { return bindList{} }, false},       // not a pointer
		{"ListPackageVersions", listQry, "", func() any { return (*bindList)(nil) }, false}, // nil pointer
		{"GetAuthorizationToken", "domain=my-domain&duration=43200", "", func() any { return new(bindToken) }, true},
		{"GetAuthorizationToken", "domain=my-domain&duration=43200", "", func() any { return new(bindSmallInt) }, true},
		{"ListAssociatedPackages", "domain=my-domain&package-group=/npm/*&preview=true&max-results=20", "", func() any { return new(bindPreview) }, true},
		{"DescribePackageVersion", pkgQry + "&version=1.0%2B%3Cb%3E", "", func() any { return new(bindList) }, true},
		{"UpdatePackageVersionsStatus", pkgQry, `{"versions":["1.0","2.0"],"targetStatus":"Archived"}`, func() any { return new(bindBody) }, false},
		{"UpdatePackageVersionsStatus", pkgQry, `{"versions":["1.0","2.0"],"targetStatus":"Archived"}`, func() any { return new(bindRef) }, true}, // the list is not wanted
	}
	for i, tt := range tests {
		name := fmt.Sprintf("%d %s %T", i, tt.op, tt.dst())
		t.Run(name, func(t *testing.T) {
			op, r := newRequest(t, tt.op, tt.query, strings.NewReader(tt.body))
			in, err := op.DecodeInput(r, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, want := tt.dst(), tt.dst()
			gotErr := in.Bind(got)
			raw, _ := in.Raw()
			wantErr := json.Unmarshal(raw, want)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("Bind error %v, Unmarshal error %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Bind gave %+v\nUnmarshal  %+v", got, want)
			}
			if fast := fastBind(in, tt.dst()); fast != tt.fast {
				t.Errorf("fast path %v, want %v", fast, tt.fast)
			}
		})
	}
}

// fastBind reports whether Bind sets dst without json.Unmarshal.
func fastBind(in *Input, dst any) bool {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	b := in.op.binder(v.Type().Elem())
	return b != nil && b.set(in.vals, v.Elem())
}

func TestBindFastPathDoesNotAllocate(t *testing.T) {
	op, r := newRequest(t, "ListPackageVersions", listQry, nil)
	in, err := op.DecodeInput(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	var dst bindList
	if n := testing.AllocsPerRun(20, func() { dst = bindList{}; in.Bind(&dst) }); n != 0 {
		t.Errorf("Bind allocates %v times", n)
	}
	if in.raw != nil {
		t.Error("the fast path encoded the input")
	}
}

// mirrorType builds, for an operation, a struct with one field per input
// member typed as encoding/json would naturally decode it; fold names the
// fields in upper case and leaves the tags off, so only case folding
// matches them to members.
func mirrorType(op *Operation, fold bool) reflect.Type {
	var fields []reflect.StructField
	for _, m := range op.input.Members {
		if m.Payload {
			continue
		}
		var ft reflect.Type
		switch m.target.Type {
		case "string":
			ft = reflect.TypeFor[string]()
		case "integer":
			ft = reflect.TypeFor[int32]()
		case "long":
			ft = reflect.TypeFor[int64]()
		case "boolean":
			ft = reflect.TypeFor[bool]()
		case "list":
			ft = reflect.TypeFor[[]any]()
		default:
			ft = reflect.TypeFor[map[string]any]()
		}
		f := reflect.StructField{Name: "F" + string(unicode.ToUpper(rune(m.Name[0]))) + m.Name[1:], Type: ft, Tag: reflect.StructTag(`json:"` + m.Name + `"`)}
		if fold {
			f.Name, f.Tag = strings.ToUpper(m.Name), ""
		}
		fields = append(fields, f)
	}
	return reflect.StructOf(fields)
}

// FuzzBind: whatever Decode accepts, Bind sets exactly what json.Unmarshal
// of Decode's document sets, into structs mirroring the operation's input
// by tag and by folded name, and into a struct of mismatched kinds.
func FuzzBind(f *testing.F) {
	ops := Operations()
	index := map[string]uint8{}
	for i, op := range ops {
		index[op.Name] = uint8(i)
	}
	for _, s := range []struct{ op, query, body string }{
		{"DescribePackageVersion", pkgQry + "&version=1.0", ""},
		{"ListPackageVersions", listQry, ""},
		{"ListPackageVersions", pkgQry + "&max-results=1", ""},
		{"GetAuthorizationToken", "domain=my-domain&duration=900", ""},
		{"ListAssociatedPackages", "domain=my-domain&package-group=/npm/*&preview=false", ""},
		{"ListDomains", "", `{"maxResults":5,"nextToken":"tok"}`},
		{"UpdatePackageVersionsStatus", pkgQry, `{"versions":["1.0"],"versionRevisions":{"1.0":"r"},"targetStatus":"Archived"}`},
		{"CreateRepository", "domain=my-domain&repository=my-repo", `{"upstreams":[{"repositoryName":"up"}],"tags":[{"key":"k","value":"v"}]}`},
	} {
		f.Add(index[s.op], s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, i uint8, query string, body []byte) {
		op := ops[int(i)%len(ops)]
		r := &http.Request{
			Method:        op.Method,
			URL:           &url.URL{Path: op.Path, RawQuery: query},
			Header:        http.Header{},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		in, err := op.DecodeInput(r, 4096)
		if err != nil {
			return
		}
		raw, err := in.Raw()
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []reflect.Type{mirrorType(op, false), mirrorType(op, true), reflect.TypeFor[bindWrongKind](), reflect.TypeFor[bindList]()} {
			got, want := reflect.New(typ), reflect.New(typ)
			gotErr := in.Bind(got.Interface())
			wantErr := json.Unmarshal(raw, want.Interface())
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Fatalf("%s into %v: Bind %+v (%v), Unmarshal %+v (%v)", op.Name, typ, got.Elem(), gotErr, want.Elem(), wantErr)
			}
		}
	})
}

// A released input is reused clean: nothing of the previous request shows
// in the next one.
func TestReleasedInputsStartEmpty(t *testing.T) {
	for range 50 {
		op, r := newRequest(t, "ListPackageVersions", listQry, nil)
		in, err := op.DecodeInput(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Raw(); err != nil {
			t.Fatal(err)
		}
		in.Release()
		op, r = newRequest(t, "DescribeDomain", "domain=other", nil)
		in, err = op.DecodeInput(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if raw, _ := in.Raw(); string(raw) != `{"domain":"other"}` {
			t.Fatalf("reused input = %s", raw)
		}
		var dst bindList
		if err := in.Bind(&dst); err != nil || dst != (bindList{bindRef: bindRef{Domain: "other"}}) {
			t.Fatalf("reused input bound %+v, %v", dst, err)
		}
		in.Release()
	}
}
