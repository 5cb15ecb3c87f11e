package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// The @connections management API, as API Gateway serves it to backends:
// POST sends a frame, GET describes, DELETE closes. Requests are SigV4
// signed for the service execute-api with the operator's access keys.

// ConnectionsHandler serves POST, GET and DELETE on /@connections/{id}
// (also under a stage prefix, /<stage>/@connections/{id}, as clients
// configured with API Gateway's stage URL send it). credentials looks up
// an access key; insecure accepts unsigned requests (signed ones are
// still checked).
func (g *Gateway) ConnectionsHandler(credentials func(accessKeyID string) (sigv4.Credentials, bool), insecure bool) http.Handler {
	lookup := credentials
	if lookup == nil {
		lookup = func(string) (sigv4.Credentials, bool) { return sigv4.Credentials{}, false }
	}
	v := &sigv4.Verifier{Service: "execute-api", Lookup: lookup}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := connectionPath(r.URL)
		if !ok {
			writeJSONError(w, http.StatusNotFound, "NotFoundException", "Not Found: the path must be /@connections/{connectionId}")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(g.cfg.MaxMessageBytes)+1))
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "BadRequestException", "could not read the request body")
			return
		}
		signed := r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != ""
		if signed || !insecure {
			if _, err := v.Verify(r, body); err != nil {
				writeJSONError(w, http.StatusForbidden, "ForbiddenException", sigv4Message(err))
				return
			}
		}
		switch r.Method {
		case http.MethodPost:
			if len(body) > g.cfg.MaxMessageBytes {
				writeJSONError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", fmt.Sprintf("Message too long: the data may be at most %d bytes", g.cfg.MaxMessageBytes))
				return
			}
			if err := g.Send(r.Context(), id, body); err != nil {
				g.writeConnectionError(w, id, err)
				return
			}
			w.WriteHeader(http.StatusOK)
		case http.MethodGet:
			c, err := g.Describe(r.Context(), id)
			if err != nil {
				g.writeConnectionError(w, id, err)
				return
			}
			out, _ := json.Marshal(getConnectionOutput{
				ConnectedAt:  formatTime(c.ConnectedAt),
				Identity:     connectionIdentity{SourceIP: c.SourceIP, UserAgent: c.UserAgent, CognitoIdentityID: c.IdentityID},
				LastActiveAt: formatTime(c.LastActiveAt),
			})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
		case http.MethodDelete:
			if err := g.Disconnect(r.Context(), id); err != nil {
				g.writeConnectionError(w, id, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "POST, GET, DELETE")
			writeJSONError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "@connections takes POST, GET and DELETE")
		}
	})
}

// getConnectionOutput is GetConnection's answer (member names as in the
// apigatewaymanagementapi model; cognitoIdentityId is an addition).
type getConnectionOutput struct {
	ConnectedAt  string             `json:"connectedAt"`
	Identity     connectionIdentity `json:"identity"`
	LastActiveAt string             `json:"lastActiveAt"`
}

type connectionIdentity struct {
	SourceIP          string `json:"sourceIp"`
	UserAgent         string `json:"userAgent"`
	CognitoIdentityID string `json:"cognitoIdentityId,omitempty"`
}

func (g *Gateway) writeConnectionError(w http.ResponseWriter, id string, err error) {
	switch {
	case errors.Is(err, ErrGone):
		writeJSONError(w, http.StatusGone, "GoneException", "connection "+truncate(id, 64)+" is gone")
	case errors.Is(err, ErrLimitExceeded):
		writeJSONError(w, http.StatusTooManyRequests, "LimitExceededException", "the client is not reading fast enough; its connection is closed")
	default:
		g.log.Error("@connections request failed", "connection", id, "error", err)
		writeJSONError(w, http.StatusInternalServerError, "InternalServerErrorException", "internal error")
	}
}

// connectionPath finds the connection id in /@connections/{id} or
// /<stage>/@connections/{id}.
func connectionPath(u *url.URL) (string, bool) {
	p := u.Path
	i := strings.Index(p, "/@connections/")
	if i < 0 {
		return "", false
	}
	if prefix := p[:i]; prefix != "" && strings.Count(prefix, "/") != 1 {
		return "", false
	}
	id := p[i+len("/@connections/"):]
	if id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}
