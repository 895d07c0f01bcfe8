package service

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// npmRef is the npm package lib in repo.
func npmRef(repo string) PackageRef {
	return PackageRef{Domain: "dom", DomainOwner: admin.Account, Repository: repo, Format: model.FormatNpm, Package: "lib"}
}

func inRepo(ref PackageRef, repo string) PackageRef {
	ref.DomainOwner = admin.Account
	ref.Repository = repo
	return ref
}

func publishRef(ctx context.Context, s *Service, ref PackageRef, version string, content []byte) error {
	asset := "a.txt"
	if ref.Format == model.FormatNpm {
		asset = "package.tgz"
	}
	_, err := s.Publish(ctx, admin, PublishRequest{Ref: ref, Version: version,
		Assets: []Upload{{Name: asset, Body: bytes.NewReader(content), SHA256: sha(content)}}})
	return err
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func setPackageOrigin(t *testing.T, s *Service, ref PackageRef, publish, upstream string) {
	t.Helper()
	_, err := s.PutPackageOriginConfiguration(context.Background(), admin, PutPackageOriginConfigurationInput{PackageRef: ref,
		Restrictions: model.OriginRestrictions{Publish: publish, Upstream: upstream}})
	mustDo(t, err)
}

// setGroup creates the group if needed and sets one restriction type's
// mode, with its allowed repositories.
func setGroup(t *testing.T, s *Service, pattern string, rt model.OriginRestrictionType, mode model.OriginRestrictionMode, repos ...string) {
	t.Helper()
	ctx := context.Background()
	in := PackageGroupInput{Domain: "dom", PackageGroup: pattern}
	if _, err := s.DescribePackageGroup(ctx, admin, in); errors.Is(err, model.ErrNotFound) {
		_, err = s.CreatePackageGroup(ctx, admin, CreatePackageGroupInput{PackageGroupInput: in})
		mustDo(t, err)
	}
	up := UpdatePackageGroupOriginConfigurationInput{PackageGroupInput: in,
		Restrictions: map[model.OriginRestrictionType]model.OriginRestrictionMode{rt: mode}}
	for _, r := range repos {
		up.AddAllowedRepositories = append(up.AddAllowedRepositories, PackageGroupAllowedRepository{RepositoryName: r, OriginRestrictionType: rt})
	}
	_, err := s.UpdatePackageGroupOriginConfiguration(ctx, admin, up)
	mustDo(t, err)
}

func setStatus(t *testing.T, s *Service, ref PackageRef, version string, st model.Status) {
	t.Helper()
	out, err := s.UpdatePackageVersionsStatus(context.Background(), admin, UpdatePackageVersionsStatusInput{PackageRef: ref, Versions: []string{version}, TargetStatus: st})
	if err != nil || len(out.FailedVersions) > 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s to %s: %v %+v", version, st, err, out)
	}
}

// TestPublishVersionFromUpstream: publishing a version the repository
// lacks is a 409 when a read would find it downloadable upstream, unless
// the package blocks upstream versions or the group keeps the repository
// from retaining them; nothing is written by a refusal.
func TestPublishVersionFromUpstream(t *testing.T) {
	lib := genericRef("lib")
	upBytes := []byte("upstream bytes")
	tests := []struct {
		name    string
		setup   func(t *testing.T, s *Service)
		repo    string
		version string
		content []byte // default: bytes of the repository's own
		where   string // "" for success, else the conflict's wording
	}{
		{name: "upstream has it", repo: "down", version: "1.0.0", where: "exists in upstream repository up"},
		{name: "two levels up", repo: "deep", version: "1.0.0", where: "exists in upstream repository up"},
		{name: "another version", repo: "down", version: "2.0.0"},
		{name: "the repository that has it re-publishes identical bytes", repo: "up", version: "1.0.0", content: upBytes},
		{name: "package upstream=BLOCK", repo: "down", version: "1.0.0",
			setup: func(t *testing.T, s *Service) { setPackageOrigin(t, s, inRepo(lib, "down"), model.Allow, model.Block) }},
		{name: "package upstream=ALLOW", repo: "down", version: "1.0.0", where: "exists in upstream repository up",
			setup: func(t *testing.T, s *Service) { setPackageOrigin(t, s, inRepo(lib, "down"), model.Allow, model.Allow) }},
		{name: "unlisted upstream is still served", repo: "down", version: "1.0.0", where: "exists in upstream repository up",
			setup: func(t *testing.T, s *Service) { setStatus(t, s, inRepo(lib, "up"), "1.0.0", model.StatusUnlisted) }},
		{name: "archived upstream is not", repo: "down", version: "1.0.0",
			setup: func(t *testing.T, s *Service) { setStatus(t, s, inRepo(lib, "up"), "1.0.0", model.StatusArchived) }},
		{name: "intermediate package upstream=BLOCK ends the branch", repo: "deep", version: "1.0.0",
			setup: func(t *testing.T, s *Service) { setPackageOrigin(t, s, inRepo(lib, "mid"), model.Allow, model.Block) }},
		{name: "group INTERNAL_UPSTREAM=BLOCK", repo: "down", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/generic/ns/*", model.RestrictionInternalUpstream, model.ModeBlock)
			}},
		{name: "group block inherited", repo: "down", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/generic/ns/*", model.RestrictionInternalUpstream, model.ModeBlock)
				setGroup(t, s, "/generic/ns/lib$", model.RestrictionInternalUpstream, model.ModeInherit)
			}},
		{name: "group allows the repository", repo: "down", version: "1.0.0", where: "exists in upstream repository up",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/generic/ns/*", model.RestrictionInternalUpstream, model.ModeAllowSpecificRepo, "down")
			}},
		{name: "group allows other repositories", repo: "down", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/generic/ns/*", model.RestrictionInternalUpstream, model.ModeAllowSpecificRepo, "up", "deep")
			}},
		{name: "an intermediate repository need not be listed", repo: "deep", version: "1.0.0", where: "exists in upstream repository up",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/generic/ns/*", model.RestrictionInternalUpstream, model.ModeAllowSpecificRepo, "deep")
			}},
		{name: "a retained copy takes identical bytes", repo: "down", version: "1.0.0", content: upBytes,
			setup: func(t *testing.T, s *Service) {
				mustDo(t, s.RetainVersion(context.Background(), admin, inRepo(lib, "down"), "up", "1.0.0"))
				setPackageOrigin(t, s, inRepo(lib, "down"), model.Allow, model.Allow)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestService(t)
			createRepo(t, s, "up")
			createRepo(t, s, "down", "up")
			createRepo(t, s, "mid", "up")
			createRepo(t, s, "deep", "mid")
			mustDo(t, publishRef(ctx, s, inRepo(lib, "up"), "1.0.0", upBytes))
			if tt.setup != nil {
				tt.setup(t, s)
			}
			_, hadPkg := s.ViewPackage(ctx, admin, inRepo(lib, tt.repo), ViewOptions{})
			content := tt.content
			if content == nil {
				content = []byte("bytes of " + tt.repo)
			}
			err := publishRef(ctx, s, inRepo(lib, tt.repo), tt.version, content)
			if tt.where == "" {
				if err != nil {
					t.Fatalf("Publish = %v, want success", err)
				}
				return
			}
			e := model.AsError(err)
			if err == nil || e.Kind != model.KindConflict || e.ResourceType != model.ResourcePackageVersion || e.ResourceID != tt.version {
				t.Fatalf("Publish = %v (%+v), want a package-version ConflictException", err, e)
			}
			if want := "Package version " + tt.version + " of ns/lib " + tt.where + " and cannot be published to repository " + tt.repo; !strings.Contains(e.Message, want) {
				t.Errorf("message %q lacks %q", e.Message, want)
			}
			// Nothing written: no version, and no package that was not there.
			_, err = s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: inRepo(lib, tt.repo), PackageVersion: tt.version})
			if !errors.Is(err, model.ErrNotFound) {
				t.Errorf("refused version in %s: %v", tt.repo, err)
			}
			if _, err := s.ViewPackage(ctx, admin, inRepo(lib, tt.repo), ViewOptions{}); (err == nil) != (hadPkg == nil) {
				t.Errorf("package in %s after a refused publish: %v (before: %v)", tt.repo, err, hadPkg)
			}
		})
	}
}

type registryMode int

const (
	registryAnswers registryMode = iota
	registryFails
	registryHangs
)

// fakeRegistry is an ExternalLookup with versions, a failure mode and a
// count of the questions asked.
type fakeRegistry struct {
	versions map[string]bool
	fail     bool
	hang     bool
	asked    atomic.Int32
}

func (f *fakeRegistry) lookup(ctx context.Context, k model.PackageKey, version string) (bool, error) {
	f.asked.Add(1)
	switch {
	case f.fail:
		return false, errors.New("registry down")
	case f.hang:
		<-ctx.Done()
		return false, ctx.Err()
	}
	return k.Name == "lib" && f.versions[version], nil
}

// TestPublishVersionFromExternal: a version the public registry behind a
// reachable external connection has is refused; the registry is asked
// only where the connection's repository may ingest, and a failing or
// hanging registry lets the publish through.
func TestPublishVersionFromExternal(t *testing.T) {
	defer func(d time.Duration) { externalLookupTimeout = d }(externalLookupTimeout)
	externalLookupTimeout = 100 * time.Millisecond
	tests := []struct {
		name    string
		reg     registryMode
		setup   func(t *testing.T, s *Service)
		repo    string
		version string
		asked   bool
		where   string
	}{
		{name: "public has it, through an upstream", repo: "team", version: "1.0.0", asked: true,
			where: "is available from external connection public:npmjs of repository store"},
		{name: "public has it, own connection", repo: "store", version: "1.0.0", asked: true,
			where: "is available from external connection public:npmjs of repository store"},
		{name: "public lacks it", repo: "team", version: "9.9.9", asked: true},
		{name: "registry fails: fail open", reg: registryFails, repo: "team", version: "1.0.0", asked: true},
		{name: "registry hangs: fail open", reg: registryHangs, repo: "team", version: "1.0.0", asked: true},
		{name: "package upstream=BLOCK", repo: "team", version: "1.0.0",
			setup: func(t *testing.T, s *Service) { setPackageOrigin(t, s, npmRef("team"), model.Allow, model.Block) }},
		{name: "group EXTERNAL_UPSTREAM=BLOCK", repo: "team", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeBlock)
			}},
		{name: "group allows ingestion into store", repo: "team", version: "1.0.0", asked: true,
			where: "is available from external connection public:npmjs of repository store",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeAllowSpecificRepo, "store")
			}},
		{name: "group allows ingestion into team only", repo: "team", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeAllowSpecificRepo, "team")
			}},
		{name: "group keeps team from retaining", repo: "team", version: "1.0.0",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm//lib$", model.RestrictionInternalUpstream, model.ModeBlock)
			}},
		{name: "already ingested, registry silent", reg: registryFails, repo: "team", version: "2.0.0", asked: false,
			where: "exists in upstream repository store",
			setup: func(t *testing.T, s *Service) {
				mustDo(t, s.IngestExternal(context.Background(), admin, IngestRequest{Ref: npmRef("store"), Connection: "public:npmjs", Version: "2.0.0",
					Asset: Upload{Name: "package.tgz", Body: strings.NewReader("public bytes")}}))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestService(t)
			createRepo(t, s, "store")
			_, err := s.AssociateExternalConnection(ctx, admin, ExternalConnectionInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: "public:npmjs"})
			mustDo(t, err)
			createRepo(t, s, "team", "store")
			reg := &fakeRegistry{versions: map[string]bool{"1.0.0": true}, fail: tt.reg == registryFails, hang: tt.reg == registryHangs}
			s.SetExternalLookup("public:npmjs", reg.lookup)
			if tt.setup != nil {
				tt.setup(t, s)
			}
			// A hanging registry holds its lookup until the context
			// ends: without the lookup's timeout this would not return.
			err = publishRef(ctx, s, npmRef(tt.repo), tt.version, []byte("private bytes"))
			if got := reg.asked.Load() > 0; got != tt.asked {
				t.Errorf("registry asked: %v, want %v", got, tt.asked)
			}
			if tt.where == "" {
				if err != nil {
					t.Fatalf("Publish = %v, want success", err)
				}
				return
			}
			e := model.AsError(err)
			if err == nil || e.Kind != model.KindConflict || e.ResourceType != model.ResourcePackageVersion {
				t.Fatalf("Publish = %v, want a package-version ConflictException", err)
			}
			if !strings.Contains(e.Message, tt.where) {
				t.Errorf("message %q lacks %q", e.Message, tt.where)
			}
			_, err = s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: npmRef(tt.repo), PackageVersion: tt.version})
			if !errors.Is(err, model.ErrNotFound) {
				t.Errorf("refused version exists: %v", err)
			}
		})
	}
	// Another format's package is never looked up in npm's registry.
	s, _ := newTestService(t)
	createRepo(t, s, "store")
	_, err := s.AssociateExternalConnection(context.Background(), admin, ExternalConnectionInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: "public:npmjs"})
	mustDo(t, err)
	reg := &fakeRegistry{versions: map[string]bool{"1.0.0": true}}
	s.SetExternalLookup("public:npmjs", reg.lookup)
	mustDo(t, publishRef(context.Background(), s, inRepo(genericRef("lib"), "store"), "1.0.0", []byte("generic")))
	if reg.asked.Load() != 0 {
		t.Errorf("a generic publish asked npm's registry")
	}
}

// TestGroupUpstreamRules: the group's INTERNAL_UPSTREAM mode decides
// whether the repository asked retains (and so sees) upstream versions,
// its EXTERNAL_UPSTREAM mode whether the repository owning a connection
// ingests; INHERIT takes the first ancestor's mode, the most specific
// group decides, and a package-level block wins over a group that allows.
// Resolution, PackageState, RetainVersion and IngestExternal agree.
func TestGroupUpstreamRules(t *testing.T) {
	type want struct {
		chain    []string
		external bool // the chain keeps store's connection
		sources  bool // PackageState of down
		retain   string
		ingest   string
	}
	all := []string{"down", "up", "store"}
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Service)
		want  want
	}{
		{name: "no rules", want: want{chain: all, external: true, sources: true}},
		{name: "INTERNAL_UPSTREAM=BLOCK",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeBlock)
			},
			want: want{chain: []string{"down"}, retain: "cannot enter repository down: blocked by the origin configuration of package group /npm/* (INTERNAL_UPSTREAM=BLOCK)"}},
		{name: "INTERNAL_UPSTREAM lists down",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeAllowSpecificRepo, "down")
			},
			want: want{chain: all, external: true, sources: true}},
		{name: "INTERNAL_UPSTREAM lists others",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeAllowSpecificRepo, "up", "store")
			},
			want: want{chain: []string{"down"}, retain: "(INTERNAL_UPSTREAM=ALLOW_SPECIFIC_REPOSITORIES, and down is not an allowed repository)"}},
		{name: "EXTERNAL_UPSTREAM=BLOCK",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeBlock)
			},
			want: want{chain: all, sources: true, ingest: "from external connections cannot enter repository store: blocked by the origin configuration of package group /npm/* (EXTERNAL_UPSTREAM=BLOCK)"}},
		{name: "EXTERNAL_UPSTREAM lists store",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeAllowSpecificRepo, "store")
			},
			want: want{chain: all, external: true, sources: true}},
		{name: "EXTERNAL_UPSTREAM lists down only",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionExternalUpstream, model.ModeAllowSpecificRepo, "down")
			},
			want: want{chain: all, sources: true, ingest: "(EXTERNAL_UPSTREAM=ALLOW_SPECIFIC_REPOSITORIES, and store is not an allowed repository)"}},
		{name: "INHERIT takes the parent's BLOCK",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeBlock)
				setGroup(t, s, "/npm//lib$", model.RestrictionInternalUpstream, model.ModeInherit)
			},
			want: want{chain: []string{"down"}, retain: "package group /npm/* (INTERNAL_UPSTREAM=BLOCK)"}},
		{name: "the most specific group decides",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeBlock)
				setGroup(t, s, "/npm//lib$", model.RestrictionInternalUpstream, model.ModeAllow)
			},
			want: want{chain: all, external: true, sources: true}},
		{name: "another package's group does not apply",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm//other$", model.RestrictionInternalUpstream, model.ModeBlock)
			},
			want: want{chain: all, external: true, sources: true}},
		{name: "package upstream=BLOCK in down wins over the group",
			setup: func(t *testing.T, s *Service) {
				setGroup(t, s, "/npm/*", model.RestrictionInternalUpstream, model.ModeAllow)
				setPackageOrigin(t, s, npmRef("down"), model.Allow, model.Block)
			},
			want: want{chain: []string{"down"}, retain: "Package lib in repository down blocks versions from upstream (upstream=BLOCK)"}},
		{name: "package upstream=BLOCK in store",
			setup: func(t *testing.T, s *Service) {
				setPackageOrigin(t, s, npmRef("store"), model.Allow, model.Block)
			},
			want: want{chain: all, sources: true, ingest: "Package lib in repository store blocks versions from upstream (upstream=BLOCK)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestService(t)
			createRepo(t, s, "up")
			createRepo(t, s, "store")
			_, err := s.AssociateExternalConnection(ctx, admin, ExternalConnectionInput{RepositoryInput: RepositoryInput{Domain: "dom", Repository: "store"}, ExternalConnection: "public:npmjs"})
			mustDo(t, err)
			createRepo(t, s, "down", "up", "store")
			mustDo(t, publishRef(ctx, s, npmRef("up"), "1.0.0", []byte("up bytes")))
			if tt.setup != nil {
				tt.setup(t, s)
			}

			chain, err := s.ResolveChain(ctx, admin, npmRef("down"), ViewOptions{})
			mustDo(t, err)
			var names []string
			external := false
			for _, e := range chain {
				names = append(names, e.Repo.Repository)
				if e.ExternalConnection != "" {
					external = e.Repo.Repository == "store"
				}
			}
			if !slices.Equal(names, tt.want.chain) || external != tt.want.external {
				t.Errorf("chain %v (store's connection: %v), want %v (%v)", names, external, tt.want.chain, tt.want.external)
			}

			st, err := s.PackageState(ctx, admin, npmRef("down"))
			switch {
			case tt.want.sources && (err != nil || !st.Sources):
				t.Errorf("PackageState = %+v, %v; want sources", st, err)
			case !tt.want.sources && err == nil && st.Sources:
				t.Errorf("PackageState = %+v; want no sources", st)
			case !tt.want.sources && err != nil && !errors.Is(err, model.ErrNotFound):
				t.Errorf("PackageState: %v", err)
			}

			check := func(what string, err error, want string) {
				t.Helper()
				if want == "" {
					if err != nil {
						t.Errorf("%s: %v", what, err)
					}
					return
				}
				e := model.AsError(err)
				if err == nil || e.Kind != model.KindNotFound || !strings.Contains(e.Message, want) {
					t.Errorf("%s = %v, want not found: ...%s", what, err, want)
				}
			}
			check("RetainVersion", s.RetainVersion(ctx, admin, npmRef("down"), "up", "1.0.0"), tt.want.retain)
			check("IngestExternal", s.IngestExternal(ctx, admin, IngestRequest{Ref: npmRef("store"), Connection: "public:npmjs", Version: "3.0.0",
				Asset: Upload{Name: "package.tgz", Body: strings.NewReader("public bytes")}}), tt.want.ingest)
			// A refusal writes nothing.
			if tt.want.retain != "" {
				if _, err := s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: npmRef("down"), PackageVersion: "1.0.0"}); !errors.Is(err, model.ErrNotFound) {
					t.Errorf("refused retention left 1.0.0 in down: %v", err)
				}
			}
			if tt.want.ingest != "" {
				if _, err := s.DescribePackageVersion(ctx, admin, VersionRef{PackageRef: npmRef("store"), PackageVersion: "3.0.0"}); !errors.Is(err, model.ErrNotFound) {
					t.Errorf("refused ingestion left 3.0.0 in store: %v", err)
				}
			}
		})
	}
}
