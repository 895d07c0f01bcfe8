package swift

import (
	"strings"
)

// canonicalLocation reduces a source repository URL to what identifies
// the repository, as SwiftPM compares package locations: lowercase, no
// scheme, no user, an scp-style "host:path" read as "host/path", no
// trailing "/" or ".git". So https://github.com/mona/LinkedList,
// git@github.com:mona/LinkedList.git and
// ssh://git@github.com/mona/linkedlist/ are one repository.
func canonicalLocation(u string) string {
	s := strings.ToLower(strings.TrimSpace(u))
	scheme := false
	if i := strings.Index(s, "://"); i >= 0 {
		s, scheme = s[i+3:], true
	}
	host, path, _ := strings.Cut(s, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if !scheme {
		// git@host:owner/repo: the first ":" ends the host.
		if h, p, ok := strings.Cut(host, ":"); ok && !isPort(p) {
			host, path = h, p+"/"+path
		}
	}
	s = strings.TrimSuffix(host+"/"+path, "/")
	for {
		t := strings.TrimSuffix(strings.TrimSuffix(s, ".git"), "/")
		if t == s {
			return s
		}
		s = t
	}
}

// isPort reports whether s is a TCP port number (host:port, not an
// scp-style path).
func isPort(s string) bool {
	return s != "" && len(s) <= 5 && strings.TrimLeft(s, "0123456789") == ""
}
