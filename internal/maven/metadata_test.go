package maven

import (
	"slices"
	"testing"
	"time"
)

func TestParseMetadata(t *testing.T) {
	artifact := Path{Kind: KindArtifactMetadata, GroupID: "com.acme", ArtifactID: "lib"}
	version := Path{Kind: KindVersionMetadata, GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT"}
	tests := []struct {
		name       string
		doc        string
		path       Path
		versions   []string
		groupLevel bool
		parseErr   bool
		checkErr   bool
	}{
		{name: "what maven deploys", path: artifact, versions: []string{"1.0", "1.1"}, doc: `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>com.acme</groupId>
  <artifactId>lib</artifactId>
  <versioning>
    <latest>1.1</latest>
    <release>1.1</release>
    <versions>
      <version>1.0</version>
      <version> 1.1 </version>
    </versions>
    <lastUpdated>20261127101500</lastUpdated>
  </versioning>
</metadata>`},
		{name: "namespaced, modelVersion", path: artifact, versions: []string{"2"}, doc: `<metadata xmlns="http://maven.apache.org/METADATA/1.1.0" modelVersion="1.1.0"><groupId>com.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>2</version></versions></versioning></metadata>`},
		{name: "no coordinates", path: artifact, versions: []string{"3"}, doc: `<metadata><versioning><versions><version>3</version></versions></versioning></metadata>`},
		{name: "snapshot version-level", path: version, versions: nil, doc: `<metadata modelVersion="1.1.0"><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0-SNAPSHOT</version>
<versioning><snapshot><timestamp>20261127.101500</timestamp><buildNumber>1</buildNumber></snapshot><lastUpdated>20261127101500</lastUpdated>
<snapshotVersions><snapshotVersion><extension>jar</extension><value>1.0-20261127.101500-1</value><updated>20261127101500</updated></snapshotVersion></snapshotVersions></versioning></metadata>`},
		{name: "group-level plugin list", path: artifact, groupLevel: true, doc: `<metadata><plugins><plugin><name>Acme</name><prefix>acme</prefix><artifactId>acme-maven-plugin</artifactId></plugin></plugins></metadata>`},

		{name: "malformed", path: artifact, parseErr: true, doc: `<metadata><groupId>com.acme</groupId>`},
		{name: "not xml", path: artifact, parseErr: true, doc: `{"versions": ["1.0"]}`},
		{name: "wrong root", path: artifact, parseErr: true, doc: `<project><groupId>com.acme</groupId></project>`},
		{name: "trailing junk", path: artifact, parseErr: true, doc: `<metadata></metadata><x/>`},
		{name: "other groupId", path: artifact, checkErr: true, doc: `<metadata><groupId>com.other</groupId><artifactId>lib</artifactId></metadata>`},
		{name: "other artifactId", path: artifact, checkErr: true, doc: `<metadata><groupId>com.acme</groupId><artifactId>other</artifactId></metadata>`},
		{name: "other version", path: version, checkErr: true, doc: `<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><version>2.0-SNAPSHOT</version></metadata>`},
		{name: "invalid listed version", path: artifact, checkErr: true, doc: `<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>1/0</version></versions></versioning></metadata>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetadata([]byte(tt.doc))
			if (err != nil) != tt.parseErr {
				t.Fatalf("ParseMetadata: %v, want error %v", err, tt.parseErr)
			}
			if err != nil {
				return
			}
			if m.IsGroupLevel() != tt.groupLevel {
				t.Fatalf("IsGroupLevel = %v", !tt.groupLevel)
			}
			if err := m.Check(tt.path); (err != nil) != tt.checkErr {
				t.Fatalf("Check: %v, want error %v", err, tt.checkErr)
			}
			if tt.checkErr {
				return
			}
			if got := m.Versions(); !slices.Equal(got, tt.versions) && !(len(got) == 0 && len(tt.versions) == 0) {
				t.Fatalf("Versions = %v, want %v", got, tt.versions)
			}
		})
	}
}

var when = time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)

func TestRenderArtifactMetadata(t *testing.T) {
	tests := []struct {
		name     string
		versions []string
		want     string
	}{
		{name: "releases and snapshots in Maven order", versions: []string{"1.10", "2.0-SNAPSHOT", "1.2", "1.0-rc1"}, want: `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>com.acme</groupId>
  <artifactId>lib&amp;co</artifactId>
  <versioning>
    <latest>2.0-SNAPSHOT</latest>
    <release>1.10</release>
    <versions>
      <version>1.0-rc1</version>
      <version>1.2</version>
      <version>1.10</version>
      <version>2.0-SNAPSHOT</version>
    </versions>
    <lastUpdated>20261127101500</lastUpdated>
  </versioning>
</metadata>
`},
		{name: "only snapshots: no release", versions: []string{"1.0-SNAPSHOT"}, want: `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>com.acme</groupId>
  <artifactId>lib&amp;co</artifactId>
  <versioning>
    <latest>1.0-SNAPSHOT</latest>
    <versions>
      <version>1.0-SNAPSHOT</version>
    </versions>
    <lastUpdated>20261127101500</lastUpdated>
  </versioning>
</metadata>
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.versions)
			got := string(RenderArtifactMetadata("com.acme", "lib&co", in, when.In(time.FixedZone("X", 3600))))
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !slices.Equal(in, tt.versions) {
				t.Fatalf("the caller's slice was reordered: %v", in)
			}
			// What we serve must read back as what it lists.
			m, err := ParseMetadata([]byte(got))
			if err != nil {
				t.Fatal(err)
			}
			back := m.Versions()
			SortVersions(in)
			if !slices.Equal(back, in) || m.ArtifactID != "lib&co" {
				t.Fatalf("round trip: %v %q", back, m.ArtifactID)
			}
		})
	}
}

func TestRenderSnapshotMetadata(t *testing.T) {
	at := func(min int) time.Time { return when.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name  string
		files []SnapshotFile
		want  string
	}{
		{
			name: "newest build per classifier and extension",
			files: []SnapshotFile{
				{"lib-1.0-20261127.101500-1.jar", at(0)},
				{"lib-1.0-20261127.101500-1.pom", at(0)},
				{"lib-1.0-20261127.111500-2.jar", at(60)},
				{"lib-1.0-20261127.111500-2.pom", at(60)},
				{"lib-1.0-20261127.101500-1-sources.jar", at(1)},
				{"unrelated.txt", at(500)},
			},
			want: `<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>com.acme</groupId>
  <artifactId>lib</artifactId>
  <version>1.0-SNAPSHOT</version>
  <versioning>
    <snapshot>
      <timestamp>20261127.111500</timestamp>
      <buildNumber>2</buildNumber>
    </snapshot>
    <lastUpdated>20261127111500</lastUpdated>
    <snapshotVersions>
      <snapshotVersion>
        <extension>jar</extension>
        <value>1.0-20261127.111500-2</value>
        <updated>20261127111500</updated>
      </snapshotVersion>
      <snapshotVersion>
        <extension>pom</extension>
        <value>1.0-20261127.111500-2</value>
        <updated>20261127111500</updated>
      </snapshotVersion>
      <snapshotVersion>
        <classifier>sources</classifier>
        <extension>jar</extension>
        <value>1.0-20261127.101500-1</value>
        <updated>20261127101600</updated>
      </snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>
`,
		},
		{
			name:  "plain -SNAPSHOT files only",
			files: []SnapshotFile{{"lib-1.0-SNAPSHOT.jar", at(5)}},
			want: `<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>com.acme</groupId>
  <artifactId>lib</artifactId>
  <version>1.0-SNAPSHOT</version>
  <versioning>
    <lastUpdated>20261127102000</lastUpdated>
    <snapshotVersions>
      <snapshotVersion>
        <extension>jar</extension>
        <value>1.0-SNAPSHOT</value>
        <updated>20261127102000</updated>
      </snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RenderSnapshotMetadata("com.acme", "lib", "1.0-SNAPSHOT", tt.files))
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := ParseMetadata([]byte(got)); err != nil {
				t.Fatal(err)
			}
			// Input order must not matter.
			rev := slices.Clone(tt.files)
			slices.Reverse(rev)
			if again := string(RenderSnapshotMetadata("com.acme", "lib", "1.0-SNAPSHOT", rev)); again != got {
				t.Fatalf("order-dependent output:\n%s", again)
			}
		})
	}
}

func TestDocChecksums(t *testing.T) {
	d := newDoc([]byte("abc"), when)
	want := map[string]string{
		"md5":    "900150983cd24fb0d6963f7d28e17f72",
		"sha1":   "a9993e364706816aba3e25717850c26c9cd0d89d",
		"sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"sha512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	}
	for algo, v := range want {
		if got := hashOf(d.hashes, algo); got != v {
			t.Errorf("%s = %s, want %s", algo, got, v)
		}
	}
}
