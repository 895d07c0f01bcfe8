package maven

import (
	"errors"
	"testing"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in     string
		want   Path
		err    bool
		unsafe bool
	}{
		{in: "com/acme/lib/1.0/lib-1.0.jar", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar", Extension: "jar"}},
		{in: "com/acme/lib/1.0/lib-1.0.pom", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.pom", Extension: "pom"}},
		{in: "com/acme/lib/1.0/lib-1.0-sources.jar", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0-sources.jar", Classifier: "sources", Extension: "jar"}},
		{in: "com/acme/lib/1.0/lib-1.0.jar.sha1", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar", Extension: "jar", Checksum: "sha1"}},
		{in: "com/acme/lib/1.0/lib-1.0.jar.asc", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar.asc", Extension: "jar.asc"}},
		{in: "com/acme/lib/1.0/lib-1.0.jar.asc.md5", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar.asc", Extension: "jar.asc", Checksum: "md5"}},
		{in: "com/acme/lib/1.0/lib-1.0-dist.tar.gz", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0", File: "lib-1.0-dist.tar.gz", Classifier: "dist", Extension: "tar.gz"}},
		// Dashes in artifactId and version are taken from the directories.
		{in: "org/x/my-lib/2.0-beta-1/my-lib-2.0-beta-1-tests.jar", want: Path{Kind: KindFile, GroupID: "org.x", ArtifactID: "my-lib", Version: "2.0-beta-1", File: "my-lib-2.0-beta-1-tests.jar", Classifier: "tests", Extension: "jar"}},
		{in: "g/a.b/1/a.b-1.jar", want: Path{Kind: KindFile, GroupID: "g", ArtifactID: "a.b", Version: "1", File: "a.b-1.jar", Extension: "jar"}},
		// SNAPSHOTs: timestamped and plain files belong to the -SNAPSHOT version.
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.0-20261127.101500-1.jar", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "lib-1.0-20261127.101500-1.jar", Extension: "jar", Timestamp: "20261127.101500", BuildNumber: 1}},
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.0-20261127.101500-12-sources.jar.sha256", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "lib-1.0-20261127.101500-12-sources.jar", Classifier: "sources", Extension: "jar", Timestamp: "20261127.101500", BuildNumber: 12, Checksum: "sha256"}},
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.0-SNAPSHOT.jar", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "lib-1.0-SNAPSHOT.jar", Extension: "jar"}},
		// Metadata at both levels, with checksums.
		{in: "com/acme/lib/maven-metadata.xml", want: Path{Kind: KindArtifactMetadata, GroupID: "com.acme", ArtifactID: "lib", File: "maven-metadata.xml"}},
		{in: "com/acme/lib/maven-metadata.xml.sha512", want: Path{Kind: KindArtifactMetadata, GroupID: "com.acme", ArtifactID: "lib", File: "maven-metadata.xml", Checksum: "sha512"}},
		{in: "com/acme/lib/1.0-SNAPSHOT/maven-metadata.xml", want: Path{Kind: KindVersionMetadata, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "maven-metadata.xml"}},
		{in: "com/acme/lib/1.0-SNAPSHOT/maven-metadata.xml.md5", want: Path{Kind: KindVersionMetadata, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "maven-metadata.xml", Checksum: "md5"}},
		// An escaped character that is not a separator is fine.
		{in: "com/acme/lib/1.0%2Bb1/lib-1.0+b1.jar", want: Path{Kind: KindFile, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0+b1", File: "lib-1.0+b1.jar", Extension: "jar"}},

		// Not Maven paths (404 on read, 400 on upload).
		{in: "", err: true},
		{in: "com/acme/lib/", err: true},
		{in: "com/acme/lib/1.0/", err: true},
		{in: "lib/1.0/lib-1.0.jar", err: true},                                     // no groupId
		{in: "maven-metadata.xml", err: true},                                      // repository root
		{in: "lib/maven-metadata.xml", err: true},                                  // no groupId
		{in: "com/acme/lib/1.0/other-1.0.jar", err: true},                          // wrong artifactId
		{in: "com/acme/lib/1.0/lib-1.1.jar", err: true},                            // wrong version
		{in: "com/acme/lib/1.0/lib-1.0", err: true},                                // no extension
		{in: "com/acme/lib/1.0/lib-1.0-.jar", err: true},                           // empty classifier
		{in: "com/acme/lib/1.0/lib-1.0-sources", err: true},                        // classifier without extension
		{in: "com/acme/lib/1.0/lib-1.0.", err: true},                               // empty extension
		{in: "com/acme/lib/1.0/lib-1.0.jar.", err: true},                           // extension ending in a dot
		{in: "com.acme/lib/1.0/lib-1.0.jar", err: true},                            // dotted group directory
		{in: "com/ac me/lib/1.0/lib-1.0.jar", err: true},                           // space in groupId
		{in: "com/acme/l%20b/1.0/l b-1.0.jar", err: true},                          // space in artifactId
		{in: "com/acme/lib/1:0/lib-1:0.jar", err: true},                            // colon in version
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.0-2026.jar", err: true},              // not a timestamp
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.0-20261127.101500-0.jar", err: true}, // build numbers start at 1
		{in: "com/acme/lib/1.0-SNAPSHOT/lib-1.1-20261127.101500-1.jar", err: true}, // another version's build

		// Unsafe: always 400.
		{in: "com/acme/../lib/1.0/lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme/%2e%2e/lib/1.0/lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme/lib/1.0/./lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme%2flib/1.0/lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme%2Flib/1.0/lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme/lib/1.0/lib-1.0.jar%00", err: true, unsafe: true},
		{in: "com/acme%5clib/1.0/lib-1.0.jar", err: true, unsafe: true},
		{in: "com/acme/lib/1.0/lib-1.0.jar%zz", err: true, unsafe: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if tt.err {
				var pe *PathError
				if !errors.As(err, &pe) {
					t.Fatalf("ParsePath(%q) = %+v, %v; want a PathError", tt.in, got, err)
				}
				if pe.Unsafe != tt.unsafe {
					t.Fatalf("ParsePath(%q) unsafe = %v, want %v (%v)", tt.in, pe.Unsafe, tt.unsafe, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParsePath(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsMainPOM(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"g/a/1/a-1.pom", true},
		{"g/a/1-SNAPSHOT/a-1-20260101.000000-3.pom", true},
		{"g/a/1/a-1.pom.sha1", false},
		{"g/a/1/a-1-extra.pom", false},
		{"g/a/1/a-1.jar", false},
		{"g/a/1/a-1.pom.asc", false},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if p.IsMainPOM() != tt.want {
			t.Errorf("IsMainPOM(%s) = %v, want %v", tt.in, !tt.want, tt.want)
		}
	}
}

func TestIsSnapshot(t *testing.T) {
	for v, want := range map[string]bool{"1.0-SNAPSHOT": true, "1.0-snapshot": true, "SNAPSHOT": true, "1.0": false, "SNAPSHOT-1": false, "": false} {
		if IsSnapshot(v) != want {
			t.Errorf("IsSnapshot(%q) = %v", v, !want)
		}
	}
}
