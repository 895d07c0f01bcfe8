package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// sourceModel is the subset of botocore's service-2.json that gen reads.
// Unlisted fields (documentation, errors, ...) are dropped by decoding.
type sourceModel struct {
	Metadata struct {
		APIVersion string `json:"apiVersion"`
		Protocol   string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input  *shapeRef `json:"input"`
		Output *shapeRef `json:"output"`
	} `json:"operations"`
	Shapes map[string]sourceShape `json:"shapes"`
}

type shapeRef struct {
	Shape string `json:"shape"`
}

type sourceShape struct {
	Type      string        `json:"type"`
	Required  []string      `json:"required"`
	Members   sourceMembers `json:"members"`
	Payload   string        `json:"payload"`
	Min       *int64        `json:"min"`
	Max       *int64        `json:"max"`
	Pattern   string        `json:"pattern"`
	Enum      []string      `json:"enum"`
	Member    *shapeRef     `json:"member"`
	Key       *shapeRef     `json:"key"`
	Value     *shapeRef     `json:"value"`
	Streaming bool          `json:"streaming"`
}

type sourceMember struct {
	Name         string `json:"-"`
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

// sourceMembers keeps the model's member order, which a Go map would lose;
// the decoder reports validation errors in that order.
type sourceMembers []sourceMember

func (ms *sourceMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("members: want an object, got %v (%v)", t, err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("members: %w", err)
		}
		var m sourceMember
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("member %v: %w", t, err)
		}
		m.Name = t.(string)
		*ms = append(*ms, m)
	}
	return nil
}

// outModel is the format of operations.json; package apimodel decodes the
// same field names.
type outModel struct {
	APIVersion string               `json:"apiVersion"`
	Protocol   string               `json:"protocol"`
	Operations []*outOperation      `json:"operations"`
	Shapes     map[string]*outShape `json:"shapes"`
}

type outOperation struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
}

type outShape struct {
	Type      string       `json:"type"`
	Members   []*outMember `json:"members,omitempty"`
	Min       *int64       `json:"min,omitempty"`
	Max       *int64       `json:"max,omitempty"`
	Pattern   string       `json:"pattern,omitempty"`
	Enum      []string     `json:"enum,omitempty"`
	Member    string       `json:"member,omitempty"`
	Key       string       `json:"key,omitempty"`
	Value     string       `json:"value,omitempty"`
	Streaming bool         `json:"streaming,omitempty"`
}

type outMember struct {
	Name         string `json:"name"`
	Shape        string `json:"shape"`
	Location     string `json:"location,omitempty"`
	LocationName string `json:"locationName,omitempty"`
	Required     bool   `json:"required,omitempty"`
	Payload      bool   `json:"payload,omitempty"`
}
