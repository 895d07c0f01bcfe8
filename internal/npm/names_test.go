package npm

import "testing"

func TestSplitPackagePath(t *testing.T) {
	tests := []struct {
		path, scope, name, tail string
		bad                     bool
	}{
		{path: "left-pad", name: "left-pad"},
		{path: "left-pad/-/left-pad-1.0.0.tgz", name: "left-pad", tail: "-/left-pad-1.0.0.tgz"},
		{path: "left-pad/-rev/3-abc", name: "left-pad", tail: "-rev/3-abc"},
		{path: "@types%2fnode", scope: "types", name: "node"},
		{path: "@types%2Fnode", scope: "types", name: "node"},
		{path: "@types/node", scope: "types", name: "node"},
		{path: "@types/node/-/node-1.0.0.tgz", scope: "types", name: "node", tail: "-/node-1.0.0.tgz"},
		{path: "@types%2fnode/-rev/1-a", scope: "types", name: "node", tail: "-rev/1-a"},
		{path: "@types%2fnode/latest", scope: "types", name: "node", tail: "latest"},
		{path: "JSONStream", name: "JSONStream"},
		{path: "@types", bad: true},
		{path: "@%2fnode", bad: true},
		{path: "@types%2f", bad: true},
		{path: ".hidden", bad: true},
		{path: "_under", bad: true},
		{path: "a%20b", bad: true},
		{path: "a%zz", bad: true},
		{path: "%2e%2e", bad: true},
		{path: "@a%2fb%2fc", bad: true},
		// Invalid UTF-8 before the encoded slash once made the index
		// point past the end of the path (a panic).
		{path: "@\xff%2fa", bad: true},
		{path: "@\xc3\x28\xff%2Fab/x", bad: true},
	}
	for _, tt := range tests {
		n, tail, err := splitPackagePath(tt.path)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: accepted as %+v", tt.path, n)
			}
			continue
		}
		if err != nil || n.Scope != tt.scope || n.Name != tt.name || tail != tt.tail {
			t.Errorf("%q = %+v, %q, %v; want scope %q name %q tail %q", tt.path, n, tail, err, tt.scope, tt.name, tt.tail)
		}
	}
}

func TestTarballVersion(t *testing.T) {
	tests := []struct {
		name, file, version string
		ok                  bool
	}{
		{"left-pad", "left-pad-1.0.0.tgz", "1.0.0", true},
		{"left-pad", "left-pad-1.0.0-beta.1.tgz", "1.0.0-beta.1", true},
		{"@s/demo", "demo-2.0.0.tgz", "2.0.0", true},
		{"@s/demo", "@s/demo-2.0.0.tgz", "2.0.0", true},
		{"@s/demo", "@s%2fdemo-2.0.0.tgz", "2.0.0", true},
		{"left-pad", "other-1.0.0.tgz", "", false},
		{"left-pad", "left-pad-1.0.tgz", "", false},
		{"left-pad", "left-pad-1.0.0.tar.gz", "", false},
		{"left-pad", "left-pad-.tgz", "", false},
	}
	for _, tt := range tests {
		n, _ := parseName(tt.name)
		v, ok := tarballVersion(n, tt.file)
		if v != tt.version || ok != tt.ok {
			t.Errorf("tarballVersion(%s, %s) = %q, %v; want %q, %v", tt.name, tt.file, v, ok, tt.version, tt.ok)
		}
	}
}
func TestCleanVersion(t *testing.T) {
	for in, want := range map[string]string{"1.0.0": "1.0.0", " v1.2.3 ": "1.2.3", "=1.0.0": "1.0.0", "v=1.0.0": "1.0.0"} {
		if got := cleanVersion(in); got != want {
			t.Errorf("cleanVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
