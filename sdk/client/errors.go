package client

import (
	"errors"
	"fmt"
)

// Error is an error the server answered a request with: the reply's
// error code (NotFoundException, InvalidRequestException,
// ConflictException, InternalServiceException, UnknownAction,
// IntegrationFailure, or a sign-in error of the identity pool such as
// NotAuthorizedException) and its message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Error codes of the socket's replies.
const (
	CodeInvalidRequest     = "InvalidRequestException"
	CodeNotFound           = "NotFoundException"
	CodeConflict           = "ConflictException"
	CodeInternal           = "InternalServiceException"
	CodeUnknownAction      = "UnknownAction"
	CodeIntegrationFailure = "IntegrationFailure"
)

var (
	// ErrClosed is returned by the requests of a Conn that was closed, or
	// that gave up because its identity could not be renewed (Err says
	// why).
	ErrClosed = errors.New("client: connection closed")
	// ErrConnectionLost is returned, wrapped, by a request whose socket
	// dropped before its reply came. The Conn reconnects by itself; the
	// request may or may not have been carried out, and may be retried
	// (IsRetryable).
	ErrConnectionLost = errors.New("client: the socket dropped before the reply came")
)

// IsRetryable reports whether a request that failed with err may succeed
// if sent again: its socket dropped (ErrConnectionLost), or the server
// asked for a retry (ConflictException, InternalServiceException).
func IsRetryable(err error) bool {
	if errors.Is(err, ErrConnectionLost) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && (e.Code == CodeConflict || e.Code == CodeInternal)
}
