package nuget

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in, want string // want "" means invalid
	}{
		{"", "(, )"},
		{"1.0", "[1.0.0, )"},
		{" 1.0 ", "[1.0.0, )"},
		{"[1.0]", "[1.0.0]"},
		{"[1.0,2.0)", "[1.0.0, 2.0.0)"},
		{"[1.0, 2.0]", "[1.0.0, 2.0.0]"},
		{"(1.0,)", "(1.0.0, )"},
		{"(,2.0]", "(, 2.0.0]"},
		{"(,2.0)", "(, 2.0.0)"},
		{"[,2.0]", "(, 2.0.0]"},
		{"(,)", "(, )"},
		{"[1.0.0-beta.1, 1.0.0]", "[1.0.0-beta.1, 1.0.0]"},
		{"[1.0,1.0]", "[1.0.0]"},
		{"1.*", ""},
		{"[1.*, )", ""},
		{"[1.0", ""},
		{"(1.0)", ""},
		{"[1.0)", ""},
		{"[]", ""},
		{"[2.0,1.0]", ""},
		{"(1.0,1.0)", ""},
		{"[1.0,2.0,3.0]", ""},
		{"abc", ""},
		{"[a,b]", ""},
	}
	for _, tt := range tests {
		r, err := parseRange(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseRange(%q) = %s, want an error", tt.in, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRange(%q): %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.want {
			t.Errorf("parseRange(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseNuspec(t *testing.T) {
	ok := spec{id: "Demo.Lib", version: "1.00.0-Beta+build"}
	tests := []struct {
		name string
		xml  string
		err  string // "" means valid
	}{
		{"valid", ok.xml(), ""},
		{"BOM", "\xef\xbb\xbf" + ok.xml(), ""},
		{"groups", spec{id: "A", version: "1.0", deps: `<group targetFramework=".NETStandard2.0"><dependency id="B" version="[1.0,2.0)"/></group><group targetFramework="net45"/>`}.xml(), ""},
		{"flat dependencies", spec{id: "A", version: "1.0", deps: `<dependency id="B" version="1.0"/><dependency id="C"/>`}.xml(), ""},
		{"not XML", "this is not xml", "not a NuGet manifest"},
		{"empty", "", "is empty"},
		{"malformed", ok.xml()[:len(ok.xml())-20], "not well-formed"},
		{"wrong root", `<project><metadata><id>A</id></metadata></project>`, "not a NuGet manifest"},
		{"utf-16 declared", `<?xml version="1.0" encoding="utf-16"?><package/>`, "not a NuGet manifest"},
		{"not utf-8", "<package>\xff</package>", "not UTF-8"},
		{"no metadata", `<package></package>`, "exactly one <metadata>"},
		{"no id", strings.Replace(ok.xml(), "<id>Demo.Lib</id>", "", 1), "exactly one <id>"},
		{"two ids", strings.Replace(ok.xml(), "<id>Demo.Lib</id>", "<id>Demo.Lib</id><id>Other</id>", 1), "exactly one <id>"},
		{"bad id", spec{id: "bad id", version: "1.0"}.xml(), "invalid <id>"},
		{"no version", strings.Replace(ok.xml(), "<version>1.00.0-Beta+build</version>", "", 1), "exactly one <version>"},
		{"bad version", spec{id: "A", version: "1.0.x"}.xml(), "invalid <version>"},
		{"no authors", strings.Replace(ok.xml(), "<authors>Wharf Tests</authors>", "", 1), "no <authors>"},
		{"no description", strings.Replace(ok.xml(), "<description>Test package Demo.Lib</description>", "", 1), "no <description>"},
		{"bad dependency id", spec{id: "A", version: "1.0", deps: `<dependency id="b c" version="1.0"/>`}.xml(), "invalid id"},
		{"bad dependency range", spec{id: "A", version: "1.0", deps: `<dependency id="B" version="[2.0,1.0]"/>`}.xml(), "range"},
		{"duplicate dependency", spec{id: "A", version: "1.0", deps: `<dependency id="B"/><dependency id="b"/>`}.xml(), "twice"},
		{"duplicate group", spec{id: "A", version: "1.0", deps: `<group targetFramework="net45"/><group targetFramework="NET45"/>`}.xml(), "two dependency groups"},
		{"bad license type", spec{id: "A", version: "1.0", extra: `<license type="url">x</license>`}.xml(), "expression or file"},
		{"package types", spec{id: "A", version: "1.0", extra: `<packageTypes><packageType name="DotnetTool"/><packageType name="Template" version="1.0"/></packageTypes>`}.xml(), ""},
		{"unnamed package type", spec{id: "A", version: "1.0", extra: `<packageTypes><packageType/></packageTypes>`}.xml(), "packageType"},
		{"bad requireLicenseAcceptance", spec{id: "A", version: "1.0", extra: `<requireLicenseAcceptance>maybe</requireLicenseAcceptance>`}.xml(), "requireLicenseAcceptance"},
		{"entity expansion refused", `<!DOCTYPE package [<!ENTITY a "aaaa">]><package><metadata><id>&a;</id></metadata></package>`, "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := parseNuspec("x.nuspec", []byte(tt.xml))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("parseNuspec: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("parseNuspec = %+v, %v; want an error containing %q", n, err, tt.err)
			}
			if !isRefusal(err) {
				t.Fatalf("error %v is not a refusal", err)
			}
		})
	}
}

func TestParseNuspecFields(t *testing.T) {
	s := spec{id: "Demo.Lib", version: "01.2.3.0-RC.1+sha", deps: `
		<group targetFramework=".NETStandard2.0"><dependency id="Newtonsoft.Json" version="13.0.1" exclude="Build"/></group>
		<group><dependency id="Any.Dep" version="[1.0]"/></group>`,
		extra: `<title>Demo</title><tags>a b,c</tags><projectUrl> https://example.com/p </projectUrl>
		<license type="expression">MIT</license><repository type="git" url="https://example.com/r.git" commit="abc"/>
		<requireLicenseAcceptance>true</requireLicenseAcceptance><readme>docs\README.md</readme>`}
	n, err := parseNuspec("Demo.Lib.nuspec", []byte(s.xml()))
	must(t, err)
	if n.ID != "Demo.Lib" || n.Version.String() != "1.2.3-RC.1" || n.RawVersion != "01.2.3.0-RC.1+sha" {
		t.Errorf("id/version = %q %q %q", n.ID, n.Version, n.RawVersion)
	}
	if n.ProjectURL != "https://example.com/p" || n.Repository.URL != "https://example.com/r.git" || n.License.Value != "MIT" ||
		!n.RequireLicenseAcceptance || n.Readme != "docs/README.md" || n.Title != "Demo" {
		t.Errorf("fields = %+v", n)
	}
	if len(n.DependencyGroups) != 2 || n.DependencyGroups[0].TargetFramework != ".NETStandard2.0" ||
		n.DependencyGroups[0].Dependencies[0].Range.String() != "[13.0.1, )" || n.DependencyGroups[1].TargetFramework != "" ||
		n.DependencyGroups[1].Dependencies[0].Range.String() != "[1.0.0]" {
		t.Errorf("dependency groups = %+v", n.DependencyGroups)
	}
	// A flat list beside groups is ignored, as NuGet does.
	n, err = parseNuspec("A.nuspec", []byte(spec{id: "A", version: "1.0", deps: `<dependency id="Flat"/><group targetFramework="net45"><dependency id="G"/></group>`}.xml()))
	must(t, err)
	if len(n.DependencyGroups) != 1 || n.DependencyGroups[0].Dependencies[0].ID != "G" {
		t.Errorf("groups beside a flat list = %+v", n.DependencyGroups)
	}
}

func TestReadNupkg(t *testing.T) {
	good := spec{id: "Demo.Lib", version: "1.0.0"}
	readme := spec{id: "Demo.Lib", version: "1.0.0", extra: "<readme>docs/README.md</readme>"}
	tests := []struct {
		name   string
		data   []byte
		err    string
		readme string
	}{
		{"valid", makeNupkg(t, good), "", ""},
		{"readme after manifest", makeNupkg(t, readme, file{name: "docs/README.md", body: "# Hello"}), "", "# Hello"},
		{"readme before manifest", makeZip(t, file{name: "docs/readme.MD", body: "# Early"}, file{name: "Demo.Lib.nuspec", body: readme.xml()}), "", "# Early"},
		{"missing readme", makeNupkg(t, readme), "names readme docs/README.md", ""},
		{"not a zip", []byte("PK\x03\x04 this is not a zip at all"), "not a valid nupkg", ""},
		{"empty", nil, "not a valid nupkg", ""},
		{"no manifest", makeZip(t, file{name: "lib/x.dll", body: "x"}), "no .nuspec", ""},
		{"manifest not at root", makeZip(t, file{name: "sub/Demo.Lib.nuspec", body: good.xml()}), "no .nuspec", ""},
		{"two manifests", makeZip(t, file{name: "Demo.Lib.nuspec", body: good.xml()}, file{name: "Other.nuspec", body: good.xml()}), "more than one .nuspec", ""},
		{"manifest named after another id", makeZip(t, file{name: "Other.Lib.nuspec", body: good.xml()}), "declares package id Demo.Lib", ""},
		{"manifest name case-insensitive", makeZip(t, file{name: "demo.lib.NUSPEC", body: good.xml()}), "", ""},
		{"malformed manifest", makeZip(t, file{name: "Demo.Lib.nuspec", body: "<package><metadata>"}), "not well-formed", ""},
		{"manifest too large", makeZip(t, file{name: "Demo.Lib.nuspec", body: good.xml() + "<!--" + strings.Repeat("x", maxNuspecBytes) + "-->"}), "larger than", ""},
		{"zip bomb", bomb(t, good, 1<<30, 1<<30), "expands more than", ""},
		{"zip bomb lying about its size", bomb(t, good, 1<<30, 1<<20), "expands past its declared", ""},
		{"duplicate entries", makeZip(t, file{name: "Demo.Lib.nuspec", body: good.xml()}, file{name: "lib/a.dll", body: "1"}, file{name: "lib/a.dll", body: "2"}), "more than once", ""},
		{"unsafe entry name", makeZip(t, file{name: "Demo.Lib.nuspec", body: good.xml()}, file{name: "../evil.dll", body: "1"}), "unsafe name", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := readNupkg(bytes.NewReader(tt.data), int64(len(tt.data)), nupkgLimits)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("readNupkg: %v", err)
				}
				if p.Spec.ID != "Demo.Lib" || p.Readme != tt.readme || len(p.Nuspec) == 0 {
					t.Fatalf("readNupkg = id %q readme %q nuspec %d bytes", p.Spec.ID, p.Readme, len(p.Nuspec))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("readNupkg: %v; want an error containing %q", err, tt.err)
			}
			if !isRefusal(err) {
				t.Fatalf("error %v is not a refusal", err)
			}
		})
	}
}
