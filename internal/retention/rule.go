// Package retention holds Wharf's retention rules and their evaluation:
// which versions of a package a rule would act on, and why. It does no
// I/O: the caller streams packages in, each with its versions, the
// versions nothing may touch (dist-tag targets, maven-metadata's latest
// and release) and the format's version order, and gets decisions back.
// The same evaluation serves the dry run and the run, so what a dry run
// lists is what a run does.
package retention

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Action is what a rule does to the versions it selects: one of the
// lifecycle's transitions.
type Action string

// The actions, named as the statuses they lead to.
const (
	ActionArchive Action = "ARCHIVE"
	ActionUnlist  Action = "UNLIST"
	ActionDispose Action = "DISPOSE"
	ActionDelete  Action = "DELETE"
)

// Actions lists every action.
var Actions = []Action{ActionArchive, ActionUnlist, ActionDispose, ActionDelete}

// Result is the status a version has after the action.
func (a Action) Result() model.Status {
	switch a {
	case ActionArchive:
		return model.StatusArchived
	case ActionUnlist:
		return model.StatusUnlisted
	case ActionDispose:
		return model.StatusDisposed
	default:
		return model.StatusDeleted
	}
}

// applies reports whether the action changes a version in status s: a
// version already where the action leads, or one the lifecycle forbids
// moving, is left alone (which is what makes a second run do nothing).
func (a Action) applies(s model.Status) bool {
	switch a {
	case ActionArchive, ActionUnlist:
		return s != a.Result() && model.CanTransition(s, a.Result())
	case ActionDispose:
		return s != model.StatusDisposed && s != model.StatusDeleted
	default:
		return s != model.StatusDeleted
	}
}

// Order is how KeepNewest ranks versions.
type Order string

// The orders: by publish time (newest first), or by the format's own
// version precedence (highest first).
const (
	OrderPublished Order = "PUBLISHED_TIME"
	OrderVersion   Order = "VERSION"
)

// MaxKeepList bounds a rule's explicit keep list.
const MaxKeepList = 1000

// VersionRef names one version of one package, for keep lists.
type VersionRef struct {
	Format    model.Format `json:"format"`
	Namespace string       `json:"namespace,omitempty"`
	Package   string       `json:"package"`
	Version   string       `json:"version"`
}

// Duration is a time.Duration written in JSON as Go duration text
// ("720h") or as days ("30d").
type Duration time.Duration

// ParseDuration reads "30d", "12h", "90m" and other Go duration text.
func ParseDuration(s string) (Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int64
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || fmt.Sprint(n) != d || n < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return Duration(d), nil
}

// String writes whole days as "Nd", anything else as Go does.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", td/(24*time.Hour))
	}
	return td.String()
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"30d\" or \"12h\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Rule is one retention rule of a domain.
type Rule struct {
	// Name identifies the rule in its domain.
	Name string `json:"name"`
	// Repository limits the rule to one repository ("" for every
	// repository of the domain).
	Repository string `json:"repository,omitempty"`
	// PackageGroup limits the rule to packages matching a package group
	// pattern ("/npm/@acme/*"), with the matching of package groups.
	PackageGroup string `json:"packageGroup,omitempty"`
	// KeepNewest spares the newest N versions of each package (0: no
	// such criterion).
	KeepNewest int `json:"keepNewest,omitempty"`
	// Order ranks versions for KeepNewest (default PUBLISHED_TIME).
	Order Order `json:"order,omitempty"`
	// OlderThan selects only versions published longer ago than this.
	OlderThan Duration `json:"olderThan,omitempty"`
	// NotDownloadedFor selects only versions not downloaded (nor
	// published) for this long.
	NotDownloadedFor Duration `json:"notDownloadedFor,omitempty"`
	// Statuses selects only versions in these statuses (default
	// Published and Unlisted).
	Statuses []model.Status `json:"statuses,omitempty"`
	// Keep lists versions the rule never touches.
	Keep []VersionRef `json:"keep,omitempty"`
	// Action is what happens to the selected versions.
	Action Action `json:"action"`
}

// DefaultStatuses are the statuses a rule selects when it names none.
var DefaultStatuses = []model.Status{model.StatusPublished, model.StatusUnlisted}

// Check validates the rule and fills its defaults. Its errors are the
// model's InvalidParameter errors, for the API to answer as 400s.
func (r *Rule) Check() error {
	if err := checkName(r.Name); err != nil {
		return err
	}
	if !slices.Contains(Actions, r.Action) {
		return model.InvalidParameter("Invalid action %q: must be one of %v.", r.Action, Actions)
	}
	if r.KeepNewest < 0 {
		return model.InvalidParameter("keepNewest must not be negative.")
	}
	if r.KeepNewest == 0 && r.OlderThan == 0 && r.NotDownloadedFor == 0 {
		return model.InvalidParameter("A rule needs keepNewest, olderThan or notDownloadedFor: without any it would select every version.")
	}
	switch r.Order {
	case "":
		r.Order = OrderPublished
	case OrderPublished, OrderVersion:
	default:
		return model.InvalidParameter("Invalid order %q: must be %s or %s.", r.Order, OrderPublished, OrderVersion)
	}
	if r.OlderThan < 0 || r.NotDownloadedFor < 0 {
		return model.InvalidParameter("olderThan and notDownloadedFor must not be negative.")
	}
	if len(r.Statuses) == 0 {
		r.Statuses = slices.Clone(DefaultStatuses)
	}
	for _, s := range r.Statuses {
		if !s.Valid() || s == model.StatusDeleted {
			return model.InvalidParameter("Invalid status %q in statuses.", s)
		}
	}
	if r.PackageGroup != "" {
		if _, err := model.ParsePattern(r.PackageGroup); err != nil {
			return err
		}
	}
	if len(r.Keep) > MaxKeepList {
		return model.InvalidParameter("At most %d versions may be kept by name.", MaxKeepList)
	}
	for i, k := range r.Keep {
		if !k.Format.Valid() || k.Package == "" || k.Version == "" {
			return model.InvalidParameter("keep[%d] needs a valid format, a package and a version.", i)
		}
		nk := model.NormalizeKey(model.PackageKey{Format: k.Format, Namespace: k.Namespace, Name: k.Package})
		r.Keep[i] = VersionRef{Format: nk.Format, Namespace: nk.Namespace, Package: nk.Name, Version: model.NormalizeVersion(k.Format, k.Version)}
	}
	return nil
}

// checkName allows rule names that are safe in URL paths.
func checkName(n string) error {
	if n == "" || len(n) > 100 {
		return model.InvalidParameter("A rule name is 1 to 100 characters.")
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return model.InvalidParameter("Invalid rule name %q: use letters, digits, '-', '_' and '.'.", n)
		}
	}
	if n == "." || n == ".." {
		return model.InvalidParameter("Invalid rule name %q.", n)
	}
	return nil
}

// CheckName validates a rule name given on its own (in a URL).
func CheckName(n string) error { return checkName(n) }
