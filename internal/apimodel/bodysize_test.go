package apimodel

import (
	"strings"
	"testing"
)

func TestMaxBodyBytes(t *testing.T) {
	tests := []struct {
		op   string
		want func(int64) bool
		what string
	}{
		{"PublishPackageVersion", func(n int64) bool { return n == 0 }, "0: the asset is a streamed payload"},
		{"ListPackageVersions", func(n int64) bool { return n == 0 }, "0: every member is in the query"},
		{"DescribeDomain", func(n int64) bool { return n == 0 }, "0: a GET"},
		{"PutPackageOriginConfiguration", func(n int64) bool { return n > 0 && n < 100 }, "under 100: two enums"},
		{"PutDomainPermissionsPolicy", func(n int64) bool { return n >= 7168*escapedRune && n < 64<<10 }, "a 7168-character policy, escaped"},
		{"CopyPackageVersions", func(n int64) bool { return n == -1 }, "-1: versionRevisions has no maximum"},
	}
	for _, tt := range tests {
		op := find(t, tt.op)
		if n := op.MaxBodyBytes(); !tt.want(n) {
			t.Errorf("%s: MaxBodyBytes = %d, want %s", tt.op, n, tt.what)
		}
	}
}

func find(t *testing.T, name string) *Operation {
	t.Helper()
	for _, op := range Operations() {
		if op.Name == name {
			return op
		}
	}
	t.Fatalf("no operation %s", name)
	return nil
}

// The largest body botocore can send for each bounded operation (every
// string at its maximum length, all of it outside ASCII and so escaped;
// every list and map full; json.dumps's separators) fits MaxBodyBytes.
func TestMaxBodyBytesHoldsTheLargestBody(t *testing.T) {
	for _, op := range Operations() {
		limit := op.MaxBodyBytes()
		if limit <= 0 {
			continue
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, m := range op.body {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + m.wireName() + `": `)
			largest(&b, m.target)
		}
		b.WriteByte('}')
		if n := int64(b.Len()); n > limit {
			t.Errorf("%s: the largest body is %d bytes, over MaxBodyBytes %d", op.Name, n, limit)
		} else if n < limit*9/10 {
			t.Errorf("%s: the largest body is %d bytes, far under MaxBodyBytes %d: the bound is loose", op.Name, n, limit)
		}
	}
}

// largest writes the longest JSON value of s.
func largest(b *strings.Builder, s *shape) {
	switch s.Type {
	case "string":
		if len(s.Enum) > 0 {
			longest := ""
			for _, e := range s.Enum {
				if len(e) > len(longest) {
					longest = e
				}
			}
			b.WriteString(`"` + longest + `"`)
			return
		}
		b.WriteString(`"` + strings.Repeat(`\u00e9`, int(*s.Max)) + `"`)
	case "integer", "long":
		b.WriteString("-9223372036854775808")
	case "boolean":
		b.WriteString("false")
	case "list":
		b.WriteByte('[')
		for i := range *s.Max {
			if i > 0 {
				b.WriteString(", ")
			}
			largest(b, s.member)
		}
		b.WriteByte(']')
	case "map":
		b.WriteByte('{')
		for i := range *s.Max {
			if i > 0 {
				b.WriteString(", ")
			}
			largest(b, s.key)
			b.WriteString(": ")
			largest(b, s.value)
		}
		b.WriteByte('}')
	case "structure":
		b.WriteByte('{')
		for i, m := range s.Members {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + m.wireName() + `": `)
			largest(b, m.target)
		}
		b.WriteByte('}')
	}
}
