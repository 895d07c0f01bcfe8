package apimodel

import (
	"fmt"

	"github.com/wharf-dev/wharf/internal/model"
)

// cannotParse reports input that could not be read as the model's type at
// all (malformed JSON, "abc" for an integer), as opposed to a well-typed
// value that breaks a constraint.
func cannotParse(format string, args ...any) *model.Error {
	return &model.Error{Kind: model.KindValidation, Reason: model.ReasonCannotParse, Message: fmt.Sprintf(format, args...)}
}

// unknownOperation reports a request that names no operation: AWS's
// ValidationExceptionReason has UNKNOWN_OPERATION for exactly this.
func unknownOperation(format string, args ...any) *model.Error {
	return &model.Error{Kind: model.KindValidation, Reason: model.ReasonUnknownOperation, Message: fmt.Sprintf(format, args...)}
}

func bodyTooLarge(limit int64) *model.Error {
	return model.InvalidParameter("Request body is larger than the limit of %d bytes", limit)
}
