package endpoint

import (
	"encoding/base64"
	"testing"
)

func TestCredential(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := map[string]string{
		"":                      "",
		"Bearer tok":            "tok",
		"bearer  tok ":          "tok",
		basic("aws:tok"):        "tok",
		basic("aws:to:k"):       "to:k",
		basic("nocolon"):        "",
		"Basic !!!":             "",
		"Digest x":              "",
		"AWS4-HMAC-SHA256 Cred": "",
	}
	for h, want := range tests {
		if got := Credential(h); got != want {
			t.Errorf("Credential(%q) = %q, want %q", h, got, want)
		}
	}
}
