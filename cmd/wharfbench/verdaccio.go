package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
)

// The peer: Verdaccio, the npm registry most self-hosters run, installed
// from the npm registry into bench/results/ the first time (as
// ../shared/clients.md says: node-fetch pinned so it runs on Node 20).
const verdaccioVersion = "6.8.0"

func (b *bench) installVerdaccio(ctx context.Context) (string, error) {
	dir := filepath.Join(b.outDir, "verdaccio-"+verdaccioVersion)
	bin := filepath.Join(dir, "node_modules", ".bin", "verdaccio")
	var installed struct{ Version string }
	if raw, err := os.ReadFile(filepath.Join(dir, "node_modules", "verdaccio", "package.json")); err == nil {
		json.Unmarshal(raw, &installed)
	}
	if installed.Version == verdaccioVersion {
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	b.logf("installing verdaccio@%s into %s", verdaccioVersion, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	pkg := `{"name":"wharfbench-verdaccio","private":true,"dependencies":{"verdaccio":"` + verdaccioVersion + `"},"overrides":{"node-fetch":"2.7.0"}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install verdaccio@%s: %w\n%s", verdaccioVersion, err, out)
	}
	return bin, nil
}

// startVerdaccio starts Verdaccio on loopback with its own storage, no
// uplinks (it never calls out), the web UI off, request logging off (as
// Wharf's is), and authenticated access to every package, as Wharf's.
// Tokens are JWTs: with the default (legacy AES) tokens Verdaccio checks
// the user's bcrypt password on every request, about 75 ms of CPU each,
// which would measure bcrypt rather than Verdaccio.
// It returns the server and a publish token for a fresh user.
func (b *bench) startVerdaccio(ctx context.Context, bin string) (*Proc, string, error) {
	return b.startVerdaccioAt(ctx, bin, "verdaccio", "")
}

// startVerdaccioAt starts a Verdaccio named name (its storage in the run
// directory under that name) configured as startVerdaccio's, and, when
// uplink is set, proxying that registry for every package as its
// documentation shows for npmjs (an uplink with Verdaccio's default
// maxage of 2 minutes and tarball caching).
func (b *bench) startVerdaccioAt(ctx context.Context, bin, name, uplink string) (*Proc, string, error) {
	dir := filepath.Join(b.runDir, name)
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, "", err
	}
	uplinks, proxy := "", ""
	if uplink != "" {
		uplinks = fmt.Sprintf("uplinks:\n  npmjs:\n    url: %s\n    timeout: 60s\n    maxage: 2m\n    max_fails: 1000\n", uplink)
		proxy = "    proxy: npmjs\n"
	}
	config := fmt.Sprintf(`storage: %s
auth:
  htpasswd:
    file: %s
    max_users: 100
%spackages:
  '@*/*':
    access: $authenticated
    publish: $authenticated
%s  '**':
    access: $authenticated
    publish: $authenticated
%ssecurity:
  api:
    jwt:
      sign:
        expiresIn: 7d
web:
  enable: false
max_body_size: 500mb
server:
  keepAliveTimeout: 120
log: { type: stdout, format: pretty, level: error }
`, filepath.Join(dir, "storage"), filepath.Join(dir, "htpasswd"), uplinks, proxy, proxy)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		return nil, "", err
	}
	addr, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "--listen", addr, "--config", cfgPath)
	cmd.Dir = dir
	p, err := startProc(name, filepath.Join(b.runDir, name+".log"), "/-/ping", cmd, "http://"+addr)
	if err != nil {
		return nil, "", err
	}
	body, _ := json.Marshal(map[string]string{"name": "bench", "password": "bench-password-1", "email": "bench@example.com"})
	req, _ := http.NewRequestWithContext(ctx, "PUT", p.URL+"/-/user/org.couchdb.user:bench", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Token string `json:"token"`
	}
	if err := do(http.DefaultClient, req, &out); err != nil {
		p.Stop()
		return nil, "", fmt.Errorf("verdaccio user: %w", err)
	}
	if out.Token == "" {
		p.Stop()
		return nil, "", fmt.Errorf("verdaccio gave no token")
	}
	return p, out.Token, nil
}
