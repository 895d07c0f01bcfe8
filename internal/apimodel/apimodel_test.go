package apimodel

import (
	"errors"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestOperationsAreUniqueRoutes(t *testing.T) {
	ops := Operations()
	if len(ops) != 48 {
		t.Fatalf("Operations() = %d operations, want 48", len(ops))
	}
	names := map[string]bool{}
	routes := map[string]string{}
	for _, op := range ops {
		if names[op.Name] {
			t.Errorf("duplicate operation name %s", op.Name)
		}
		names[op.Name] = true
		route := op.Method + " " + op.Path
		if prev, ok := routes[route]; ok {
			t.Errorf("%s and %s share %s", prev, op.Name, route)
		}
		routes[route] = op.Name
		if !strings.HasPrefix(op.Path, "/v1/") || strings.ContainsAny(op.Path, "?{") {
			t.Errorf("%s: path %q is not a literal /v1 path", op.Name, op.Path)
		}
		if op.Input != op.Name+"Request" || op.Output != op.Name+"Result" {
			t.Errorf("%s: shapes %s -> %s", op.Name, op.Input, op.Output)
		}
		got, err := Lookup(op.Method, op.Path)
		if err != nil || got != op {
			t.Errorf("Lookup(%s) = %v, %v; want %s", route, got, err, op.Name)
		}
	}
	// The one path shared by three methods, which a router must not merge.
	for method, want := range map[string]string{
		"GET": "DescribePackage", "DELETE": "DeletePackage", "POST": "PutPackageOriginConfiguration",
	} {
		if got := routes[method+" /v1/package"]; got != want {
			t.Errorf("%s /v1/package = %q, want %s", method, got, want)
		}
	}
}

func TestOperationsReturnsACopy(t *testing.T) {
	ops := Operations()
	ops[0] = nil
	if Operations()[0] == nil {
		t.Fatal("Operations() exposes the registry's slice")
	}
}

func TestPayloadOnlyOnPublish(t *testing.T) {
	for _, op := range Operations() {
		want := ""
		if op.Name == "PublishPackageVersion" {
			want = "assetContent"
		}
		if op.Payload != want {
			t.Errorf("%s: Payload = %q, want %q", op.Name, op.Payload, want)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		method, path string
		msg          string
	}{
		{"GET", "/v1/nope", "No operation is bound to GET /v1/nope"},
		{"GET", "/v1/domains", "Operation GET /v1/domains is not supported; /v1/domains accepts POST"},
		{"PUT", "/v1/package", "Operation PUT /v1/package is not supported; /v1/package accepts DELETE, GET, POST"},
		{"POST", "/v1/domains/", "No operation is bound to POST /v1/domains/"},
		{"post", "/v1/domains", "Operation post /v1/domains is not supported; /v1/domains accepts POST"},
		{"GET", "", "No operation is bound to GET "},
	}
	for _, tt := range tests {
		op, err := Lookup(tt.method, tt.path)
		var me *model.Error
		if op != nil || !errors.As(err, &me) {
			t.Errorf("Lookup(%q, %q) = %v, %v; want *model.Error", tt.method, tt.path, op, err)
			continue
		}
		if me.Kind != model.KindValidation || me.Reason != model.ReasonUnknownOperation || me.Message != tt.msg {
			t.Errorf("Lookup(%q, %q) = %+v; want UNKNOWN_OPERATION %q", tt.method, tt.path, me, tt.msg)
		}
	}
}

// Every pattern in the model must compile; load already enforces it, so
// this also pins that the embedded data really carries patterns.
func TestEveryModelPatternCompiles(t *testing.T) {
	n := 0
	for name, s := range registry.apiModel.Shapes {
		if s.Pattern == "" {
			continue
		}
		n++
		if s.re == nil {
			t.Errorf("shape %s: pattern %q not compiled", name, s.Pattern)
		}
		if _, err := compileJavaPattern(s.Pattern); err != nil {
			t.Errorf("shape %s: %v", name, err)
		}
	}
	if n < 10 {
		t.Errorf("only %d patterns in the model; operations.json looks stripped", n)
	}
}

func TestLoadRejectsWhatDecodeCannotServe(t *testing.T) {
	const ops = `"operations":[{"name":"Op","method":"POST","path":"/v1/op","input":"In"}]`
	tests := []struct{ name, data, want string }{
		{"bad JSON", `{`, "unexpected end"},
		{"undefined shape", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"Nope"}]}}}`, `undefined shape "Nope"`},
		{"uri location", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"S","location":"uri","locationName":"a"}]},"S":{"type":"string"}}}`, `location "uri"`},
		{"query list", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"L","location":"querystring","locationName":"a"}]},"L":{"type":"list","member":"S"},"S":{"type":"string"}}}`, "querystring-bound list"},
		{"timestamp", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"T"}]},"T":{"type":"timestamp"}}}`, `type "timestamp"`},
		{"body blob", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"B"}]},"B":{"type":"blob"}}}`, "only supported as the payload"},
		{"bad pattern", `{` + ops + `,"shapes":{"In":{"type":"structure","members":[{"name":"a","shape":"S"}]},"S":{"type":"string","pattern":"\\p{Nope}"}}}`, "unsupported property"},
		{"duplicate route", `{"operations":[{"name":"A","method":"GET","path":"/v1/x"},{"name":"B","method":"GET","path":"/v1/x"}],"shapes":{}}`, "share GET /v1/x"},
		{"input not structure", `{` + ops + `,"shapes":{"In":{"type":"string"}}}`, "not a structure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("load() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
