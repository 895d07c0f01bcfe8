package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonType is the kind of a JSON value.
type jsonType int

const (
	jsonNull jsonType = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (t jsonType) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[t]
}

// jsonValue is a decoded JSON value. Policies are decoded into this tree
// rather than into structs so that every element can be type-checked with a
// precise message, unknown keys are seen, and duplicate keys (which
// encoding/json would silently resolve to the last one) are rejected.
type jsonValue struct {
	typ   jsonType
	str   string       // string contents, number text, or "true"/"false"
	keys  []string     // object keys in document order
	elems []*jsonValue // object values (parallel to keys) or array elements
}

// decodeJSON decodes exactly one JSON value from doc.
func decodeJSON(doc string) (*jsonValue, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, syntaxError(err)
		}
		return nil, errors.New("Policy document contains data after the end of the JSON object")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case nil:
		return &jsonValue{typ: jsonNull}, nil
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return &jsonValue{typ: jsonBool, str: s}, nil
	case json.Number:
		return &jsonValue{typ: jsonNumber, str: string(t)}, nil
	case string:
		return &jsonValue{typ: jsonString, str: t}, nil
	case json.Delim:
		switch t {
		case '{':
			return decodeObject(dec)
		case '[':
			return decodeArray(dec)
		}
	}
	// Token only returns a closing delimiter where one is valid, which
	// decodeObject and decodeArray consume; this is for safety.
	return nil, fmt.Errorf("Policy document is not valid JSON: unexpected %v", tok)
}

func decodeObject(dec *json.Decoder) (*jsonValue, error) {
	v := &jsonValue{typ: jsonObject}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("Policy document is not valid JSON: object key %v is not a string", tok)
		}
		if seen[key] {
			return nil, fmt.Errorf("Policy document contains duplicate key %q", key)
		}
		seen[key] = true
		elem, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, key)
		v.elems = append(v.elems, elem)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntaxError(err)
	}
	return v, nil
}

func decodeArray(dec *json.Decoder) (*jsonValue, error) {
	v := &jsonValue{typ: jsonArray}
	for dec.More() {
		elem, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		v.elems = append(v.elems, elem)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, syntaxError(err)
	}
	return v, nil
}

func syntaxError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("Policy document is not valid JSON: %w", err)
}
