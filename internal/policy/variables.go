package policy

import (
	"errors"
	"fmt"
	"strings"
)

// template is a policy value that may contain policy variables such as
// ${aws:username}. AWS only recognises variables in documents with Version
// "2012-10-17"; in older documents "${" is ordinary text.
type template struct {
	parts []tmplPart
	// static is set when there are no variables, so the common case needs
	// no work per request.
	static    bool
	staticStr string
	staticG   glob
}

type tmplPart struct {
	text   string // literal text, or the key's default value
	quoted bool   // text came from ${*}, ${?} or ${$}: never a wildcard
	key    string // lower-cased condition key of a variable; "" for text
	hasDef bool   // the variable has a default value, in text
}

// parseTemplate splits s into text and variables. With vars false the whole
// of s is text.
func parseTemplate(s string, vars bool) (template, error) {
	if !vars || !strings.Contains(s, "${") {
		return template{static: true, staticStr: s, staticG: compileGlob(s), parts: []tmplPart{{text: s}}}, nil
	}
	var t template
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: rest[:i]})
		}
		part, n, err := parseVariable(rest[i+2:])
		if err != nil {
			return template{}, fmt.Errorf("Policy variable in %q %w", s, err)
		}
		t.parts = append(t.parts, part)
		rest = rest[i+2+n:]
	}
	if rest != "" {
		t.parts = append(t.parts, tmplPart{text: rest})
	}
	return t, nil
}

// parseVariable parses the inside of ${...}, starting just after "${",
// and returns the part and how many bytes it used, including the "}".
// Accepted forms: ${*}, ${?}, ${$}, ${key} and ${key, 'default'}, where
// a doubled single quote stands for one inside the default.
func parseVariable(s string) (tmplPart, int, error) {
	end := strings.IndexAny(s, ",}")
	if end < 0 {
		return tmplPart{}, 0, errMissingBrace
	}
	key := strings.TrimSpace(s[:end])
	if s[end] == '}' {
		switch key {
		case "*", "?", "$":
			return tmplPart{text: key, quoted: true}, end + 1, nil
		}
	}
	if key == "" {
		return tmplPart{}, 0, errEmptyVariable
	}
	if strings.ContainsAny(key, " \t\r\n${") {
		return tmplPart{}, 0, fmt.Errorf("has an invalid variable name %q", key)
	}
	part := tmplPart{key: strings.ToLower(key)}
	if s[end] == '}' {
		return part, end + 1, nil
	}
	// A default value: ", 'text'" then "}".
	i := end + 1
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '\'' {
		return tmplPart{}, 0, errBadDefault
	}
	i++
	var def strings.Builder
	for {
		if i >= len(s) {
			return tmplPart{}, 0, errBadDefault
		}
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				def.WriteByte('\'')
				i += 2
				continue
			}
			i++
			break
		}
		def.WriteByte(s[i])
		i++
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '}' {
		return tmplPart{}, 0, errMissingBrace
	}
	part.text, part.hasDef = def.String(), true
	return part, i + 1, nil
}

var (
	errMissingBrace  = errors.New("is missing its closing brace")
	errEmptyVariable = errors.New("is empty")
	errBadDefault    = errors.New("has a default value that is not in single quotes, e.g. ${aws:username, 'nobody'}")
)

// resolve returns a variable's value. Like AWS, a key that is missing or has
// several values cannot be substituted; the default is used if there is one.
func (p tmplPart) resolve(ctx *evalContext) (string, bool) {
	if v := ctx.values[p.key]; len(v) == 1 {
		return v[0], true
	}
	return p.text, p.hasDef
}

// str renders t as plain text for the equality operators. ok is false when
// a variable cannot be resolved; such a value matches nothing.
func (t *template) str(ctx *evalContext) (string, bool) {
	if t.static {
		return t.staticStr, true
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.key == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := p.resolve(ctx)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// glob renders t as a wildcard pattern. Only * and ? written in the policy
// are wildcards; escapes and substituted values are literal.
func (t *template) glob(ctx *evalContext) (glob, bool) {
	if t.static {
		return t.staticG, true
	}
	var g glob
	for _, p := range t.parts {
		if p.key == "" {
			g = appendGlob(g, p.text, !p.quoted)
			continue
		}
		v, ok := p.resolve(ctx)
		if !ok {
			return nil, false
		}
		g = appendGlob(g, v, false)
	}
	return g, true
}
