// Package job runs retention rules over the stores: it keeps the rules
// of each domain, evaluates a rule package by package (the dry run), and
// executes the same evaluation (the run) in batches through the
// service's lifecycle operations, recording its progress so a run that a
// crash interrupted resumes where it stopped. It streams packages a page
// at a time and never loads a repository whole.
package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/maven"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/retention"
	"github.com/wharf-dev/wharf/internal/semver"
	"github.com/wharf-dev/wharf/internal/service"
)

// The IAM actions of the retention API.
const (
	ActionPut      = "wharf:PutRetentionRule"
	ActionGet      = "wharf:GetRetentionRule"
	ActionList     = "wharf:ListRetentionRules"
	ActionDelete   = "wharf:DeleteRetentionRule"
	ActionEvaluate = "wharf:EvaluateRetentionRule"
	ActionRun      = "wharf:RunRetentionRule"
)

// pageSize is how many packages one read transaction evaluates.
const pageSize = 500

// Runner keeps and runs retention rules.
type Runner struct {
	svc  *service.Service
	meta meta.Store
	now  func() time.Time
	log  *slog.Logger

	mu      sync.Mutex
	running map[string]bool // rules being run, by domain id and name
}

// New builds a runner over the service and its metadata store; now is
// the service's clock.
func New(svc *service.Service, m meta.Store, now func() time.Time, log *slog.Logger) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{svc: svc, meta: m, now: now, log: log, running: map[string]bool{}}
}

// RunState is the progress of a rule's run, stored with the rule.
type RunState struct {
	ID string `json:"id"`
	// Started is when the run's evaluation began: versions published
	// after it are never touched, also by the run that resumes it.
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	State    string     `json:"state"` // running, done, failed
	// Error says why a failed run stopped.
	Error string `json:"error,omitempty"`
	// Repository and After are where the run continues: the packages of
	// Repository after the package cursor After (all before are done).
	Repository string `json:"repository,omitempty"`
	After      string `json:"after,omitempty"`
	Summary
}

// Run states.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Summary counts what an evaluation found or a run did.
type Summary struct {
	Packages int   `json:"packages"` // packages the rule looked at
	Versions int   `json:"versions"` // versions selected (acted on, for a run)
	Bytes    int64 `json:"bytes"`    // bytes of their assets freed
	Failed   int   `json:"failed"`   // versions changed concurrently and left alone
}

// RuleInfo is a stored rule as the API answers it.
type RuleInfo struct {
	Domain      string         `json:"domain"`
	DomainOwner string         `json:"domainOwner"`
	Rule        retention.Rule `json:"rule"`
	RunsAs      string         `json:"runsAs"`
	UpdatedTime time.Time      `json:"updatedTime"`
	LastRun     *RunState      `json:"lastRun,omitempty"`
}

func (r *Runner) info(d *model.Domain, st *meta.RetentionRule) (*RuleInfo, error) {
	ri := &RuleInfo{Domain: d.Name, DomainOwner: d.Owner, RunsAs: st.OwnerARN, UpdatedTime: st.Updated}
	if err := json.Unmarshal(st.Rule, &ri.Rule); err != nil {
		return nil, fmt.Errorf("stored rule %s: %w", st.Name, err)
	}
	if len(st.Run) > 0 {
		ri.LastRun = new(RunState)
		if err := json.Unmarshal(st.Run, ri.LastRun); err != nil {
			return nil, fmt.Errorf("stored run of rule %s: %w", st.Name, err)
		}
	}
	return ri, nil
}

func ruleNotFound(domain, name string) error {
	return model.NotFound("retention-rule", name, "Retention rule not found. Domain: %s, Rule: %s", domain, name)
}

// PutRule creates or replaces a rule. The rule runs, when the server
// schedules it, as the caller who put it.
func (r *Runner) PutRule(ctx context.Context, c service.Caller, owner, domain string, rule retention.Rule) (*RuleInfo, error) {
	if err := rule.Check(); err != nil {
		return nil, err
	}
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionPut)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(rule)
	if err != nil {
		return nil, err
	}
	var info *RuleInfo
	err = r.meta.Update(ctx, func(tx meta.Tx) error {
		if rule.Repository != "" {
			if _, err := tx.GetRepository(d.ID, rule.Repository); errors.Is(err, meta.ErrNotFound) {
				return model.NotFound(model.ResourceRepository, rule.Repository, "Repository not found. Domain: %s, Repository: %s", d.Name, rule.Repository)
			} else if err != nil {
				return err
			}
		}
		st := &meta.RetentionRule{DomainID: d.ID, Name: rule.Name, Rule: body, Owner: c.Account, OwnerARN: c.ARN, Updated: r.now().UTC()}
		if err := tx.PutRetentionRule(st); err != nil {
			return err
		}
		if st, err = tx.GetRetentionRule(d.ID, rule.Name); err != nil {
			return err
		}
		info, err = r.info(d, st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put retention rule: %w", err)
	}
	return info, nil
}

// GetRule returns one rule with its last run.
func (r *Runner) GetRule(ctx context.Context, c service.Caller, owner, domain, name string) (*RuleInfo, error) {
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionGet)
	if err != nil {
		return nil, err
	}
	return r.load(ctx, d, name)
}

func (r *Runner) load(ctx context.Context, d *model.Domain, name string) (*RuleInfo, error) {
	if err := retention.CheckName(name); err != nil {
		return nil, err
	}
	var info *RuleInfo
	err := r.meta.View(ctx, func(tx meta.Tx) error {
		st, err := tx.GetRetentionRule(d.ID, name)
		if errors.Is(err, meta.ErrNotFound) {
			return ruleNotFound(d.Name, name)
		}
		if err != nil {
			return err
		}
		info, err = r.info(d, st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get retention rule: %w", err)
	}
	return info, nil
}

// ListRules lists a domain's rules by name.
func (r *Runner) ListRules(ctx context.Context, c service.Caller, owner, domain string) ([]*RuleInfo, error) {
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionList)
	if err != nil {
		return nil, err
	}
	out := []*RuleInfo{}
	err = r.meta.View(ctx, func(tx meta.Tx) error {
		sts, err := tx.ListRetentionRules(d.ID)
		if err != nil {
			return err
		}
		for _, st := range sts {
			info, err := r.info(d, st)
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list retention rules: %w", err)
	}
	return out, nil
}

// DeleteRule removes a rule.
func (r *Runner) DeleteRule(ctx context.Context, c service.Caller, owner, domain, name string) error {
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionDelete)
	if err != nil {
		return err
	}
	if err := retention.CheckName(name); err != nil {
		return err
	}
	err = r.meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.DeleteRetentionRule(d.ID, name); errors.Is(err, meta.ErrNotFound) {
			return ruleNotFound(d.Name, name)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete retention rule: %w", err)
	}
	return nil
}

// Item is one version a rule selects.
type Item struct {
	Repository string       `json:"repository"`
	Format     model.Format `json:"format"`
	Namespace  string       `json:"namespace,omitempty"`
	Package    string       `json:"package"`
	retention.Decision
}

// DryRun evaluates a rule without acting, calling emit for every version
// it would touch, in repository and package order.
func (r *Runner) DryRun(ctx context.Context, c service.Caller, owner, domain, name string, emit func(Item) error) (*Summary, error) {
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionEvaluate)
	if err != nil {
		return nil, err
	}
	info, err := r.load(ctx, d, name)
	if err != nil {
		return nil, err
	}
	var sum Summary
	err = r.walk(ctx, d, &info.Rule, r.now().UTC(), "", "", func(repo string, p *model.Package, ds []retention.Decision) error {
		sum.Packages++
		for _, dec := range ds {
			sum.Versions++
			sum.Bytes += dec.Bytes
			if err := emit(Item{Repository: repo, Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name, Decision: dec}); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluate retention rule: %w", err)
	}
	return &sum, nil
}

// Run executes a rule, authorized for c: as wharf:RunRetentionRule on
// the domain, and each batch as the lifecycle operation it is. A run that
// a crash or a cancellation interrupted is resumed, with its original
// start time; otherwise a new one starts. batch bounds the versions of
// one call (1 to 100, 0 for 100).
func (r *Runner) Run(ctx context.Context, c service.Caller, owner, domain, name string, batch int) (*RunState, error) {
	d, err := r.svc.WharfDomain(ctx, c, owner, domain, ActionRun)
	if err != nil {
		return nil, err
	}
	return r.run(ctx, c, d, name, batch)
}

func (r *Runner) run(ctx context.Context, c service.Caller, d *model.Domain, name string, batch int) (*RunState, error) {
	if batch < 0 || batch > model.MaxBatchVersions {
		return nil, model.InvalidParameter("batchSize must be between 1 and %d.", model.MaxBatchVersions)
	}
	if batch == 0 {
		batch = model.MaxBatchVersions
	}
	key := fmt.Sprintf("%d/%s", d.ID, name)
	r.mu.Lock()
	if r.running[key] {
		r.mu.Unlock()
		return nil, &model.Error{Kind: model.KindConflict, Message: "Retention rule " + name + " is running already.", ResourceID: name, ResourceType: "retention-rule"}
	}
	r.running[key] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, key)
		r.mu.Unlock()
	}()
	info, err := r.load(ctx, d, name)
	if err != nil {
		return nil, err
	}
	st := info.LastRun
	if st == nil || st.State != StateRunning {
		st = &RunState{ID: newRunID(), Started: r.now().UTC(), State: StateRunning}
		if err := r.saveRun(ctx, d, name, st); err != nil {
			return nil, err
		}
	} else {
		r.log.InfoContext(ctx, "resuming retention run", "domain", d.Name, "rule", name, "run", st.ID, "repository", st.Repository)
	}
	err = r.walk(ctx, d, &info.Rule, st.Started, st.Repository, st.After, func(repo string, p *model.Package, ds []retention.Decision) error {
		st.Packages++
		return r.act(ctx, c, d, repo, p, &info.Rule, ds, batch, st)
	}, func(repo, after string) error {
		st.Repository, st.After = repo, after
		return r.saveRun(ctx, d, name, st)
	})
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) && me.Kind != model.KindInternal && me.Kind != model.KindThrottling {
			// Refused (a policy, a rule gone wrong): resuming would only
			// be refused again, so the next run starts afresh.
			now := r.now().UTC()
			st.State, st.Finished, st.Error = StateFailed, &now, me.Message
			if serr := r.saveRun(context.WithoutCancel(ctx), d, name, st); serr != nil {
				r.log.WarnContext(ctx, "recording a failed retention run", "rule", name, "err", serr)
			}
		}
		return nil, fmt.Errorf("run retention rule %s: %w", name, err)
	}
	now := r.now().UTC()
	st.State, st.Finished, st.Repository, st.After = StateDone, &now, "", ""
	if err := r.saveRun(ctx, d, name, st); err != nil {
		return nil, err
	}
	return st, nil
}

func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (r *Runner) saveRun(ctx context.Context, d *model.Domain, name string, st *RunState) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return r.meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.SetRetentionRun(d.ID, name, body); errors.Is(err, meta.ErrNotFound) {
			return ruleNotFound(d.Name, name)
		} else {
			return err
		}
	})
}

// act applies the decisions for one package in batches of versions of
// one status, each guarded by that status and the versions' revisions.
// A batch refused because some version changed meanwhile is retried
// once without the changed versions, which are counted as failed.
func (r *Runner) act(ctx context.Context, c service.Caller, d *model.Domain, repo string, p *model.Package, rule *retention.Rule, ds []retention.Decision, batch int, st *RunState) error {
	byStatus := map[model.Status][]retention.Decision{}
	var statuses []model.Status
	for _, dec := range ds {
		if byStatus[dec.Status] == nil {
			statuses = append(statuses, dec.Status)
		}
		byStatus[dec.Status] = append(byStatus[dec.Status], dec)
	}
	op, target := model.OpUpdateStatus, rule.Action.Result()
	switch rule.Action {
	case retention.ActionDelete:
		op, target = model.OpDelete, ""
	case retention.ActionDispose:
		op, target = model.OpDispose, ""
	}
	ref := service.PackageRef{Domain: d.Name, DomainOwner: d.Owner, Repository: repo, Format: p.Key.Format, Namespace: p.Key.Namespace, Package: p.Key.Name}
	for _, s := range statuses {
		all := byStatus[s]
		for i := 0; i < len(all); i += batch {
			part := all[i:min(i+batch, len(all))]
			revs := make(map[string]string, len(part))
			bytes := make(map[string]int64, len(part))
			for _, dec := range part {
				revs[dec.Version] = dec.Revision
				bytes[dec.Version] = dec.Bytes
			}
			for attempt := 0; attempt < 2 && len(revs) > 0; attempt++ {
				out, err := r.svc.ApplyRetention(ctx, c, ref, op, target, s, revs)
				if err != nil {
					return err
				}
				for v := range out.SuccessfulVersions {
					st.Versions++
					st.Bytes += bytes[v]
				}
				if len(out.FailedVersions) == 0 {
					break
				}
				for v, e := range out.FailedVersions {
					if e.ErrorCode != model.CodeSkipped {
						st.Failed++
						delete(revs, v)
					}
				}
			}
		}
	}
	return nil
}

// walk evaluates the rule over the domain's packages in repository and
// package order, starting after (fromRepo, fromAfter), and calls fn for
// every matching package with its decisions (possibly none) outside any
// transaction. After each page it calls done (when set) with the
// position reached, so a run can record it.
func (r *Runner) walk(ctx context.Context, d *model.Domain, rule *retention.Rule, started time.Time, fromRepo, fromAfter string,
	fn func(repo string, p *model.Package, ds []retention.Decision) error, done func(repo, after string) error) error {
	var repos []string
	err := r.meta.View(ctx, func(tx meta.Tx) error {
		rs, err := tx.ListRepositories(meta.RepositoryFilter{DomainID: d.ID})
		for _, repo := range rs {
			if rule.Repository == "" || repo.Name == rule.Repository {
				repos = append(repos, repo.Name)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(repos)
	var format model.Format
	if rule.PackageGroup != "" {
		format = model.Format(model.PatternFormatOf(rule.PackageGroup))
	}
	for _, repo := range repos {
		if repo < fromRepo {
			continue
		}
		after := ""
		if repo == fromRepo {
			after = fromAfter
		}
		for {
			type evaluated struct {
				pkg *model.Package
				ds  []retention.Decision
			}
			var page []evaluated
			var more bool
			err := r.meta.View(ctx, func(tx meta.Tx) error {
				rp, err := tx.GetRepository(d.ID, repo)
				if errors.Is(err, meta.ErrNotFound) {
					return nil // deleted since: nothing left to do there
				}
				if err != nil {
					return err
				}
				ps, err := tx.ListPackages(rp.ID, meta.PackageFilter{Format: format, After: after, Limit: pageSize})
				if err != nil {
					return err
				}
				more = len(ps) == pageSize
				for _, p := range ps {
					after = meta.PackageCursor(p)
					if !rule.Matches(repo, p.Key) {
						continue
					}
					ds, err := evaluate(tx, rule, repo, p, started)
					if err != nil {
						return err
					}
					page = append(page, evaluated{p, ds})
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, e := range page {
				if err := fn(repo, e.pkg, e.ds); err != nil {
					return err
				}
			}
			if done != nil {
				if err := done(repo, after); err != nil {
					return err
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// evaluate reads one package's versions and protected versions and
// evaluates the rule on them, with the bytes each selected version holds.
func evaluate(tx meta.Tx, rule *retention.Rule, repo string, p *model.Package, started time.Time) ([]retention.Decision, error) {
	vs, err := tx.ListVersions(p.ID, meta.VersionFilter{AllStatuses: true})
	if err != nil {
		return nil, err
	}
	in := &retention.Package{Repository: repo, Key: p.Key, Versions: make([]retention.Candidate, len(vs)), Compare: versionOrder(p.Key.Format)}
	ids := make(map[string]int64, len(vs))
	for i, v := range vs {
		in.Versions[i] = retention.Candidate{Version: v.Version, Revision: v.Revision, Status: v.Status, PublishedTime: v.PublishedTime}
		ids[v.Version] = v.ID
	}
	if in.Protected, err = protected(tx, p, vs); err != nil {
		return nil, err
	}
	if rule.NotDownloadedFor > 0 {
		last, err := tx.LastDownloads(p.ID)
		if err != nil {
			return nil, err
		}
		for i, v := range vs {
			in.Versions[i].LastDownloaded = last[v.ID]
		}
	}
	ds := rule.Evaluate(in, started)
	if rule.Action == retention.ActionDelete || rule.Action == retention.ActionDispose {
		for i := range ds {
			if ds[i].Bytes, err = versionBytes(tx, ids[ds[i].Version]); err != nil {
				return nil, err
			}
		}
	}
	return ds, nil
}

// versionOrder is the format's own version precedence.
func versionOrder(f model.Format) func(a, b string) int {
	switch f {
	case model.FormatMaven:
		return maven.CompareVersions
	case model.FormatNpm, model.FormatSwift, model.FormatCargo:
		return semver.CompareStrings
	}
	return nil
}

// protected lists the versions clients are pointed at by name: npm's
// dist-tag targets, and the latest and release of maven-metadata.xml
// (computed as the Maven endpoint renders it, over the listed versions).
func protected(tx meta.Tx, p *model.Package, vs []*model.Version) (map[string]string, error) {
	out := map[string]string{}
	switch p.Key.Format {
	case model.FormatNpm:
		// npm keeps its dist-tags as the package's state: tag -> version.
		tags, err := tx.PackageState(p.ID)
		if err != nil {
			return nil, err
		}
		for tag, v := range tags {
			out[v] = "dist-tag " + tag
		}
	case model.FormatMaven:
		var latest, release string
		for _, v := range vs {
			if !v.Status.Listed() {
				continue
			}
			if latest == "" || maven.CompareVersions(v.Version, latest) > 0 {
				latest = v.Version
			}
			if !maven.IsSnapshot(v.Version) && (release == "" || maven.CompareVersions(v.Version, release) > 0) {
				release = v.Version
			}
		}
		if latest != "" {
			out[latest] = "maven-metadata latest"
		}
		if release != "" {
			out[release] = "maven-metadata release"
		}
	}
	return out, nil
}

// versionBytes sums the sizes of a version's assets.
func versionBytes(tx meta.Tx, id int64) (int64, error) {
	var n int64
	after := ""
	for {
		as, err := tx.ListAssets(id, after, 200)
		if err != nil {
			return 0, err
		}
		for _, a := range as {
			n += a.Size
		}
		if len(as) < 200 {
			return n, nil
		}
		after = as[len(as)-1].Name
	}
}

// Schedule runs every rule of every domain each interval, as the
// principal who put it, until ctx ends.
func (r *Runner) Schedule(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.runAll(ctx)
	}
}

// runAll runs every stored rule once.
func (r *Runner) runAll(ctx context.Context) {
	var rules []*meta.RetentionRule
	var domains = map[int64]*model.Domain{}
	err := r.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		if rules, err = tx.ListRetentionRules(0); err != nil {
			return err
		}
		ds, err := tx.ListDomains("", "", 0)
		for _, d := range ds {
			domains[d.ID] = d
		}
		return err
	})
	if err != nil {
		r.log.ErrorContext(ctx, "listing retention rules", "err", err)
		return
	}
	for _, st := range rules {
		d := domains[st.DomainID]
		if d == nil {
			continue
		}
		c := service.Caller{Account: st.Owner, ARN: st.OwnerARN}
		run, err := r.run(ctx, c, d, st.Name, 0)
		if err != nil {
			r.log.WarnContext(ctx, "retention run failed", "domain", d.Name, "rule", st.Name, "err", err)
			continue
		}
		r.log.InfoContext(ctx, "retention run", "domain", d.Name, "rule", st.Name, "run", run.ID, "versions", run.Versions, "bytes", run.Bytes, "failed", run.Failed)
	}
}
