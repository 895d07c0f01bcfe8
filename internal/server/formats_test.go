package server

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// Every listed format's declaration is valid, and names, flags and
// variables are each claimed once.
func TestFormatDeclarations(t *testing.T) {
	names := map[string]bool{}
	for _, f := range Formats {
		if err := f.Check(); err != nil {
			t.Error(err)
		}
		if names[string(f.Name)] {
			t.Errorf("format %s listed twice", f.Name)
		}
		names[string(f.Name)] = true
	}
	seen := map[string]string{}
	for _, c := range Connections() {
		for _, k := range []string{"connection " + c.Name, "flag " + c.Flag, "variable " + c.Env} {
			if other, ok := seen[k]; ok {
				t.Errorf("%s declared twice (%s and %s)", k, other, c.Name)
			}
			seen[k] = c.Name
		}
	}
	// The flags wharf serve has always taken, and every connection
	// CodeArtifact offers, are declared.
	for flag, conn := range map[string]string{"npmjs-url": "public:npmjs", "pypi-url": "public:pypi", "maven-central-url": "public:maven-central",
		"crates-io-url": "public:crates-io", "nuget-org-url": "public:nuget-org", "rubygems-url": "public:ruby-gems-org"} {
		if seen["flag "+flag] != conn {
			t.Errorf("flag %s: declared by %q, want %s", flag, seen["flag "+flag], conn)
		}
	}
	for _, c := range model.ExternalConnections {
		if _, ok := seen["connection "+c.Name]; !ok {
			t.Errorf("no format declares %s", c.Name)
		}
	}
}
