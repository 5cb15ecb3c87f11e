package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The client frames: JSON objects whose "action" selects a route and
// whose optional "requestId" is echoed in the reply.

// Route keys with a meaning of their own, as API Gateway has them.
const (
	routeConnect    = "$connect"
	routeDisconnect = "$disconnect"
	routeDefault    = "$default"
)

// The built-in actions.
const (
	actionStart    = "startMatchmaking"
	actionStop     = "stopMatchmaking"
	actionAccept   = "acceptMatch"
	actionDescribe = "describeMatchmaking"
	actionPing     = "ping"
	actionLocate   = "describeLocations"
)

// Reply error codes of the gateway itself; the built-in actions' errors
// use GameLift's error shape names (InvalidRequestException, ...).
const (
	codeInvalidRequest     = "InvalidRequestException"
	codeNotFound           = "NotFoundException"
	codeConflict           = "ConflictException"
	codeInternal           = "InternalServiceException"
	codeUnknownAction      = "UnknownAction"
	codeIntegrationFailure = "IntegrationFailure"
)

// frame is what every client frame may carry.
type frame struct {
	Action    string
	RequestID json.RawMessage // as sent, to echo; nil when absent
}

// decodeFrame reads a client frame's action and requestId. The frame must
// be a JSON object; action, when present, a string. An error says what is
// wrong, naming the member.
func decodeFrame(b []byte) (frame, error) {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return frame{}, errors.New("the frame must be a JSON object")
	}
	var raw struct {
		Action    json.RawMessage `json:"action"`
		RequestID json.RawMessage `json:"requestId"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return frame{}, fmt.Errorf("the frame is not valid JSON: %s", jsonProblem(err))
	}
	f := frame{RequestID: raw.RequestID}
	if len(raw.RequestID) > 0 && !validRequestID(raw.RequestID) {
		return frame{}, errors.New("requestId must be a string of at most 128 characters or a number")
	}
	if len(raw.Action) > 0 && string(raw.Action) != "null" {
		if err := json.Unmarshal(raw.Action, &f.Action); err != nil {
			return frame{RequestID: f.RequestID}, errors.New("action must be a string")
		}
	}
	return f, nil
}

// validRequestID accepts a string of up to 128 characters, a number or
// null: what is safe to echo.
func validRequestID(raw json.RawMessage) bool {
	switch raw[0] {
	case '"':
		var s string
		return json.Unmarshal(raw, &s) == nil && utf8.RuneCountInString(s) <= 128
	case 'n':
		return string(raw) == "null"
	}
	var n json.Number
	return json.Unmarshal(raw, &n) == nil && len(raw) <= 64
}

// isBuiltin reports whether action is handled by the gateway itself.
func isBuiltin(action string) bool {
	switch action {
	case actionStart, actionStop, actionAccept, actionDescribe, actionPing, actionLocate:
		return true
	}
	return false
}

// selectRoute picks where a message goes, as API Gateway does with the
// selection expression $request.body.action: a built-in action first
// (routes cannot override them), then the route named by action, then
// $default. A frame that is not JSON, has no action, or names no route
// also goes to $default. The special routes $connect and $disconnect are
// never selected by a message. It returns "" when nothing takes the
// message.
func selectRoute(f frame, decodeErr error, routes map[string]string, builtins bool) (route string, builtin bool) {
	if decodeErr == nil && f.Action != "" {
		if builtins && isBuiltin(f.Action) {
			return f.Action, true
		}
		if !strings.HasPrefix(f.Action, "$") {
			if _, ok := routes[f.Action]; ok {
				return f.Action, false
			}
		}
	}
	if _, ok := routes[routeDefault]; ok {
		return routeDefault, false
	}
	return "", false
}

// reply is the server's answer to a client frame.
type reply struct {
	RequestID json.RawMessage `json:"requestId,omitempty"`
	OK        bool            `json:"ok"`
	Ticket    *wireTicket     `json:"ticket,omitempty"`
	Locations []wireLocation  `json:"locations,omitzero"`
	Error     *replyError     `json:"error,omitempty"`
}

type replyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorReply(requestID json.RawMessage, code, format string, args ...any) reply {
	return reply{RequestID: requestID, Error: &replyError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// jsonProblem says what a decoding error is about, naming the member when
// the decoder knows it.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return fmt.Sprintf("expected %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("%s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "ptr":
		return "a value of another type"
	}
	return "a number"
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }
