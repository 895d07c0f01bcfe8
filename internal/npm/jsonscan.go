package npm

import "encoding/json"

// Rendering a packument rewrites every version's manifest (its tarball
// URL, and for the abbreviated document the fields npm install needs).
// Public packuments hold hundreds of versions and are rendered on every
// request through an external connection, so the manifests are walked
// as bytes here, copying members through, instead of being decoded into
// maps and encoded again. Anything the walk does not expect (escaped
// keys, a dist that is not an object, malformed JSON) takes the decoding
// path, versionJSON, which handles every case.

// appendVersionJSON appends a version's manifest as versionJSON renders
// it (member order aside).
func appendVersionJSON(dst, doc []byte, name pkgName, version, base string, kind docKind) ([]byte, error) {
	if out, ok := appendVersionFast(dst, doc, tarballURL(base, name, version), kind); ok {
		return out, nil
	}
	b, err := versionJSON(doc, name, version, base, kind)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendVersionFast copies the members of the manifest doc to dst in one
// pass, keeping only abbrevFields for the abbreviated document, with the
// tarball URL set in dist and hasInstallScript set when the scripts
// install (dist and hasInstallScript go last). It reports false, dst
// unchanged, when doc is not a manifest it can walk.
func appendVersionFast(dst, doc []byte, tarball string, kind docKind) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, '{')
	first := true
	member := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
	}
	var dist, scripts, installFlag []byte
	hasDist := false
	ok := eachMember(doc, func(k, v []byte) bool {
		switch string(k) {
		case "dist":
			dist, hasDist = v, true
			return true // written last, with its tarball
		case "scripts":
			scripts = v
		case "hasInstallScript":
			if kind == abbrevDoc {
				installFlag = v // written last, once the scripts are known
				return true
			}
		}
		if kind == abbrevDoc && !abbrevFields[string(k)] {
			return true
		}
		member(string(k))
		dst = append(dst, v...)
		return true
	})
	if !ok || hasDist && (len(dist) == 0 || dist[0] != '{') {
		return dst[:start], false
	}
	member("dist")
	dst = append(dst, '{')
	n := 0
	if hasDist {
		ok = eachMember(dist, func(k, v []byte) bool {
			if string(k) == "tarball" {
				return true
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '"')
			dst = append(dst, k...)
			dst = append(dst, '"', ':')
			dst = append(dst, v...)
			return true
		})
		if !ok {
			return dst[:start], false
		}
	}
	if n > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"tarball":`...)
	dst = appendJSONString(dst, tarball)
	dst = append(dst, '}')
	if kind == abbrevDoc {
		switch {
		case scriptsInstall(scripts):
			member("hasInstallScript")
			dst = append(dst, "true"...)
		case installFlag != nil:
			member("hasInstallScript")
			dst = append(dst, installFlag...)
		}
	}
	return append(dst, '}'), true
}

// scriptsInstall is hasInstallScript over the raw scripts object.
func scriptsInstall(scripts []byte) bool {
	found := false
	if len(scripts) == 0 || scripts[0] != '{' {
		return false
	}
	if !eachMember(scripts, func(k, _ []byte) bool {
		switch string(k) {
		case "preinstall", "install", "postinstall":
			found = true
			return false
		}
		return true
	}) && !found {
		return hasInstallScript(scripts) // keys the walk cannot read
	}
	return found
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// eachMember calls fn with the key (unquoted; keys with escapes are
// refused) and the value bytes of each member of the JSON object doc, in
// order, until fn returns false. It reports whether doc is an object it
// could walk to its end (true also when fn stopped the walk).
func eachMember(doc []byte, fn func(k, v []byte) bool) bool {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return false
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return skipSpace(doc, i+1) == len(doc)
	}
	for i < len(doc) {
		if doc[i] != '"' {
			return false
		}
		end, escaped := stringEnd(doc, i)
		if end < 0 || escaped {
			return false
		}
		k := doc[i+1 : end-1]
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return false
		}
		i = skipSpace(doc, i+1)
		vend := valueEnd(doc, i)
		if vend < 0 {
			return false
		}
		if !fn(k, doc[i:vend]) {
			return true
		}
		i = skipSpace(doc, vend)
		if i >= len(doc) {
			return false
		}
		switch doc[i] {
		case ',':
			i = skipSpace(doc, i+1)
		case '}':
			return skipSpace(doc, i+1) == len(doc)
		default:
			return false
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] (a
// quote), and whether it holds escapes; -1 when it does not end.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		default:
			if b[j] < 0x20 {
				return -1, false
			}
		}
	}
	return -1, false
}

// valueEnd returns the index just past the JSON value starting at b[i],
// -1 when there is none. Objects and arrays are matched by their
// brackets (strings inside skipped); scalars end where a delimiter
// begins. The documents walked were valid JSON when stored; this only
// finds where each value ends.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	case ',', '}', ']', ':':
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}
