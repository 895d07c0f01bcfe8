package swift

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/semver"
)

// The registry API's version and media types (Registry.md 3.5).
const (
	apiVersion   = "1"
	vendorPrefix = "application/vnd.swift.registry"
	typeJSON     = "application/json"
	typeZip      = "application/zip"
	typeSwift    = "text/x-swift"
	typeProblem  = "application/problem+json"
)

// Media type suffixes an Accept header names (application/vnd.swift.registry.v1+SUFFIX).
const (
	mediaJSON  = "json"
	mediaZip   = "zip"
	mediaSwift = "swift"
)

// negotiate checks an Accept header against the media type an endpoint
// serves (mediaJSON, mediaZip or mediaSwift) and returns 0 when the
// request may be answered, or the status and detail to refuse it with:
// 400 for an API version that is invalid (".vx") or unknown (".v2": the
// specification defines version 1 only, so no other is "valid but
// unsupported"), 415 for a media type the endpoint does not serve. A
// header naming no registry media type at all (none, "*/*",
// "application/json") is answered with version 1, as the specification
// allows; among several registry types one acceptable one suffices.
func negotiate(accept, want string) (int, string) {
	status, detail := 0, ""
	for rng := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(rng, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		rest, ok := strings.CutPrefix(mt, vendorPrefix)
		if !ok {
			continue
		}
		st, d := checkVendorType(rest, want)
		if st == 0 {
			return 0, ""
		}
		if status == 0 {
			status, detail = st, d
		}
	}
	return status, detail
}

// checkVendorType judges what follows "application/vnd.swift.registry":
// [".v" version] ["+" mediatype].
func checkVendorType(rest, want string) (int, string) {
	if v, ok := strings.CutPrefix(rest, "."); ok {
		num, suffix, _ := strings.Cut(v, "+")
		digits, isV := strings.CutPrefix(num, "v")
		n, err := strconv.Atoi(digits)
		if !isV || err != nil || n < 0 || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
			return http.StatusBadRequest, "invalid API version in Accept: " + vendorPrefix + rest + "; this registry speaks " + vendorPrefix + ".v1"
		}
		if n != 1 {
			return http.StatusBadRequest, "unknown API version " + digits + "; this registry speaks version 1"
		}
		rest = ""
		if suffix != "" {
			rest = "+" + suffix
		}
	}
	switch rest {
	case "", "+" + want:
		return 0, ""
	case "+" + mediaJSON, "+" + mediaZip, "+" + mediaSwift:
		return http.StatusUnsupportedMediaType, "this resource is served as " + vendorPrefix + ".v1+" + want + ", not " + vendorPrefix + rest
	}
	return http.StatusUnsupportedMediaType, "unsupported media type " + vendorPrefix + rest + "; the registry serves " + vendorPrefix + ".v1+json, +zip and +swift"
}

// problem is an RFC 7807 problem details object; SwiftPM reads detail.
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// writeProblem answers an error as the specification requires of every
// error (3.3): application/problem+json with Content-Version.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(problem{Status: status, Title: http.StatusText(status), Detail: detail})
	h := w.Header()
	h.Set("Content-Version", apiVersion)
	h.Set("Content-Type", typeProblem)
	h.Set("Content-Language", "en")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Disposition")
	w.WriteHeader(status)
	w.Write(body)
}

// writeJSON answers a JSON document with Content-Length (HEAD gets the
// headers only: net/http drops the body).
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Version", apiVersion)
	h.Set("Content-Type", typeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// Listings change with every publish and status change.
	h.Set("Cache-Control", "private, no-cache")
	w.WriteHeader(status)
	w.Write(body)
}

// link is one entry of a Link header (RFC 8288).
type link struct {
	url, rel string
	params   [][2]string // extra attributes, quoted
}

// formatLinks renders a Link header value. SwiftPM splits the value on
// "," and each entry on ";" without honouring quotes, so those
// characters are escaped in URLs (and callers leave out foreign URLs
// that hold them).
func formatLinks(ls []link) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		var b strings.Builder
		b.WriteString("<" + strings.NewReplacer(",", "%2C", ";", "%3B").Replace(l.url) + `>; rel="` + l.rel + `"`)
		for _, p := range l.params {
			b.WriteString("; " + p[0] + `="` + p[1] + `"`)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, ", ")
}

// linkSafe reports whether a URL from a publisher can go into a Link
// header as SwiftPM parses it.
func linkSafe(u string) bool {
	return u != "" && !strings.ContainsAny(u, ",;<>\" \t\r\n")
}

// routeKind is what a request path names.
type routeKind int

const (
	routeLogin       routeKind = iota // POST login
	routeIdentifiers                  // GET identifiers?url=
	routeList                         // GET {scope}/{name}[.json]
	routeRelease                      // GET, PUT {scope}/{name}/{version}[.json]
	routeArchive                      // GET {scope}/{name}/{version}.zip
	routeManifest                     // GET {scope}/{name}/{version}/Package.swift
)

// route is a parsed request path. scope and name are as the client
// spelled them (both are case-insensitive).
type route struct {
	kind                 routeKind
	scope, name, version string
}

// routeError is a path that names no resource (404) or names one
// malformed (400).
type routeError struct {
	status int
	detail string
}

func (e *routeError) Error() string { return e.detail }

// parseRoute reads the escaped path after the endpoint's base.
func parseRoute(rest string) (route, error) {
	if rest == "" {
		return route{}, &routeError{http.StatusNotFound, "the registry's endpoints are {scope}/{name}[/{version}[.zip|/Package.swift]], identifiers and login"}
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || strings.Contains(u, "/") {
			return route{}, &routeError{http.StatusNotFound, "not found: " + rest}
		}
		segs[i] = u
	}
	switch {
	case len(segs) == 1 && segs[0] == "login":
		return route{kind: routeLogin}, nil
	case len(segs) == 1 && segs[0] == "identifiers":
		return route{kind: routeIdentifiers}, nil
	case len(segs) < 2 || len(segs) > 4 || (len(segs) == 4 && segs[3] != "Package.swift"):
		return route{}, &routeError{http.StatusNotFound, "not found: " + rest}
	}
	rt := route{scope: segs[0], name: segs[1]}
	if len(segs) == 2 {
		rt.kind = routeList
		rt.name = strings.TrimSuffix(rt.name, ".json")
	}
	if !model.ValidSwiftScope(rt.scope) {
		return route{}, &routeError{http.StatusBadRequest, "invalid package scope " + strconvQuote(rt.scope) + ": a scope is letters, digits and single inner hyphens, at most 39 characters"}
	}
	if !model.ValidSwiftName(rt.name) {
		return route{}, &routeError{http.StatusBadRequest, "invalid package name " + strconvQuote(rt.name) + ": a name is letters, digits and single inner hyphens or underscores, at most 100 characters"}
	}
	if len(segs) == 2 {
		return rt, nil
	}
	v := segs[2]
	switch {
	case len(segs) == 4:
		rt.kind = routeManifest
	case strings.HasSuffix(v, ".zip"):
		rt.kind, v = routeArchive, strings.TrimSuffix(v, ".zip")
	default:
		rt.kind = routeRelease
		// A client may append .json; a SemVer pre-release may also end in
		// ".json", which the suffix reading wins.
		if trimmed, ok := strings.CutSuffix(v, ".json"); ok && semver.Valid(trimmed) {
			v = trimmed
		}
	}
	if !semver.Valid(v) {
		return route{}, &routeError{http.StatusBadRequest, "invalid version " + strconvQuote(v) + ": releases are Semantic Versioning 2.0.0 versions"}
	}
	rt.version = v
	return rt, nil
}

func strconvQuote(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(s)
}
