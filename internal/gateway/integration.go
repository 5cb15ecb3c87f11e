package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// HTTP integrations: a route bound to a URL receives each message it takes
// as an HTTP POST of API Gateway's Lambda-proxy event for WebSocket APIs,
// so a studio's handler written for API Gateway reads it unchanged.

// integrationEvent is the POSTed event.
type integrationEvent struct {
	RequestContext        requestContext    `json:"requestContext"`
	Headers               map[string]string `json:"headers,omitempty"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	RouteKey         string        `json:"routeKey"`
	EventType        string        `json:"eventType"` // CONNECT, MESSAGE, DISCONNECT
	ConnectionID     string        `json:"connectionId"`
	IdentityID       string        `json:"identityId"`
	RequestID        string        `json:"requestId"`
	MessageID        string        `json:"messageId,omitempty"`
	MessageDirection string        `json:"messageDirection"`
	ConnectedAt      int64         `json:"connectedAt"`      // ms since the epoch
	RequestTimeEpoch int64         `json:"requestTimeEpoch"` // ms since the epoch
	SourceIP         string        `json:"sourceIp"`
	Identity         eventIdentity `json:"identity"`
}

// eventIdentity repeats the caller as API Gateway's requestContext.identity
// has it.
type eventIdentity struct {
	SourceIP          string `json:"sourceIp"`
	UserAgent         string `json:"userAgent,omitempty"`
	CognitoIdentityID string `json:"cognitoIdentityId"`
}

// credentialParams are the query parameters that carry credentials; they
// are not passed on to $connect.
var credentialParams = map[string]bool{
	"token": true, "X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true, "X-Amz-Expires": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Security-Token": true, "X-Amz-Signature": true,
}

// integrate POSTs an event to route's URL and returns the answer's status
// and body (at most MaxMessageBytes). upgrade is the upgrade request for
// CONNECT; body the message for MESSAGE.
func (g *Gateway) integrate(ctx context.Context, c *conn, route, eventType string, body []byte, upgrade *http.Request) (int, []byte, error) {
	url := g.cfg.Routes[route]
	now := time.Now()
	ev := integrationEvent{RequestContext: requestContext{
		RouteKey:         route,
		EventType:        eventType,
		ConnectionID:     c.id(),
		IdentityID:       c.rec.IdentityID,
		RequestID:        newConnectionID(),
		MessageDirection: "IN",
		ConnectedAt:      c.connectedAt.UnixMilli(),
		RequestTimeEpoch: now.UnixMilli(),
		SourceIP:         c.rec.SourceIP,
		Identity:         eventIdentity{SourceIP: c.rec.SourceIP, UserAgent: c.rec.UserAgent, CognitoIdentityID: c.rec.IdentityID},
	}}
	if eventType == "MESSAGE" {
		ev.RequestContext.MessageID = newConnectionID()
		s := string(body)
		ev.Body = &s
	}
	if upgrade != nil {
		ev.Headers = map[string]string{}
		for name, values := range upgrade.Header {
			switch strings.ToLower(name) {
			case "authorization", "sec-websocket-protocol", "cookie", "x-amz-security-token":
				continue
			}
			ev.Headers[name] = strings.Join(values, ",")
		}
		for name, values := range upgrade.URL.Query() {
			if !credentialParams[name] && len(values) > 0 {
				if ev.QueryStringParameters == nil {
					ev.QueryStringParameters = map[string]string{}
				}
				ev.QueryStringParameters[name] = values[0]
			}
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return 0, nil, fmt.Errorf("encode the %s event: %w", route, err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.IntegrationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, fmt.Errorf("the %s integration URL: %w", route, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.cfg.HTTPClient.Do(req)
	if err != nil {
		result := "error"
		if errors.Is(err, context.DeadlineExceeded) {
			result = "timeout"
			err = fmt.Errorf("no answer within %s", g.cfg.IntegrationTimeout)
		}
		g.metrics.integrations.WithLabelValues(route, result).Inc()
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, int64(g.cfg.MaxMessageBytes)+1))
	if err != nil {
		g.metrics.integrations.WithLabelValues(route, "error").Inc()
		return 0, nil, fmt.Errorf("read the answer: %w", err)
	}
	if len(answer) > g.cfg.MaxMessageBytes {
		g.metrics.integrations.WithLabelValues(route, "error").Inc()
		return 0, nil, fmt.Errorf("the answer is larger than %d bytes", g.cfg.MaxMessageBytes)
	}
	result := "ok"
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		result = "status"
	}
	g.metrics.integrations.WithLabelValues(route, result).Inc()
	return resp.StatusCode, answer, nil
}

// forward sends a message to its route's integration; a non-empty 2xx
// answer goes back to the client verbatim as one text frame.
func (g *Gateway) forward(c *conn, route string, f frame, m []byte) {
	status, answer, err := g.integrate(c.ctx, c, route, "MESSAGE", m, nil)
	switch {
	case c.ctx.Err() != nil:
		return // the socket closed meanwhile
	case err != nil:
		c.reply(errorReply(f.RequestID, codeIntegrationFailure, "the %s integration failed: %s", route, err))
	case status < 200 || status > 299:
		c.reply(errorReply(f.RequestID, codeIntegrationFailure, "the %s integration answered HTTP %d", route, status))
	case len(answer) == 0:
	case !utf8.Valid(answer):
		c.reply(errorReply(f.RequestID, codeIntegrationFailure, "the %s integration answered with a body that is not UTF-8 text", route))
	default:
		_ = c.send(answer)
	}
}
