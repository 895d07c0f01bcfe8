package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/wharf-dev/wharf/internal/audit"
	"github.com/wharf-dev/wharf/internal/retention/job"
)

// maxDryRunRows bounds the versions a dry run page lists; the summary
// still counts every version the rule selects.
const maxDryRunRows = 1000

// retentionRoutes registers the retention rule pages. Each calls the
// same job.Runner method as the Wharf API, so each is authorized with the
// same IAM action (wharf:ListRetentionRules, wharf:GetRetentionRule,
// wharf:EvaluateRetentionRule, wharf:RunRetentionRule on the domain).
func (c *Console) retentionRoutes(mux *http.ServeMux, d string) {
	mux.Handle("GET "+d+"retention/{$}", c.secure(c.withSession(c.rulesPage)))
	mux.Handle("GET "+d+"retention/{name}", c.secure(c.withSession(c.rulePage)))
	mux.Handle("GET "+d+"retention/{name}/dry-run", c.secure(c.withSession(c.dryRunPage)))
	mux.Handle("POST "+d+"retention/{name}/run", c.secure(c.withSession(c.runRule)))
}

// RetentionURL is the domain's retention rules page.
func (l repoLoc) RetentionURL() string { return l.DomainURL() + "retention/" }

// RuleURL is the page of one retention rule.
func (l repoLoc) RuleURL(name string) string { return l.RetentionURL() + url.PathEscape(name) }

type rulesData struct {
	Loc   repoLoc
	Rules []*job.RuleInfo
}

func (c *Console) rulesPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	list, err := c.rules.ListRules(r.Context(), s.Caller, l.Owner, l.Domain)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "retention", page{Title: "Retention rules of " + l.Domain, Session: s,
		Crumbs: l.crumbs(crumb{"Retention rules", ""}), Data: rulesData{Loc: l, Rules: list}})
}

type ruleData struct {
	Loc  repoLoc
	Rule *job.RuleInfo
	CSRF string
	// Dry run results, on the dry run page only.
	DryRun    bool
	Items     []job.Item
	Truncated bool
	Summary   *job.Summary
	Confirm   bool
}

func (c *Console) rulePage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showRule(w, r, s, false)
}

func (c *Console) dryRunPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showRule(w, r, s, true)
}

// showRule shows a rule and, for a dry run, every version it would
// touch, why, and the bytes it would free.
func (c *Console) showRule(w http.ResponseWriter, r *http.Request, s *session, dry bool) {
	l := locOf(r)
	name := r.PathValue("name")
	ctx := r.Context()
	info, err := c.rules.GetRule(ctx, s.Caller, l.Owner, l.Domain, name)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := ruleData{Loc: l, Rule: info, CSRF: s.CSRF, DryRun: dry}
	cr := l.crumbs(crumb{"Retention rules", l.RetentionURL()}, crumb{name, ""})
	title := "Retention rule " + name
	if dry {
		d.Summary, err = c.rules.DryRun(ctx, s.Caller, l.Owner, l.Domain, name, func(it job.Item) error {
			if len(d.Items) < maxDryRunRows {
				d.Items = append(d.Items, it)
			} else {
				d.Truncated = true
			}
			return nil
		})
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		cr = l.crumbs(crumb{"Retention rules", l.RetentionURL()}, crumb{name, l.RuleURL(name)}, crumb{"Dry run", ""})
		title = "Dry run of " + name
	}
	c.render(w, r, http.StatusOK, "rule", page{Title: title, Session: s, Crumbs: cr, Data: d})
}

// runRule runs a rule after a confirmation page: the first POST (without
// confirm=yes) only asks; the second runs it, as wharf:RunRetentionRule
// and each batch as the lifecycle operation it is.
func (c *Console) runRule(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	name := r.PathValue("name")
	ctx := r.Context()
	if r.PostFormValue("confirm") != "yes" {
		info, err := c.rules.GetRule(ctx, s.Caller, l.Owner, l.Domain, name)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		c.render(w, r, http.StatusOK, "rule", page{Title: "Run " + name + "?", Session: s,
			Crumbs: l.crumbs(crumb{"Retention rules", l.RetentionURL()}, crumb{name, l.RuleURL(name)}, crumb{"Run", ""}),
			Data:   ruleData{Loc: l, Rule: info, CSRF: s.CSRF, Confirm: true}})
		return
	}
	audit.Operation(ctx, s.Caller, "RunRetentionRule")
	st, err := c.rules.Run(ctx, s.Caller, l.Owner, l.Domain, name, 0)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	msg := fmt.Sprintf("Ran %s: %d versions in %d packages, %s freed.", name, st.Versions, st.Packages, humanBytes(st.Bytes))
	if st.Failed > 0 {
		msg += fmt.Sprintf(" %d versions changed meanwhile and were left alone.", st.Failed)
	}
	if st.State == job.StateFailed {
		msg = fmt.Sprintf("The run of %s failed: %s", name, st.Error)
	}
	c.flash(r, s, msg)
	http.Redirect(w, r, l.RuleURL(name), http.StatusSeeOther)
}
