package maven

import (
	"errors"
	"testing"
	"time"

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

func TestFindSource(t *testing.T) {
	pub := model.StatusPublished
	p := Path{GroupID: "com.acme", ArtifactID: "lib", Version: "1.0"}
	ext := func(v *model.Version, conn string) *model.Version {
		v.OriginType, v.OriginExternal = model.OriginExternal, conn
		return v
	}
	tests := []struct {
		name     string
		chain    []service.ChainEntry
		path     Path
		file     string
		wantRepo string
		wantConn string
		wantErr  bool
	}{
		{"found two levels up", []service.ChainEntry{upEntry("b", ""), upEntry("mid", ""), upEntry("full", "", upVer(1, "1.0", pub, 1))}, p, "lib-1.0.pom", "full", "", false},
		{"nearest copy lacks the file", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", pub, 1)), upEntry("full", "", upVer(1, "1.0", pub, 1))}, p, "lib-1.0.pom", "", "", true},
		{"version only", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", pub, 1))}, p, "", "mid", "", false},
		{"archived upstream is skipped", []service.ChainEntry{upEntry("b", ""), upEntry("mid", "", upVer(2, "1.0", model.StatusArchived, 1)), upEntry("full", "", upVer(1, "1.0", pub, 1))}, p, "lib-1.0.jar", "full", "", false},
		{"miss reaches maven central", []service.ChainEntry{upEntry("b", ""), upEntry("store", "public:maven-central")}, p, "lib-1.0.jar", "store", "public:maven-central", false},
		{"a SNAPSHOT is not fetched from a public repository", []service.ChainEntry{upEntry("b", ""), upEntry("store", "public:maven-central")},
			Path{GroupID: "com.acme", ArtifactID: "lib", Version: "1.0-SNAPSHOT"}, "lib-1.0-SNAPSHOT.jar", "", "", true},
		{"other format's connection is not searched", []service.ChainEntry{upEntry("b", "public:pypi")}, p, "lib-1.0.jar", "", "", true},
		{"found before the connection", []service.ChainEntry{upEntry("b", ""), upEntry("a", "", upVer(1, "1.0", pub, 1)), upEntry("store", "public:maven-central")}, p, "lib-1.0.jar", "a", "", false},
		{"retained public copy lacks the file: fetched through the connection", []service.ChainEntry{upEntry("b", "", ext(upVer(2, "1.0", pub, 1), "public:maven-clojars")),
			upEntry("mid", ""), upEntry("store", "public:maven-clojars", ext(upVer(1, "1.0", pub, 1), "public:maven-clojars"))}, p, "lib-1.0.pom", "store", "public:maven-clojars", false},
		{"public copy whose connection left the chain", []service.ChainEntry{upEntry("b", "", ext(upVer(2, "1.0", pub, 1), "public:maven-central"))}, p, "lib-1.0.pom", "", "", true},
		{"own copy lacking the file is not completed from public", []service.ChainEntry{upEntry("b", "", upVer(2, "1.0", pub, 1)), upEntry("store", "public:maven-central")}, p, "lib-1.0.pom", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := findSource(tt.chain, tt.path, tt.file)
			if tt.wantErr {
				if !errors.Is(err, model.ErrNotFound) {
					t.Fatalf("got %+v, %v; want not found", src, err)
				}
				return
			}
			if err != nil || src.entry.Repo.Repository != tt.wantRepo || src.conn != tt.wantConn {
				t.Fatalf("got %+v, %v; want %s through %q", src, err, tt.wantRepo, tt.wantConn)
			}
		})
	}
}
