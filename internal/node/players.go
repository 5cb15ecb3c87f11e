package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/gateway"
	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// cognitoTargetPrefix starts the X-Amz-Target of Cognito identity calls,
// which share the admin listener's POST / with GameLift's JSON protocol.
const cognitoTargetPrefix = "AWSCognitoIdentityService."

// startPlayers builds the identity pool, the gateway and the notifier.
func (n *Node) startPlayers(ctx context.Context, publicURL string, reg prometheus.Registerer) error {
	pc := n.cfg.Players
	issuer := pc.TokenIssuer
	if issuer == "" {
		// Tokens are fetched and verified over HTTP(S) on the same
		// listener the sockets use.
		issuer = "http" + strings.TrimPrefix(publicURL, "ws")
	}
	var err error
	n.ids, err = identity.New(ctx, identity.Config{
		Config:         n.lanes.identity.Bucket(engine.BucketConfig),
		Identities:     n.lanes.identity.Bucket(engine.BucketIdentities),
		Region:         n.fleets.Region(),
		Issuer:         issuer,
		TokenTTL:       pc.TokenTTL,
		CredentialsTTL: pc.CredentialsTTL,
		KeyRotation:    pc.KeyRotation,
		OIDCIssuers:    pc.OIDCIssuers,
		ClientRate:     pc.ClientRate,
		ClientBurst:    pc.ClientBurst,
		Logger:         n.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("start identity pool: %w", err)
	}
	n.gw, err = gateway.New(gateway.Config{
		Connections:       n.lanes.gateway.Bucket(engine.BucketConnections),
		PlayerConnections: n.lanes.gateway.Bucket(engine.BucketPlayerConnections),
		Conn:              n.lanes.gateway.Conn(),
		Leases:            n.engine.Leases(),
		NodeID:            n.cfg.NodeID,
		Auth:              gatewayAuth{n.ids},
		Matchmaking:       n.matches,
		Locations:         n.configurationLocations,
		Resume: func(ctx context.Context, playerID string) ([]byte, bool) {
			return n.notifier.Latest(ctx, playerID)
		},
		Routes:          pc.Routes,
		IdleTimeout:     pc.IdleTimeout,
		MaxDuration:     pc.MaxDuration,
		MaxFrameBytes:   pc.MaxFrameBytes,
		MaxMessageBytes: pc.MaxMessageBytes,
		MessageRate:     pc.MessageRate,
		MessageBurst:    pc.MessageBurst,
		Registerer:      reg,
		Logger:          n.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("start player gateway: %w", err)
	}
	n.notifier, err = events.NewNotifier(events.NotifierConfig{
		Stream:       n.lanes.notifier.Events(),
		Latest:       n.lanes.notifier.Bucket(engine.BucketPlayerEvents),
		JetStream:    n.lanes.notifier.JetStream(),
		Leases:       n.engine.Leases(),
		Pusher:       notifyPusher{n.gw},
		ResumeWindow: pc.ResumeWindow,
		LeaseTTL:     pc.NotifierLeaseTTL,
		Registerer:   reg,
		Logger:       n.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("start player notifier: %w", err)
	}
	return nil
}

// gatewayAuth lets the gateway authenticate upgrades with the identity
// pool's tokens and temporary credentials.
type gatewayAuth struct{ ids *identity.Service }

func (a gatewayAuth) VerifyToken(ctx context.Context, token string) (gateway.Principal, error) {
	p, err := a.ids.VerifyToken(ctx, token)
	return gateway.Principal{IdentityID: p.IdentityID, Expires: p.Expires}, expired(err)
}

func (a gatewayAuth) SessionCredentials(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credentials, gateway.Principal, error) {
	c, p, err := a.ids.SessionCredentials(ctx, accessKeyID, sessionToken)
	return c, gateway.Principal{IdentityID: p.IdentityID, Expires: p.Expires}, expired(err)
}

// expired marks the identity pool's expiry for the gateway, which answers
// it with 401 (get a new token) rather than 403.
func expired(err error) error {
	if errors.Is(err, identity.ErrExpired) {
		return fmt.Errorf("%w: %w", gateway.ErrExpired, err)
	}
	return err
}

// awaitGateway waits until the gateway takes upgrades.
func (n *Node) awaitGateway(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(30 * time.Second)
	for !n.gw.Ready() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("start player gateway: %w", ctx.Err())
		case <-deadline:
			return errors.New("start player gateway: not ready after 30 s (is the engine answering?)")
		case <-t.C:
		}
	}
	return nil
}

// configurationLocations lists where a matchmaking configuration's matches
// may be placed (the locations of its queues' fleets) and each one's ping
// beacon, for clients measuring their latencies.
func (n *Node) configurationLocations(ctx context.Context, name string) ([]gateway.Location, error) {
	configs, err := n.matches.Configurations(ctx, []string{name}, "")
	if err != nil {
		return nil, err
	}
	if len(configs) == 0 {
		return nil, &matchmaking.Error{Kind: matchmaking.ErrNotFound, Msg: "Matchmaking configuration " + name + " not found."}
	}
	var names []string
	for _, q := range configs[0].GameSessionQueueARNs {
		locs, err := n.places.Locations(ctx, q)
		if errors.Is(err, placement.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, l := range locs {
			if !slices.Contains(names, l) {
				names = append(names, l)
			}
		}
	}
	out := make([]gateway.Location, 0, len(names))
	for _, name := range names {
		l := gateway.Location{Name: name}
		if loc, err := n.fleets.Location(ctx, name); err == nil {
			if host, port, ok := loc.PingBeacon(); ok {
				l.BeaconHost, l.BeaconPort = host, port
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// notifyPusher hands the notifier's pushes to the gateway.
type notifyPusher struct{ gw *gateway.Gateway }

func (p notifyPusher) PushToPlayer(ctx context.Context, playerID string, frame []byte) error {
	err := p.gw.PushToPlayer(ctx, playerID, frame)
	if errors.Is(err, gateway.ErrGone) {
		return events.ErrNotConnected
	}
	return err
}

// byTarget sends requests whose X-Amz-Target starts with prefix to match,
// and every other request to rest.
func byTarget(prefix string, match, rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), prefix) {
			match.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}

// Identities is the node's identity pool service.
func (n *Node) Identities() *identity.Service { return n.ids }

// Gateway is the node's player gateway.
func (n *Node) Gateway() *gateway.Gateway { return n.gw }
