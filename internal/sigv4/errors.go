package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes as AWS's JSON services spell them. The SDKs pick the exception
// type from this name (X-Amzn-ErrorType / __type), so they must match AWS's.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeAccessDenied               = "AccessDeniedException"
	CodeValidation                 = "ValidationException"
	CodeInternal                   = "InternalServerException"
)

var (
	// ErrUnknownKey is what a Lookup returns for an access key it does not
	// know; Verify answers UnrecognizedClientException for it.
	ErrUnknownKey = errors.New("sigv4: unknown access key")

	// ErrBodyHashMismatch is returned (wrapped) by the body of a verified
	// request when the bytes read up to EOF do not hash to the
	// X-Amz-Content-Sha256 that was signed.
	ErrBodyHashMismatch = errors.New("sigv4: request body does not match the signed x-amz-content-sha256")
)

// Error is a refusal in AWS's shape: Code and Message are meant for the
// client, Status is the HTTP status to answer with. The cause, if any, is for
// logs only and is reachable with errors.Is/As.
type Error struct {
	Code    string
	Status  int
	Message string
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

const invalidSignatureMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func missingToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Status: http.StatusForbidden, Message: "Missing Authentication Token"}
}

func incomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func invalidSignature(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidSignature, Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
}

// wrongRegion is AWS's refusal of a credential scoped to a region the
// endpoint does not serve, or to no valid region at all.
func wrongRegion(region string) *Error {
	return invalidSignature("Credential should be scoped to a valid region, not '%s'.", clip(region))
}

func accessDenied(msg string) *Error {
	return &Error{Code: CodeAccessDenied, Status: http.StatusForbidden, Message: msg}
}

func unrecognizedClient() *Error {
	return &Error{Code: CodeUnrecognizedClient, Status: http.StatusForbidden, Message: "The security token included in the request is invalid."}
}

func internal(msg string, cause error) *Error {
	return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Message: msg, cause: cause}
}

// clip makes client-supplied text safe to echo in a message: AWS quotes the
// offending value back, but it must stay short and printable.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
