package pypi

import (
	"errors"
	"testing"

	"github.com/wharf-dev/wharf/internal/endpoint"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// chainOf builds a chain: each repository holds versions (by ID) with one
// file each, named after the version and the repository.
func chainOf(entries ...service.ChainEntry) []service.ChainEntry { return entries }

func entry(repo, conn string, vs ...*model.Version) service.ChainEntry {
	e := service.ChainEntry{Repo: service.RepoRef{Domain: "d", DomainOwner: "111122223333", Repository: repo}, ExternalConnection: conn}
	if len(vs) == 0 {
		return e
	}
	e.View = &service.PackageView{Package: &model.Package{Key: model.PackageKey{Format: model.FormatPyPI, Name: "demo"}}, Assets: map[int64][]*model.Asset{}}
	for _, v := range vs {
		e.View.Versions = append(e.View.Versions, v)
		e.View.Assets[v.ID] = []*model.Asset{{Name: "demo-" + v.Version + "-" + repo + ".whl", Hashes: model.Hashes{SHA256: repo}}}
	}
	return e
}

func upVer(id int64, v string, st model.Status) *model.Version {
	return &model.Version{ID: id, Version: v, Status: st}
}

func TestMergeChain(t *testing.T) {
	pub, unl := model.StatusPublished, model.StatusUnlisted
	tests := []struct {
		name      string
		chain     []service.ChainEntry
		wantFiles []string
		wantConn  string
	}{
		{"nearest copy wins", chainOf(entry("b", "", upVer(1, "1.0", pub)), entry("a", "", upVer(2, "1.0", pub), upVer(3, "2.0", pub))),
			[]string{"demo-1.0-b.whl", "demo-2.0-a.whl"}, ""},
		{"unlisted nearer hides upstream copy", chainOf(entry("b", "", upVer(1, "1.0", unl)), entry("a", "", upVer(2, "1.0", pub))),
			nil, ""},
		{"upstream unlisted stays unlisted", chainOf(entry("b", ""), entry("a", "", upVer(2, "1.0", unl), upVer(3, "2.0", pub))),
			[]string{"demo-2.0-a.whl"}, ""},
		{"connection reported", chainOf(entry("b", ""), entry("store", pypiConnection)), nil, pypiConnection},
		{"other format's connection ignored", chainOf(entry("b", "public:npmjs")), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			merged, conn := mergeChain(tt.chain, "demo")
			if conn != tt.wantConn {
				t.Errorf("connection %q, want %q", conn, tt.wantConn)
			}
			p, err := buildProject(merged)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range p.Files {
				got = append(got, f.Filename)
			}
			if len(got) != len(tt.wantFiles) {
				t.Fatalf("files %v, want %v", got, tt.wantFiles)
			}
			for i := range got {
				if got[i] != tt.wantFiles[i] {
					t.Fatalf("files %v, want %v", got, tt.wantFiles)
				}
			}
		})
	}
}

func TestFileSource(t *testing.T) {
	pub := model.StatusPublished
	ref := service.PackageRef{Repository: "b", Format: model.FormatPyPI, Package: "demo"}
	tests := []struct {
		name     string
		chain    []service.ChainEntry
		version  string
		file     string
		wantFrom string
		wantErr  string // "notfound", "unreachable" or ""
	}{
		{"found upstream", chainOf(entry("b", ""), entry("mid", ""), entry("a", "", upVer(1, "1.0", pub))), "1.0", "demo-1.0-a.whl", "a", ""},
		{"nearest copy lacks the file", chainOf(entry("b", ""), entry("mid", "", upVer(2, "1.0", pub)), entry("a", "", upVer(1, "1.0", pub))), "1.0", "demo-1.0-a.whl", "", "notfound"},
		{"present in the repository asked", chainOf(entry("b", "", upVer(1, "1.0", pub))), "1.0", "demo-1.0-b.whl", "b", ""},
		{"nowhere", chainOf(entry("b", ""), entry("a", "", upVer(1, "1.0", pub))), "2.0", "demo-2.0-a.whl", "", "notfound"},
		{"miss reaches public:pypi", chainOf(entry("b", ""), entry("store", pypiConnection)), "1.0", "demo-1.0-a.whl", "", "unreachable"},
		{"found before the connection", chainOf(entry("b", ""), entry("a", "", upVer(1, "1.0", pub)), entry("store", pypiConnection)), "1.0", "demo-1.0-a.whl", "a", ""},
		{"archived upstream is not a source", chainOf(entry("b", ""), entry("a", "", upVer(1, "1.0", model.StatusArchived))), "1.0", "demo-1.0-a.whl", "", "notfound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, err := fileSource(tt.chain, ref, tt.version, tt.file)
			var ur *endpoint.UnreachableError
			switch tt.wantErr {
			case "notfound":
				if !errors.Is(err, model.ErrNotFound) {
					t.Fatalf("err %v, want not found", err)
				}
			case "unreachable":
				if !errors.As(err, &ur) || ur.Connection != pypiConnection {
					t.Fatalf("err %v, want unreachable %s", err, pypiConnection)
				}
			default:
				if err != nil || from != tt.wantFrom {
					t.Fatalf("got %q, %v; want %q", from, err, tt.wantFrom)
				}
			}
		})
	}
}
