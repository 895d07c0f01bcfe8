package maven

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// upEntry is a repository of a chain holding versions (by ID), each with
// lib-VERSION.jar and, in repository "full", its .pom too.
func upEntry(repo, conn string, vs ...*model.Version) service.ChainEntry {
	e := service.ChainEntry{Repo: service.RepoRef{Domain: "d", DomainOwner: "111122223333", Repository: repo}, ExternalConnection: conn}
	if len(vs) == 0 {
		return e
	}
	e.View = &service.PackageView{Assets: map[int64][]*model.Asset{}}
	for _, v := range vs {
		e.View.Versions = append(e.View.Versions, v)
		as := []*model.Asset{{Name: "lib-" + v.Version + ".jar"}}
		if repo == "full" {
			as = append(as, &model.Asset{Name: "lib-" + v.Version + ".pom"})
		}
		e.View.Assets[v.ID] = as
	}
	return e
}

func upVer(id int64, v string, st model.Status, day int) *model.Version {
	return &model.Version{ID: id, Version: v, Status: st, PublishedTime: time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC)}
}

func TestVersionSource(t *testing.T) {
	pub := model.StatusPublished
	p := Path{GroupID: "com.acme", ArtifactID: "lib", Version: "1.0"}
	tests := []struct {
		name     string
		chain    []service.ChainEntry
		file     string
		wantRepo string
		wantErr  string
	}{
		{"found two levels up", []service.ChainEntry{upEntry("b", ""), upEntry("mid", ""), upEntry("full", "", upVer(1, "1.0", pub, 1))}, "lib-1.0.pom", "full", ""},
		{"nearest copy lacks the file", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", pub, 1)), upEntry("full", "", upVer(1, "1.0", pub, 1))}, "lib-1.0.pom", "", "notfound"},
		{"version only", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", pub, 1))}, "", "mid", ""},
		{"archived upstream is skipped", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", model.StatusArchived, 1)), upEntry("full", "", upVer(1, "1.0", pub, 1))}, "lib-1.0.jar", "full", ""},
		{"miss reaches maven central", []service.ChainEntry{upEntry("b", ""), upEntry("store", "public:maven-central")}, "lib-1.0.jar", "", "unreachable"},
		{"other format's connection is not searched", []service.ChainEntry{upEntry("b", "public:pypi")}, "lib-1.0.jar", "", "notfound"},
		{"found before the connection", []service.ChainEntry{upEntry("b", ""), upEntry("a", "", upVer(1, "1.0", pub, 1)), upEntry("store", "public:maven-central")}, "lib-1.0.jar", "a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, err := versionSource(tt.chain, p, tt.file)
			var ur *endpoint.UnreachableError
			switch tt.wantErr {
			case "notfound":
				if !errors.Is(err, model.ErrNotFound) {
					t.Fatalf("err %v, want not found", err)
				}
			case "unreachable":
				if !errors.As(err, &ur) || ur.Connection != "public:maven-central" {
					t.Fatalf("err %v, want unreachable public:maven-central", err)
				}
			default:
				if err != nil || e.Repo.Repository != tt.wantRepo {
					t.Fatalf("got %+v, %v; want %s", e, err, tt.wantRepo)
				}
			}
		})
	}
}

func TestListedInChain(t *testing.T) {
	pub, unl := model.StatusPublished, model.StatusUnlisted
	chain := []service.ChainEntry{
		upEntry("b", "", upVer(1, "1.0", pub, 1), upVer(2, "3.0", unl, 9)),
		upEntry("a", "", upVer(3, "1.0", pub, 2), upVer(4, "2.0", pub, 5), upVer(5, "3.0", pub, 9)),
		upEntry("store", "public:maven-clojars"),
	}
	listed, last, conn := listedInChain(chain)
	// 3.0 is Unlisted in b, the nearer copy: not listed.
	if !reflect.DeepEqual(listed, []string{"1.0", "2.0"}) {
		t.Errorf("listed %v", listed)
	}
	if want := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); !last.Equal(want) {
		t.Errorf("last %v, want %v", last, want)
	}
	if conn != "public:maven-clojars" {
		t.Errorf("conn %q", conn)
	}
}
