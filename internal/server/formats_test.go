package server

import "testing"

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
	if seen["flag npmjs-url"] != "public:npmjs" || seen["variable WHARF_NPMJS_URL"] != "public:npmjs" {
		t.Errorf("public:npmjs lost its flag or variable: %v", seen)
	}
}
