package model

import (
	"net/url"
	"strings"
)

// ARNs as CodeArtifact forms them. A package without a namespace leaves
// its segment empty ("npm//left-pad").

func DomainARN(region, owner, domain string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":domain/" + domain
}

func RepositoryARN(region, owner, domain, repo string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":repository/" + domain + "/" + repo
}

func PackageARN(region, owner, domain, repo string, k PackageKey) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package/" + domain + "/" + repo + "/" +
		string(k.Format) + "/" + k.Namespace + "/" + k.Name
}

func PackageGroupARN(region, owner, domain, pattern string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package-group/" + domain + "/" + url.PathEscape(pattern)
}

// ARN is a parsed CodeArtifact resource ARN.
type ARN struct {
	Region     string
	Account    string
	Type       string // domain, repository, package, package-group
	Domain     string
	Repository string
	Package    PackageKey
}

// ParseARN parses a CodeArtifact domain, repository or package ARN.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "codeartifact" {
		return ARN{}, false
	}
	a := ARN{Region: parts[3], Account: parts[4]}
	typ, rest, ok := strings.Cut(parts[5], "/")
	if !ok {
		return ARN{}, false
	}
	a.Type = typ
	segs := strings.Split(rest, "/")
	switch typ {
	case "domain":
		if len(segs) != 1 || segs[0] == "" {
			return ARN{}, false
		}
		a.Domain = segs[0]
	case "repository":
		if len(segs) != 2 || segs[0] == "" || segs[1] == "" {
			return ARN{}, false
		}
		a.Domain, a.Repository = segs[0], segs[1]
	case "package":
		if len(segs) != 5 || segs[0] == "" || segs[1] == "" || segs[4] == "" {
			return ARN{}, false
		}
		a.Domain, a.Repository = segs[0], segs[1]
		a.Package = PackageKey{Format: Format(segs[2]), Namespace: segs[3], Name: segs[4]}
	default:
		return ARN{}, false
	}
	return a, true
}
