package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `{
  "metadata": {"apiVersion": "2018-09-22", "protocol": "rest-json", "documentation": "prose"},
  "documentation": "<p>Service prose</p>",
  "operations": {
    "Put": {
      "name": "Put", "http": {"method": "PUT", "requestUri": "/v1/thing?literal"},
      "input": {"shape": "PutRequest"}, "output": {"shape": "PutResult"},
      "errors": [{"shape": "Boom"}], "documentation": "<p>Op prose</p>"
    }
  },
  "shapes": {
    "PutRequest": {
      "type": "structure", "required": ["zeta", "body"], "payload": "body",
      "members": {
        "zeta": {"shape": "Name", "location": "querystring", "locationName": "z", "documentation": "m"},
        "alpha": {"shape": "Names"},
        "body": {"shape": "Blob"}
      },
      "documentation": "s"
    },
    "Name": {"type": "string", "min": 0, "max": 5, "pattern": "[a-z]+", "documentation": "d"},
    "Names": {"type": "list", "member": {"shape": "Name", "documentation": "d"}, "max": 3},
    "Blob": {"type": "blob", "streaming": true},
    "PutResult": {"type": "structure", "members": {"x": {"shape": "Unused"}}},
    "Unused": {"type": "string"},
    "Boom": {"type": "structure", "members": {}, "exception": true}
  }
}`

func TestConvertStripsAndKeepsOrder(t *testing.T) {
	var src sourceModel
	if err := json.Unmarshal([]byte(sample), &src); err != nil {
		t.Fatal(err)
	}
	m, err := convert(&src)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(m)
	want := `{"apiVersion":"2018-09-22","protocol":"rest-json",` +
		`"operations":[{"name":"Put","method":"PUT","path":"/v1/thing","input":"PutRequest","output":"PutResult"}],` +
		`"shapes":{"Blob":{"type":"blob","streaming":true},` +
		`"Name":{"type":"string","min":0,"max":5,"pattern":"[a-z]+"},` +
		`"Names":{"type":"list","max":3,"member":"Name"},` +
		`"PutRequest":{"type":"structure","members":[` +
		`{"name":"zeta","shape":"Name","location":"querystring","locationName":"z","required":true},` +
		`{"name":"alpha","shape":"Names"},` +
		`{"name":"body","shape":"Blob","required":true,"payload":true}]}}}`
	if string(got) != want {
		t.Fatalf("convert =\n%s\nwant\n%s", got, want)
	}
}

func TestConvertRejectsWhatTheDecoderCannotServe(t *testing.T) {
	for name, edit := range map[string][2]string{
		"uri location":   {`"location": "querystring", "locationName": "z"`, `"location": "uri", "locationName": "z"`},
		"templated path": {`/v1/thing?literal`, `/v1/{Thing}`},
		"protocol":       {`"protocol": "rest-json"`, `"protocol": "query"`},
	} {
		t.Run(name, func(t *testing.T) {
			var src sourceModel
			if err := json.Unmarshal([]byte(strings.Replace(sample, edit[0], edit[1], 1)), &src); err != nil {
				t.Fatal(err)
			}
			if _, err := convert(&src); !errors.Is(err, errUnsupported) {
				t.Fatalf("convert error = %v, want errUnsupported", err)
			}
		})
	}
}

func TestRunReadsGzipAndWritesAtomically(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "service-2.json.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(sample))
	zw.Close()
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "operations.json")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("prose")) || !bytes.Contains(b, []byte(`"path": "/v1/thing"`)) {
		t.Fatalf("unexpected output:\n%s", b)
	}
	if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	if err := run(filepath.Join(dir, "missing.json"), out); err == nil {
		t.Fatal("run with a missing model succeeded")
	}
}
