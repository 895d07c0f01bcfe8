package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Secret access keys at rest.
//
// SigV4 verification recomputes the signature from the secret itself, so
// Wharf must be able to recover every secret in clear; hashing it, as one
// would a password, is not possible. What can be avoided is that a copy of
// the data directory (a backup, a snapshot of the volume) hands the
// secrets out: with a secrets key configured, each secret is encrypted
// with AES-256-GCM under that key, which lives outside the data directory
// (a file on another volume, a mounted secret, an environment variable).
// The access key id is bound in as additional data, so a sealed secret
// cannot be moved to another key's row.
//
// Without a secrets key, secrets are stored in clear (marked "plain:") and
// the server and the admin command say so. Anyone who can read both the
// key and the data directory, or the server's memory, can still recover
// the secrets: this protects copies of the data, not a compromised host.

const (
	plainPrefix = "plain:"
	gcmPrefix   = "aes256gcm:"
)

// Sealer encrypts and decrypts stored secrets. A nil *Sealer, or one made
// from no key, stores secrets in clear.
type Sealer struct {
	aead cipher.AEAD
	id   string // first 8 bytes of SHA-256 of the key, hex: names the key in stored values
}

// NewSealer returns a sealer for a 32-byte key; an empty key means none.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) == 0 {
		return &Sealer{}, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secrets key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Sealer{aead: aead, id: hex.EncodeToString(sum[:8])}, nil
}

// ParseKey decodes a secrets key written as 64 hex digits or as base64 of
// 32 bytes (surrounding whitespace ignored).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("secrets key must be 32 bytes written as 64 hex digits or base64")
}

// LoadKey reads a secrets key from a file.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secrets key %s: %w", path, err)
	}
	return k, nil
}

// NewSecretsKey returns a fresh random secrets key in hex.
func NewSecretsKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Encrypts reports whether secrets are encrypted.
func (s *Sealer) Encrypts() bool { return s != nil && s.aead != nil }

// KeyID names the secrets key ("" when none).
func (s *Sealer) KeyID() string {
	if !s.Encrypts() {
		return ""
	}
	return s.id
}

// Purpose is what a sealed secret is the secret of. It is bound into the
// ciphertext as additional data, so a sealed secret cannot be moved to
// another row, nor from one kind of row to another (an access key's into
// a webhook's): it no longer opens there.
type Purpose struct {
	aad string
	// legacyPlain: stored values without a prefix predate sealing and are
	// the secret in clear.
	legacyPlain bool
}

// AccessKey is the purpose of access key akid's secret.
func AccessKey(akid string) Purpose { return Purpose{aad: "wharf access key " + akid} }

// WebhookSecret is the purpose of webhook id's signing secret. Webhook
// rows written before secrets were sealed hold the secret without a
// prefix; they open as plain.
func WebhookSecret(id int64) Purpose {
	return Purpose{aad: "wharf webhook secret " + strconv.FormatInt(id, 10), legacyPlain: true}
}

// Seal returns the stored form of the secret of access key akid.
func (s *Sealer) Seal(akid, secret string) (string, error) { return s.SealFor(AccessKey(akid), secret) }

// Open recovers the secret of access key akid from its stored form.
func (s *Sealer) Open(akid, stored string) (string, error) { return s.OpenFor(AccessKey(akid), stored) }

// SealFor returns the stored form of a secret for purpose p.
func (s *Sealer) SealFor(p Purpose, secret string) (string, error) {
	if !s.Encrypts() {
		return plainPrefix + secret, nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := s.aead.Seal(nonce, nonce, []byte(secret), []byte(p.aad))
	return gcmPrefix + s.id + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// ErrWrongKey is returned when a secret was sealed with a key other than
// the configured one, or when no key is configured.
var ErrWrongKey = errors.New("secret is encrypted with another secrets key")

// OpenFor recovers a secret sealed for purpose p from its stored form.
func (s *Sealer) OpenFor(p Purpose, stored string) (string, error) {
	if v, ok := strings.CutPrefix(stored, plainPrefix); ok {
		return v, nil
	}
	rest, ok := strings.CutPrefix(stored, gcmPrefix)
	if !ok {
		if p.legacyPlain {
			return stored, nil
		}
		return "", errors.New("stored secret has an unknown form")
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("stored secret is malformed")
	}
	if !s.Encrypts() {
		return "", fmt.Errorf("%w (key %s; none configured)", ErrWrongKey, id)
	}
	if id != s.id {
		return "", fmt.Errorf("%w (key %s; configured key is %s)", ErrWrongKey, id, s.id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < s.aead.NonceSize() {
		return "", errors.New("stored secret is malformed")
	}
	pt, err := s.aead.Open(nil, ct[:s.aead.NonceSize()], ct[s.aead.NonceSize():], []byte(p.aad))
	if err != nil {
		return "", fmt.Errorf("stored secret does not decrypt: %w", err)
	}
	return string(pt), nil
}

// IsSealedWith reports whether a stored secret is encrypted with this
// sealer's key (so re-sealing can skip it).
func (s *Sealer) IsSealedWith(stored string) bool {
	if !s.Encrypts() {
		return strings.HasPrefix(stored, plainPrefix)
	}
	return strings.HasPrefix(stored, gcmPrefix+s.id+":")
}
