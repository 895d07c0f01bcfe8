package maven

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParsePath: whatever path a client sends, ParsePath never panics,
// fails only with a *PathError, and what it accepts cannot leave the
// repository: no segment is "." or "..", and no part holds a separator
// or NUL.
func FuzzParsePath(f *testing.F) {
	for _, p := range []string{
		"com/acme/lib/1.0/lib-1.0.jar", "com/acme/lib/1.0/lib-1.0-sources.jar.sha1", "com/acme/lib/maven-metadata.xml",
		"com/acme/lib/1.0-SNAPSHOT/lib-1.0-20261127.101500-1.pom", "com/acme/lib/1.0-SNAPSHOT/maven-metadata.xml.md5",
		"com/acme/lib/../../x/1.0/x-1.0.jar", "com/acme/lib/1.0/..%2F..%2Fwharf.db", "com/acme/lib/1.0/lib-1.0.jar%00",
		"com/acme/lib/%2e%2e/lib-1.0.jar", "com//lib/1.0/lib-1.0.jar", "com/acme/lib/1.0/", "%zz", "a/b/c/d",
		"com/acme/lib/1.0/lib-1.0.\xff",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		p, err := ParsePath(escaped)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePath(%q): %T %v, not a *PathError", escaped, err, err)
			}
			return
		}
		for _, part := range []string{p.ArtifactID, p.Version, p.File, p.Classifier, p.Extension} {
			if part == "." || part == ".." || strings.ContainsAny(part, "/\\\x00") {
				t.Fatalf("ParsePath(%q) accepted unsafe part %q in %+v", escaped, part, p)
			}
		}
		for _, g := range strings.Split(p.GroupID, ".") {
			if g == "" && p.GroupID != "" {
				t.Fatalf("ParsePath(%q): empty group segment in %q", escaped, p.GroupID)
			}
		}
	})
}

// FuzzParsePOM and FuzzParseMetadata: uploaded XML never panics the
// parsers, and entity tricks (billion laughs, external entities) are
// refused or inert rather than expanded.
func FuzzParsePOM(f *testing.F) {
	f.Add([]byte(`<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0</version></project>`))
	f.Add([]byte(`<?xml version="1.0"?><project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent><artifactId>a</artifactId><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>[1,2)</version><scope>test</scope></dependency></dependencies><licenses><license><name>MIT</name></license></licenses></project>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><project><artifactId>&lol2;</artifactId></project>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><project><artifactId>&xxe;</artifactId></project>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><project><name>caf` + "\xe9" + `</name></project>`))
	f.Add([]byte(`<project>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePOM(data)
		if err == nil && p == nil {
			t.Fatal("ParsePOM returned neither a POM nor an error")
		}
		if err == nil && strings.Contains(string(p.ArtifactID), "root:") {
			t.Fatalf("an external entity was expanded: %q", p.ArtifactID)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><versioning><latest>1.1</latest><release>1.1</release><versions><version>1.0</version><version>1.1</version></versions><lastUpdated>20261127101500</lastUpdated></versioning></metadata>`))
	f.Add([]byte(`<metadata modelVersion="1.1.0"><groupId>g</groupId><artifactId>a</artifactId><version>1.0-SNAPSHOT</version><versioning><snapshot><timestamp>20261127.101500</timestamp><buildNumber>1</buildNumber></snapshot><snapshotVersions><snapshotVersion><extension>jar</extension><value>1.0-20261127.101500-1</value><updated>20261127101500</updated></snapshotVersion></snapshotVersions></versioning></metadata>`))
	f.Add([]byte(`<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><metadata><groupId>&b;</groupId></metadata>`))
	f.Add([]byte(`<metadata><versioning><versions><version>../../x</version></versions></versioning></metadata>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err == nil && m == nil {
			t.Fatal("ParseMetadata returned neither metadata nor an error")
		}
	})
}
