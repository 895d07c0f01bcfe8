package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Webhook signing secrets at rest: with a secrets key the data directory
// does not hold them in clear, deliveries still verify, a reseal to a new
// key keeps them verifying, and a server holding the wrong key records the
// failure on the delivery and sends nothing (the receiver would reject an
// unsigned or mis-signed delivery and record it as bad).
func TestWebhookSecretsSealed(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(name, hexKey string) []string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(hexKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"WHARF_SECRETS_KEY_FILE=" + f}
	}
	k1, k2 := keyFile("k1", strings.Repeat("5a", 32)), keyFile("k2", strings.Repeat("a5", 32))
	hookArgs := []string{"--webhook-retry-min", "100ms", "--webhook-retry-max", "500ms", "--webhook-timeout", "2s"}
	rcv := newReceiver(t)

	s := StartServerWith(t, ServerOptions{Args: hookArgs, Env: k1})
	Setup(t, s.Client(), "acme", "main")
	secretFile := filepath.Join(dir, "hook-secret")
	if err := os.WriteFile(secretFile, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	webhookAdminEnv(t, s.DataDir, k1, "add", "--domain", "acme", "--url", rcv.URL(), "--secret-file", secretFile)
	PublishGeneric(t, s.Client(), "acme", "main", "tools", "hello", "1.0.0", "hello.txt", []byte("hello"), false)
	rcv.waitFor(1, 20*time.Second)

	holdsSecret := func(when string) {
		t.Helper()
		for _, f := range []string{"wharf.db", "wharf.db-wal"} {
			b, err := os.ReadFile(filepath.Join(s.DataDir, f))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(webhookSecret)) {
				t.Errorf("%s, %s holds the webhook secret in clear", when, f)
			}
		}
	}
	holdsSecret("while serving")
	s.Stop()
	holdsSecret("after stop")

	// A new key: reseal with the old one given.
	out := wharfAdmin(t, s.DataDir, k2, "reseal", "--old-secrets-key-file", strings.TrimPrefix(k1[0], "WHARF_SECRETS_KEY_FILE="))
	if out["WebhookSecretsResealed"] != float64(1) {
		t.Errorf("reseal: %v", out)
	}
	holdsSecret("after reseal")
	s2 := StartServerWith(t, ServerOptions{DataDir: s.DataDir, Args: hookArgs, Env: k2})
	PublishGeneric(t, s2.Client(), "acme", "main", "tools", "hello", "1.0.1", "hello.txt", []byte("hello 1"), false)
	rcv.waitFor(2, 20*time.Second)
	if strings.Contains(s2.log.String(), "webhook signing secrets are not sealed") {
		t.Errorf("warned about sealed webhook secrets:\n%s", s2.log.String())
	}
	s2.Stop()

	// The old key no longer opens the secret: the delivery fails, says
	// why, and nothing is sent.
	s3 := StartServerWith(t, ServerOptions{DataDir: s.DataDir, Args: hookArgs, Env: k1})
	PublishGeneric(t, s3.Client(), "acme", "main", "tools", "hello", "1.0.2", "hello.txt", []byte("hello 2"), false)
	eventually(t, "the delivery recording why it was not sent", func() error {
		var pending []map[string]any
		if err := json.Unmarshal([]byte(webhookAdminEnv(t, s.DataDir, k1, "deliveries", "--pending")), &pending); err != nil {
			return err
		}
		if len(pending) != 1 || pending[0]["attempts"] == nil || !strings.Contains(fmt.Sprint(pending[0]["lastError"]), "secret cannot be read") {
			return fmt.Errorf("pending deliveries %v", pending)
		}
		return nil
	})
	if es := rcv.events(); len(es) != 2 {
		t.Errorf("receiver has %d events, want the 2 sent before the key changed", len(es))
	}
	for _, want := range []string{"webhook delivery not sent", "webhook signing secrets are not sealed with the configured secrets key; run wharf admin reseal"} {
		if !strings.Contains(s3.log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// webhookAdminEnv runs `wharf admin webhook CMD --data-dir DIR ARGS...`
// with env added to the environment.
func webhookAdminEnv(t *testing.T, dataDir string, env []string, cmd string, args ...string) string {
	t.Helper()
	c := exec.Command(wharfBin, append([]string{"admin", "webhook", cmd, "--data-dir", dataDir}, args...)...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("wharf admin webhook %s %v: %v: %s", cmd, args, err, stderr.String())
	}
	return stdout.String()
}
