// Command gen turns botocore's CodeArtifact service model into the compact
// operations.json that package apimodel embeds.
//
// It keeps only what the request decoder needs: each operation's HTTP
// binding and shape names, and the input shapes with their locations and
// constraints. Documentation and everything else is dropped on purpose so
// that no AWS prose ends up in our tree.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// modelRel is where botocore keeps the CodeArtifact model, relative to the
// botocore package directory.
const modelRel = "data/codeartifact/2018-09-22/service-2.json.gz"

func main() {
	in := flag.String("model", "", "botocore service-2.json(.gz) for CodeArtifact (default: found via python3 -c 'import botocore')")
	out := flag.String("out", "operations.json", "output file")
	flag.Parse()

	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" {
		dir, err := botocoreDir()
		if err != nil {
			return err
		}
		in = filepath.Join(dir, modelRel)
	}
	raw, err := readModel(in)
	if err != nil {
		return err
	}
	var src sourceModel
	if err := json.Unmarshal(raw, &src); err != nil {
		return fmt.Errorf("parsing %s: %w", in, err)
	}
	m, err := convert(&src)
	if err != nil {
		return fmt.Errorf("converting %s: %w", in, err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// Write then rename so a failed run never leaves a truncated file that
	// would break the build through go:embed.
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// botocoreDir asks the local Python for botocore's location, because that
// is where the authoritative model lives on a developer machine.
func botocoreDir() (string, error) {
	cmd := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating botocore with python3 (use -model to give the path): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func readModel(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Accept both the gzipped file botocore ships and a plain copy.
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	b, err = io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// errUnsupported marks model features the runtime decoder cannot serve;
// failing here is better than generating data the decoder misreads.
var errUnsupported = errors.New("unsupported by apimodel")

func convert(src *sourceModel) (*outModel, error) {
	m := &outModel{
		APIVersion: src.Metadata.APIVersion,
		Protocol:   src.Metadata.Protocol,
		Shapes:     map[string]*outShape{},
	}
	if m.Protocol != "rest-json" {
		return nil, fmt.Errorf("protocol %q: %w", m.Protocol, errUnsupported)
	}
	names := make([]string, 0, len(src.Operations))
	for name := range src.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		op := src.Operations[name]
		path, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
		if strings.Contains(path, "{") {
			return nil, fmt.Errorf("operation %s: templated path %q: %w", name, path, errUnsupported)
		}
		o := &outOperation{Name: name, Method: op.HTTP.Method, Path: path}
		if op.Input != nil {
			o.Input = op.Input.Shape
			if err := addShape(src, m, o.Input); err != nil {
				return nil, fmt.Errorf("operation %s: %w", name, err)
			}
		}
		if op.Output != nil {
			o.Output = op.Output.Shape
		}
		m.Operations = append(m.Operations, o)
	}
	return m, nil
}

// addShape copies name and every shape reachable from it.
func addShape(src *sourceModel, m *outModel, name string) error {
	if _, done := m.Shapes[name]; done {
		return nil
	}
	s, ok := src.Shapes[name]
	if !ok {
		return fmt.Errorf("shape %s is not defined", name)
	}
	o := &outShape{
		Type: s.Type, Min: s.Min, Max: s.Max, Pattern: s.Pattern,
		Enum: s.Enum, Streaming: s.Streaming,
	}
	m.Shapes[name] = o // before recursing, so recursive shapes terminate
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, mem := range s.Members {
		switch mem.Location {
		case "", "querystring", "header":
		default:
			return fmt.Errorf("shape %s member %s: location %q: %w", name, mem.Name, mem.Location, errUnsupported)
		}
		o.Members = append(o.Members, &outMember{
			Name: mem.Name, Shape: mem.Shape, Location: mem.Location,
			LocationName: mem.LocationName, Required: required[mem.Name],
			Payload: s.Payload != "" && s.Payload == mem.Name,
		})
		if err := addShape(src, m, mem.Shape); err != nil {
			return err
		}
	}
	for _, ref := range []struct {
		r   *shapeRef
		dst *string
	}{{s.Member, &o.Member}, {s.Key, &o.Key}, {s.Value, &o.Value}} {
		if ref.r == nil {
			continue
		}
		*ref.dst = ref.r.Shape
		if err := addShape(src, m, ref.r.Shape); err != nil {
			return err
		}
	}
	return nil
}
