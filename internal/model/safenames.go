package model

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The service model's patterns for names ([^#/\s]+ for packages,
// namespaces and versions; \P{C}+ for assets) are Java regular expressions
// over Java strings: they never see invalid UTF-8, and they let through
// NUL, ".." and, for assets, "/". Each of those becomes a path segment
// somewhere (a repository-endpoint URL, a client's cache directory, a
// file name inside an archive), so they are refused before anything is
// stored.

// CheckSafeName refuses a package, namespace or version name (member is
// its wire name, as in validation messages) that is not valid UTF-8,
// holds a control character, or is "." or "..".
func CheckSafeName(member, value string) error {
	if !utf8.ValidString(value) {
		return Validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be valid UTF-8", member)
	}
	if strings.IndexFunc(value, unicode.IsControl) >= 0 {
		return Validationf("1 validation error detected: Value %q at '%s' failed to satisfy constraint: Member must not contain control characters", value, member)
	}
	if value == "." || value == ".." {
		return Validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must not be '.' or '..'", value, member)
	}
	return nil
}

// genericAssetPunct is the punctuation CodeArtifact allows in generic
// asset names besides letters, digits and single inner spaces.
const genericAssetPunct = "~!@^&()-`_+[]{};,."

// CheckAssetName refuses an asset name that is unsafe for any format
// (see CheckSafeName, plus "/" and "\") and, for generic packages, one
// outside CodeArtifact's documented rule: Unicode letters (Ll, Lm, Lo,
// Lt, Lu), Nl and Nd, the characters ~!@^&()-`_+[]{};,. and single spaces
// that neither start nor end the name.
func CheckAssetName(f Format, name string) error {
	if err := CheckSafeName("assetName", name); err != nil {
		return err
	}
	if strings.ContainsAny(name, `/\`) {
		return Validationf("1 validation error detected: Value '%s' at 'assetName' failed to satisfy constraint: Member must not contain '/' or '\\'", name)
	}
	if f != FormatGeneric {
		return nil
	}
	bad := func(why string) error {
		return Validationf("1 validation error detected: Value '%s' at 'assetName' failed to satisfy constraint: %s", name, why)
	}
	if strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") || strings.Contains(name, "  ") {
		return bad("Member must not start or end with a space or contain consecutive spaces")
	}
	for _, r := range name {
		ok := r == ' ' || strings.ContainsRune(genericAssetPunct, r) ||
			unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.Lt, unicode.Lu, unicode.Nl, unicode.Nd)
		if !ok {
			return bad("Member must contain only letters, digits, spaces and ~!@^&()-`_+[]{};,.")
		}
	}
	return nil
}
