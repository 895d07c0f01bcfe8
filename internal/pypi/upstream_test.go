package pypi

import (
	"testing"

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
