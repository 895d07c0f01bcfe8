package endpoint

import (
	"net/http"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
)

// JoinedSlash serves a repository endpoint path whose client joined
// "/path" to the endpoint's trailing "/" (gem push with RUBYGEMS_HOST
// kept as GetRepositoryEndpoint gives it sends /ruby/D-O/REPO//api/v1/gems)
// as if the slashes after the repository were one. ServeMux would
// otherwise redirect it, and gem does not follow a redirected push. Only
// the run right after the repository is collapsed; every other path is
// passed on as it came.
func JoinedSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := collapseAfterRepo(r.URL.Path); ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			if r.URL.RawPath != "" {
				r2.URL.RawPath, _ = collapseAfterRepo(r.URL.RawPath)
			}
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// collapseAfterRepo turns /FORMAT/D-O/REPO//REST into /FORMAT/D-O/REPO/REST
// for a known format; ok is false when there is nothing to collapse.
func collapseAfterRepo(p string) (string, bool) {
	parts := strings.SplitN(p, "/", 5) // "", format, domain-owner, repo, rest
	if len(parts) < 5 || parts[0] != "" || !model.Format(parts[1]).Valid() || parts[2] == "" || parts[3] == "" || !strings.HasPrefix(parts[4], "/") {
		return p, false
	}
	rest := strings.TrimLeft(parts[4], "/")
	return "/" + parts[1] + "/" + parts[2] + "/" + parts[3] + "/" + rest, true
}
