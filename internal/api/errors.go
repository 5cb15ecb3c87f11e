package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// Error is a GameLift error response: the HTTP status, the error shape name
// that clients read from __type, and a message for people.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// GameLift's error shapes (and the protocol-level ones every AWS JSON
// service uses).
const (
	CodeInvalidRequest              = "InvalidRequestException"
	CodeNotFound                    = "NotFoundException"
	CodeConflict                    = "ConflictException"
	CodeInvalidFleetStatus          = "InvalidFleetStatusException"
	CodeNotReady                    = "NotReadyException"
	CodeLimitExceeded               = "LimitExceededException"
	CodeTerminalRoutingStrategy     = "TerminalRoutingStrategyException"
	CodeFleetCapacityExceeded       = "FleetCapacityExceededException"
	CodeGameSessionFull             = "GameSessionFullException"
	CodeInvalidGameSessionStatus    = "InvalidGameSessionStatusException"
	CodeIdempotentParameterMismatch = "IdempotentParameterMismatchException"
	CodeInternalService             = "InternalServiceException"
	CodeUnknownOperation            = "UnknownOperationException"
	CodeRequestEntityTooLarge       = "RequestEntityTooLargeException"
	CodeMethodNotAllowed            = "MethodNotAllowedException"
)

func invalidRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

// domainCodes maps each domain package's error kinds to GameLift error
// shapes: the one place where domain errors meet this protocol.
var domainCodes = []struct {
	kind error
	code string
}{
	{fleet.ErrNotFound, CodeNotFound},
	{fleet.ErrConflict, CodeConflict},
	{fleet.ErrInvalidRequest, CodeInvalidRequest},
	{fleet.ErrInvalidFleetStatus, CodeInvalidFleetStatus},
	{fleet.ErrNotReady, CodeNotReady},
	{fleet.ErrLimitExceeded, CodeLimitExceeded},
	{fleet.ErrTerminalRoutingStrategy, CodeTerminalRoutingStrategy},
	{fleet.ErrFleetCapacityExceeded, CodeFleetCapacityExceeded},
	{fleet.ErrGameSessionFull, CodeGameSessionFull},
	{fleet.ErrInvalidGameSessionStatus, CodeInvalidGameSessionStatus},
	{fleet.ErrIdempotentParameterMismatch, CodeIdempotentParameterMismatch},
	// ErrForbidden guards the server SDK's calls (a process acting on
	// another's game session); no control-plane call should meet it, but
	// if one does, it is the caller's request that was wrong.
	{fleet.ErrForbidden, CodeInvalidRequest},
	{placement.ErrNotFound, CodeNotFound},
	{placement.ErrInvalidRequest, CodeInvalidRequest},
	{placement.ErrConflict, CodeConflict},
	{events.ErrNotFound, CodeNotFound},
	{events.ErrInvalidRequest, CodeInvalidRequest},
	{events.ErrConflict, CodeConflict},
	{matchmaking.ErrNotFound, CodeNotFound},
	{matchmaking.ErrInvalidRequest, CodeInvalidRequest},
	{matchmaking.ErrConflict, CodeConflict},
}

// toError converts whatever a handler returned into the error response.
// Errors that are not domain errors are internal: their detail is logged,
// not sent.
func toError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	if se, ok := sigv4.AsError(err); ok {
		return &Error{Status: http.StatusForbidden, Type: se.Code, Message: se.Message}, false
	}
	for _, m := range domainCodes {
		if errors.Is(err, m.kind) {
			return &Error{Status: http.StatusBadRequest, Type: m.code, Message: err.Error()}, false
		}
	}
	return &Error{Status: http.StatusInternalServerError, Type: CodeInternalService, Message: "The service encountered an internal error; the request may be retried."}, true
}

// errorBody is the wire shape of an error in both protocols. The message
// goes out twice: clients read the protocol-level "message" to describe an
// error they have no type for, but the AWS SDKs fill a modeled error's
// Message member (types.InvalidRequestException.Message, ...) from the
// shape's own member name, "Message".
type errorBody struct {
	Type          string `json:"__type" cbor:"__type"`
	Message       string `json:"message" cbor:"message"`
	MemberMessage string `json:"Message" cbor:"Message"`
}
