package npm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/model"
)

// collect returns each attachment's data as read through onData.
func collect(t *testing.T, body string) (*putDoc, map[string]string, error) {
	t.Helper()
	data := map[string]string{}
	doc, err := readPutDoc(strings.NewReader(body), func(name string, r io.Reader) error {
		// A one-byte reader exercises every buffering boundary.
		b, err := io.ReadAll(iotest.OneByteReader(r))
		data[name] = string(b)
		return err
	})
	return doc, data, err
}

func TestReadPutDoc(t *testing.T) {
	doc, data, err := collect(t, ` { "name" : "x", "versions": {"1.0.0": {"a": [1, 2, {"b": "}]\"{"}]}},
		"n": -1.5e3, "t": true, "z": null,
		"_attachments": {"x-1.0.0.tgz": {"content_type": "application/octet-stream", "data": "a\/b\\c\"d\u00e9\ud83d\ude00\n", "length": 9}} } `)
	if err != nil {
		t.Fatal(err)
	}
	if got := data["x-1.0.0.tgz"]; got != "a/b\\c\"dé😀\n" {
		t.Errorf("data = %q", got)
	}
	if len(doc.Attachments) != 1 || doc.Attachments[0].Length != 9 || !doc.Attachments[0].HasData || doc.Attachments[0].ContentType != "application/octet-stream" {
		t.Errorf("attachments = %+v", doc.Attachments)
	}
	for k, want := range map[string]string{"name": `"x"`, "n": "-1.5e3", "t": "true", "z": "null", "versions": `{"1.0.0": {"a": [1, 2, {"b": "}]\"{"}]}}`} {
		if got := string(doc.Fields[k]); got != want {
			t.Errorf("field %s = %s, want %s", k, got, want)
		}
	}
}

func TestReadPutDocEarlyStop(t *testing.T) {
	// onData may stop reading; the rest of the string is skipped.
	doc, err := readPutDoc(strings.NewReader(`{"_attachments":{"a.tgz":{"data":"0123456789"}},"name":"x"}`), func(string, io.Reader) error { return nil })
	if err != nil || string(doc.Fields["name"]) != `"x"` {
		t.Fatalf("doc %+v, err %v", doc, err)
	}
}

func TestReadPutDocRejects(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"not object", `[1]`},
		{"trailing", `{"a":1} x`},
		{"unterminated", `{"a":"b`},
		{"bad literal", `{"a":tru}`},
		{"missing colon", `{"a" 1}`},
		{"missing comma", `{"a":1 "b":2}`},
		{"non-string key", `{1:2}`},
		{"duplicate key", `{"a":1,"a":2}`},
		{"unbalanced", `{"a":[1}}`},
		{"control char in data", "{\"_attachments\":{\"a.tgz\":{\"data\":\"ab\x01\"}}}"},
		{"bad escape", `{"_attachments":{"a.tgz":{"data":"\q"}}}`},
		{"bad unicode", `{"_attachments":{"a.tgz":{"data":"\u12g4"}}}`},
		{"data twice", `{"_attachments":{"a.tgz":{"data":"","data":""}}}`},
		{"negative length", `{"_attachments":{"a.tgz":{"length":-1}}}`},
		{"truncated attachment", `{"_attachments":{"a.tgz":{"data":"abc`},
	}
	for _, tt := range tests {
		_, _, err := collect(t, tt.body)
		if !errors.Is(err, model.ErrValidation) {
			t.Errorf("%s: err = %v, want a validation error", tt.name, err)
		}
	}
}

func TestReadPutDocBudget(t *testing.T) {
	defer func(old int64) { maxMetadata = old }(maxMetadata)
	maxMetadata = 1 << 20
	big := `{"readme":"` + strings.Repeat("x", int(maxMetadata)) + `"}`
	_, _, err := collect(t, big)
	if !errors.Is(err, model.ErrQuotaExceeded) {
		t.Fatalf("err = %v, want quota exceeded", err)
	}
	// Attachment data does not count against the metadata budget.
	huge := `{"_attachments":{"a.tgz":{"data":"` + strings.Repeat("A", int(maxMetadata)+10) + `"}}}`
	var n int64
	_, err = readPutDoc(strings.NewReader(huge), func(_ string, r io.Reader) error {
		n, err = io.Copy(io.Discard, r)
		return err
	})
	if err != nil || n != maxMetadata+10 {
		t.Fatalf("err = %v, len = %d", err, n)
	}
}

func TestLimitBody(t *testing.T) {
	l := &limitBody{r: bytes.NewReader(make([]byte, 10)), remaining: 10, limit: 10}
	if n, err := io.Copy(io.Discard, l); n != 10 || err != nil {
		t.Fatalf("exact limit: %d, %v", n, err)
	}
	l = &limitBody{r: bytes.NewReader(make([]byte, 11)), remaining: 10, limit: 10}
	_, err := io.Copy(io.Discard, l)
	var mb *maxBytesError
	if !errors.As(err, &mb) {
		t.Fatalf("over limit: %v", err)
	}
	_, err = readPutDoc(&limitBody{r: strings.NewReader(`{"a":"0123456789"}`), remaining: 8, limit: 8}, nil)
	if !errors.Is(err, model.ErrQuotaExceeded) {
		t.Fatalf("parser over limit: %v", err)
	}
}
