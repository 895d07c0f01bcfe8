package controlplane

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// maxPooledBuffer bounds the buffers kept for reuse: a rare huge answer
// (a 1000-item page) must not pin its memory for good.
const maxPooledBuffer = 256 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	buffers.Put(b)
}

// appendJSON appends v exactly as json.Marshal encodes it. The answers of
// the busiest reads, lists of version summaries and version descriptions,
// are written by hand: encoding/json's reflection and allocations were
// most of their encoding cost. encode_test.go holds them to json.Marshal
// byte for byte and fails when their types gain or change a field.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case *service.ListPackageVersionsOutput:
		if v != nil {
			return appendListPackageVersions(dst, v), nil
		}
	case *service.DescribePackageVersionOutput:
		if v != nil {
			dst = append(dst, `{"packageVersion":`...)
			dst = appendVersionDescription(dst, &v.PackageVersion)
			return append(dst, '}'), nil
		}
	}
	buf := bytes.NewBuffer(dst)
	// Encode is Marshal (HTML-safe escaping included) plus a newline.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return dst, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil
}

func appendListPackageVersions(dst []byte, v *service.ListPackageVersionsOutput) []byte {
	dst = append(dst, '{')
	if v.DefaultDisplayVersion != "" {
		dst = append(dst, `"defaultDisplayVersion":`...)
		dst = appendString(dst, v.DefaultDisplayVersion)
		dst = append(dst, ',')
	}
	dst = append(dst, `"format":`...)
	dst = appendString(dst, string(v.Format))
	if v.Namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = appendString(dst, v.Namespace)
	}
	dst = append(dst, `,"package":`...)
	dst = appendString(dst, v.Package)
	dst = append(dst, `,"versions":`...)
	if v.Versions == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range v.Versions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendVersionSummary(dst, &v.Versions[i])
		}
		dst = append(dst, ']')
	}
	if v.NextToken != "" {
		dst = append(dst, `,"nextToken":`...)
		dst = appendString(dst, v.NextToken)
	}
	return append(dst, '}')
}

func appendVersionSummary(dst []byte, s *service.PackageVersionSummary) []byte {
	dst = append(dst, `{"version":`...)
	dst = appendString(dst, s.Version)
	if s.Revision != "" {
		dst = append(dst, `,"revision":`...)
		dst = appendString(dst, s.Revision)
	}
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, string(s.Status))
	if s.Origin != nil {
		dst = append(dst, `,"origin":`...)
		dst = appendOrigin(dst, s.Origin)
	}
	return append(dst, '}')
}

func appendOrigin(dst []byte, o *service.VersionOrigin) []byte {
	dst = append(dst, '{')
	if e := o.DomainEntryPoint; e != nil {
		dst = append(dst, `"domainEntryPoint":{`...)
		if e.RepositoryName != "" {
			dst = append(dst, `"repositoryName":`...)
			dst = appendString(dst, e.RepositoryName)
		}
		if e.ExternalConnectionName != "" {
			if e.RepositoryName != "" {
				dst = append(dst, ',')
			}
			dst = append(dst, `"externalConnectionName":`...)
			dst = appendString(dst, e.ExternalConnectionName)
		}
		dst = append(dst, "},"...)
	}
	dst = append(dst, `"originType":`...)
	dst = appendString(dst, o.OriginType)
	return append(dst, '}')
}

func appendVersionDescription(dst []byte, d *service.PackageVersionDescription) []byte {
	dst = append(dst, `{"format":`...)
	dst = appendString(dst, string(d.Format))
	dst = appendOptional(dst, `,"namespace":`, d.Namespace)
	dst = append(dst, `,"packageName":`...)
	dst = appendString(dst, d.PackageName)
	dst = appendOptional(dst, `,"displayName":`, d.DisplayName)
	dst = append(dst, `,"version":`...)
	dst = appendString(dst, d.Version)
	dst = appendOptional(dst, `,"summary":`, d.Summary)
	dst = appendOptional(dst, `,"homePage":`, d.HomePage)
	dst = appendOptional(dst, `,"sourceCodeRepository":`, d.SourceCodeRepository)
	if d.PublishedTime != nil {
		dst = append(dst, `,"publishedTime":`...)
		dst = appendTimestamp(dst, *d.PublishedTime)
	}
	if len(d.Licenses) > 0 {
		dst = append(dst, `,"licenses":[`...)
		for i := range d.Licenses {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendLicense(dst, &d.Licenses[i])
		}
		dst = append(dst, ']')
	}
	dst = appendOptional(dst, `,"revision":`, d.Revision)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, string(d.Status))
	if d.Origin != nil {
		dst = append(dst, `,"origin":`...)
		dst = appendOrigin(dst, d.Origin)
	}
	return append(dst, '}')
}

func appendLicense(dst []byte, l *model.License) []byte {
	dst = append(dst, '{')
	if l.Name != "" {
		dst = append(dst, `"name":`...)
		dst = appendString(dst, l.Name)
	}
	if l.URL != "" {
		if l.Name != "" {
			dst = append(dst, ',')
		}
		dst = append(dst, `"url":`...)
		dst = appendString(dst, l.URL)
	}
	return append(dst, '}')
}

// appendOptional appends an omitempty string member after the first.
func appendOptional(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, key...), s)
}

// appendTimestamp is service.Timestamp's MarshalJSON: epoch seconds with
// the milliseconds as a fraction, in the shortest form.
func appendTimestamp(dst []byte, t service.Timestamp) []byte {
	return strconv.AppendFloat(dst, float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64)
}

// htmlSafe marks the ASCII bytes encoding/json writes as they are when it
// escapes HTML, as json.Marshal does: not control characters, '"', '\\',
// '<', '>' or '&'.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString is encoding/json's string encoding with HTML escaping:
// short escapes where JSON has them, \u00XX for other control bytes and
// for <, > and &, U+FFFD for each invalid UTF-8 byte, and U+2028 and
// U+2029 escaped for JavaScript's sake.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
