package throttle

import "testing"

// FuzzParse: any spec either fails or parses to a config that prints back
// to a spec parsing to the same config.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "off", "codeartifact", "read=1,write=2/3", "codeartifact,PublishPackageVersion=0.5/2",
		"ListDomains=1e3", "token=NaN", "read=1/", "=", ",,,", "anonymous=0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := Parse(spec)
		if err != nil {
			return
		}
		again, err := Parse(c.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", spec, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("round trip: %q -> %q -> %q", spec, c.String(), again.String())
		}
		New(c, nil).Operation("111122223333", "ListDomains")
	})
}
