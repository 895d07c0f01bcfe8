package ruby

import (
	"fmt"
	"testing"
)

// TestParsePlatform compares with Gem::Platform.new(s) of RubyGems 3.3.15
// on this machine: ruby -e 'p Gem::Platform.new(s).to_a, .to_s'.
func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in, cpu, os, version, str string
	}{
		{"x86_64-linux", "x86_64", "linux", "nil", "x86_64-linux"},
		{"i686-linux", "x86", "linux", "nil", "x86-linux"},
		{"x86-mingw32", "x86", "mingw32", "nil", "x86-mingw32"},
		{"x64-mingw-ucrt", "x64", "mingw", "ucrt", "x64-mingw-ucrt"},
		{"x64-mingw32", "x64", "mingw32", "nil", "x64-mingw32"},
		{"java", "nil", "java", "nil", "java"},
		{"jruby", "nil", "java", "nil", "java"},
		{"universal-java-1.8", "universal", "java", "1.8", "universal-java-1.8"},
		{"java1.5", "nil", "java", "1.5", "java-1.5"},
		{"x86_64-linux-musl", "x86_64", "linux", "musl", "x86_64-linux-musl"},
		{"aarch64-linux-gnu", "aarch64", "linux", "nil", "aarch64-linux"},
		{"arm-linux-gnueabihf", "arm", "linux", "nil", "arm-linux"},
		{"arm64-darwin", "arm64", "darwin", "nil", "arm64-darwin"},
		{"arm64-darwin-21", "arm64", "darwin", "21", "arm64-darwin-21"},
		{"universal-darwin-19", "universal", "darwin", "19", "universal-darwin-19"},
		{"x86_64-darwin19", "x86_64", "darwin", "19", "x86_64-darwin-19"},
		{"i386-mswin32", "x86", "mswin32", "nil", "x86-mswin32"},
		{"mswin32", "x86", "mswin32", "nil", "x86-mswin32"},
		{"i386-mswin32_80", "x86", "mswin32", "80", "x86-mswin32-80"},
		{"x86-mswin32-60", "x86", "mswin32", "60", "x86-mswin32-60"},
		{"sparc-solaris2.8", "sparc", "solaris", "2.8", "sparc-solaris-2.8"},
		{"x86_64-freebsd-12", "x86_64", "freebsd", "12", "x86_64-freebsd-12"},
		{"x86_64-openbsd", "x86_64", "openbsd", "nil", "x86_64-openbsd"},
		{"universal-dotnet", "universal", "dotnet", "nil", "universal-dotnet"},
		{"dotnet2.0", "nil", "dotnet", "2.0", "dotnet-2.0"},
		{"powerpc-aix5.3", "powerpc", "aix", "5", "powerpc-aix-5"},
		{"x86_64-netbsdelf", "x86_64", "netbsdelf", "nil", "x86_64-netbsdelf"},
		{"x86-cygwin", "x86", "cygwin", "nil", "x86-cygwin"},
		{"wasm32-wasi", "wasm32", "unknown", "nil", "wasm32-unknown"},
		{"x86_64-linuxfoo", "x86_64", "linux", "foo", "x86_64-linux-foo"},
		{"x86_64-linux-gnux32", "x86_64", "linux", "nil", "x86_64-linux"},
		{"mingw-ucrt", "mingw", "unknown", "nil", "mingw-unknown"},
		{"abc_platform12", "nil", "abc_platform", "12", "abc_platform-12"},
		{"foo", "nil", "unknown", "nil", "unknown"},
	}
	show := func(o optString) string {
		if !o.ok {
			return "nil"
		}
		return o.s
	}
	for _, tt := range tests {
		if !validPlatform.MatchString(tt.in) {
			t.Errorf("%q: not a valid platform string", tt.in)
			continue
		}
		p := parsePlatform(tt.in)
		got := fmt.Sprint(show(p.cpu), " ", show(p.os), " ", show(p.version), " ", p.String())
		want := fmt.Sprint(tt.cpu, " ", tt.os, " ", tt.version, " ", tt.str)
		if got != want {
			t.Errorf("parsePlatform(%q) = %s, want %s", tt.in, got, want)
		}
	}
}
