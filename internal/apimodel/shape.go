package apimodel

import (
	"fmt"
	"regexp"
)

// apiModel mirrors operations.json as written by ./gen.
type apiModel struct {
	APIVersion string `json:"apiVersion"`
	Protocol   string `json:"protocol"`
	Operations []struct {
		Name   string `json:"name"`
		Method string `json:"method"`
		Path   string `json:"path"`
		Input  string `json:"input"`
		Output string `json:"output"`
	} `json:"operations"`
	Shapes map[string]*shape `json:"shapes"`
}

// shape is a type from the service model with its constraints.
type shape struct {
	Type      string    `json:"type"`
	Members   []*member `json:"members"`
	Min       *int64    `json:"min"`
	Max       *int64    `json:"max"`
	Pattern   string    `json:"pattern"` // Java syntax, as AWS reports it
	Enum      []string  `json:"enum"`
	Member    string    `json:"member"`
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	Streaming bool      `json:"streaming"`

	name               string
	re                 *regexp.Regexp // Pattern, translated and anchored
	ascii              *asciiMatcher  // Pattern for ASCII values, where it can
	member, key, value *shape
	enumSet            map[string]bool
}

type member struct {
	Name         string `json:"name"`
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
	Required     bool   `json:"required"`
	Payload      bool   `json:"payload"`

	target *shape
}

// wireName is the JSON key or query/header name that carries the member.
func (m *member) wireName() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func (s *shape) scalar() bool {
	switch s.Type {
	case "string", "integer", "long", "boolean":
		return true
	}
	return false
}

// link resolves shape references and compiles patterns once, so requests
// never pay for it and a bad pattern fails at init rather than per request.
func (m *apiModel) link() error {
	resolve := func(from, name string) (*shape, error) {
		s, ok := m.Shapes[name]
		if !ok {
			return nil, fmt.Errorf("shape %s refers to undefined shape %q", from, name)
		}
		return s, nil
	}
	for name, s := range m.Shapes {
		s.name = name
		var err error
		switch s.Type {
		case "string", "integer", "long", "boolean", "blob":
		case "structure":
			for _, mem := range s.Members {
				if mem.target, err = resolve(name, mem.Shape); err != nil {
					return err
				}
			}
		case "list":
			if s.member, err = resolve(name, s.Member); err != nil {
				return err
			}
		case "map":
			if s.key, err = resolve(name, s.Key); err != nil {
				return err
			}
			if s.value, err = resolve(name, s.Value); err != nil {
				return err
			}
			if s.key.Type != "string" {
				return fmt.Errorf("shape %s: map keys of type %s are not supported", name, s.key.Type)
			}
		default:
			// Timestamps, floats etc. do not occur in CodeArtifact inputs;
			// refusing them keeps the decoder honest about what it handles.
			return fmt.Errorf("shape %s: type %q is not supported", name, s.Type)
		}
		if s.Pattern != "" {
			if s.re, err = compileJavaPattern(s.Pattern); err != nil {
				return fmt.Errorf("shape %s: %w", name, err)
			}
			s.ascii = compileASCIIMatcher(s.Pattern)
		}
		if len(s.Enum) > 0 {
			s.enumSet = make(map[string]bool, len(s.Enum))
			for _, v := range s.Enum {
				s.enumSet[v] = true
			}
		}
	}
	return nil
}
