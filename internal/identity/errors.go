package identity

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrExpired means the token or credentials have expired.
	ErrExpired = errors.New("identity: token expired")
	// ErrInvalidToken means the token is not one rallypoint signed and
	// still vouches for: a bad signature, an unknown kid, the wrong
	// audience, issuer or type, alg none, or malformed.
	ErrInvalidToken = errors.New("identity: invalid token")
)

// The error shapes of the Cognito identity API, as its clients decode them
// from __type.
const (
	CodeNotAuthorized                  = "NotAuthorizedException"
	CodeResourceNotFound               = "ResourceNotFoundException"
	CodeInvalidParameter               = "InvalidParameterException"
	CodeResourceConflict               = "ResourceConflictException"
	CodeLimitExceeded                  = "LimitExceededException"
	CodeTooManyRequests                = "TooManyRequestsException"
	CodeInternalError                  = "InternalErrorException"
	CodeDeveloperUserAlreadyRegistered = "DeveloperUserAlreadyRegisteredException"
	CodeExternalService                = "ExternalServiceException"
	// Protocol-level shapes, not modeled by Cognito: the SDKs surface them
	// as generic API errors.
	codeUnknownOperation      = "UnknownOperationException"
	codeRequestEntityTooLarge = "RequestEntityTooLargeException"
	codeMethodNotAllowed      = "MethodNotAllowedException"
)

// Error is a Cognito identity error: the shape name clients read from
// __type and a message for people. Every error the Go API returns for a
// caller's mistake is an *Error; anything else is internal.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParameter(format string, args ...any) *Error {
	return newError(CodeInvalidParameter, format, args...)
}

func notAuthorized(format string, args ...any) *Error {
	return newError(CodeNotAuthorized, format, args...)
}

// httpStatus is the status Cognito answers each shape with (the
// Cognito identity API reference lists them per error).
func httpStatus(code string) int {
	switch code {
	case CodeNotAuthorized:
		return http.StatusForbidden
	case CodeResourceNotFound:
		return http.StatusNotFound
	case CodeResourceConflict:
		return http.StatusConflict
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeInternalError:
		return http.StatusInternalServerError
	case codeRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusBadRequest
	}
}

// asError converts what an operation returned into the error sent: the
// one place where this package's errors meet the wire. Errors that are not
// *Error (nor the token errors, nor a SigV4 failure) are internal.
func asError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	switch {
	case errors.Is(err, ErrExpired):
		return notAuthorized("Invalid login token. Token expired."), false
	case errors.Is(err, ErrInvalidToken):
		return notAuthorized("Invalid login token."), false
	}
	return &Error{Code: CodeInternalError, Message: "The service encountered an internal error; the request may be retried."}, true
}
