package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// kind is the sort of policy being parsed; it decides which elements are
// required or forbidden.
type kind int

const (
	anyKind      kind = iota // Parse: only the rules common to both
	identityKind             // ParseIdentity
	resourceKind             // ParseResource
)

// statement is one parsed Statement entry.
type statement struct {
	deny bool

	actions   []glob // lower-cased: actions match case-insensitively
	notAction bool

	resources   []template // nil: no Resource element (resource policies only)
	notResource bool

	principals   []principalPattern // nil: no Principal element (identity policies)
	notPrincipal bool

	conditions []condition
}

// Parse validates and parses a policy document of either kind: it applies
// every rule except those that depend on where the policy is attached. Use
// ParseIdentity or ParseResource when that is known.
//
// Errors are plain errors whose message can be shown to the user who wrote
// the document.
func Parse(doc string) (*Policy, error) { return parse(doc, anyKind) }

// ParseIdentity parses a policy attached to a user: every statement needs a
// Resource or NotResource, and none may name a Principal (the principal is
// whoever the policy is attached to). Sids must be alphanumeric, as IAM
// requires.
func ParseIdentity(doc string) (*Policy, error) { return parse(doc, identityKind) }

// ParseResource parses a policy attached to a resource (a CodeArtifact
// domain or repository): every statement needs a Principal or NotPrincipal.
// Resource may be left out, meaning the resource the policy is attached to.
func ParseResource(doc string) (*Policy, error) { return parse(doc, resourceKind) }

func parse(doc string, k kind) (*Policy, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, errors.New("Policy document must not be empty")
	}
	if n := utf8.RuneCountInString(doc); n > MaxDocumentLength {
		return nil, fmt.Errorf("Policy document is too long: %d characters, the maximum is %d", n, MaxDocumentLength)
	}
	if !utf8.ValidString(doc) {
		return nil, errors.New("Policy document is not valid UTF-8")
	}
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.typ != jsonObject {
		return nil, fmt.Errorf("Policy document must be a JSON object, not %s", root.typ)
	}

	var version string
	var stmts *jsonValue
	for i, key := range root.keys {
		v := root.elems[i]
		switch key {
		case "Version":
			if v.typ != jsonString {
				return nil, fmt.Errorf("Version must be a string, not %s", v.typ)
			}
			if v.str != "2012-10-17" && v.str != "2008-10-17" {
				return nil, fmt.Errorf("Policy document contains an invalid Version value: %s (use 2012-10-17)", v.str)
			}
			version = v.str
		case "Id":
			if v.typ != jsonString {
				return nil, fmt.Errorf("Id must be a string, not %s", v.typ)
			}
		case "Statement":
			stmts = v
		default:
			return nil, fmt.Errorf("Policy document contains an unknown element: %s", key)
		}
	}
	if stmts == nil {
		return nil, errors.New("Policy document must contain a Statement")
	}
	var raw []*jsonValue
	switch stmts.typ {
	case jsonObject:
		raw = []*jsonValue{stmts}
	case jsonArray:
		raw = stmts.elems
	default:
		return nil, fmt.Errorf("Statement must be an object or an array of objects, not %s", stmts.typ)
	}
	if len(raw) == 0 {
		return nil, errors.New("Policy document must contain at least one statement")
	}

	// Only the current language version has policy variables; in
	// 2008-10-17 documents (and ones without Version) "${...}" is literal.
	vars := version == "2012-10-17"
	p := &Policy{statements: make([]statement, 0, len(raw))}
	sids := map[string]bool{}
	for i, sv := range raw {
		st, sid, err := parseStatement(sv, k, vars)
		if err == nil && sid != "" {
			if sids[sid] {
				err = fmt.Errorf("Statement IDs (SID) in a single policy must be unique: %s", sid)
			}
			sids[sid] = true
		}
		if err != nil {
			if len(raw) > 1 {
				// Point at the statement when there is more than one.
				where := fmt.Sprintf("statement %d", i+1)
				if sid != "" {
					where += fmt.Sprintf(", Sid %q", sid)
				}
				err = fmt.Errorf("%w (in %s)", err, where)
			}
			return nil, err
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// parseStatement parses one statement; it also returns the Sid, if any, so
// errors can name it.
func parseStatement(v *jsonValue, k kind, vars bool) (statement, string, error) {
	var st statement
	if v.typ != jsonObject {
		return st, "", fmt.Errorf("Each Statement must be an object, not %s", v.typ)
	}
	if len(v.keys) == 0 {
		return st, "", errors.New("Policy document contains an empty statement")
	}
	// Find the Sid first so that errors about other elements can name it.
	var sid string
	for i, key := range v.keys {
		if key == "Sid" {
			e := v.elems[i]
			if e.typ != jsonString {
				return st, "", fmt.Errorf("Sid must be a string, not %s", e.typ)
			}
			sid = e.str
		}
	}
	var effect string
	var hasEffect, hasAction, hasResource, hasPrincipal bool
	for i, key := range v.keys {
		e := v.elems[i]
		var err error
		switch key {
		case "Sid":
			if k == identityKind && !isAlphanumeric(sid) {
				err = fmt.Errorf("Statement IDs (SID) must be alpha-numeric: %q", sid)
			}
		case "Effect":
			if e.typ != jsonString {
				err = fmt.Errorf("Effect must be a string, not %s", e.typ)
				break
			}
			effect, hasEffect = e.str, true
		case "Action", "NotAction":
			if hasAction {
				err = errors.New("Policy statement must not contain both Action and NotAction")
				break
			}
			hasAction, st.notAction = true, key == "NotAction"
			st.actions, err = parseActions(e, key)
		case "Resource", "NotResource":
			if hasResource {
				err = errors.New("Policy statement must not contain both Resource and NotResource")
				break
			}
			hasResource, st.notResource = true, key == "NotResource"
			st.resources, err = parseResources(e, key, vars)
		case "Principal", "NotPrincipal":
			if k == identityKind {
				err = errors.New("Policy document should not specify a principal")
				break
			}
			if hasPrincipal {
				err = errors.New("Policy statement must not contain both Principal and NotPrincipal")
				break
			}
			hasPrincipal, st.notPrincipal = true, key == "NotPrincipal"
			st.principals, err = parsePrincipals(e, key)
		case "Condition":
			st.conditions, err = parseConditions(e, vars)
		default:
			err = fmt.Errorf("Policy statement contains an unknown element: %s", key)
		}
		if err != nil {
			return st, sid, err
		}
	}
	switch {
	case !hasEffect:
		return st, sid, errors.New("Policy statement must contain an Effect")
	case effect != "Allow" && effect != "Deny":
		return st, sid, fmt.Errorf("Policy document contains an invalid Effect value: %s", effect)
	case !hasAction:
		return st, sid, errors.New("Policy statement must contain actions (Action or NotAction)")
	case !hasResource && k == identityKind:
		return st, sid, errors.New("Policy statement must contain resources (Resource or NotResource)")
	case !hasPrincipal && k == resourceKind:
		return st, sid, errors.New("Policy statement must contain a Principal or NotPrincipal")
	}
	st.deny = effect == "Deny"
	return st, sid, nil
}

// stringList accepts a string or a non-empty array of strings.
func stringList(v *jsonValue, name string) ([]string, error) {
	switch v.typ {
	case jsonString:
		return []string{v.str}, nil
	case jsonArray:
		if len(v.elems) == 0 {
			return nil, fmt.Errorf("%s must not be an empty array", name)
		}
		out := make([]string, len(v.elems))
		for i, e := range v.elems {
			if e.typ != jsonString {
				return nil, fmt.Errorf("%s must be a string or an array of strings, but contains %s", name, e.typ)
			}
			out[i] = e.str
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a string or an array of strings, not %s", name, v.typ)
}

func parseActions(v *jsonValue, name string) ([]glob, error) {
	list, err := stringList(v, name)
	if err != nil {
		return nil, err
	}
	out := make([]glob, len(list))
	for i, a := range list {
		if a != "*" {
			service, op, found := strings.Cut(a, ":")
			if !found || service == "" || op == "" {
				return nil, fmt.Errorf("%s %q must be \"*\" or of the form service:action, e.g. codeartifact:ReadFromRepository", name, a)
			}
			if strings.Contains(op, ":") {
				return nil, fmt.Errorf("%s %q can contain only one colon", name, a)
			}
		}
		out[i] = compileGlob(strings.ToLower(a))
	}
	return out, nil
}

func parseResources(v *jsonValue, name string, vars bool) ([]template, error) {
	list, err := stringList(v, name)
	if err != nil {
		return nil, err
	}
	out := make([]template, len(list))
	for i, r := range list {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, fmt.Errorf("%s %s must be in ARN format or \"*\"", name, r)
		}
		if out[i], err = parseTemplate(r, vars); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parsePrincipals accepts "*" or {"AWS": value-or-values}. Other principal
// types (Service, Federated, CanonicalUser) cannot make requests to Wharf,
// so they are rejected rather than silently never matching.
func parsePrincipals(v *jsonValue, name string) ([]principalPattern, error) {
	switch v.typ {
	case jsonString:
		if v.str != "*" {
			return nil, fmt.Errorf("Invalid principal in policy: %s must be \"*\" or an object such as {\"AWS\": \"111122223333\"}, not %q", name, v.str)
		}
		return []principalPattern{{anyone: true}}, nil
	case jsonObject:
	default:
		return nil, fmt.Errorf("Invalid principal in policy: %s must be \"*\" or an object, not %s", name, v.typ)
	}
	if len(v.keys) == 0 {
		return nil, fmt.Errorf("Invalid principal in policy: %s is empty", name)
	}
	var out []principalPattern
	for i, key := range v.keys {
		if key != "AWS" {
			return nil, fmt.Errorf("Invalid principal in policy: unsupported principal type %q in %s (only \"AWS\" is supported)", key, name)
		}
		list, err := stringList(v.elems[i], name+".AWS")
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			pp, err := parsePrincipal(s)
			if err != nil {
				return nil, err
			}
			out = append(out, pp)
		}
	}
	return out, nil
}

// parsePrincipal parses one AWS principal: "*", an account ID, an account
// root ARN, or an IAM user or role, or STS session, ARN.
func parsePrincipal(s string) (principalPattern, error) {
	if s == "*" {
		return principalPattern{anyone: true}, nil
	}
	if isAccountID(s) {
		return principalPattern{account: s}, nil
	}
	if strings.ContainsAny(s, "*?") {
		return principalPattern{}, fmt.Errorf("Invalid principal in policy: \"AWS\": %q (wildcards are only allowed as the whole value \"*\"; use a condition on aws:PrincipalArn instead)", s)
	}
	a, ok := splitARN(s)
	valid := ok && a.partition != "" && a.region == "" && isAccountID(a.account)
	if valid {
		switch a.service {
		case "iam":
			switch {
			case a.resource == "root":
				return principalPattern{account: a.account, partition: a.partition}, nil
			case strings.HasPrefix(a.resource, "user/") && len(a.resource) > len("user/"):
				return principalPattern{account: a.account, arn: s, partition: a.partition}, nil
			case strings.HasPrefix(a.resource, "role/") && len(a.resource) > len("role/"):
				name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]
				if name != "" {
					return principalPattern{account: a.account, arn: s, partition: a.partition, roleName: name}, nil
				}
			}
		case "sts":
			if strings.HasPrefix(a.resource, "assumed-role/") || strings.HasPrefix(a.resource, "federated-user/") {
				return principalPattern{account: a.account, arn: s, partition: a.partition}, nil
			}
		}
	}
	return principalPattern{}, fmt.Errorf("Invalid principal in policy: \"AWS\": %q (use an account ID, an account root ARN, or an IAM user or role ARN)", s)
}

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
