package model

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckCrateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"serde", true},
		{"serde_json", true},
		{"Foo-Bar", true},
		{"a", true},
		{"x86", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"1password", false},
		{"_private", false},
		{"-dash", false},
		{"with space", false},
		{"dotted.name", false},
		{"caf\u00e9", false},
		{"nul", false},
		{"Com1", false},
		{"lpt9", false},
		{"con-sole", true},
	}
	for _, tt := range tests {
		err := CheckCrateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("CheckCrateName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrValidation) {
			t.Errorf("CheckCrateName(%q) = %v, not an invalid-parameter error", tt.name, err)
		}
	}
}

func TestCargoNames(t *testing.T) {
	if got := NormalizeName(FormatCargo, "Foo-Bar_baz"); got != "foo-bar_baz" {
		t.Errorf("NormalizeName = %q", got)
	}
	// Only ASCII letters fold: Cargo lowercases index paths that way.
	if got := NormalizeName(FormatCargo, "K\u212a"); got != "k\u212a" {
		t.Errorf("NormalizeName of a Kelvin sign = %q", got)
	}
	collisions := []struct {
		existing, name string
		want           bool
	}{
		{"Foo-Bar", "foo_bar", true},
		{"foo-bar", "foo_bar", true},
		{"foo_bar", "FOO_BAR", true},
		{"foo-bar", "foo-bar", false}, // the same crate
		{"foo-bar", "foo-baz", false},
		{"foobar", "foo-bar", false},
	}
	for _, c := range collisions {
		if got := NameCollision(FormatCargo, c.existing, c.name); got != c.want {
			t.Errorf("NameCollision(%q, %q) = %v, want %v", c.existing, c.name, got, c.want)
		}
	}
	if NameCollision(FormatNpm, "Foo", "foo") || NameCollision(FormatPyPI, "a-b", "a_b") {
		t.Error("only Cargo has collision rules")
	}
	prefixes := []struct {
		name, prefix string
		ok           bool
	}{
		{"Foo_Bar-x", "foo", true},
		{"serde-json", "serde", true},
		{"serde", "", false},
	}
	for _, p := range prefixes {
		if got, ok := CollisionPrefix(FormatCargo, p.name); got != p.prefix || ok != p.ok {
			t.Errorf("CollisionPrefix(%q) = %q, %v; want %q, %v", p.name, got, ok, p.prefix, p.ok)
		}
	}
	if _, ok := CollisionPrefix(FormatNpm, "a-b"); ok {
		t.Error("npm has no collision prefix")
	}
}
