package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// retRig is a server whose clock the test shifts (a test build honours
// WHARF_TEST_CLOCK_FILE), with the domain "acme" and its endpoints.
type retRig struct {
	s      *Server
	c      *ca.Client
	clock  string
	token  string
	env    []string
	domain string
}

func newRetRig(t *testing.T, repos ...string) *retRig {
	t.Helper()
	return newRetRigWith(t, nil, repos...)
}

// newRetRigWith starts the server with extra flags.
func newRetRigWith(t *testing.T, args []string, repos ...string) *retRig {
	t.Helper()
	clock := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(clock, []byte("0s"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := StartServerWith(t, ServerOptions{Env: []string{"WHARF_TEST_CLOCK_FILE=" + clock}, Args: args})
	r := &retRig{s: s, c: s.Client(), clock: clock, domain: "acme"}
	Setup(t, r.c, r.domain, repos...)
	r.token = s.Token(t, r.domain)
	r.env = s.Env(t)
	return r
}

// at sets the server's clock to now minus ago.
func (r *retRig) at(t *testing.T, ago time.Duration) {
	t.Helper()
	if err := os.WriteFile(r.clock, []byte((-ago).String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// put sends one repository-endpoint request and wants a 2xx answer.
func (r *retRig) put(t *testing.T, method, url, auth string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, b)
	}
}

// npmPublish publishes name@version as npm publish does (the body npm
// sends, a real tarball), which also moves latest to it.
func (r *retRig) npmPublish(t *testing.T, repo, name, version string) {
	t.Helper()
	pj, _ := json.Marshal(map[string]string{"name": name, "version": version, "main": "index.js"})
	tgz := gzipOf(t, tarOf(t, badTarEntry{name: "package/package.json", body: string(pj)},
		badTarEntry{name: "package/index.js", body: fmt.Sprintf("module.exports = %q;\n", name+"@"+version)}))
	reg := r.s.Endpoint(t, r.domain, repo, types.PackageFormatNpm)
	r.put(t, http.MethodPut, reg+name, "Bearer "+r.token, npmPublishBody(name, version, tgz))
}

// mavenPublish deploys group:artifact:version as Maven does: the jar,
// the POM, then maven-metadata.xml listing the version.
func (r *retRig) mavenPublish(t *testing.T, repo, group, artifact, version string) {
	t.Helper()
	ep := r.s.Endpoint(t, r.domain, repo, types.PackageFormatMaven)
	dir := ep + strings.ReplaceAll(group, ".", "/") + "/" + artifact + "/"
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+r.token))
	pom := fmt.Sprintf(`<project><modelVersion>4.0.0</modelVersion><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></project>`, group, artifact, version)
	r.put(t, http.MethodPut, dir+version+"/"+artifact+"-"+version+".jar", auth, jarOf(t, artifact+" "+version))
	r.put(t, http.MethodPut, dir+version+"/"+artifact+"-"+version+".pom", auth, []byte(pom))
	md := fmt.Sprintf(`<metadata><groupId>%s</groupId><artifactId>%s</artifactId><versioning><versions><version>%s</version></versions></versioning></metadata>`, group, artifact, version)
	r.put(t, http.MethodPut, dir+"maven-metadata.xml", auth, []byte(md))
}

// npmEnv is an environment in which npm uses the registry reg with the
// rig's token.
func (r *retRig) npmEnv(t *testing.T, reg string) []string {
	t.Helper()
	home := t.TempDir()
	host := strings.TrimPrefix(reg, "http:")
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("registry="+reg+"\n"+host+":_authToken="+r.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(slices.Clone(r.env), "HOME="+home, "npm_config_cache="+filepath.Join(home, ".npm"), "npm_config_update_notifier=false", "npm_config_fund=false")
}

// admin runs `wharf admin retention ARGS` and returns its output.
func (r *retRig) admin(t *testing.T, args ...string) string {
	t.Helper()
	return Run(t, r.env, "", wharfBin, append([]string{"admin", "retention"}, append(args, "--domain", r.domain)...)...)
}

// versions lists every version of a package with its status and revision.
func (r *retRig) versions(t *testing.T, repo string, f types.PackageFormat, ns, pkg string) map[string]types.PackageVersionSummary {
	t.Helper()
	out := map[string]types.PackageVersionSummary{}
	for _, st := range []types.PackageVersionStatus{"", types.PackageVersionStatusArchived} {
		in := &ca.ListPackageVersionsInput{Domain: aws.String(r.domain), Repository: aws.String(repo), Format: f, Package: aws.String(pkg), Status: st, MaxResults: aws.Int32(1000)}
		if ns != "" {
			in.Namespace = aws.String(ns)
		}
		res, err := r.c.ListPackageVersions(ctx, in)
		if err != nil {
			t.Fatalf("ListPackageVersions %s: %v", pkg, err)
		}
		for _, v := range res.Versions {
			out[*v.Version] = v
		}
	}
	return out
}

// retVersion is one seeded version: its minor number and age in days.
type retVersion struct {
	minor, age int
	status     types.PackageVersionStatus
}

func (v retVersion) String() string { return fmt.Sprintf("1.%d.0", v.minor) }

// retPlan is the seeded versions of package p: 15 versions, published
// out of version order (so publish time and version order rank them
// differently), aged 5 to 285 days, some Unlisted and one Archived.
func retPlan(p int) []retVersion {
	var vs []retVersion
	for m := 0; m < 15; m++ {
		v := retVersion{minor: m, age: 5 + ((m*7+p)%15)*20, status: types.PackageVersionStatusPublished}
		switch {
		case m == 1 || (m == 4 && p%2 == 1):
			v.status = types.PackageVersionStatusUnlisted
		case m == 3:
			v.status = types.PackageVersionStatusArchived
		}
		vs = append(vs, v)
	}
	// Published oldest first, as time would have it.
	sort.Slice(vs, func(i, j int) bool { return vs[i].age > vs[j].age })
	return vs
}

// retExpect is the test's own statement of a rule: among versions in
// Published or Unlisted, not protected, older than olderThan days, those
// ranked below the newest keep (by age, or by version when byVersion).
func retExpect(plan []retVersion, protected map[string]bool, keep int, byVersion bool, olderThan int) []string {
	ranked := slices.Clone(plan)
	sort.Slice(ranked, func(i, j int) bool {
		if byVersion {
			return ranked[i].minor > ranked[j].minor
		}
		return ranked[i].age < ranked[j].age
	})
	var out []string
	for n, v := range ranked {
		if n < keep || protected[v.String()] || v.age <= olderThan {
			continue
		}
		if v.status != types.PackageVersionStatusPublished && v.status != types.PackageVersionStatusUnlisted {
			continue
		}
		out = append(out, v.String())
	}
	sort.Strings(out)
	return out
}

type retDryRun struct {
	Versions []struct {
		Repository string `json:"repository"`
		Format     string `json:"format"`
		Namespace  string `json:"namespace"`
		Package    string `json:"package"`
		Version    string `json:"version"`
		Reason     string `json:"reason"`
		Bytes      int64  `json:"bytes"`
	} `json:"versions"`
	Summary struct {
		Versions int   `json:"versions"`
		Bytes    int64 `json:"bytes"`
	} `json:"summary"`
}

type retRun struct {
	State    string `json:"state"`
	Versions int    `json:"versions"`
	Failed   int    `json:"failed"`
	Bytes    int64  `json:"bytes"`
}

// TestRetentionDryRunAndRun seeds 300 npm and Maven versions of mixed
// ages, statuses, dist-tags and download histories, and checks that a dry run lists exactly
// what the rules select, the run does exactly that, npm and Maven see
// the result, and a second run does nothing.
func TestRetentionDryRunAndRun(t *testing.T) {
	needTool(t, "npm", "npm", "--version")
	r := newRetRig(t, "main")
	const pkgs = 10
	npmName := func(p int) string { return fmt.Sprintf("ret-npm-%d", p) }
	mvnName := func(p int) string { return fmt.Sprintf("lib-%d", p) }
	for p := 0; p < pkgs; p++ {
		for _, v := range retPlan(p) {
			r.at(t, day(v.age))
			r.npmPublish(t, "main", npmName(p), v.String())
			r.mavenPublish(t, "main", "com.acme.ret", mvnName(p), v.String())
		}
	}
	r.at(t, 0)
	reg := r.s.Endpoint(t, r.domain, "main", types.PackageFormatNpm)
	for p := 0; p < pkgs; p++ {
		for _, v := range retPlan(p) {
			if v.status == types.PackageVersionStatusPublished {
				continue
			}
			for _, pk := range []struct {
				f      types.PackageFormat
				ns, pk string
			}{{types.PackageFormatNpm, "", npmName(p)}, {types.PackageFormatMaven, "com.acme.ret", mvnName(p)}} {
				in := &ca.UpdatePackageVersionsStatusInput{Domain: aws.String(r.domain), Repository: aws.String("main"), Format: pk.f,
					Package: aws.String(pk.pk), Versions: []string{v.String()}, TargetStatus: v.status}
				if pk.ns != "" {
					in.Namespace = aws.String(pk.ns)
				}
				if _, err := r.c.UpdatePackageVersionsStatus(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
		}
		if p%2 == 0 {
			r.put(t, http.MethodPut, reg+"-/package/"+npmName(p)+"/dist-tags/beta", "Bearer "+r.token, []byte(`"1.2.0"`))
		}
	}

	// Download histories: one Published version of each npm package was
	// downloaded 10 days ago. A graceful restart flushes the counts.
	downloaded := func(p int) string { return fmt.Sprintf("1.%d.0", (p+5)%15) }
	r.at(t, day(10))
	for p := 0; p < pkgs; p++ {
		for _, v := range retPlan(p) {
			if v.String() == downloaded(p) && v.status == types.PackageVersionStatusPublished {
				r.npmDownload(t, "main", npmName(p), v.String())
			}
		}
	}
	r.at(t, 0)
	r.s.Restart()

	// What the rules must select, worked out here on their own terms.
	want := map[string][]string{}
	total, spared := 0, 0
	for p := 0; p < pkgs; p++ {
		plan := retPlan(p)
		// npm: latest is the last published (the youngest), beta 1.2.0.
		prot := map[string]bool{}
		youngest := plan[len(plan)-1]
		prot[youngest.String()] = true
		if p%2 == 0 {
			prot["1.2.0"] = true
		}
		// Not downloaded for 20 days: the version downloaded 10 days ago
		// is spared.
		byAge := retExpect(plan, prot, 4, false, 60)
		want["npm/"+npmName(p)] = slices.DeleteFunc(slices.Clone(byAge), func(v string) bool { return v == downloaded(p) })
		spared += len(byAge) - len(want["npm/"+npmName(p)])
		// Maven: latest and release are the highest Published version.
		hi := -1
		for _, v := range plan {
			if v.status == types.PackageVersionStatusPublished && v.minor > hi {
				hi = v.minor
			}
		}
		want["maven/"+mvnName(p)] = retExpect(plan, map[string]bool{fmt.Sprintf("1.%d.0", hi): true}, 6, true, 30)
		total += len(want["npm/"+npmName(p)]) + len(want["maven/"+mvnName(p)])
	}
	if spared == 0 {
		t.Fatal("no download spares a version: the seed shows nothing of notDownloadedFor")
	}
	if total < 50 {
		t.Fatalf("the seed selects only %d versions: the test would show little", total)
	}

	r.admin(t, "put", "--rule", `{"name":"npm-prune","packageGroup":"/npm/*","keepNewest":4,"olderThan":"60d","notDownloadedFor":"20d","action":"DELETE"}`)
	r.admin(t, "put", "--rule", `{"name":"maven-archive","repository":"main","packageGroup":"/maven/*","keepNewest":6,"order":"VERSION","olderThan":"30d","action":"ARCHIVE"}`)
	var list struct {
		Rules []struct {
			Rule struct {
				Name  string `json:"name"`
				Order string `json:"order"`
			} `json:"rule"`
			RunsAs string `json:"runsAs"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(r.admin(t, "list")), &list); err != nil || len(list.Rules) != 2 || list.Rules[0].Rule.Name != "maven-archive" ||
		list.Rules[1].Rule.Order != "PUBLISHED_TIME" || list.Rules[0].RunsAs != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("list: %+v %v", list, err)
	}

	dry := func(rule string) (map[string][]string, retDryRun) {
		var d retDryRun
		if err := json.Unmarshal([]byte(r.admin(t, "dry-run", "--name", rule)), &d); err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, v := range d.Versions {
			if v.Reason == "" {
				t.Errorf("%s %s@%s: no reason", rule, v.Package, v.Version)
			}
			got[v.Format+"/"+v.Package] = append(got[v.Format+"/"+v.Package], v.Version)
		}
		for k := range got {
			sort.Strings(got[k])
		}
		if d.Summary.Versions != len(d.Versions) {
			t.Errorf("%s: summary counts %d versions, lists %d", rule, d.Summary.Versions, len(d.Versions))
		}
		return got, d
	}
	check := func(what string, got map[string][]string, prefix string) {
		t.Helper()
		for k, w := range want {
			if strings.HasPrefix(k, prefix) && !slices.Equal(got[k], w) {
				t.Errorf("%s %s: got %v, want %v", what, k, got[k], w)
			}
		}
		for k := range got {
			if !strings.HasPrefix(k, prefix) {
				t.Errorf("%s: %s is outside the rule", what, k)
			}
		}
	}
	gotNpm, dn := dry("npm-prune")
	check("dry run npm-prune", gotNpm, "npm/")
	if dn.Summary.Bytes <= 0 {
		t.Errorf("a DELETE dry run frees %d bytes", dn.Summary.Bytes)
	}
	gotMvn, dm := dry("maven-archive")
	check("dry run maven-archive", gotMvn, "maven/")
	if dm.Summary.Bytes != 0 {
		t.Errorf("an ARCHIVE dry run frees %d bytes", dm.Summary.Bytes)
	}

	// The dry run changed nothing; remember the state to compare after.
	before := map[string]map[string]types.PackageVersionSummary{}
	for p := 0; p < pkgs; p++ {
		before["npm/"+npmName(p)] = r.versions(t, "main", types.PackageFormatNpm, "", npmName(p))
		before["maven/"+mvnName(p)] = r.versions(t, "main", types.PackageFormatMaven, "com.acme.ret", mvnName(p))
		if len(before["npm/"+npmName(p)]) != 15 || len(before["maven/"+mvnName(p)]) != 15 {
			t.Fatalf("package %d: %d npm and %d maven versions before the run", p, len(before["npm/"+npmName(p)]), len(before["maven/"+mvnName(p)]))
		}
	}

	for _, rule := range []string{"npm-prune", "maven-archive"} {
		var run retRun
		if err := json.Unmarshal([]byte(r.admin(t, "run", "--name", rule)), &run); err != nil {
			t.Fatal(err)
		}
		n := 0
		for k, w := range want {
			if strings.HasPrefix(k, map[string]string{"npm-prune": "npm/", "maven-archive": "maven/"}[rule]) {
				n += len(w)
			}
		}
		if run.State != "done" || run.Versions != n || run.Failed != 0 {
			t.Errorf("run %s: %+v, want %d versions acted on", rule, run, n)
		}
	}
	for p := 0; p < pkgs; p++ {
		for _, f := range []types.PackageFormat{types.PackageFormatNpm, types.PackageFormatMaven} {
			key, ns, name := "npm/"+npmName(p), "", npmName(p)
			if f == types.PackageFormatMaven {
				key, ns, name = "maven/"+mvnName(p), "com.acme.ret", mvnName(p)
			}
			after := r.versions(t, "main", f, ns, name)
			for v, old := range before[key] {
				acted := slices.Contains(want[key], v)
				now, ok := after[v]
				switch {
				case acted && f == types.PackageFormatNpm && ok:
					t.Errorf("%s@%s: still there (%s)", key, v, now.Status)
				case acted && f == types.PackageFormatMaven && now.Status != types.PackageVersionStatusArchived:
					t.Errorf("%s@%s: %s, want Archived", key, v, now.Status)
				case !acted && (!ok || now.Status != old.Status || *now.Revision != *old.Revision):
					t.Errorf("%s@%s: changed from %s to %+v", key, v, old.Status, now)
				}
			}
		}
	}

	// npm sees the deletions: its version list is the Published versions
	// left, and an install of a deleted one fails.
	npmEnv := r.npmEnv(t, reg)
	for _, p := range []int{0, 3} {
		out, err := runStdout(npmEnv, "", "npm", "view", "--json", npmName(p), "versions")
		if err != nil {
			t.Fatalf("npm view: %v\n%s", err, out)
		}
		var got []string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("npm view: %v\n%s", err, out)
		}
		var wantListed []string
		for _, v := range retPlan(p) {
			if v.status == types.PackageVersionStatusPublished && !slices.Contains(want["npm/"+npmName(p)], v.String()) {
				wantListed = append(wantListed, v.String())
			}
		}
		sort.Strings(got)
		sort.Strings(wantListed)
		if !slices.Equal(got, wantListed) {
			t.Errorf("npm view %s versions: %v, want %v", npmName(p), got, wantListed)
		}
	}
	proj := t.TempDir()
	os.WriteFile(filepath.Join(proj, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`), 0o644)
	gone := want["npm/"+npmName(0)][0]
	if out, err := RunErr(npmEnv, proj, "npm", "install", npmName(0)+"@"+gone); err == nil {
		t.Errorf("npm install of deleted %s@%s succeeded:\n%s", npmName(0), gone, out)
	}
	Run(t, npmEnv, proj, "npm", "install", npmName(0)+"@latest")

	// Maven sees the archiving: an archived version no longer resolves, a
	// kept one does.
	if _, err := exec.LookPath("mvn"); err == nil {
		m := newMvnRig(t, r.s.Endpoint(t, r.domain, "main", types.PackageFormatMaven))
		settings, _ := m.settings("ret", r.token)
		archived := want["maven/"+mvnName(0)][0]
		out, err := m.get(settings, "com.acme.ret:"+mvnName(0)+":"+archived+":jar")
		mustNotResolve(t, "an archived version", out, err)
		var kept string
		for _, v := range retPlan(0) {
			if v.status == types.PackageVersionStatusPublished && !slices.Contains(want["maven/"+mvnName(0)], v.String()) {
				kept = v.String()
			}
		}
		out, err = m.get(settings, "com.acme.ret:"+mvnName(0)+":"+kept+":jar")
		mustMvn(t, "a kept version", out, err)
	} else {
		mvnNeed(t)
	}

	// A second run finds nothing left to do.
	for _, rule := range []string{"npm-prune", "maven-archive"} {
		var run retRun
		if err := json.Unmarshal([]byte(r.admin(t, "run", "--name", rule)), &run); err != nil {
			t.Fatal(err)
		}
		if run.State != "done" || run.Versions != 0 {
			t.Errorf("second run of %s: %+v", rule, run)
		}
		if d, _ := dry(rule); len(d) != 0 {
			t.Errorf("dry run of %s after the run: %v", rule, d)
		}
	}
}

// TestRetentionRunSurvivesKill kills the server during a run (one version
// per batch, so the run is mid-way) and checks every version was either
// deleted or left exactly as it was, and that the next run finishes the
// job.
func TestRetentionRunSurvivesKill(t *testing.T) {
	r := newRetRig(t, "crash")
	const pkgs, per, keep = 3, 60, 3
	name := func(p int) string { return fmt.Sprintf("crash-%d", p) }
	for p := 0; p < pkgs; p++ {
		for i := 0; i < per; i++ {
			// Each a minute younger than the last.
			r.at(t, day(100)-time.Duration(i)*time.Minute)
			r.npmPublish(t, "crash", name(p), fmt.Sprintf("2.%d.0", i))
		}
	}
	r.at(t, 0)
	before := map[string]map[string]types.PackageVersionSummary{}
	for p := 0; p < pkgs; p++ {
		before[name(p)] = r.versions(t, "crash", types.PackageFormatNpm, "", name(p))
	}
	r.admin(t, "put", "--rule", `{"name":"crash-prune","repository":"crash","keepNewest":3,"action":"DELETE"}`)

	run := exec.Command(wharfBin, "admin", "retention", "run", "--name", "crash-prune", "--domain", r.domain, "--batch-size", "1")
	run.Env = r.env
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		for p := 0; p < pkgs; p++ {
			n += len(r.versions(t, "crash", types.PackageFormatNpm, "", name(p)))
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for count() == pkgs*per && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	r.s.Kill()
	run.Wait()
	r.s.start()

	acted := 0
	for p := 0; p < pkgs; p++ {
		now := r.versions(t, "crash", types.PackageFormatNpm, "", name(p))
		for v, old := range before[name(p)] {
			cur, ok := now[v]
			if !ok {
				acted++
				var i int
				fmt.Sscanf(v, "2.%d.0", &i)
				if i >= per-keep {
					t.Errorf("%s@%s, among the newest %d, was deleted", name(p), v, keep)
				}
				continue
			}
			if cur.Status != old.Status || *cur.Revision != *old.Revision {
				t.Errorf("%s@%s: half-changed: %+v", name(p), v, cur)
			}
		}
	}
	if acted == 0 || acted == pkgs*(per-keep) {
		t.Fatalf("the kill came when %d of %d versions were deleted: not during the run", acted, pkgs*(per-keep))
	}
	var info struct {
		LastRun retRun `json:"lastRun"`
	}
	if err := json.Unmarshal([]byte(r.admin(t, "get", "--name", "crash-prune")), &info); err != nil || info.LastRun.State != "running" {
		t.Fatalf("after the kill the run is %+v (%v), want running", info.LastRun, err)
	}
	var res retRun
	if err := json.Unmarshal([]byte(r.admin(t, "run", "--name", "crash-prune")), &res); err != nil {
		t.Fatal(err)
	}
	if res.State != "done" || count() != pkgs*keep {
		t.Fatalf("the resumed run: %+v, %d versions left, want %d", res, count(), pkgs*keep)
	}
	for p := 0; p < pkgs; p++ {
		for v := range r.versions(t, "crash", types.PackageFormatNpm, "", name(p)) {
			var i int
			fmt.Sscanf(v, "2.%d.0", &i)
			if i < per-keep {
				t.Errorf("%s@%s survived", name(p), v)
			}
		}
	}
	t.Logf("killed with %d of %d deleted; the resumed run deleted the rest", acted, pkgs*(per-keep))
}

// TestRetentionAPIRefusals checks bad rules and unauthorized callers are
// refused and change nothing.
func TestRetentionAPIRefusals(t *testing.T) {
	r := newRetRig(t, "main")
	for _, bad := range []struct{ rule, want string }{
		{`{"name":"a","action":"DELETE"}`, "keepNewest, olderThan or notDownloadedFor"},
		{`{"name":"a","keepNewest":1,"action":"BURN"}`, "Invalid action"},
		{`{"name":"a/b","keepNewest":1,"action":"DELETE"}`, "rule name"},
		{`{"name":"a","keepNewest":1,"action":"DELETE","olderThan":"soon"}`, "invalid duration"},
		{`{"name":"a","keepNewest":1,"action":"DELETE","colour":"red"}`, "unknown field"},
		{`{"name":"a","keepNewest":1,"action":"DELETE","repository":"nope"}`, "Repository not found"},
		{`{"name":"a","keepNewest":1,"action":"DELETE","packageGroup":"npm"}`, "attern"},
	} {
		out, err := RunErr(r.env, "", wharfBin, "admin", "retention", "put", "--rule", bad.rule, "--domain", r.domain)
		if err == nil || !strings.Contains(out, bad.want) {
			t.Errorf("put %s: %v %s, want an error with %q", bad.rule, err, out, bad.want)
		}
	}
	if out, err := RunErr(r.env, "", wharfBin, "admin", "retention", "run", "--name", "missing", "--domain", r.domain); err == nil || !strings.Contains(out, "404") {
		t.Errorf("running a missing rule: %v %s", err, out)
	}
	if out, err := RunErr(r.env, "", wharfBin, "admin", "retention", "list", "--domain", "nodomain"); err == nil || !strings.Contains(out, "Domain not found") {
		t.Errorf("listing a missing domain's rules: %v %s", err, out)
	}
	var list struct{ Rules []any }
	if err := json.Unmarshal([]byte(r.admin(t, "list")), &list); err != nil || len(list.Rules) != 0 {
		t.Fatalf("refused puts stored rules: %+v %v", list, err)
	}

	// A user needs the wharf: actions, granted by policy like any other.
	u := newUser(t, r.s, nil, testAccount, "ci", "")
	userEnv := append(slices.Clone(r.env), "AWS_ACCESS_KEY_ID="+u.key, "AWS_SECRET_ACCESS_KEY="+u.secret)
	put := func() (string, error) {
		return RunErr(userEnv, "", wharfBin, "admin", "retention", "put", "--domain", r.domain, "--rule", `{"name":"u","keepNewest":1,"action":"UNLIST"}`)
	}
	// Until the server has picked the new key up, it is unknown.
	out, err := put()
	for deadline := time.Now().Add(10 * time.Second); err != nil && !strings.Contains(out, "AccessDenied") && time.Now().Before(deadline); out, err = put() {
		time.Sleep(100 * time.Millisecond)
	}
	if err == nil || !strings.Contains(out, "wharf:PutRetentionRule") {
		t.Errorf("a user without a policy put a rule: %v %s", err, out)
	}
	wharfAdmin(t, r.s.DataDir, nil, "put-user-policy", "--account-id", testAccount, "--user-name", "ci", "--policy-name", "ret", "--policy-document", allow("wharf:PutRetentionRule"))
	for deadline := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(deadline); out, err = put() {
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("with wharf:PutRetentionRule allowed: %v %s", err, out)
	}
	if out, err := RunErr(userEnv, "", wharfBin, "admin", "retention", "run", "--domain", r.domain, "--name", "u"); err == nil || !strings.Contains(out, "wharf:RunRetentionRule") {
		t.Errorf("a user allowed only to put ran a rule: %v %s", err, out)
	}
}

// npmDownload fetches a version's tarball as npm install does, from the
// URL its packument gives.
func (r *retRig) npmDownload(t *testing.T, repo, name, version string) {
	t.Helper()
	reg := r.s.Endpoint(t, r.domain, repo, types.PackageFormatNpm)
	get := func(url string) []byte {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+r.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		return b
	}
	var doc struct {
		Versions map[string]struct {
			Dist struct{ Tarball string } `json:"dist"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(get(reg+name), &doc); err != nil {
		t.Fatal(err)
	}
	get(doc.Versions[version].Dist.Tarball)
}

// TestRetentionNotDownloaded gives versions download histories through
// the test clock and checks a notDownloadedFor rule follows them: counts
// kept in memory reach the store at a graceful stop and every flush
// interval.
func TestRetentionNotDownloaded(t *testing.T) {
	r := newRetRigWith(t, []string{"--download-flush", "200ms"}, "main")
	r.at(t, day(100))
	for i := 0; i < 6; i++ {
		r.npmPublish(t, "main", "idle", fmt.Sprintf("1.%d.0", i))
	}
	r.at(t, day(50))
	r.npmDownload(t, "main", "idle", "1.1.0")
	r.npmDownload(t, "main", "idle", "1.3.0")
	r.at(t, day(5))
	r.npmDownload(t, "main", "idle", "1.2.0")
	r.npmDownload(t, "main", "idle", "1.2.0")
	r.at(t, 0)
	// A graceful stop flushes what the interval has not yet.
	r.s.Restart()
	r.admin(t, "put", "--rule", `{"name":"idle","notDownloadedFor":"30d","action":"ARCHIVE"}`)
	selected := func() []string {
		var d retDryRun
		if err := json.Unmarshal([]byte(r.admin(t, "dry-run", "--name", "idle")), &d); err != nil {
			t.Fatal(err)
		}
		var vs []string
		for _, v := range d.Versions {
			vs = append(vs, v.Version)
		}
		sort.Strings(vs)
		return vs
	}
	// 1.5.0 is latest; 1.2.0 was downloaded 5 days ago; the others not
	// for 50 or 100 days.
	if got, want := selected(), []string{"1.0.0", "1.1.0", "1.3.0", "1.4.0"}; !slices.Equal(got, want) {
		t.Fatalf("selected %v, want %v", got, want)
	}
	// A download now reaches the store within the flush interval.
	r.npmDownload(t, "main", "idle", "1.4.0")
	want := []string{"1.0.0", "1.1.0", "1.3.0"}
	got := selected()
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(got, want) && time.Now().Before(deadline); got = selected() {
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after downloading 1.4.0: selected %v, want %v", got, want)
	}
	var run retRun
	if err := json.Unmarshal([]byte(r.admin(t, "run", "--name", "idle")), &run); err != nil || run.Versions != 3 {
		t.Fatalf("run: %+v %v", run, err)
	}
}
