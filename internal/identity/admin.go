// Package identity knows who may call Wharf: access keys, the principals
// they belong to, and the administrator that every server has.
package identity

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"

	"github.com/wharf-dev/wharf/internal/service"
)

// Credential is an access key pair and the account it belongs to.
type Credential struct {
	AccountID       string `json:"accountId"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// Validate checks the credential's shape.
func (c Credential) Validate() error {
	if !accountID.MatchString(c.AccountID) {
		return fmt.Errorf("account id %q must be 12 digits", c.AccountID)
	}
	if len(c.AccessKeyID) < 16 || len(c.AccessKeyID) > 128 {
		return fmt.Errorf("access key id must be 16 to 128 characters")
	}
	if len(c.SecretAccessKey) < 16 {
		return fmt.Errorf("secret access key must be at least 16 characters")
	}
	return nil
}

// Caller is the principal the credential acts as: the account's root.
func (c Credential) Caller() service.Caller {
	return service.Caller{Account: c.AccountID, ARN: "arn:aws:iam::" + c.AccountID + ":root", AccessKeyID: c.AccessKeyID}
}

const adminFile = "admin-credentials.json"

// LoadOrCreateAdmin returns the administrator's credential from the data
// directory, generating and storing one (mode 0600) on first start. The
// bool reports whether it was just created, so the caller can print it
// once.
func LoadOrCreateAdmin(dataDir string) (Credential, bool, error) {
	path := filepath.Join(dataDir, adminFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var c Credential
		if err := json.Unmarshal(b, &c); err != nil {
			return Credential{}, false, fmt.Errorf("read %s: %w", path, err)
		}
		return c, false, c.Validate()
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Credential{}, false, err
	}
	c := Credential{AccountID: randomDigits(12), AccessKeyID: "AKIA" + randomString(16, upperAlnum), SecretAccessKey: randomString(40, secretChars)}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := writeOwnerOnly(path, append(b, '\n')); err != nil {
		return Credential{}, false, err
	}
	return c, true, nil
}

// writeOwnerOnly replaces path with b atomically, mode 0600: a fresh
// temporary file (os.CreateTemp makes it 0600, whatever a leftover of an
// earlier attempt was) renamed over it.
func writeOwnerOnly(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}

func randomDigits(n int) string {
	s := randomString(n, "0123456789")
	if s[0] == '0' {
		s = "1" + s[1:]
	}
	return s
}
