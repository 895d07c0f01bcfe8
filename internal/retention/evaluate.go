package retention

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// Candidate is one version of a package as the evaluation sees it.
type Candidate struct {
	Version       string
	Revision      string
	Status        model.Status
	PublishedTime time.Time
	// LastDownloaded is when the version was last downloaded (zero:
	// never, as far as the counts go).
	LastDownloaded time.Time
	// Bytes is the size of the version's assets: what acting on it frees
	// (for Dispose and Delete).
	Bytes int64
}

// Package is one package with everything the evaluation needs.
type Package struct {
	Repository string
	Key        model.PackageKey
	Versions   []Candidate
	// Protected maps versions nothing may touch to why (a dist-tag, the
	// maven-metadata.xml latest or release).
	Protected map[string]string
	// Compare is the format's version precedence (negative when a
	// precedes b); nil compares the strings.
	Compare func(a, b string) int
}

// Decision is one version a rule acts on, and why.
type Decision struct {
	Version  string       `json:"version"`
	Revision string       `json:"revision"`
	Status   model.Status `json:"status"`
	Bytes    int64        `json:"bytes"`
	Reason   string       `json:"reason"`
}

// Matches reports whether the rule applies to a package of a repository.
func (r *Rule) Matches(repository string, k model.PackageKey) bool {
	if r.Repository != "" && r.Repository != repository {
		return false
	}
	if r.PackageGroup == "" {
		return true
	}
	p, err := model.ParsePattern(r.PackageGroup)
	if err != nil {
		return false
	}
	ok, _ := p.Match(k)
	return ok
}

// kept reports whether the rule's keep list names the version.
func (r *Rule) kept(k model.PackageKey, version string) bool {
	for _, ref := range r.Keep {
		if ref.Format == k.Format && ref.Namespace == k.Namespace && ref.Package == k.Name && ref.Version == version {
			return true
		}
	}
	return false
}

// Evaluate decides which versions of p the rule acts on, as of started:
// the moment the evaluation began. Versions published after it are
// neither acted on nor counted, so a publish racing a run is never
// touched and never pushes an older version out of the newest N. The
// decisions come in the order versions were given.
func (r *Rule) Evaluate(p *Package, started time.Time) []Decision {
	var live []int // indexes of versions taking part, ranked below
	for i, c := range p.Versions {
		if c.PublishedTime.After(started) || c.Status == model.StatusDeleted {
			continue
		}
		live = append(live, i)
	}
	rank := map[int]int{}
	if r.KeepNewest > 0 {
		// Disposed versions hold no bytes and no slot among the newest.
		var ranked []int
		for _, i := range live {
			if p.Versions[i].Status != model.StatusDisposed {
				ranked = append(ranked, i)
			}
		}
		slices.SortStableFunc(ranked, func(a, b int) int { return -r.compare(p, a, b) })
		for n, i := range ranked {
			rank[i] = n + 1
		}
	}
	var out []Decision
	for _, i := range live {
		c := p.Versions[i]
		if !slices.Contains(r.Statuses, c.Status) || !r.Action.applies(c.Status) {
			continue
		}
		if _, ok := p.Protected[c.Version]; ok || r.kept(p.Key, c.Version) {
			continue
		}
		var why []string
		if r.KeepNewest > 0 {
			n, ranked := rank[i]
			if !ranked || n <= r.KeepNewest {
				continue
			}
			by := "publish time"
			if r.Order == OrderVersion {
				by = "version order"
			}
			why = append(why, fmt.Sprintf("newest #%d by %s, beyond the %d kept", n, by, r.KeepNewest))
		}
		if r.OlderThan > 0 {
			age := started.Sub(c.PublishedTime)
			if age <= time.Duration(r.OlderThan) {
				continue
			}
			why = append(why, fmt.Sprintf("published %s ago, older than %s", Duration(age.Truncate(time.Hour)), r.OlderThan))
		}
		if r.NotDownloadedFor > 0 {
			last, what := c.PublishedTime, "never downloaded, published"
			if c.LastDownloaded.After(last) {
				last, what = c.LastDownloaded, "last downloaded"
			}
			idle := started.Sub(last)
			if idle <= time.Duration(r.NotDownloadedFor) {
				continue
			}
			why = append(why, fmt.Sprintf("%s %s ago, not downloaded for %s", what, Duration(idle.Truncate(time.Hour)), r.NotDownloadedFor))
		}
		freed := int64(0)
		if r.Action == ActionDispose || r.Action == ActionDelete {
			freed = c.Bytes
		}
		out = append(out, Decision{Version: c.Version, Revision: c.Revision, Status: c.Status, Bytes: freed, Reason: strings.Join(why, "; ")})
	}
	return out
}

// compare ranks two of p's versions by the rule's order; ties fall back
// to the other order, then to the version string, so ranks are total.
func (r *Rule) compare(p *Package, a, b int) int {
	va, vb := p.Versions[a], p.Versions[b]
	byTime := va.PublishedTime.Compare(vb.PublishedTime)
	byVersion := strings.Compare(va.Version, vb.Version)
	if p.Compare != nil {
		if c := p.Compare(va.Version, vb.Version); c != 0 {
			byVersion = c
		}
	}
	if r.Order == OrderVersion {
		if byVersion != 0 {
			return byVersion
		}
		return byTime
	}
	if byTime != 0 {
		return byTime
	}
	return byVersion
}
