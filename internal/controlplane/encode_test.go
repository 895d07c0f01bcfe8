package controlplane

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// oddStrings are the strings whose encoding differs from their bytes.
var oddStrings = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rret\bbs\fff",
	"\x00\x01\x1f\x7f", "é and 日本 and 🐳", "\u2028 line \u2029 para", "bad \xff byte", "cut \xe6\x97",
	"surrogate \xed\xa0\x80", "overlong \xc0\xaf", "\xff", "trailing \xc3",
}

func ts(t time.Time) *service.Timestamp { v := service.Timestamp(t); return &v }

var timestamps = []*service.Timestamp{
	nil,
	ts(time.Unix(0, 0)),
	ts(time.Date(2026, 11, 27, 13, 3, 11, 123456789, time.UTC)),
	ts(time.Date(2026, 11, 27, 13, 3, 11, 100000000, time.FixedZone("x", 3600))),
	ts(time.Date(1969, 12, 31, 23, 59, 59, 999000000, time.UTC)),
	ts(time.Time{}),
	ts(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)),
}

func origins() []*service.VersionOrigin {
	return []*service.VersionOrigin{
		nil,
		{},
		{OriginType: model.OriginInternal, DomainEntryPoint: &service.DomainEntryPoint{RepositoryName: "repo"}},
		{OriginType: model.OriginExternal, DomainEntryPoint: &service.DomainEntryPoint{ExternalConnectionName: "public:npmjs"}},
		{OriginType: "<odd>", DomainEntryPoint: &service.DomainEntryPoint{RepositoryName: "r", ExternalConnectionName: "e"}},
		{OriginType: model.OriginUnknown, DomainEntryPoint: &service.DomainEntryPoint{}},
	}
}

// handEncoded lists values of every hand-encoded type with each optional
// member empty and set, nil and empty slices, and odd strings.
func handEncoded() []any {
	var vs []any
	vs = append(vs,
		&service.ListPackageVersionsOutput{},
		&service.ListPackageVersionsOutput{Versions: []service.PackageVersionSummary{}},
		&service.DescribePackageVersionOutput{},
		(*service.ListPackageVersionsOutput)(nil),
		(*service.DescribePackageVersionOutput)(nil),
	)
	for i, s := range oddStrings {
		next := oddStrings[(i+1)%len(oddStrings)]
		var summaries []service.PackageVersionSummary
		for j, o := range origins() {
			summaries = append(summaries, service.PackageVersionSummary{Version: s + fmt.Sprint(j), Revision: next, Status: model.Status(s), Origin: o})
		}
		summaries = append(summaries, service.PackageVersionSummary{})
		vs = append(vs, &service.ListPackageVersionsOutput{
			DefaultDisplayVersion: s, Format: model.Format(next), Namespace: s, Package: next, Versions: summaries, NextToken: s,
		})
		licenses := [][]model.License{nil, {}, {{}}, {{Name: s}, {URL: next}, {Name: next, URL: s}}}
		for j, o := range origins() {
			vs = append(vs, &service.DescribePackageVersionOutput{PackageVersion: service.PackageVersionDescription{
				Format: model.Format(s), Namespace: next, PackageName: s, DisplayName: next, Version: s,
				Summary: next, HomePage: s, SourceCodeRepository: next, PublishedTime: timestamps[j%len(timestamps)],
				Licenses: licenses[j%len(licenses)], Revision: s, Status: model.Status(next), Origin: o,
			}})
		}
	}
	for _, t := range timestamps {
		vs = append(vs, &service.DescribePackageVersionOutput{PackageVersion: service.PackageVersionDescription{PublishedTime: t}})
	}
	return vs
}

func checkEncoding(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := appendJSON([]byte("prefix"), v)
	if err != nil || wantErr != nil {
		t.Fatalf("%#v: appendJSON error %v, json.Marshal error %v", v, err, wantErr)
	}
	if !strings.HasPrefix(string(got), "prefix") {
		t.Fatalf("appendJSON dropped what dst held: %q", got)
	}
	if got := string(got[len("prefix"):]); got != string(want) {
		t.Fatalf("appendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestHandEncodersMatchEncodingJSON(t *testing.T) {
	vs := handEncoded()
	if len(vs) < 50 {
		t.Fatalf("only %d values", len(vs))
	}
	for _, v := range vs {
		checkEncoding(t, v)
	}
	// Types without a hand encoder go through encoding/json.
	checkEncoding(t, &service.ListPackageVersionAssetsOutput{Format: "npm", Assets: []service.AssetSummary{{Name: "<a>"}}})
	checkEncoding(t, map[string]any{"x": []int{1}})
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	var all []string
	for b := range 256 {
		all = append(all, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	for r := rune(0x80); r < 0x3000; r += 7 {
		all = append(all, string(r))
	}
	all = append(all, oddStrings...)
	for _, s := range all {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// The hand encoders know these fields, in this order, and nothing else;
// when a type changes, this test fails until encode.go follows it.
func TestHandEncodedTypesAreUnchanged(t *testing.T) {
	want := map[reflect.Type]string{
		reflect.TypeFor[service.ListPackageVersionsOutput](): "DefaultDisplayVersion string defaultDisplayVersion,omitempty; Format model.Format format; " +
			"Namespace string namespace,omitempty; Package string package; Versions []service.PackageVersionSummary versions; NextToken string nextToken,omitempty",
		reflect.TypeFor[service.PackageVersionSummary](): "Version string version; Revision string revision,omitempty; Status model.Status status; " +
			"Origin *service.VersionOrigin origin,omitempty",
		reflect.TypeFor[service.VersionOrigin](): "DomainEntryPoint *service.DomainEntryPoint domainEntryPoint,omitempty; OriginType string originType",
		reflect.TypeFor[service.DomainEntryPoint](): "RepositoryName string repositoryName,omitempty; " +
			"ExternalConnectionName string externalConnectionName,omitempty",
		reflect.TypeFor[service.DescribePackageVersionOutput](): "PackageVersion service.PackageVersionDescription packageVersion",
		reflect.TypeFor[service.PackageVersionDescription](): "Format model.Format format; Namespace string namespace,omitempty; " +
			"PackageName string packageName; DisplayName string displayName,omitempty; Version string version; " +
			"Summary string summary,omitempty; HomePage string homePage,omitempty; " +
			"SourceCodeRepository string sourceCodeRepository,omitempty; PublishedTime *service.Timestamp publishedTime,omitempty; " +
			"Licenses []model.License licenses,omitempty; Revision string revision,omitempty; Status model.Status status; " +
			"Origin *service.VersionOrigin origin,omitempty",
		reflect.TypeFor[model.License](): "Name string name,omitempty; URL string url,omitempty",
	}
	for typ, w := range want {
		var fields []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			fields = append(fields, f.Name+" "+f.Type.String()+" "+f.Tag.Get("json"))
		}
		if got := strings.Join(fields, "; "); got != w {
			t.Errorf("%v changed; update encode.go and this test:\n got %s\nwant %s", typ, got, w)
		}
		if reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) {
			t.Errorf("%v encodes itself; encode.go must call it", typ)
		}
	}
	// The plain string types must stay plain; Timestamp's MarshalJSON is
	// what appendTimestamp copies.
	for _, typ := range []reflect.Type{reflect.TypeFor[model.Format](), reflect.TypeFor[model.Status]()} {
		if reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(typ).Implements(reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()) {
			t.Errorf("%v has its own encoding; encode.go must use it", typ)
		}
	}
}

func TestHandEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64<<10)
	for _, v := range handEncoded() {
		if n := testing.AllocsPerRun(5, func() { appendJSON(buf[:0], v) }); n != 0 && !isNilPointer(v) {
			t.Errorf("%T: %v allocations", v, n)
		}
	}
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// FuzzHandEncoders compares the hand encoders with json.Marshal on values
// built from arbitrary strings, presence flags and times.
func FuzzHandEncoders(f *testing.F) {
	f.Add("1.0.0", "rev", "Published", "repo", "<&>", uint16(0xffff), int64(1764248591123), uint8(3))
	f.Add("", "", "", "", "", uint16(0), int64(0), uint8(0))
	f.Add("\xff\u2028", "\x00\"\\", "\xed\xa0\x80", "é", "\t", uint16(0x5555), int64(-62135596800000), uint8(1))
	f.Fuzz(func(t *testing.T, a, b, c, d, e string, flags uint16, ms int64, n uint8) {
		on := func(bit int) bool { return flags&(1<<bit) != 0 }
		pick := func(bit int, s string) string {
			if on(bit) {
				return s
			}
			return ""
		}
		origin := func(bit int) *service.VersionOrigin {
			if !on(bit) {
				return nil
			}
			o := &service.VersionOrigin{OriginType: c}
			if on(bit + 1) {
				o.DomainEntryPoint = &service.DomainEntryPoint{RepositoryName: pick(bit+2, d), ExternalConnectionName: pick(bit+3, e)}
			}
			return o
		}
		list := &service.ListPackageVersionsOutput{DefaultDisplayVersion: pick(0, a), Format: model.Format(b), Namespace: pick(1, c), Package: d, NextToken: pick(2, e)}
		if on(3) {
			list.Versions = []service.PackageVersionSummary{}
		}
		for i := range int(n % 8) {
			list.Versions = append(list.Versions, service.PackageVersionSummary{Version: a, Revision: pick(4+i%2, b), Status: model.Status(e), Origin: origin(6 + i%4)})
		}
		checkEncoding(t, list)

		desc := &service.DescribePackageVersionOutput{PackageVersion: service.PackageVersionDescription{
			Format: model.Format(a), Namespace: pick(0, b), PackageName: c, DisplayName: pick(1, d), Version: e,
			Summary: pick(2, a), HomePage: pick(3, b), SourceCodeRepository: pick(4, c), Revision: pick(5, d),
			Status: model.Status(b), Origin: origin(6),
		}}
		if on(10) {
			desc.PackageVersion.PublishedTime = ts(time.UnixMilli(ms))
		}
		if on(11) {
			desc.PackageVersion.Licenses = []model.License{}
		}
		for i := range int(n % 4) {
			desc.PackageVersion.Licenses = append(desc.PackageVersion.Licenses, model.License{Name: pick(12+i%2, a), URL: pick(14+i%2, e)})
		}
		checkEncoding(t, desc)
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := []string{"1.0.0000042", "yJ9kq3Z4rX2mN8pQ1vW7sT0uL5eA6cB3dF9gH2iK4jM=", "Published", "INTERNAL", "repo"}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, x := range s {
			buf = appendString(buf, x)
		}
	}
}
