package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// family is the data type a condition operator compares.
type family int

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famIP
	famNull
)

// Comparisons within a family.
const (
	strEq   = iota // StringEquals
	strFold        // StringEqualsIgnoreCase
	strLike        // StringLike
	strARN         // ArnEquals and ArnLike, which AWS treats alike
)

const (
	cmpEq = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type opInfo struct {
	fam     family
	how     int  // one of the str* or cmp* constants
	negated bool // a "Not" operator: true when no policy value matches
}

// operators maps lower-cased operator names (without set prefix or IfExists
// suffix) to what they do.
var operators = map[string]opInfo{
	"stringequals":              {famString, strEq, false},
	"stringnotequals":           {famString, strEq, true},
	"stringequalsignorecase":    {famString, strFold, false},
	"stringnotequalsignorecase": {famString, strFold, true},
	"stringlike":                {famString, strLike, false},
	"stringnotlike":             {famString, strLike, true},
	"arnequals":                 {famString, strARN, false},
	"arnlike":                   {famString, strARN, false},
	"arnnotequals":              {famString, strARN, true},
	"arnnotlike":                {famString, strARN, true},
	"numericequals":             {famNumeric, cmpEq, false},
	"numericnotequals":          {famNumeric, cmpEq, true},
	"numericlessthan":           {famNumeric, cmpLt, false},
	"numericlessthanequals":     {famNumeric, cmpLe, false},
	"numericgreaterthan":        {famNumeric, cmpGt, false},
	"numericgreaterthanequals":  {famNumeric, cmpGe, false},
	"dateequals":                {famDate, cmpEq, false},
	"datenotequals":             {famDate, cmpEq, true},
	"datelessthan":              {famDate, cmpLt, false},
	"datelessthanequals":        {famDate, cmpLe, false},
	"dategreaterthan":           {famDate, cmpGt, false},
	"dategreaterthanequals":     {famDate, cmpGe, false},
	"bool":                      {famBool, cmpEq, false},
	"ipaddress":                 {famIP, cmpEq, false},
	"notipaddress":              {famIP, cmpEq, true},
	"null":                      {famNull, cmpEq, false},
}

// setOp is a ForAllValues: or ForAnyValue: prefix.
type setOp int

const (
	setNone setOp = iota
	setAll
	setAny
)

// condition is one key of one operator in a Condition block. Only the value
// slice for the operator's family is set.
type condition struct {
	op       opInfo
	set      setOp
	ifExists bool
	key      string // lower-cased: condition keys are case-insensitive
	strs     []template
	nums     []float64
	times    []time.Time
	nets     []netip.Prefix
	bools    []bool // Bool, and Null (true: the key must be absent)
}

// parseOperator splits e.g. "ForAnyValue:StringLikeIfExists" into its
// parts. Operator names are matched case-insensitively.
func parseOperator(name string) (opInfo, setOp, bool, error) {
	base, set := name, setNone
	if prefix, rest, found := strings.Cut(name, ":"); found {
		switch strings.ToLower(prefix) {
		case "forallvalues":
			set = setAll
		case "foranyvalue":
			set = setAny
		default:
			return opInfo{}, 0, false, fmt.Errorf("unsupported condition operator %s", name)
		}
		base = rest
	}
	ifExists := false
	const suffix = "ifexists"
	if len(base) > len(suffix) && strings.EqualFold(base[len(base)-len(suffix):], suffix) {
		base, ifExists = base[:len(base)-len(suffix)], true
	}
	op, ok := operators[strings.ToLower(base)]
	if !ok {
		return opInfo{}, 0, false, fmt.Errorf("unsupported condition operator %s", name)
	}
	if op.fam == famNull && ifExists {
		return opInfo{}, 0, false, fmt.Errorf("condition operator %s is not allowed: Null cannot be combined with IfExists", name)
	}
	if op.fam == famNull && set != setNone {
		return opInfo{}, 0, false, fmt.Errorf("condition operator %s is not allowed: Null cannot be combined with ForAllValues or ForAnyValue", name)
	}
	return op, set, ifExists, nil
}

// parseConditions parses a statement's Condition element.
func parseConditions(v *jsonValue, vars bool) ([]condition, error) {
	if v.typ != jsonObject {
		return nil, fmt.Errorf("Condition must be an object, not %s", v.typ)
	}
	var conds []condition
	for i, opName := range v.keys {
		op, set, ifExists, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		body := v.elems[i]
		if body.typ != jsonObject {
			return nil, fmt.Errorf("Condition operator %s must map condition keys to values, not be %s", opName, body.typ)
		}
		seen := map[string]string{}
		for j, key := range body.keys {
			if colon := strings.IndexByte(key, ':'); colon <= 0 || colon == len(key)-1 {
				return nil, fmt.Errorf("Condition key %q must be of the form service:key, e.g. aws:SourceIp", key)
			}
			lk := strings.ToLower(key)
			if prev, dup := seen[lk]; dup {
				return nil, fmt.Errorf("Condition operator %s names the key %s twice (%s and %s; keys are case-insensitive)", opName, key, prev, key)
			}
			seen[lk] = key
			vals, err := conditionValues(body.elems[j])
			if err != nil {
				return nil, fmt.Errorf("Condition %s on key %s: %w", opName, key, err)
			}
			c := condition{op: op, set: set, ifExists: ifExists, key: lk}
			if err := c.compile(vals, vars); err != nil {
				return nil, fmt.Errorf("Condition %s on key %s: %w", opName, key, err)
			}
			conds = append(conds, c)
		}
	}
	return conds, nil
}

// conditionValues accepts a string, number or boolean, or a non-empty array
// of them; AWS accepts unquoted numbers and booleans in conditions.
func conditionValues(v *jsonValue) ([]string, error) {
	scalar := func(v *jsonValue) bool {
		return v.typ == jsonString || v.typ == jsonNumber || v.typ == jsonBool
	}
	if scalar(v) {
		return []string{v.str}, nil
	}
	if v.typ != jsonArray {
		return nil, fmt.Errorf("value must be a string, number or boolean, or an array of them, not %s", v.typ)
	}
	if len(v.elems) == 0 {
		return nil, fmt.Errorf("value must not be an empty array")
	}
	out := make([]string, len(v.elems))
	for i, e := range v.elems {
		if !scalar(e) {
			return nil, fmt.Errorf("array values must be strings, numbers or booleans, not %s", e.typ)
		}
		out[i] = e.str
	}
	return out, nil
}

// compile checks the policy values against the operator's type now, so a
// bad value is an error at parse time rather than a silent mismatch later.
func (c *condition) compile(vals []string, vars bool) error {
	for _, s := range vals {
		switch c.op.fam {
		case famString:
			t, err := parseTemplate(s, vars)
			if err != nil {
				return err
			}
			c.strs = append(c.strs, t)
		case famNumeric:
			n, ok := parseNumber(s)
			if !ok {
				return fmt.Errorf("%q is not a number", s)
			}
			c.nums = append(c.nums, n)
		case famDate:
			t, ok := parseDate(s)
			if !ok {
				return fmt.Errorf("%q is not a date; use ISO 8601 (e.g. 2026-01-02T15:04:05Z) or epoch seconds", s)
			}
			c.times = append(c.times, t)
		case famBool, famNull:
			b, ok := parseBool(s)
			if !ok {
				return fmt.Errorf("%q is not true or false", s)
			}
			c.bools = append(c.bools, b)
		case famIP:
			p, ok := parsePrefix(s)
			if !ok {
				return fmt.Errorf("%q is not an IP address or CIDR block", s)
			}
			c.nets = append(c.nets, p)
		}
	}
	return nil
}

// eval reports whether the condition holds for the request.
func (c *condition) eval(ctx *evalContext) bool {
	vals := ctx.values[c.key]
	if c.op.fam == famNull {
		present := len(vals) > 0
		for _, absent := range c.bools {
			if absent != present {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setAll: // vacuously true, as in AWS
			return true
		case c.set == setAny:
			return false
		}
		// A missing key matches no value: positive operators fail and
		// negated ones hold.
		return c.op.negated
	}
	// pred is the per-value test: some policy value matches, or for a
	// negated operator none does.
	pred := func(v string) bool { return c.matchAny(v, ctx) != c.op.negated }
	all := c.set == setAll || (c.set == setNone && c.op.negated)
	for _, v := range vals {
		if pred(v) != all {
			return !all
		}
	}
	return all
}

// matchAny reports whether the request value v matches any policy value
// under the operator's positive form. A request value of the wrong type
// matches nothing.
func (c *condition) matchAny(v string, ctx *evalContext) bool {
	switch c.op.fam {
	case famString:
		for i := range c.strs {
			t := &c.strs[i]
			switch c.op.how {
			case strEq, strFold:
				s, ok := t.str(ctx)
				if ok && (s == v || c.op.how == strFold && strings.EqualFold(s, v)) {
					return true
				}
			case strLike, strARN:
				g, ok := t.glob(ctx)
				if ok && (c.op.how == strLike && g.match(v) || c.op.how == strARN && matchARN(g, v)) {
					return true
				}
			}
		}
	case famNumeric:
		x, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, n := range c.nums {
			r := 0
			if x < n {
				r = -1
			} else if x > n {
				r = 1
			}
			if compareHolds(c.op.how, r) {
				return true
			}
		}
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.times {
			if compareHolds(c.op.how, t.Compare(p)) {
				return true
			}
		}
	case famBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, p := range c.bools {
			if b == p {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		for _, p := range c.nets {
			// Match "::ffff:10.0.0.1" against 10.0.0.0/8 too.
			if p.Contains(a) || p.Contains(a.Unmap()) {
				return true
			}
		}
	}
	return false
}

// compareHolds says whether r (the sign of request value minus policy
// value) satisfies the comparison.
func compareHolds(how, r int) bool {
	switch how {
	case cmpEq:
		return r == 0
	case cmpLt:
		return r < 0
	case cmpLe:
		return r <= 0
	case cmpGt:
		return r > 0
	case cmpGe:
		return r >= 0
	}
	return false
}

// parseNumber accepts decimal integers and decimals with an optional sign
// and exponent. strconv.ParseFloat alone would also take "NaN", "Inf", hex
// floats and underscores, none of which AWS accepts.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil // err is set for values out of float64's range
}

// dateLayouts are the ISO 8601 forms accepted besides epoch seconds.
// time.RFC3339 also takes fractional seconds when parsing.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02"}

func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix accepts a CIDR block or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
