// Package apimodel holds the CodeArtifact API surface as data: the 48
// operations with their HTTP bindings and input shapes, generated from
// botocore's service model, and one model-driven request decoder that
// gathers, type-converts and validates the input of any operation the way
// AWS does, so handlers receive plain JSON keyed by member name.
package apimodel

//go:generate go run ./gen

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed operations.json
var operationsJSON []byte

// Operation is one CodeArtifact API operation.
type Operation struct {
	Name   string // e.g. "ListPackageVersions"
	Method string // HTTP method
	Path   string // exact request path, e.g. "/v1/package/versions"
	Input  string // input shape name
	Output string // output shape name
	// Payload names the input member bound to the raw request body
	// (PublishPackageVersion's assetContent), or is empty. Decode leaves
	// that body unread for the handler.
	Payload string

	input *shape
	// binders caches Bind's plan (*binder) for each input struct type
	// (reflect.Type).
	binders sync.Map
	// body lists the input members carried in the JSON body; when empty the
	// operation ignores the body entirely.
	body []*member
	// query lists the input members carried in the query string.
	query []*member
	// maxBody is MaxBodyBytes, worked out once from body.
	maxBody int64
}

// registry is built once from the embedded model.
var registry = mustLoad(operationsJSON)

type index struct {
	ops      []*Operation
	byRoute  map[string]*Operation // "METHOD /path"
	byPath   map[string][]string   // path -> methods, to explain wrong-method errors
	apiModel *apiModel
}

// Operations returns every operation, sorted by name. The operations are
// shared; callers must not modify them.
func Operations() []*Operation {
	return slices.Clone(registry.ops)
}

// Lookup finds the operation bound to method and path; the path must match
// exactly (no trailing slash, no templating). Both an unknown path and a
// known path with a method it does not accept yield a ValidationException
// with reason UNKNOWN_OPERATION, mirroring the reason AWS lists for
// requests that name no operation; they differ only in the message.
func Lookup(method, path string) (*Operation, error) {
	if op, ok := registry.byRoute[method+" "+path]; ok {
		return op, nil
	}
	if methods, ok := registry.byPath[path]; ok {
		return nil, unknownOperation("Operation %s %s is not supported; %s accepts %s",
			method, path, path, strings.Join(methods, ", "))
	}
	return nil, unknownOperation("No operation is bound to %s %s", method, path)
}

func mustLoad(data []byte) *index {
	idx, err := load(data)
	if err != nil {
		// The data is embedded at build time, so this is a build defect
		// (usually a hand edit or a generator change), not a runtime state.
		panic("apimodel: operations.json: " + err.Error())
	}
	return idx
}

func load(data []byte) (*index, error) {
	var m apiModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if err := m.link(); err != nil {
		return nil, err
	}
	idx := &index{byRoute: map[string]*Operation{}, byPath: map[string][]string{}, apiModel: &m}
	for _, o := range m.Operations {
		op := &Operation{Name: o.Name, Method: o.Method, Path: o.Path, Input: o.Input, Output: o.Output}
		if err := op.bind(&m); err != nil {
			return nil, fmt.Errorf("operation %s: %w", o.Name, err)
		}
		route := op.Method + " " + op.Path
		if prev, dup := idx.byRoute[route]; dup {
			return nil, fmt.Errorf("operations %s and %s share %s", prev.Name, op.Name, route)
		}
		idx.byRoute[route] = op
		idx.byPath[op.Path] = append(idx.byPath[op.Path], op.Method)
		idx.ops = append(idx.ops, op)
	}
	slices.SortFunc(idx.ops, func(a, b *Operation) int { return strings.Compare(a.Name, b.Name) })
	for _, ms := range idx.byPath {
		slices.Sort(ms)
	}
	return idx, nil
}

// bind resolves the operation's input shape and checks that every member
// lives somewhere the decoder knows how to read.
func (op *Operation) bind(m *apiModel) error {
	if op.Input == "" {
		// Every CodeArtifact operation has an input; an empty structure
		// keeps Decode uniform should a future one not.
		op.input = &shape{Type: "structure"}
		return nil
	}
	in, ok := m.Shapes[op.Input]
	if !ok || in.Type != "structure" {
		return fmt.Errorf("input %q is not a structure", op.Input)
	}
	op.input = in
	for _, mem := range in.Members {
		switch {
		case mem.Payload:
			if mem.target.Type != "blob" || !mem.target.Streaming {
				return fmt.Errorf("payload member %s: only streaming blobs are supported", mem.Name)
			}
			op.Payload = mem.Name
		case mem.Location == "querystring" || mem.Location == "header":
			if !mem.target.scalar() {
				return fmt.Errorf("member %s: %s-bound %s is not supported", mem.Name, mem.Location, mem.target.Type)
			}
			if mem.Location == "querystring" {
				op.query = append(op.query, mem)
			}
		case mem.Location == "":
			if err := decodable(mem.target, map[*shape]bool{}); err != nil {
				return fmt.Errorf("member %s: %w", mem.Name, err)
			}
			op.body = append(op.body, mem)
		default:
			return fmt.Errorf("member %s: location %q is not supported", mem.Name, mem.Location)
		}
	}
	op.maxBody = bodyBound(op.body)
	return nil
}

// decodable reports whether every shape reachable from s can be read from
// JSON by fromJSON; blobs only ever appear as the raw payload.
func decodable(s *shape, seen map[*shape]bool) error {
	if seen[s] {
		return nil
	}
	seen[s] = true
	switch s.Type {
	case "blob":
		return fmt.Errorf("shape %s: blobs are only supported as the payload", s.name)
	case "list":
		return decodable(s.member, seen)
	case "map":
		if err := decodable(s.key, seen); err != nil {
			return err
		}
		return decodable(s.value, seen)
	case "structure":
		for _, m := range s.Members {
			if m.Location != "" || m.Payload {
				return fmt.Errorf("shape %s: nested member %s has an HTTP binding", s.name, m.Name)
			}
			if err := decodable(m.target, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
