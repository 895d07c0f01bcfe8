package apimodel

import (
	"net/url"
	"os"
	"strings"
)

// maxScanned bounds what queryScan takes on: the operations' query
// members (CodeArtifact has at most 11) and the parameters of a query.
const (
	maxScannedMembers = 16
	maxScannedParams  = 100
)

// customQueryLimit is set when GODEBUG changes url.ParseQuery's limit on
// the number of parameters; queryScan does not know that limit, so every
// query then goes through url.ParseQuery.
var customQueryLimit = strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams")

// queryScan picks the first value of each of an operation's query
// parameters out of a raw query without building url.Values, with
// url.ParseQuery's unescaping and its first error.
type queryScan struct {
	first [maxScannedMembers]string
	found [maxScannedMembers]bool
}

// scannable reports whether scan gives what url.ParseQuery would. Where
// ParseQuery has rules beyond unescaping each pair (';' is refused even
// after an earlier error; too many parameters are refused outright), it
// is left to ParseQuery itself.
func (*queryScan) scannable(op *Operation, raw string) bool {
	return len(op.query) <= maxScannedMembers && !customQueryLimit &&
		strings.IndexByte(raw, ';') < 0 && strings.Count(raw, "&") < maxScannedParams
}

// scan records the first value of each of op.query's parameters. Like
// url.ParseQuery, it unescapes every pair in order, skips empty ones, and
// fails with the first unescaping error, wherever it is.
func (qs *queryScan) scan(op *Operation, raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err := unescape(key)
		if err != nil {
			return err
		}
		if value, err = unescape(value); err != nil {
			return err
		}
		for i, m := range op.query {
			if !qs.found[i] && m.LocationName == key {
				qs.first[i], qs.found[i] = value, true
			}
		}
	}
	return nil
}

// unescape is url.QueryUnescape, skipped for the common plain string.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}
