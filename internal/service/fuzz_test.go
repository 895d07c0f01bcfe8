package service

import (
	"testing"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
)

// pageKinds are the listings that issue nextTokens.
var pageKinds = []string{"versions/", "versions/PUBLISHED_TIME", "assets", "packages", "domains", "repositories"}

// FuzzPageToken feeds arbitrary nextToken values, the one piece of
// request input the service decodes itself. decodeToken must never
// panic, must refuse with a ValidationException, must accept a token only
// for the listing that issued it, and must round-trip every cursor.
func FuzzPageToken(f *testing.F) {
	f.Add(uint8(0), "1.0.0", "")
	f.Add(uint8(1), "2026-11-27T10:00:00Z\x001.0", "eyJrIjoiYXNzZXRzIiwiYSI6IngifQ")
	f.Add(uint8(2), "../../wharf.db", "!!!")
	f.Add(uint8(3), "npm\x00types\x00node", "bnVsbA")
	f.Add(uint8(4), "", "W10")
	f.Fuzz(func(t *testing.T, k uint8, after, raw string) {
		kind := pageKinds[int(k)%len(pageKinds)]
		tok := encodeToken(kind, after)
		got, err := decodeToken(kind, tok)
		// Cursors are stored names, valid UTF-8 (model.CheckSafeName).
		if utf8.ValidString(after) && (err != nil || got != after) {
			t.Fatalf("decodeToken(%q, encodeToken(%q)) = %q, %v", kind, after, got, err)
		}
		other := pageKinds[(int(k)+1)%len(pageKinds)]
		if _, err := decodeToken(other, tok); err == nil {
			t.Fatalf("a %q token was accepted for %q", kind, other)
		}
		if _, err := decodeToken(kind, raw); err != nil && model.AsError(err).Kind != model.KindValidation {
			t.Fatalf("decodeToken(%q, %q): %v is not a ValidationException", kind, raw, err)
		}
	})
}
