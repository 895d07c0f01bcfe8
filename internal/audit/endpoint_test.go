package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/service"
)

// A web console write is recorded under the operation the console names,
// with its caller and without repository parameters read from its path;
// a console POST that names no operation (sign-out) has no caller and no
// record.
func TestConsoleOperation(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tr := New(store, "us-east-1", nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { tr.Run(runCtx); close(done) }()
	alice := service.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAALICE"}
	h := tr.Endpoints(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console/d/111122223333/acme/r/main/restore" {
			Operation(r.Context(), alice, "RestorePackageVersion")
			// The service's first authorization does not rename it.
			From(r.Context()).authorized("codeartifact:PublishPackageVersion", "arn:aws:codeartifact:us-east-1:111122223333:package/acme/main/npm//p")
		}
		w.WriteHeader(http.StatusSeeOther)
	}))
	for _, p := range []string{"/console/d/111122223333/acme/r/main/restore", "/console/signout"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", p, nil))
	}
	stop()
	<-done
	var es []*meta.AuditEvent
	if err := store.View(ctx, func(tx meta.Tx) (err error) { es, err = tx.ListAudit(meta.AuditFilter{}); return err }); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("events: %+v", es)
	}
	e := es[0]
	if e.Name != "RestorePackageVersion" || e.UserName != "alice" || !contains(e.Record, `"path":"/console/d/111122223333/acme/r/main/restore"`) || contains(e.Record, `"format":"console"`) {
		t.Errorf("console event: %+v %s", e, e.Record)
	}
}
