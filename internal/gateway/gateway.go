// Package gateway is the player WebSocket gateway.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// Principal is who a token or a set of temporary credentials stands for.
type Principal struct {
	IdentityID string
	Expires    time.Time
}

// Authenticator checks the credentials a client upgrades with.
type Authenticator interface {
	VerifyToken(ctx context.Context, token string) (Principal, error)
	SessionCredentials(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credentials, Principal, error)
}

// Matchmaker is what the built-in actions call; *matchmaking.Service
// satisfies it.
type Matchmaker interface {
	StartMatchmaking(ctx context.Context, in matchmaking.StartInput) (matchmaking.Ticket, error)
	Tickets(ctx context.Context, ids []string) ([]matchmaking.Ticket, error)
	StopMatchmaking(ctx context.Context, id string) error
	AcceptMatch(ctx context.Context, ticketID string, playerIDs []string, acceptanceType string) error
}

// Config wires a Gateway.
type Config struct {
	Connections, PlayerConnections jetstream.KeyValue
	Conn                           *nats.Conn
	Leases                         *engine.Leases
	NodeID                         string
	Auth                           Authenticator
	Matchmaking                    Matchmaker
	Resume                         func(ctx context.Context, playerID string) ([]byte, bool)
	Routes                         map[string]string
	IdleTimeout                    time.Duration
	MaxDuration                    time.Duration
	MaxFrameBytes                  int
	MaxMessageBytes                int
	MessageRate                    float64
	MessageBurst                   int
	IntegrationTimeout             time.Duration
	HTTPClient                     *http.Client
	Registerer                     prometheus.Registerer
	Logger                         *slog.Logger
}

// ErrGone means the connection is not there.
var ErrGone = errors.New("gateway: connection is gone")

// Gateway is the player WebSocket gateway of one node.
type Gateway struct {
	cfg Config
}

// New returns a Gateway.
func New(cfg Config) (*Gateway, error) { return &Gateway{cfg: cfg}, nil }

// Run serves the node's subject and sweeps; it returns when ctx ends.
func (g *Gateway) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// ServeHTTP upgrades /ws.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// ConnectionsHandler serves the @connections API.
func (g *Gateway) ConnectionsHandler(credentials func(accessKeyID string) (sigv4.Credentials, bool), insecure bool) http.Handler {
	return http.NotFoundHandler()
}

// PushToPlayer sends frame to every connection of the player.
func (g *Gateway) PushToPlayer(ctx context.Context, playerID string, frame []byte) error { return nil }

// Send sends data to one connection.
func (g *Gateway) Send(ctx context.Context, connectionID string, data []byte) error { return ErrGone }

// Shutdown closes every socket.
func (g *Gateway) Shutdown(ctx context.Context) error { return nil }
