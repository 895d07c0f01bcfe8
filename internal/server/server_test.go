package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/identity"
)

// The server warns at start when other users may enter its data
// directory, and not when it is owner-only.
func TestWarnsAboutSharedDataDir(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o700, false}, {0o750, true}, {0o755, true}, {0o701, true}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			var logs bytes.Buffer
			s, err := Open(context.Background(), Config{DataDir: dir, Region: "us-east-1", PublicURL: "http://127.0.0.1:1",
				Admin:  identity.Credential{AccountID: "111122223333", AccessKeyID: "AKIAWHARFTESTKEY0001", SecretAccessKey: "wharf/test/secret/key/0123"},
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			warned := strings.Contains(logs.String(), "level=WARN msg=\"the data directory is open to other users")
			if warned != tt.warn {
				t.Errorf("mode %v: warned %v, want %v; log:\n%s", tt.mode, warned, tt.warn, logs.String())
			}
			if tt.warn && !strings.Contains(logs.String(), fmt.Sprintf("mode=%04o", tt.mode.Perm())) {
				t.Errorf("the warning does not give the mode: %s", logs.String())
			}
		})
	}
}
