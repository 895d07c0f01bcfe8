package sigv4

import (
	"errors"
	"net/url"
	"strings"
)

// queryParam is one key=value pair of a query string, still escaped as it
// came over the wire.
type queryParam struct{ key, value string }

// query is a parsed query string. It keeps the raw pairs rather than a
// url.Values: most of a signed query is only ever re-escaped into the
// canonical request, which can be done straight from the raw bytes, and only
// the few X-Amz-* parameters need decoding.
type query []queryParam

var (
	errQuerySemicolon = errors.New("invalid semicolon separator in query")
	errQueryEscape    = errors.New("invalid URL escape in query")
)

// slowQueryParams is the number of pairs above which url.ParseQuery is
// asked for its verdict as well: it refuses queries over a limit that
// GODEBUG=urlmaxqueryparams can change, and the verdict must be its own.
const slowQueryParams = 1000

// parseQuery splits raw into pairs, appending them to dst, and refuses
// exactly what url.ParseQuery refuses (a semicolon, a bad %-escape, too many
// pairs), because the Go signer re-parses leniently and would drop such
// pairs, leaving them unsigned.
func parseQuery(dst query, raw string) (query, error) {
	whole, n := raw, 0
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		n++
		if strings.IndexByte(seg, ';') >= 0 {
			return dst, errQuerySemicolon
		}
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		if !validEscapes(k) || !validEscapes(v) {
			return dst, errQueryEscape
		}
		dst = append(dst, queryParam{k, v})
	}
	if n > slowQueryParams {
		if _, err := url.ParseQuery(whole); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// validEscapes reports whether every '%' in s starts a two-digit hex
// escape, the only thing url.QueryUnescape can fail on.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
			return false
		}
		j := strings.IndexByte(s[i+3:], '%')
		if j < 0 {
			break
		}
		i += 3 + j
	}
	return true
}

// The parameters of the presigned form, as indexes into authParams.
const (
	pAlgorithm = iota
	pCredential
	pDate
	pExpires
	pSignedHeaders
	pSignature
	pSecurityToken
	nAuthParams
)

var authParamNames = [nAuthParams]string{queryAlgorithm, queryCredential, queryDate, queryExpires,
	querySignedHeaders, querySignature, querySecurityToken}

// authParams are the presigned form's parameters, found in one pass over
// the query.
type authParams struct {
	count [nAuthParams]int
	raw   [nAuthParams]string // the first value, still escaped
}

func (q query) authParams() (p authParams) {
	for _, kv := range q {
		for i, name := range authParamNames {
			if rawEquals(kv.key, name) {
				if p.count[i] == 0 {
					p.raw[i] = kv.value
				}
				p.count[i]++
				break
			}
		}
	}
	return p
}

// get is the first value of parameter i, unescaped, or "".
func (p *authParams) get(i int) string {
	v, _ := url.QueryUnescape(p.raw[i]) // validated by parseQuery
	return v
}

// rawEquals reports whether the escaped query component raw decodes to s.
func rawEquals(raw, s string) bool {
	if len(raw) < len(s) {
		return false // escaping never shortens
	}
	if strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, '+') < 0 {
		return raw == s
	}
	d, err := url.QueryUnescape(raw)
	return err == nil && d == s
}

// unreserved marks the bytes SigV4 leaves unescaped (RFC 3986 unreserved).
var unreserved = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends c as SigV4 escapes it: unreserved bytes as they
// are, every other byte as %XX with uppercase hex.
func appendEscaped(b []byte, c byte) []byte {
	if unreserved[c] {
		return append(b, c)
	}
	return append(b, '%', upperHex[c>>4], upperHex[c&0xf])
}

// appendCanonicalComponent appends the query component raw, decoded as
// url.QueryUnescape does ('+' is a space) and escaped again as SigV4 wants
// (a space is %20). It is the Go signer's EncodeQuery of the decoded value,
// without the decoded string. raw must have passed validEscapes.
func appendCanonicalComponent(b []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		b = appendEscaped(b, c)
	}
	return b
}

// appendCanonicalString appends s, not escaped, as a canonical component.
func appendCanonicalString(b []byte, s []byte) []byte {
	for _, c := range s {
		b = appendEscaped(b, c)
	}
	return b
}

// appendCanonicalPath escapes every byte of the (already escaped) path but
// the unreserved ones and '/': the second escaping that every AWS service
// but S3 expects, as the Go signer's httpbinding.EscapePath does.
func appendCanonicalPath(b []byte, path string) []byte {
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '/' {
			b = append(b, c)
		} else {
			b = appendEscaped(b, c)
		}
	}
	return b
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
