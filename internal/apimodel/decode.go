package apimodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// DefaultMaxBody is the body limit Decode applies when given maxBody <= 0.
// The largest legitimate CodeArtifact JSON body (a 7 KiB policy, or 200
// tags) is far below it.
const DefaultMaxBody = 1 << 20

// Decode gathers the operation's input from r, wherever the model binds
// each member (query string, headers, JSON body), converts it to the
// model's types, validates it against the model's constraints and returns
// it as one JSON object keyed by member name, ready to unmarshal into the
// handler's input struct.
//
// A streaming payload member (PublishPackageVersion's assetContent) is not
// read: r.Body is left for the handler. Operations without body members
// ignore the body, since the SDKs send none or "{}". Unknown body members
// and query parameters are ignored; of a repeated query parameter the first
// value counts.
//
// Errors are *model.Error ValidationExceptions: CANNOT_PARSE for a
// malformed query string or body, a JSON value of the wrong type, or an
// unparseable number or boolean; OTHER for a body over maxBody bytes
// (DefaultMaxBody if maxBody <= 0); FIELD_VALIDATION_FAILED listing every
// constraint violation. A failure reading the body is returned wrapped.
func (op *Operation) Decode(r *http.Request, maxBody int64) (json.RawMessage, error) {
	in, err := op.DecodeInput(r, maxBody)
	if err != nil {
		return nil, err
	}
	return in.Raw()
}

// DecodeInput is Decode without the final encoding: it gathers, converts
// and validates the input the same way, with the same errors, and returns
// it for Input.Bind to set straight into the handler's input struct.
func (op *Operation) DecodeInput(r *http.Request, maxBody int64) (*Input, error) {
	// The query parameters the operation reads, in op.query's order.
	var qs queryScan
	var query url.Values
	var err error
	if qs.scannable(op, r.URL.RawQuery) {
		err = qs.scan(op, r.URL.RawQuery)
	} else {
		query, err = url.ParseQuery(r.URL.RawQuery)
	}
	if err != nil {
		return nil, cannotParse("Cannot parse query string: %v", err)
	}
	in := newInput(op)
	if len(op.body) > 0 {
		body, err := readBody(r, maxBody)
		if err != nil {
			return nil, err
		}
		obj, err := structFromJSON("", op.input, body, byWireName)
		if err != nil {
			return nil, err
		}
		in.setAll(obj)
	}
	qi := 0 // index of the next querystring member in op.query
	for mi, m := range op.input.Members {
		var raw string
		switch m.Location {
		case "querystring":
			i := qi
			qi++
			if query != nil {
				vs := query[m.LocationName]
				if len(vs) == 0 {
					continue
				}
				raw = vs[0]
			} else {
				if !qs.found[i] {
					continue
				}
				raw = qs.first[i]
			}
		case "header":
			vs := r.Header.Values(m.LocationName)
			if len(vs) == 0 {
				continue
			}
			raw = vs[0]
		default:
			continue
		}
		if !utf8.ValidString(raw) {
			// encoding/json would quietly turn it into U+FFFD, and the
			// name stored would not be the name sent.
			return nil, cannotParse("Cannot parse %s %s: invalid UTF-8", m.Location, m.LocationName)
		}
		v, err := fromString(memberPath("", m.Name), m.target, raw)
		if err != nil {
			return nil, err
		}
		in.vals[mi] = v
	}
	if err := validateValues(op.input, in.vals); err != nil {
		return nil, err
	}
	return in, nil
}

// Validate checks a document in Decode's output form (every member keyed
// by member name, whatever its HTTP location) against the model, with the
// same errors Decode gives. It serves inputs that did not come from an
// HTTP request, and lets tests prove Decode's output is itself valid.
func (op *Operation) Validate(input json.RawMessage) error {
	obj, err := parseObject(input, "input")
	if err != nil {
		return err
	}
	in, err := structFromJSON("", op.input, obj, byMemberName)
	if err != nil {
		return err
	}
	return validateInput(op.input, in)
}

func readBody(r *http.Request, maxBody int64) (map[string]any, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if r.ContentLength > maxBody {
		return nil, bodyTooLarge(maxBody)
	}
	if r.Body == nil {
		return map[string]any{}, nil
	}
	// One byte past the limit tells "exactly at the limit" from "over it"
	// when the length is not declared.
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, bodyTooLarge(min(maxBody, tooBig.Limit))
		}
		return nil, fmt.Errorf("apimodel: reading request body: %w", err)
	}
	if int64(len(b)) > maxBody {
		return nil, bodyTooLarge(maxBody)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil // no body at all is an empty input
	}
	if !utf8.Valid(b) {
		return nil, cannotParse("Cannot parse request body: invalid UTF-8")
	}
	return parseObject(b, "request body")
}

// parseObject decodes b as one JSON object, keeping numbers exact.
func parseObject(b []byte, what string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, cannotParse("Cannot parse %s: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, cannotParse("Cannot parse %s: unexpected data after the JSON value", what)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, cannotParse("Cannot parse %s: expected a JSON object, got %s", what, jsonKind(v))
	}
	return obj, nil
}

func marshal(in map[string]any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // policies contain '&' and '<'; keep them legible
	if err := enc.Encode(in); err != nil {
		return nil, fmt.Errorf("apimodel: encoding input: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
