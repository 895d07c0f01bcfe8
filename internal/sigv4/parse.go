package sigv4

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"

	// maxPresignExpiry is AWS's limit on X-Amz-Expires: one week.
	maxPresignExpiry = 7 * 24 * 60 * 60

	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	querySecurityToken = "X-Amz-Security-Token"
)

// auth is what a request claims about its signature, parsed but not yet
// checked against a secret.
type auth struct {
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string // lowercase, as the client listed them
	signature     string   // lowercase hex
	sig           [32]byte // signature, decoded
	signedAt      time.Time
	amzDate       string
	presigned     bool
	expires       time.Duration // presigned only

	headersBuf [16]string // backs signedHeaders when short
}

func (a *auth) signs(header string) bool {
	for _, h := range a.signedHeaders {
		if h == header {
			return true
		}
	}
	return false
}

// parseAuth finds which of the two forms the request uses and parses it.
func parseAuth(r *http.Request, q query) (*auth, *Error) {
	p := q.authParams()
	presigned := p.count[pAlgorithm]+p.count[pCredential]+p.count[pSignedHeaders]+p.count[pSignature] > 0
	_, hasHeader := r.Header["Authorization"]
	switch {
	case hasHeader && presigned:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified")
	case hasHeader:
		return parseHeaderAuth(r)
	case presigned:
		return parseQueryAuth(&p)
	default:
		return nil, missingToken()
	}
}

func parseHeaderAuth(r *http.Request) (*auth, *Error) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return nil, incomplete("Only one Authorization header is allowed.")
	}
	header := values[0]
	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '%s'.", clip(alg))
	}

	// The three parameters, in the order the messages name them.
	names := [...]string{"Credential", "Signature", "SignedHeaders"}
	var params [len(names)]string
	var seen [len(names)]bool
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '%s'.", clip(part))
		}
		i := slices.Index(names[:], k)
		if i < 0 {
			return nil, incomplete("Unexpected parameter '%s' in Authorization header.", clip(k))
		}
		if seen[i] {
			return nil, incomplete("Duplicate parameter '%s' in Authorization header.", k)
		}
		seen[i], params[i] = true, val
	}
	credential, signature, signedHeaders := params[0], params[1], params[2]

	dates := r.Header.Values("X-Amz-Date")
	if credential == "" || signature == "" || signedHeaders == "" || len(dates) == 0 {
		var missing []string
		for i, k := range names {
			if params[i] == "" {
				missing = append(missing, "Authorization header requires '"+k+"' parameter.")
			}
		}
		if len(dates) == 0 {
			missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), clip(header))
	}
	if len(dates) > 1 {
		return nil, incomplete("Only one X-Amz-Date header is allowed.")
	}

	a := &auth{}
	if err := a.setDate(dates[0]); err != nil {
		return nil, err
	}
	if err := a.setCredential(credential); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(signedHeaders); err != nil {
		return nil, err
	}
	if err := a.setSignature(signature); err != nil {
		return nil, err
	}
	// The Go signer always signs the X-Amz-Date it sets, and AWS requires the
	// date to be signed; a request that signed Date instead cannot be rebuilt.
	if !a.signs("x-amz-date") {
		return nil, incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return a, nil
}

func parseQueryAuth(q *authParams) (*auth, *Error) {
	for _, i := range []int{pAlgorithm, pCredential, pDate, pExpires, pSignedHeaders, pSignature} {
		if q.count[i] == 0 || q.raw[i] == "" { // unescaping never empties a value
			return nil, incomplete("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
				"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	// A repeated parameter would be collapsed by the signer's query.Set and
	// so slip past the signature unnoticed.
	for i, k := range authParamNames {
		if q.count[i] > 1 {
			return nil, incomplete("Only one %s parameter is allowed.", k)
		}
	}
	if alg := q.get(pAlgorithm); alg != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports \"%s\", not '%s'.", algorithm, clip(alg))
	}

	a := &auth{presigned: true}
	if err := a.setDate(q.get(pDate)); err != nil {
		return nil, err
	}
	exp := q.get(pExpires)
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs < 0 || exp[0] == '+' {
		return nil, incomplete("X-Amz-Expires should be a number of seconds, not '%s'.", clip(exp))
	}
	if secs > maxPresignExpiry {
		return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is %d", maxPresignExpiry)
	}
	a.expires = time.Duration(secs) * time.Second
	if err := a.setCredential(q.get(pCredential)); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(q.get(pSignedHeaders)); err != nil {
		return nil, err
	}
	if err := a.setSignature(q.get(pSignature)); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *auth) setDate(s string) *Error {
	t, err := time.Parse(amzDateLayout, s)
	// Formatting back must give the same text: the signer writes the date
	// from the time, and the client signed the text.
	var buf [len(amzDateLayout)]byte
	if err != nil || string(t.AppendFormat(buf[:0], amzDateLayout)) != s {
		return incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", clip(s))
	}
	a.signedAt, a.amzDate = t.UTC(), s
	return nil
}

// setCredential parses AKID/date/region/service/aws4_request. Matching the
// service and date against the rest of the request is Verify's job.
func (a *auth) setCredential(s string) *Error {
	if strings.Count(s, "/") != 4 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", clip(s))
	}
	akid, rest, _ := strings.Cut(s, "/")
	date, rest, _ := strings.Cut(rest, "/")
	region, rest, _ := strings.Cut(rest, "/")
	service, term, _ := strings.Cut(rest, "/")
	if akid == "" || len(akid) > 128 || !isPrintable(akid) {
		return incomplete("Credential has an invalid access key id: '%s'.", clip(akid))
	}
	if _, err := time.Parse(scopeDateLayout, date); err != nil || len(date) != len(scopeDateLayout) {
		return invalidSignature("Credential should be scoped to a valid date, not '%s'.", clip(date))
	}
	if !isRegion(region) {
		return wrongRegion(region)
	}
	if term != terminator {
		return invalidSignature("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(term))
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = akid, date, region, service
	return nil
}

func (a *auth) setSignedHeaders(s string) *Error {
	a.signedHeaders = a.headersBuf[:0]
	if n := strings.Count(s, ";") + 1; n > len(a.headersBuf) {
		a.signedHeaders = make([]string, 0, n)
	}
	// A short list is searched; a long one, which only a hostile client
	// sends, gets a map so that the check stays linear.
	var seen map[string]bool
	if cap(a.signedHeaders) > 32 {
		seen = make(map[string]bool, cap(a.signedHeaders))
	}
	for more := true; more; {
		var h string
		h, s, more = strings.Cut(s, ";")
		if !isHeaderName(h) {
			return incomplete("SignedHeaders has an invalid header name: '%s'.", clip(h))
		}
		if seen[h] || seen == nil && slices.Contains(a.signedHeaders, h) {
			return incomplete("SignedHeaders lists '%s' twice.", h)
		}
		if seen != nil {
			seen[h] = true
		}
		a.signedHeaders = append(a.signedHeaders, h)
	}
	if !a.signs("host") {
		return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

func (a *auth) setSignature(s string) *Error {
	if len(s) != 64 || !isHex(s) {
		return incomplete("Signature must be 64 hexadecimal characters, got '%s'.", clip(s))
	}
	// Lowercased so that the replay cache cannot be dodged by changing case.
	a.signature = strings.ToLower(s)
	for i := range a.sig {
		a.sig[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isRegion accepts any region-like name, not only AWS's: a self-hosted
// service has no fixed region list (Verifier.Region names its own).
func isRegion(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isHeaderName reports whether s is a lowercase RFC 9110 token, the only
// form a signer can list in SignedHeaders.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
