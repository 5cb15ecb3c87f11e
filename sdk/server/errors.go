package server

import (
	"errors"
	"fmt"
)

// Error is the service's refusal of a request: the reply's StatusCode, the
// error type GameLift's SDKs map it to, and the reply's ErrorMessage.
//
// Check the kind with errors.Is and the sentinels ErrBadRequest,
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict,
// ErrTooManyRequests and ErrInternalService.
type Error struct {
	// Action is the request that was refused, such as "AcceptPlayerSession".
	Action string
	// Code is the reply's StatusCode, HTTP-style.
	Code int
	// Type is BadRequest, Unauthorized, Forbidden, NotFound, Conflict,
	// TooManyRequests or InternalService.
	Type string
	// Message is the service's ErrorMessage.
	Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	if e.Action == "" {
		return fmt.Sprintf("%s (%d): %s", e.Type, e.Code, msg)
	}
	return fmt.Sprintf("%s: %s (%d): %s", e.Action, e.Type, e.Code, msg)
}

// Is reports whether target is the sentinel of e's Type.
func (e *Error) Is(target error) bool {
	s, ok := errorTypes[e.Type]
	return ok && s == target
}

// Error types, as GameLift's SDKs name them.
const (
	TypeBadRequest      = "BadRequest"
	TypeUnauthorized    = "Unauthorized"
	TypeForbidden       = "Forbidden"
	TypeNotFound        = "NotFound"
	TypeConflict        = "Conflict"
	TypeTooManyRequests = "TooManyRequests"
	TypeInternalService = "InternalService"
)

// Sentinels for errors.Is on an *Error. ErrUnauthorized and ErrForbidden
// also match a connection the service refused.
var (
	ErrBadRequest      = errors.New("bad request")
	ErrUnauthorized    = errors.New("unauthorized")
	ErrForbidden       = errors.New("forbidden")
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrTooManyRequests = errors.New("too many requests")
	ErrInternalService = errors.New("internal service error")
)

var errorTypes = map[string]error{
	TypeBadRequest:      ErrBadRequest,
	TypeUnauthorized:    ErrUnauthorized,
	TypeForbidden:       ErrForbidden,
	TypeNotFound:        ErrNotFound,
	TypeConflict:        ErrConflict,
	TypeTooManyRequests: ErrTooManyRequests,
	TypeInternalService: ErrInternalService,
}

// errorType maps a reply's StatusCode to an error type the way GameLift's Go
// SDK does: the named 4xx codes, other 4xx as BadRequest, anything else
// (including a missing code) as InternalService.
func errorType(code int) string {
	switch code {
	case 400:
		return TypeBadRequest
	case 401:
		return TypeUnauthorized
	case 403:
		return TypeForbidden
	case 404:
		return TypeNotFound
	case 409:
		return TypeConflict
	case 429:
		return TypeTooManyRequests
	}
	if code >= 400 && code < 500 {
		return TypeBadRequest
	}
	return TypeInternalService
}

// Errors the SDK returns itself, wrapped with the call that failed.
var (
	// ErrInvalidParameter means an argument was refused before anything was
	// sent.
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrTimeout means no reply came within the call timeout, or no
	// connection was back within it. The request may or may not have taken
	// effect.
	ErrTimeout = errors.New("timed out")
	// ErrReplyLost means the connection dropped after the request was sent
	// and before its reply arrived: the request may or may not have taken
	// effect.
	ErrReplyLost = errors.New("connection lost before the reply arrived; the request may or may not have taken effect")
	// ErrClosedByService means the service closed the connection normally
	// (status 1000 or 1001): it is done with this process, and the Process
	// does not reconnect.
	ErrClosedByService = errors.New("the service closed the connection")
	// ErrDestroyed means Destroy was called.
	ErrDestroyed = errors.New("process destroyed")
	// ErrProcessNotReady means the call needs a successful ProcessReady first
	// (or came after ProcessEnding).
	ErrProcessNotReady = errors.New("process not ready: call ProcessReady first")
	// ErrAlreadyReady means ProcessReady already succeeded.
	ErrAlreadyReady = errors.New("ProcessReady already succeeded")
	// ErrNoGameSession means no game session was placed on this process yet.
	ErrNoGameSession = errors.New("no game session: none was started on this process")
	// ErrNoTerminationTime means the service has not asked the process to
	// terminate.
	ErrNoTerminationTime = errors.New("no termination time: the service has not asked this process to terminate")
	// ErrNotManagedFleet means fleet role credentials were asked for on a
	// fleet that has none (an Anywhere fleet).
	ErrNotManagedFleet = errors.New("fleet role credentials are only available on managed fleets")
	// ErrNotInitialized means a package-level function was called before
	// InitSDK or after Destroy.
	ErrNotInitialized = errors.New("server SDK not initialized: call InitSDK first")
	// ErrAlreadyInitialized means InitSDK was called twice without Destroy.
	ErrAlreadyInitialized = errors.New("server SDK already initialized")
	// ErrProtocol means the service sent a reply this package cannot use.
	ErrProtocol = errors.New("protocol error")
)
