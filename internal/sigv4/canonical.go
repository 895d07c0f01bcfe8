package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The canonical request is built here rather than by aws-sdk-go-v2's
// v4.Signer, which the verifier used to call on a rebuilt request: building
// a signer and a request per call, deriving the key afresh and the SDK's
// allocation-heavy canonicalization made verification a sixth of the CPU of
// a control-plane read. What is built is byte for byte what that signer
// computes for the rebuilt request (the differential tests hold it to that,
// with the SDK as the oracle), quirks included:
//
//   - The path is the escaped path as it came over the wire (from the
//     request line), escaped once more as every AWS service but S3 expects
//     (botocore does the same): every byte but the unreserved ones and '/'.
//     An empty path is "/".
//   - The query is the wire query decoded and re-escaped pair by pair
//     (unreserved bytes kept, all else %XX uppercase, a space %20), sorted
//     by escaped key, then escaped value; repeated keys and empty values
//     are kept. Presigned: X-Amz-Signature is left out, and
//     X-Amz-SignedHeaders is the list computed below, not the one sent (the
//     signer sets it; X-Amz-Algorithm, -Credential and -Date it sets too,
//     but parseQueryAuth has checked that those are what it would set).
//     X-Amz-Security-Token is signed as sent, like any other parameter.
//   - "host" is always signed, with the Host as sent (the signer strips a
//     default port only for an http/https URL scheme, and the rebuilt URL
//     had none).
//   - "content-length" is signed only when the client listed it and the
//     body has a length over 0, from the framing rather than the header.
//   - In header form "x-amz-date" is always signed, with the X-Amz-Date
//     parsed; presigned, only if listed and sent.
//   - Every other listed header is signed if the request has it, whatever
//     the case of its map key, skipped or not by the Go signer's own list
//     (Authorization, User-Agent, ...): a header another signer chose to sign
//     (say botocore's user-agent) still counts. A listed header that was
//     not sent is left out of the list, as the signer cannot see it.
//   - Values are trimmed (strings.TrimSpace) and runs of spaces folded to
//     one, as the Go signer and botocore do; repeated headers are joined
//     with ',' in the order received. The host value is only space-trimmed
//     and folded.
//   - The signed header list is sorted.

// scratch holds the buffers one verification needs. It is pooled so that a
// verification allocates next to nothing.
type scratch struct {
	params query          // the wire query, raw pairs
	enc    []byte         // escaped query keys and values
	sorted []encodedParam // into enc
	names  []string       // signed headers present, sorted
	shdrs  []byte         // names joined by ';'
	creq   []byte         // canonical request
	sts    []byte         // string to sign, and other short-lived bytes
	h      hash.Hash      // SHA-256
	inner  [sha256.Size]byte
	mac    [sha256.Size]byte
}

// encodedParam is an escaped pair in scratch.enc: key enc[k:v], value
// enc[v:end].
type encodedParam struct{ k, v, end int }

// maxPooledBuffer keeps a request with huge headers or query from pinning
// its buffers in the pool for good.
const maxPooledBuffer = 64 << 10

var scratchPool = sync.Pool{New: func() any { return &scratch{h: sha256.New()} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	// The pairs and names point into the request; drop them.
	clear(s.params)
	clear(s.names)
	s.params, s.names = s.params[:0], s.names[:0]
	if cap(s.enc) > maxPooledBuffer || cap(s.creq) > maxPooledBuffer || cap(s.sorted) > maxPooledBuffer/8 {
		return
	}
	scratchPool.Put(s)
}

// canonicalRequest writes the canonical request for r, as a claims it was
// signed, into s.creq, all but the payload hash that ends it: the payload
// hashes to try are appended in turn by matches.
func (s *scratch) canonicalRequest(r *http.Request, a *auth) {
	s.signedHeaderNames(r, a)

	b := s.creq[:0]
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	b = appendCanonicalPath(b, canonicalPath(r))
	b = append(b, '\n')
	b = s.appendCanonicalQuery(b, a.presigned)
	b = append(b, '\n')
	for _, name := range s.names {
		b = append(b, name...)
		b = append(b, ':')
		switch {
		case name == "host":
			b = appendFolded(b, r.Host)
		case name == "content-length":
			b = strconv.AppendInt(b, r.ContentLength, 10)
		case name == "x-amz-date" && !a.presigned:
			b = append(b, a.amzDate...)
		default:
			first, second := headerValues(r.Header, name)
			for i, v := range first {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendFolded(b, strings.TrimSpace(v))
			}
			for i, v := range second {
				if i > 0 || len(first) > 0 {
					b = append(b, ',')
				}
				b = appendFolded(b, strings.TrimSpace(v))
			}
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, s.shdrs...)
	b = append(b, '\n')
	s.creq = b
}

// signedHeaderNames works out which headers are in the canonical request:
// s.names, sorted, and s.shdrs, the list as it is signed.
func (s *scratch) signedHeaderNames(r *http.Request, a *auth) {
	names := append(s.names[:0], "host")
	if !a.presigned {
		names = append(names, "x-amz-date")
	}
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
			continue
		case "content-length":
			if r.ContentLength > 0 {
				names = append(names, name)
			}
			continue
		case "x-amz-date":
			if !a.presigned {
				continue
			}
		}
		if first, second := headerValues(r.Header, name); len(first)+len(second) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	s.names = names

	b := s.shdrs[:0]
	for i, name := range names {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	s.shdrs = b
}

// appendCanonicalQuery appends the canonical query string from s.params;
// s.names must be set.
func (s *scratch) appendCanonicalQuery(b []byte, presigned bool) []byte {
	enc, sorted := s.enc[:0], s.sorted[:0]
	for _, p := range s.params {
		k := len(enc)
		enc = appendCanonicalComponent(enc, p.key)
		v := len(enc)
		if presigned {
			switch string(enc[k:v]) {
			case querySignature:
				enc = enc[:k]
				continue
			case querySignedHeaders:
				enc = appendCanonicalString(enc, s.shdrs)
				sorted = append(sorted, encodedParam{k, v, len(enc)})
				continue
			}
		}
		enc = appendCanonicalComponent(enc, p.value)
		sorted = append(sorted, encodedParam{k, v, len(enc)})
	}
	slices.SortFunc(sorted, func(x, y encodedParam) int {
		if c := bytes.Compare(enc[x.k:x.v], enc[y.k:y.v]); c != 0 {
			return c
		}
		return bytes.Compare(enc[x.v:x.end], enc[y.v:y.end])
	})
	for i, p := range sorted {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, enc[p.k:p.v]...)
		b = append(b, '=')
		b = append(b, enc[p.v:p.end]...)
	}
	s.enc, s.sorted = enc, sorted
	return b
}

// matches reports whether the signature a claims is the one computed with
// key over the canonical request ending in payloadHash. s.creq must hold the
// rest of the canonical request.
func (s *scratch) matches(key *signingKey, a *auth, payloadHash string) bool {
	s.sign(key, a, payloadHash)
	return subtleEqual(s.mac[:], a.sig[:])
}

// sign puts the signature over s.creq ending in payloadHash in s.mac.
func (s *scratch) sign(key *signingKey, a *auth, payloadHash string) {
	creq := append(s.creq, payloadHash...)
	s.creq = creq[:len(creq)-len(payloadHash)]
	digest := sha256.Sum256(creq)

	sts := append(s.sts[:0], algorithm+"\n"...)
	sts = append(sts, a.amzDate...)
	sts = append(sts, '\n')
	sts = appendScope(sts, a)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, digest[:])
	s.sts = sts

	key.sign(s, sts)
}

// appendScope appends the credential scope, date/region/service/aws4_request.
func appendScope(b []byte, a *auth) []byte {
	b = append(b, a.scopeDate...)
	b = append(b, '/')
	b = append(b, a.region...)
	b = append(b, '/')
	b = append(b, a.service...)
	b = append(b, '/')
	return append(b, terminator...)
}

// canonicalPath is the path as the Go signer takes it from the rebuilt
// request's opaque URL: the wire path from its first '/', or "/".
func canonicalPath(r *http.Request) string {
	p := requestPath(r)
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return "/"
	}
	return p[i:]
}

// requestPath is the escaped path as it came over the wire. r.URL.EscapedPath
// would do for most requests, but it may re-encode a path that was sent
// encoded in an unusual way, and the signature is over the wire form.
func requestPath(r *http.Request) string {
	if p := r.RequestURI; strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	return r.URL.EscapedPath()
}

// appendFolded appends v with leading and trailing spaces removed and every
// run of spaces folded to one, as the Go signer's StripExcessSpaces does.
// Only ' ' counts: the caller trims other white space where the signer does.
func appendFolded(b []byte, v string) []byte {
	v = strings.Trim(v, " ")
	for {
		i := strings.Index(v, "  ")
		if i < 0 {
			return append(b, v...)
		}
		b = append(b, v[:i+1]...)
		v = strings.TrimLeft(v[i+1:], " ")
	}
}

// headerValues finds a header whatever the case of its map key: the server
// canonicalizes keys, but a request built in code may not have. name is a
// lowercase token (isHeaderName); the values under its canonical key come
// first, then any under name itself.
func headerValues(h http.Header, name string) (first, second []string) {
	var buf [64]byte
	if len(name) > len(buf) {
		canonical := http.CanonicalHeaderKey(name)
		first = h[canonical]
		if canonical != name {
			second = h[name]
		}
		return first, second
	}
	key := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		key[i] = c
		upper = c == '-'
	}
	first = h[string(key)]
	if string(key) != name {
		second = h[name]
	}
	return first, second
}
