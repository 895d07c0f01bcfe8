package identity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustSealer(t *testing.T, key string) *Sealer {
	t.Helper()
	var k []byte
	if key != "" {
		k = []byte(key)
	}
	s, err := NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// adminFileHolds reports whether the credentials file has the secret in
// clear, and checks it is owner-only.
func adminFileHolds(t *testing.T, dir, secret string) bool {
	t.Helper()
	path := filepath.Join(dir, AdminFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", AdminFileName, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), secret)
}

// The generated administrator's credentials are sealed like every other
// stored secret when a secrets key is given, and read in either form.
func TestAdminFileSealed(t *testing.T) {
	none := mustSealer(t, "")
	k1 := mustSealer(t, "0123456789abcdef0123456789abcdef")
	k2 := mustSealer(t, "fedcba9876543210fedcba9876543210")
	for _, tt := range []struct {
		name   string
		sealer *Sealer
	}{{"no secrets key", none}, {"secrets key", k1}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := LoadOrCreateAdmin(dir, tt.sealer)
			if err != nil || !f.Created || f.Sealed != tt.sealer.Encrypts() {
				t.Fatalf("create: %+v, %v", f, err)
			}
			if clear := adminFileHolds(t, dir, f.SecretAccessKey); clear == tt.sealer.Encrypts() {
				t.Errorf("secret in clear in the file: %v, with a secrets key: %v", clear, tt.sealer.Encrypts())
			}
			g, err := LoadOrCreateAdmin(dir, tt.sealer)
			if err != nil || g.Created || g.Credential != f.Credential || g.Sealed != tt.sealer.Encrypts() {
				t.Fatalf("reload: %+v, %v; created %+v", g, err, f)
			}
			if tt.sealer.Encrypts() {
				for name, s := range map[string]*Sealer{"no key": none, "another key": k2} {
					if _, err := LoadOrCreateAdmin(dir, s); !errors.Is(err, ErrWrongKey) {
						t.Errorf("sealed file read with %s: %v, want ErrWrongKey", name, err)
					}
				}
			} else if g, err := LoadOrCreateAdmin(dir, k1); err != nil || g.Credential != f.Credential || g.Sealed {
				// A clear file stays readable once a key is configured,
				// until resealed.
				t.Errorf("clear file read with a key: %+v, %v", g, err)
			}
		})
	}
}

func TestResealAdmin(t *testing.T) {
	k1 := mustSealer(t, "0123456789abcdef0123456789abcdef")
	k2 := mustSealer(t, "fedcba9876543210fedcba9876543210")
	dir := t.TempDir()
	if changed, err := ResealAdmin(dir, k1); changed || err != nil {
		t.Fatalf("no file: %v, %v", changed, err)
	}
	f, err := LoadOrCreateAdmin(dir, mustSealer(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		s       *Sealer
		old     []*Sealer
		changed bool
		err     error
	}{
		{"clear to k1", k1, nil, true, nil},
		{"already sealed with k1", k1, nil, false, nil},
		{"to k2 without the old key", k2, nil, false, ErrWrongKey},
		{"k1 to k2", k2, []*Sealer{k1}, true, nil},
	}
	for _, st := range steps {
		changed, err := ResealAdmin(dir, st.s, st.old...)
		if changed != st.changed || !errors.Is(err, st.err) {
			t.Fatalf("%s: %v, %v; want %v, %v", st.name, changed, err, st.changed, st.err)
		}
		if adminFileHolds(t, dir, f.SecretAccessKey) {
			t.Fatalf("%s: the secret is in clear", st.name)
		}
	}
	g, err := LoadOrCreateAdmin(dir, k2)
	if err != nil || g.Credential != f.Credential || !g.Sealed {
		t.Fatalf("after resealing with k2: %+v, %v", g, err)
	}
}
