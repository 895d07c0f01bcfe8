package migrate

import (
	"fmt"
	"testing"
)

func TestConvert(t *testing.T) {
	tests := []struct {
		v    any
		typ  string
		want any
	}{
		{nil, "bytea", nil},
		{"text", "bytea", []byte("text")},
		{[]byte("text"), "text", "text"},
		{[]byte("text"), "", "text"}, // SQLite compares a BLOB with no TEXT
		{[]byte("raw"), "blob", []byte("raw")},
		{int64(1), "boolean", true},
		{int64(0), "boolean", false},
		{true, "integer", int64(1)},
		{false, "integer", int64(0)},
		{int32(7), "bigint", int64(7)},
		{int16(7), "boolean", true},
		{int64(42), "bigint", int64(42)},
		{"x", "text", "x"},
	}
	for _, tt := range tests {
		if got := convert(tt.v, tt.typ); fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", tt.want, tt.want) {
			t.Errorf("convert(%T %v, %q) = %T %v, want %T %v", tt.v, tt.v, tt.typ, got, got, tt.want, tt.want)
		}
	}
}

func TestSideCheck(t *testing.T) {
	tests := []struct {
		side Side
		ok   bool
	}{
		{Side{DataDir: "d"}, true},
		{Side{PostgresDSN: "postgres://x"}, false},
		{Side{DataDir: "d", PostgresDSN: "postgres://x"}, false},
		{Side{}, false},
	}
	for _, tt := range tests {
		if err := tt.side.check(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.side, err)
		}
	}
}
