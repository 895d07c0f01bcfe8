package model

import "strings"

// MaxCrateName is crates.io's bound on a crate name's length.
const MaxCrateName = 64

// windowsReserved are the device names Windows will not create files
// under, whatever the extension: a crate so named could not be unpacked
// or cached there (the Cargo book asks registries to refuse them).
var windowsReserved = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// CheckCrateName applies crates.io's rules for the name of a crate
// published here (the Cargo book's "Index files" section): 1 to 64
// ASCII letters, digits, '-' and '_', starting with a letter, and not a
// Windows device name.
func CheckCrateName(name string) error {
	if name == "" || len(name) > MaxCrateName {
		return InvalidParameter("Invalid crate name %q: a crate name has 1 to %d characters.", name, MaxCrateName)
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return InvalidParameter("Invalid crate name %q: the first character must be an ASCII letter.", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return InvalidParameter("Invalid crate name %q: only ASCII letters, digits, '-' and '_' are allowed.", name)
		}
	}
	if windowsReserved[asciiLower(name)] {
		return InvalidParameter("Invalid crate name %q: it is a reserved Windows file name.", name)
	}
	return nil
}

// crateIdentity is the form in which crates.io compares crate names:
// ASCII case ignored and '_' read as '-'.
func crateIdentity(name string) string { return strings.ReplaceAll(asciiLower(name), "_", "-") }

// NameCollision reports whether publishing a package of format f
// spelled name must be refused because a package spelled existing is
// there: for Cargo, two names that differ only in ASCII case or in '-'
// against '_' (crates.io's rule, so that no crate can pass for another).
// The same spelling never collides; other formats have no such rule.
func NameCollision(f Format, existing, name string) bool {
	return HasNameCollisions(f) && existing != name && crateIdentity(existing) == crateIdentity(name)
}

// HasNameCollisions reports whether format f has collision rules (see
// NameCollision), so that a package keeps the spelling its first version
// gave it.
func HasNameCollisions(f Format) bool { return f == FormatCargo }

// CollisionPrefix returns, for a format with collision rules, the prefix
// of the stored (normalized) name that every other package colliding
// with name shares: for Cargo, what comes before the first '-' or '_'.
// ok is false when no package but the one stored under name itself can
// collide (no such rule, or a crate name without '-' or '_', whose case
// variants all share its stored name).
func CollisionPrefix(f Format, name string) (prefix string, ok bool) {
	if !HasNameCollisions(f) {
		return "", false
	}
	n := NormalizeName(f, name)
	i := strings.IndexAny(n, "-_")
	if i < 0 {
		return "", false
	}
	return n[:i], true
}
