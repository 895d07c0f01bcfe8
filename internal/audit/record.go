// Package audit keeps Wharf's audit trail: one CloudTrail-shaped record
// per control-plane call and per package-manager write or delete. A call
// that changes something has its record written in the same metadata
// transaction as the change (Trail.Store wraps the store the service
// writes through, the one place write transactions are opened), so a
// crash never leaves one without the other; a call that changes nothing
// (a read, a denied or failed call) is recorded afterwards in a small
// transaction of its own, batched with others.
//
// Records never hold secrets: no signature, token or secret key reaches
// them, request parameters are the operation's decoded input (asset
// bytes are the request body, which is never part of it), and response
// elements are always null.
package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/service"
)

// Record is one audit event, shaped as a CloudTrail record.
type Record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       Identity        `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []Resource      `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
}

// Identity is CloudTrail's userIdentity.
type Identity struct {
	Type        string `json:"type"` // Root or IAMUser
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId"`
	UserName    string `json:"userName,omitempty"`
}

// Resource is one entry of a record's resources.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// eventSource is CodeArtifact's, which tools reading CloudTrail filter on.
const eventSource = "codeartifact.amazonaws.com"

// eventVersion is the CloudTrail record version the shape follows.
const eventVersion = "1.09"

// identityOf is a caller's userIdentity. IAM users have no unique id in
// Wharf, so their principalId is derived from their ARN in the form
// CloudTrail's take (AIDA and 17 characters), stable across restarts.
func identityOf(c service.Caller) (Identity, string) {
	id := Identity{ARN: c.ARN, AccountID: c.Account, AccessKeyID: c.AccessKeyID}
	if name, ok := strings.CutPrefix(c.ARN, "arn:aws:iam::"+c.Account+":user/"); ok {
		sum := sha256.Sum256([]byte(c.ARN))
		id.Type, id.UserName = "IAMUser", name
		id.PrincipalID = "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
		return id, name
	}
	id.Type, id.PrincipalID = "Root", c.Account
	return id, "root"
}

// resourceOf describes an ARN as a record's resource.
func resourceOf(arn string) Resource {
	r := Resource{ARN: arn}
	// arn:aws:codeartifact:REGION:ACCOUNT:KIND/...
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		r.AccountID = parts[4]
		kind, _, _ := strings.Cut(parts[5], "/")
		switch kind {
		case "domain":
			r.Type = "AWS::CodeArtifact::Domain"
		case "repository":
			r.Type = "AWS::CodeArtifact::Repository"
		case "package":
			r.Type = "AWS::CodeArtifact::Package"
		case "package-group":
			r.Type = "AWS::CodeArtifact::PackageGroup"
		default:
			r.Type = "AWS::CodeArtifact::" + kind
		}
	}
	return r
}

// readOnlyOperation reports whether a control-plane operation or IAM
// action only reads.
func readOnlyOperation(name string) bool {
	for _, p := range []string{"Describe", "List", "Get", "ReadFrom"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// NewID is a random UUID (version 4), for event and request ids.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// eventTime is CloudTrail's time format: UTC, whole seconds.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
