package sigv4

import (
	"net/http"
	"net/url"
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
	signedAt      time.Time
	amzDate       string
	presigned     bool
	expires       time.Duration // presigned only
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
func parseAuth(r *http.Request, q url.Values) (*auth, *Error) {
	presigned := false
	for _, k := range []string{queryAlgorithm, queryCredential, querySignedHeaders, querySignature} {
		if _, ok := q[k]; ok {
			presigned = true
		}
	}
	_, hasHeader := r.Header["Authorization"]
	switch {
	case hasHeader && presigned:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified")
	case hasHeader:
		return parseHeaderAuth(r)
	case presigned:
		return parseQueryAuth(q)
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

	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '%s'.", clip(part))
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return nil, incomplete("Unexpected parameter '%s' in Authorization header.", clip(k))
		}
		if _, dup := params[k]; dup {
			return nil, incomplete("Duplicate parameter '%s' in Authorization header.", k)
		}
		params[k] = val
	}

	dates := r.Header.Values("X-Amz-Date")
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	if len(dates) == 0 {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), clip(header))
	}
	if len(dates) > 1 {
		return nil, incomplete("Only one X-Amz-Date header is allowed.")
	}

	a := &auth{}
	if err := a.setDate(dates[0]); err != nil {
		return nil, err
	}
	if err := a.setCredential(params["Credential"]); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(params["SignedHeaders"]); err != nil {
		return nil, err
	}
	if err := a.setSignature(params["Signature"]); err != nil {
		return nil, err
	}
	// The Go signer always signs the X-Amz-Date it sets, and AWS requires the
	// date to be signed; a request that signed Date instead cannot be rebuilt.
	if !a.signs("x-amz-date") {
		return nil, incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return a, nil
}

func parseQueryAuth(q url.Values) (*auth, *Error) {
	for _, k := range []string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature} {
		if len(q[k]) == 0 || q[k][0] == "" {
			return nil, incomplete("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
				"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	// A repeated parameter would be collapsed by the signer's query.Set and
	// so slip past the signature unnoticed.
	for _, k := range []string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature, querySecurityToken} {
		if len(q[k]) > 1 {
			return nil, incomplete("Only one %s parameter is allowed.", k)
		}
	}
	if alg := q.Get(queryAlgorithm); alg != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports \"%s\", not '%s'.", algorithm, clip(alg))
	}

	a := &auth{presigned: true}
	if err := a.setDate(q.Get(queryDate)); err != nil {
		return nil, err
	}
	exp := q.Get(queryExpires)
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs < 0 || exp[0] == '+' {
		return nil, incomplete("X-Amz-Expires should be a number of seconds, not '%s'.", clip(exp))
	}
	if secs > maxPresignExpiry {
		return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is %d", maxPresignExpiry)
	}
	a.expires = time.Duration(secs) * time.Second
	if err := a.setCredential(q.Get(queryCredential)); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(q.Get(querySignedHeaders)); err != nil {
		return nil, err
	}
	if err := a.setSignature(q.Get(querySignature)); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *auth) setDate(s string) *Error {
	t, err := time.Parse(amzDateLayout, s)
	// Formatting back must give the same text: the signer writes the date
	// from the time, and the client signed the text.
	if err != nil || t.Format(amzDateLayout) != s {
		return incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", clip(s))
	}
	a.signedAt, a.amzDate = t.UTC(), s
	return nil
}

// setCredential parses AKID/date/region/service/aws4_request. Matching the
// service and date against the rest of the request is Verify's job.
func (a *auth) setCredential(s string) *Error {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", clip(s))
	}
	akid, date, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	if akid == "" || len(akid) > 128 || !isPrintable(akid) {
		return incomplete("Credential has an invalid access key id: '%s'.", clip(akid))
	}
	if _, err := time.Parse(scopeDateLayout, date); err != nil || len(date) != len(scopeDateLayout) {
		return invalidSignature("Credential should be scoped to a valid date, not '%s'.", clip(date))
	}
	if !isRegion(region) {
		return invalidSignature("Credential should be scoped to a valid region, not '%s'.", clip(region))
	}
	if term != terminator {
		return invalidSignature("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(term))
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = akid, date, region, service
	return nil
}

func (a *auth) setSignedHeaders(s string) *Error {
	seen := map[string]bool{}
	for _, h := range strings.Split(s, ";") {
		if !isHeaderName(h) {
			return incomplete("SignedHeaders has an invalid header name: '%s'.", clip(h))
		}
		if seen[h] {
			return incomplete("SignedHeaders lists '%s' twice.", h)
		}
		seen[h] = true
		a.signedHeaders = append(a.signedHeaders, h)
	}
	if !seen["host"] {
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
// service has no fixed region list, and the region is returned to the caller.
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
