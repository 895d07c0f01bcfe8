package model

import (
	"errors"
	"fmt"
	"time"
)

// Kind is one of CodeArtifact's exception types. The string value is the
// wire name that the SDKs match on (X-Amzn-ErrorType and __type).
type Kind string

const (
	KindValidation    Kind = "ValidationException"
	KindAccessDenied  Kind = "AccessDeniedException"
	KindNotFound      Kind = "ResourceNotFoundException"
	KindConflict      Kind = "ConflictException"
	KindQuotaExceeded Kind = "ServiceQuotaExceededException"
	KindThrottling    Kind = "ThrottlingException"
	KindInternal      Kind = "InternalServerException"
)

// Status is the HTTP status code CodeArtifact uses for the kind.
func (k Kind) Status() int {
	switch k {
	case KindValidation:
		return 400
	case KindQuotaExceeded:
		return 402
	case KindAccessDenied:
		return 403
	case KindNotFound:
		return 404
	case KindConflict:
		return 409
	case KindThrottling:
		return 429
	default:
		return 500
	}
}

// Validation reasons (ValidationExceptionReason in the service model).
const (
	ReasonCannotParse      = "CANNOT_PARSE"
	ReasonFieldValidation  = "FIELD_VALIDATION_FAILED"
	ReasonUnknownOperation = "UNKNOWN_OPERATION"
	ReasonOther            = "OTHER"
)

// Resource types carried by NotFound, Conflict and QuotaExceeded errors.
const (
	ResourceDomain         = "domain"
	ResourceRepository     = "repository"
	ResourcePackage        = "package"
	ResourcePackageVersion = "package-version"
	ResourceAsset          = "asset"
)

// Error is a CodeArtifact exception. Every error that reaches a client in
// AWS's wire shape is one of these; anything else becomes InternalServer.
type Error struct {
	Kind         Kind
	Message      string
	Reason       string        // ValidationException only
	ResourceID   string        // NotFound, Conflict, QuotaExceeded
	ResourceType string        // NotFound, Conflict, QuotaExceeded
	RetryAfter   time.Duration // Throttling only
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Message }

// Is makes errors.Is(err, &Error{Kind: K}) match on kind alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Message == ""
}

// Sentinels for errors.Is checks on kind.
var (
	ErrValidation    = &Error{Kind: KindValidation}
	ErrAccessDenied  = &Error{Kind: KindAccessDenied}
	ErrNotFound      = &Error{Kind: KindNotFound}
	ErrConflict      = &Error{Kind: KindConflict}
	ErrQuotaExceeded = &Error{Kind: KindQuotaExceeded}
	ErrThrottling    = &Error{Kind: KindThrottling}
	ErrInternal      = &Error{Kind: KindInternal}
)

// AsError returns the *Error in err's chain, or an InternalServer error
// that hides err's text from the client.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Message: "An internal error occurred."}
}

func Validationf(format string, args ...any) *Error {
	return &Error{Kind: KindValidation, Reason: ReasonFieldValidation, Message: fmt.Sprintf(format, args...)}
}

// InvalidParameter reports a request that is well formed per field but
// contradicts itself or the service's rules (reason OTHER).
func InvalidParameter(format string, args ...any) *Error {
	return &Error{Kind: KindValidation, Reason: ReasonOther, Message: fmt.Sprintf(format, args...)}
}

func NotFound(resourceType, resourceID, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, ResourceType: resourceType, ResourceID: resourceID, Message: fmt.Sprintf(format, args...)}
}

func Conflict(resourceType, resourceID, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, ResourceType: resourceType, ResourceID: resourceID, Message: fmt.Sprintf(format, args...)}
}

func QuotaExceeded(resourceType, resourceID, format string, args ...any) *Error {
	return &Error{Kind: KindQuotaExceeded, ResourceType: resourceType, ResourceID: resourceID, Message: fmt.Sprintf(format, args...)}
}

func AccessDenied(format string, args ...any) *Error {
	return &Error{Kind: KindAccessDenied, Message: fmt.Sprintf(format, args...)}
}

func Throttled(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Kind: KindThrottling, RetryAfter: retryAfter, Message: fmt.Sprintf(format, args...)}
}
