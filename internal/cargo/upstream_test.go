package cargo

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// A repository with an upstream shows the upstream's crates in its index
// and retains a .crate on its first download (public:crates-io is
// TestPublicCratesIO's).
func TestUpstreams(t *testing.T) {
	e := newTestEnv(t)
	crate := e.publish(t, "up-crate", "1.0.0", nil)
	e.publish(t, "up-crate", "1.1.0", nil)
	e.setStatus(t, "up-crate", model.StatusUnlisted, "1.1.0")
	if _, err := e.svc.CreateRepository(ctx, admin, service.CreateRepositoryInput{RepositoryInput: service.RepositoryInput{Domain: "dom", Repository: "down"},
		Upstreams: []service.UpstreamRepositoryInfo{{RepositoryName: "repo"}}}); err != nil {
		t.Fatal(err)
	}
	up := e.base
	e.base = strings.Replace(up, "/repo/", "/down/", 1)

	status, lines := e.lines(t, "up-crate")
	if status != 200 || len(lines) != 2 || lines[0]["vers"] != "1.0.0" || lines[1]["yanked"] != true {
		t.Fatalf("index through the upstream: %d %v", status, lines)
	}
	resp, _ := e.do(t, "GET", indexPath("up-crate"), nil)
	if again, _ := e.do(t, "GET", indexPath("up-crate"), nil, "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation through the upstream: %d", again.StatusCode)
	}
	resp, got := e.do(t, "GET", "api/v1/crates/up-crate/1.0.0/download", nil)
	if resp.StatusCode != 200 || !bytes.Equal(got, crate) {
		t.Fatalf("download through the upstream: %d", resp.StatusCode)
	}
	vs, err := e.svc.ListPackageVersions(ctx, admin, service.ListPackageVersionsInput{PackageRef: service.PackageRef{Domain: "dom", Repository: "down", Format: model.FormatCargo, Package: "up-crate"}})
	if err != nil || len(vs.Versions) != 1 || vs.Versions[0].Version != "1.0.0" {
		t.Fatalf("retained in down: %+v %v", vs, err)
	}
	if resp, b := e.do(t, "GET", indexPath("nowhere"), nil); resp.StatusCode != 404 {
		t.Fatalf("crate nowhere in the chain: %d %s", resp.StatusCode, b)
	}

}
