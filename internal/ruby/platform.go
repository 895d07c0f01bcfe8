package ruby

import (
	"regexp"
	"strings"
)

// rubyPlatform is the platform of a gem that needs none: pure Ruby.
const rubyPlatform = "ruby"

// platform is a Gem::Platform: CPU, OS and OS version, each possibly nil
// in Ruby (absent here).
type platform struct {
	cpu, os, version optString
}

// optString is a string Ruby may hold as nil.
type optString struct {
	s  string
	ok bool
}

func some(s string) optString { return optString{s, true} }

func (o optString) value() any {
	if !o.ok {
		return nil
	}
	return o.s
}

// String is Gem::Platform#to_s: the parts that are not nil, joined by "-".
// It is the platform in the gem's file name.
func (p platform) String() string {
	var parts []string
	for _, o := range []optString{p.cpu, p.os, p.version} {
		if o.ok {
			parts = append(parts, o.s)
		}
	}
	return strings.Join(parts, "-")
}

// platformObject is the Gem::Platform object Marshal writes in a
// specification.
func platformObject(p platform) object {
	return object{Class: "Gem::Platform", Ivars: []ivar{{"@cpu", p.cpu.value()}, {"@os", p.os.value()}, {"@version", p.version.value()}}}
}

var (
	validPlatform = regexp.MustCompile(`^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*$`)
	hasDigit      = regexp.MustCompile(`\d`)
	intelCPU      = regexp.MustCompile(`i\d86`)
	numericOSVer  = regexp.MustCompile(`^\d+(\.\d+)?$`)
)

// osRule is one branch of Gem::Platform#initialize's case over the OS
// part, in its order: the first pattern that matches names the OS and
// which group, if any, is its version.
type osRule struct {
	re      *regexp.Regexp
	os      string // "" takes the OS from group 1
	version int    // group holding the version; 0: nil
}

var osRules = []osRule{
	{regexp.MustCompile(`aix(\d+)?`), "aix", 1},
	{regexp.MustCompile(`cygwin`), "cygwin", 0},
	{regexp.MustCompile(`darwin(\d+)?`), "darwin", 1},
	{regexp.MustCompile(`^macruby$`), "macruby", 0},
	{regexp.MustCompile(`freebsd(\d+)?`), "freebsd", 1},
	{regexp.MustCompile(`hpux(\d+)?`), "hpux", 1},
	{regexp.MustCompile(`^java$|^jruby$`), "java", 0},
	{regexp.MustCompile(`^java([\d.]*)`), "java", 1},
	{regexp.MustCompile(`^dalvik(\d+)?$`), "dalvik", 1},
	{regexp.MustCompile(`^dotnet$`), "dotnet", 0},
	{regexp.MustCompile(`^dotnet([\d.]*)`), "dotnet", 1},
	// linux-?((?!gnu)\w+)? needs a lookahead: linuxVersion.
	{regexp.MustCompile(`linux`), "linux", -1},
	{regexp.MustCompile(`mingw32`), "mingw32", 0},
	{regexp.MustCompile(`mingw-?(\w+)?`), "mingw", 1},
	{regexp.MustCompile(`(mswin\d+)(_(\d+))?`), "", 3},
	{regexp.MustCompile(`netbsdelf`), "netbsdelf", 0},
	{regexp.MustCompile(`openbsd(\d+\.\d+)?`), "openbsd", 1},
	{regexp.MustCompile(`bitrig(\d+\.\d+)?`), "bitrig", 1},
	{regexp.MustCompile(`solaris(\d+\.\d+)?`), "solaris", 1},
	{regexp.MustCompile(`^(\w+_platform)(\d+)?`), "", 2},
}

// parsePlatform is Gem::Platform.new(string) from RubyGems 3.3, which
// RubyGems and Bundler apply to a gem's platform: "i686-linux" becomes
// x86/linux, "x86_64-linux-musl" x86_64/linux/musl, "java" nil/java.
// The caller has checked the string with validPlatform and that it is not
// "ruby".
func parsePlatform(s string) platform {
	var p platform
	arch := strings.Split(s, "-")
	if len(arch) > 2 && !hasDigit.MatchString(arch[len(arch)-1]) {
		// Reassemble x86-linux-gnu.
		extra := arch[len(arch)-1]
		arch = arch[:len(arch)-1]
		arch[len(arch)-1] += "-" + extra
	}
	cpu := arch[0]
	arch = arch[1:]
	if intelCPU.MatchString(cpu) {
		p.cpu = some("x86")
	} else {
		p.cpu = some(cpu)
	}
	if len(arch) == 2 && numericOSVer.MatchString(arch[1]) {
		p.os, p.version = some(arch[0]), some(arch[1])
		return p
	}
	var os string
	if len(arch) == 0 {
		// Legacy "java": an OS alone.
		p.cpu, os = optString{}, cpu
	} else {
		os = arch[0]
	}
	for _, r := range osRules {
		m := r.re.FindStringSubmatchIndex(os)
		if m == nil {
			continue
		}
		group := func(i int) optString {
			if i <= 0 || m[2*i] < 0 {
				return optString{}
			}
			return some(os[m[2*i]:m[2*i+1]])
		}
		switch {
		case r.version < 0:
			p.os, p.version = some("linux"), linuxVersion(os[m[1]:])
		case r.os == "":
			p.os, p.version = group(1), group(r.version)
			if !p.cpu.ok && strings.HasSuffix(p.os.s, "32") && strings.HasPrefix(p.os.s, "mswin") {
				p.cpu = some("x86")
			}
		default:
			p.os, p.version = some(r.os), group(r.version)
		}
		return p
	}
	p.os = some("unknown")
	return p
}

// linuxVersion is the group of linux-?((?!gnu)\w+)? after "linux": the
// word that follows (past one optional "-"), unless it starts with "gnu".
func linuxVersion(after string) optString {
	after = strings.TrimPrefix(after, "-")
	n := 0
	for n < len(after) && isWordByte(after[n]) {
		n++
	}
	if n == 0 || strings.HasPrefix(after, "gnu") {
		return optString{}
	}
	return some(after[:n])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
