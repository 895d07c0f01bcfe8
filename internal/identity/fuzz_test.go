package identity

import (
	"bytes"
	"testing"
)

// FuzzOpen: a stored secret of any form is either refused or, when it
// opens, is one this key sealed for this access key.
func FuzzOpen(f *testing.F) {
	s, _ := NewSealer(bytes.Repeat([]byte{9}, 32))
	good, _ := s.Seal("AKIA1", "secret")
	for _, v := range []string{good, "plain:x", "aes256gcm:", "aes256gcm:" + s.KeyID() + ":", "aes256gcm:" + s.KeyID() + ":AAAA", "junk"} {
		f.Add("AKIA1", v)
	}
	f.Fuzz(func(t *testing.T, akid, stored string) {
		got, err := s.Open(akid, stored)
		if err != nil || bytes.HasPrefix([]byte(stored), []byte(plainPrefix)) {
			return
		}
		// The only secret ever sealed with this key (in any fuzzing
		// process; each seals its own copy) is "secret" for AKIA1.
		if akid != "AKIA1" || got != "secret" {
			t.Fatalf("Open(%q, %q) = %q", akid, stored, got)
		}
	})
}
