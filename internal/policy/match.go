package policy

import (
	"strings"
	"unicode/utf8"
)

// glob is a compiled wildcard pattern: one token per byte of literal text,
// or globStar (any run of characters, including none) or globOne (exactly one
// character). Literal bytes are kept apart from wildcards so that ${*} and
// ${?} in policies, and characters substituted from policy variables, can
// stand for themselves.
type glob []int16

const (
	globStar int16 = -1
	globOne  int16 = -2
)

// compileGlob treats every * and ? in s as a wildcard.
func compileGlob(s string) glob {
	return appendGlob(make(glob, 0, len(s)), s, true)
}

// appendGlob appends s to g; with wild, * and ? are wildcards, otherwise
// they are literal.
func appendGlob(g glob, s string, wild bool) glob {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case wild && c == '*':
			g = append(g, globStar)
		case wild && c == '?':
			g = append(g, globOne)
		default:
			g = append(g, int16(c))
		}
	}
	return g
}

// match reports whether g matches all of s. Wildcards step over whole UTF-8
// characters, as AWS's ? matches one character, not one byte. It is the
// classic greedy algorithm that backtracks only to the last star, which is
// correct because every other token matches deterministically; it runs in
// O(len(g)*len(s)) at worst.
func (g glob) match(s string) bool {
	gi, si := 0, 0
	starG, starS := -1, 0
	for si < len(s) {
		if gi < len(g) {
			switch t := g[gi]; {
			case t == globStar:
				starG, starS = gi, si
				gi++
				continue
			case t == globOne:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				gi++
				continue
			case t >= 0 && byte(t) == s[si]:
				gi++
				si++
				continue
			}
		}
		if starG < 0 {
			return false
		}
		// Let the last star swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		gi, si = starG+1, starS
	}
	for gi < len(g) && g[gi] == globStar {
		gi++
	}
	return gi == len(g)
}

func (g glob) endsWithStar() bool {
	return len(g) > 0 && g[len(g)-1] == globStar
}

// splitColons splits g at its first n-1 literal colons.
func (g glob) splitColons(n int) []glob {
	parts := make([]glob, 0, n)
	start := 0
	for i, t := range g {
		if len(parts) == n-1 {
			break
		}
		if t == ':' {
			parts = append(parts, g[start:i])
			start = i + 1
		}
	}
	return append(parts, g[start:])
}

// matchARN matches an ARN against a pattern the way AWS matches the Resource
// element and the Arn* condition operators: each of the six colon-separated
// parts (arn:partition:service:region:account:resource) is matched on its
// own, so a wildcard does not reach across a colon, except that a pattern
// with fewer parts whose last part ends in * swallows the rest of the ARN
// (which makes "*" and "arn:aws:codeartifact:*" work). The resource part may
// itself contain colons and is matched whole.
func matchARN(pattern glob, arn string) bool {
	pp := pattern.splitColons(6)
	sp := strings.SplitN(arn, ":", len(pp))
	if len(sp) != len(pp) {
		return false
	}
	last := len(pp) - 1
	if len(pp) < 6 && !pp[last].endsWithStar() && strings.Contains(sp[last], ":") {
		return false
	}
	for i := range pp {
		if !pp[i].match(sp[i]) {
			return false
		}
	}
	return true
}

// arnParts is an ARN split into its six parts.
type arnParts struct {
	partition, service, region, account, resource string
}

func splitARN(s string) (arnParts, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return arnParts{}, false
	}
	return arnParts{p[1], p[2], p[3], p[4], p[5]}, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// principalMatch says how a statement's Principal matched the caller. It
// matters to Decide: naming an account in a resource policy delegates to
// that account's identity policies rather than granting its users access.
type principalMatch int

const (
	noMatch      principalMatch = iota
	accountMatch                // the caller's account was named
	directMatch                 // "*" or the caller itself was named
)

// principalPattern is one value of a Principal or NotPrincipal element.
type principalPattern struct {
	anyone    bool   // "*"
	account   string // the account named, or the account of arn
	arn       string // a user, role or session ARN; empty for accounts
	partition string // partition of arn or of a root ARN; empty for a bare ID
	roleName  string // for role ARNs: sessions of the role match too
}

func (pp principalPattern) match(p Principal) principalMatch {
	switch {
	case pp.anyone:
		return directMatch
	case pp.arn == "":
		if p.Account == "" || p.Account != pp.account {
			return noMatch
		}
		if a, ok := splitARN(p.ARN); ok && a.service == "iam" && a.resource == "root" {
			return directMatch // the account's root user is the account itself
		}
		return accountMatch
	case p.ARN == pp.arn:
		return directMatch
	case pp.roleName != "":
		// AWS resolves an assumed-role session to its role, so a role ARN
		// names all of the role's sessions (the session ARN has no path).
		a, ok := splitARN(p.ARN)
		if ok && a.service == "sts" && a.partition == pp.partition && a.account == pp.account {
			rest, found := strings.CutPrefix(a.resource, "assumed-role/")
			role, _, _ := strings.Cut(rest, "/")
			if found && role == pp.roleName {
				return directMatch
			}
		}
	}
	return noMatch
}
