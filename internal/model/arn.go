package model

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
)

// ARNs as CodeArtifact forms them. A package without a namespace leaves
// its segment empty ("npm//left-pad").

func DomainARN(region, owner, domain string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":domain/" + domain
}

// KeyARN is the KMS key ARN a domain reports as its encryptionKey: the
// key it was created with, or else the managed key CodeArtifact would
// report. The managed key's id is derived from what identifies the domain
// for good (owner, name, creation time), so every replica and every
// restart report the same ARN, and a domain created again under the same
// name gets another.
func (d *Domain) KeyARN(region string) string {
	if d.EncryptionKey != "" {
		return d.EncryptionKey
	}
	h := sha256.Sum256([]byte(d.Owner + "/" + d.Name + "/" + strconv.FormatInt(d.CreatedTime.UnixNano(), 10)))
	// A UUID as KMS key ids are, marked as RFC 9562 version 8 (custom).
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	id := hex.EncodeToString(h[:16])
	return "arn:aws:kms:" + region + ":" + d.Owner + ":key/" + id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

// AssetBucketARN is the s3BucketArn DescribeDomain reports, shaped as
// CodeArtifact's asset bucket ("arn:aws:s3:::assets-ACCOUNT-REGION").
func AssetBucketARN(region, owner string) string {
	return "arn:aws:s3:::assets-" + owner + "-" + region
}

func RepositoryARN(region, owner, domain, repo string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":repository/" + domain + "/" + repo
}

func PackageARN(region, owner, domain, repo string, k PackageKey) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package/" + domain + "/" + repo + "/" +
		string(k.Format) + "/" + k.Namespace + "/" + k.Name
}

// PackageGroupARN names a group the way CodeArtifact does: the pattern
// without its leading "/", its slashes kept and every other reserved
// character percent-encoded in lowercase hex ("/npm/*" becomes
// "package-group/DOMAIN/npm/%2a"; AWS's CloudFormation provider decodes
// exactly that).
func PackageGroupARN(region, owner, domain, pattern string) string {
	return "arn:aws:codeartifact:" + region + ":" + owner + ":package-group/" + domain + "/" + escapePattern(strings.TrimPrefix(pattern, "/"))
}

func escapePattern(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ARN is a parsed CodeArtifact resource ARN.
type ARN struct {
	Region     string
	Account    string
	Type       string // domain, repository, package, package-group
	Domain     string
	Repository string
	Package    PackageKey
	// PackageGroup is a package-group ARN's pattern, decoded, with its
	// leading "/".
	PackageGroup string
}

// ParseARN parses a CodeArtifact domain, repository, package or
// package-group ARN.
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
	if typ == "package-group" {
		domain, enc, ok := strings.Cut(rest, "/")
		pattern, err := url.PathUnescape(enc)
		if !ok || domain == "" || enc == "" || err != nil {
			return ARN{}, false
		}
		a.Domain, a.PackageGroup = domain, "/"+pattern
		return a, true
	}
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
