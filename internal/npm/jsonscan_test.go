package npm

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestAppendVersionJSON: the walking renderer gives the same manifest as
// the decoding one, versionJSON, for both documents; manifests it cannot
// walk go to versionJSON.
func TestAppendVersionJSON(t *testing.T) {
	name, _ := parseName("@s/p")
	base := "http://h/npm/d-111122223333/r/"
	cases := []struct {
		name string
		doc  string
		fast bool // the walk handles it
	}{
		{"typical", `{"name":"@s/p","version":"1.0.0","description":"x","dependencies":{"a":"^1"},"scripts":{"test":"t"},"dist":{"shasum":"ab","integrity":"sha512-x","tarball":"https://registry.npmjs.org/@s/p/-/p-1.0.0.tgz"}}`, true},
		{"install script", `{"name":"@s/p","version":"1.0.0","scripts":{"postinstall":"node x"},"hasInstallScript":false,"dist":{"shasum":"ab"}}`, true},
		{"install script already said", `{"name":"@s/p","hasInstallScript":true,"scripts":{"install":"x"}}`, true},
		{"no dist", `{"name":"@s/p","version":"1.0.0","bin":{"p":"cli.js"},"engines":{"node":">=18"}}`, true},
		{"empty", `{}`, true},
		{"pretty", "{\n  \"name\" : \"@s/p\",\n  \"dist\" : { \"shasum\" : \"ab\" } ,\n  \"os\": [ \"linux\" ], \"n\": 1.5e3, \"t\": true, \"z\": null\n}\n", true},
		{"strings with brackets", `{"description":"a } ] { [ \" \\ brace","readme":"<b>&amp;</b>","deprecated":"use \"q\" {","dist":{"shasum":"}"}}`, true},
		{"unicode", `{"description":"héllo ✓","author":{"name":"Zoë"},"dist":{"integrity":"sha1-x"}}`, true},
		{"escaped key", `{"na\u006de":"@s/p","dist":{}}`, false},
		{"dist not an object", `{"name":"@s/p","dist":null}`, false},
		{"null", `null`, false},
		{"not json", `{"name":`, false},
		{"none", ``, false},
	}
	for _, tc := range cases {
		for _, kind := range []docKind{fullDoc, abbrevDoc} {
			want, err := versionJSON([]byte(tc.doc), name, "1.0.0", base, kind)
			if err != nil {
				t.Fatalf("%s: versionJSON: %v", tc.name, err)
			}
			_, fast := appendVersionFast(nil, []byte(tc.doc), tarballURL(base, name, "1.0.0"), kind)
			if fast != tc.fast {
				t.Errorf("%s (kind %d): walked %v, want %v", tc.name, kind, fast, tc.fast)
			}
			got, err := appendVersionJSON([]byte("prefix"), []byte(tc.doc), name, "1.0.0", base, kind)
			if err != nil || string(got[:6]) != "prefix" {
				t.Fatalf("%s: appendVersionJSON: %v %q", tc.name, err, got)
			}
			var g, w any
			if err := json.Unmarshal(got[6:], &g); err != nil {
				t.Fatalf("%s (kind %d): invalid JSON %v: %s", tc.name, kind, err, got[6:])
			}
			json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s (kind %d):\n got %s\nwant %s", tc.name, kind, got[6:], want)
			}
		}
	}
}

func TestEachMember(t *testing.T) {
	cases := []struct {
		doc  string
		ok   bool
		keys []string
	}{
		{`{"a":1,"b":"x","c":{"d":[1,{"e":"}"}]},"f":[]}`, true, []string{"a", "b", "c", "f"}},
		{` { } `, true, nil},
		{`{"a":1,}`, false, []string{"a"}},
		{`{"a" 1}`, false, nil},
		{`{"a":1`, false, []string{"a"}},
		{`{"a":"unterminated}`, false, nil},
		{`{"a":{"b":1}`, false, []string{"a"}},
		{`{"a":1} trailing`, false, []string{"a"}},
		{`[1,2]`, false, nil},
		{`{a:1}`, false, nil},
		{`{"a":,"b":1}`, false, nil},
		{"{\"a\":\"ctl\x01\"}", false, nil},
	}
	for _, tc := range cases {
		var keys []string
		ok := eachMember([]byte(tc.doc), func(k, _ []byte) bool {
			keys = append(keys, string(k))
			return true
		})
		if ok != tc.ok || !reflect.DeepEqual(keys, tc.keys) {
			t.Errorf("eachMember(%q) = %v %q, want %v %q", tc.doc, ok, keys, tc.ok, tc.keys)
		}
	}
}
