package maven

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

const fullPOM = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>7</version>
  </parent>
  <artifactId>lib</artifactId>
  <version>1.0</version>
  <name>Acme lib</name>
  <description>
    A library
    for tests.
  </description>
  <url>https://acme.example/lib</url>
  <licenses>
    <license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license>
  </licenses>
  <scm><url>https://git.acme.example/lib</url><connection>scm:git:https://git.acme.example/lib.git</connection></scm>
  <properties>
    <junit.version>4.13.2</junit.version>
    <indirect>${junit.version}</indirect>
    <loop>${loop}</loop>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version><scope>runtime</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>${indirect}</version><scope>test</scope></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    <dependency><groupId>javax.servlet</groupId><artifactId>servlet-api</artifactId><version>[2.5,3.0)</version><scope>provided</scope></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>extra</artifactId><version>${loop}</version><optional>true</optional></dependency>
    <dependency><groupId>com.sun</groupId><artifactId>tools</artifactId><version>1.8</version><scope>system</scope></dependency>
  </dependencies>
  <build><plugins><plugin><artifactId>maven-jar-plugin</artifactId></plugin></plugins></build>
</project>
`

func TestParsePOMFull(t *testing.T) {
	p, err := ParsePOM([]byte(fullPOM))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckCoordinates("com.acme", "lib", "1.0"); err != nil {
		t.Fatal(err)
	}
	want := &service.VersionMetadata{
		Summary:        "A library for tests.",
		HomePage:       "https://acme.example/lib",
		SourceCodeRepo: "https://git.acme.example/lib",
		Licenses:       []model.License{{Name: "Apache-2.0", URL: "https://www.apache.org/licenses/LICENSE-2.0"}},
		Dependencies: []model.Dependency{
			{Namespace: "com.acme", Package: "acme-parent", DependencyType: "parent", VersionRequirement: "7"},
			{Namespace: "com.acme", Package: "core", DependencyType: "compile", VersionRequirement: "1.0"},
			{Namespace: "junit", Package: "junit", DependencyType: "test", VersionRequirement: "4.13.2"},
			{Namespace: "org.slf4j", Package: "slf4j-api", DependencyType: "runtime", VersionRequirement: "2.0.9"},
			{Namespace: "javax.servlet", Package: "servlet-api", DependencyType: "provided", VersionRequirement: "[2.5,3.0)"},
			// A self-referencing property is left as written.
			{Namespace: "com.acme", Package: "extra", DependencyType: "optional", VersionRequirement: "${loop}"},
			{Namespace: "com.sun", Package: "tools", DependencyType: "system", VersionRequirement: "1.8"},
		},
	}
	if got := p.Metadata(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Metadata()\n got %+v\nwant %+v", got, want)
	}
}

func TestParsePOM(t *testing.T) {
	tests := []struct {
		name      string
		pom       string
		g, a, v   string // coordinates after resolution
		errSubstr string
	}{
		{name: "plain", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>`, g: "g", a: "a", v: "1"},
		{name: "no namespace, whitespace around values", pom: "<project>\n <groupId> g </groupId>\n <artifactId>\ta\n</artifactId> <version> 1 </version></project>", g: "g", a: "a", v: "1"},
		{name: "inherits groupId and version", pom: `<project><parent><groupId>pg</groupId><artifactId>p</artifactId><version>9</version></parent><artifactId>a</artifactId></project>`, g: "pg", a: "a", v: "9"},
		{name: "own groupId wins over parent", pom: `<project><parent><groupId>pg</groupId><artifactId>p</artifactId><version>9</version></parent><groupId>g</groupId><artifactId>a</artifactId></project>`, g: "g", a: "a", v: "9"},
		{name: "version from a property", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>${revision}</version><properties><revision>2.1</revision></properties></project>`, g: "g", a: "a", v: "2.1"},
		{name: "version from the parent's version", pom: `<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>3</version></parent><artifactId>a</artifactId><version>${project.parent.version}</version></project>`, g: "g", a: "a", v: "3"},
		{name: "latin-1", pom: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><description>caf\xe9</description></project>", g: "g", a: "a", v: "1"},
		{name: "trailing comment", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project><!-- end -->`, g: "g", a: "a", v: "1"},

		{name: "not XML", pom: `this is not a pom`, errSubstr: "malformed POM"},
		{name: "unclosed", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>`, errSubstr: "malformed POM"},
		{name: "mismatched tags", pom: `<project><groupId>g</artifactId></project>`, errSubstr: "malformed POM"},
		{name: "wrong root", pom: `<metadata><groupId>g</groupId></metadata>`, errSubstr: "malformed POM"},
		{name: "garbage after root", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>junk`, errSubstr: "malformed POM"},
		{name: "second root", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project><project/>`, errSubstr: "malformed POM"},
		{name: "unsupported encoding", pom: `<?xml version="1.0" encoding="EBCDIC"?><project/>`, errSubstr: "malformed POM"},
		{name: "empty", pom: ``, errSubstr: "malformed POM"},
		{name: "no groupId", pom: `<project><artifactId>a</artifactId><version>1</version></project>`, errSubstr: "no groupId"},
		{name: "no artifactId", pom: `<project><groupId>g</groupId><version>1</version></project>`, errSubstr: "no artifactId"},
		{name: "no version", pom: `<project><groupId>g</groupId><artifactId>a</artifactId></project>`, errSubstr: "no version"},
		{name: "dependency without artifactId", pom: `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies><dependency><groupId>x</groupId></dependency></dependencies></project>`, errSubstr: "dependency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePOM([]byte(tt.pom))
			if tt.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Fatalf("ParsePOM = %v, want error containing %q", err, tt.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(p.GroupID) != tt.g || string(p.ArtifactID) != tt.a || string(p.Version) != tt.v {
				t.Fatalf("coordinates %s:%s:%s, want %s:%s:%s", p.GroupID, p.ArtifactID, p.Version, tt.g, tt.a, tt.v)
			}
		})
	}
}

func TestPOMLatin1Description(t *testing.T) {
	p, err := ParsePOM([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><description>caf\xe9</description></project>"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Metadata().Summary; got != "café" {
		t.Fatalf("Summary = %q, want café", got)
	}
}

func TestPOMCheckCoordinates(t *testing.T) {
	p, err := ParsePOM([]byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1.0-SNAPSHOT</version></project>`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		g, a, v string
		ok      bool
	}{
		{"g", "a", "1.0-SNAPSHOT", true},
		{"h", "a", "1.0-SNAPSHOT", false},
		{"g", "b", "1.0-SNAPSHOT", false},
		{"g", "a", "1.0", false},
	}
	for _, tt := range tests {
		if err := p.CheckCoordinates(tt.g, tt.a, tt.v); (err == nil) != tt.ok {
			t.Errorf("CheckCoordinates(%s:%s:%s) = %v, want ok=%v", tt.g, tt.a, tt.v, err, tt.ok)
		}
	}
}

func TestPOMInterpolationIsBounded(t *testing.T) {
	// Properties that double each other: ${p10} would be 10 MB.
	var b strings.Builder
	b.WriteString(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties>`)
	b.WriteString("<p0>" + strings.Repeat("x", 10000) + "</p0>")
	for i := 1; i <= 10; i++ {
		prev := "${p" + strconv.Itoa(i-1) + "}"
		b.WriteString("<p" + strconv.Itoa(i) + ">" + prev + prev + "</p" + strconv.Itoa(i) + ">")
	}
	b.WriteString(`</properties><description>${p10}</description></project>`)
	p, err := ParsePOM([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Description); n > maxInterpolated {
		t.Fatalf("description grew to %d bytes", n)
	}
}
