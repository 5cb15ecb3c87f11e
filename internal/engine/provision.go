package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The buckets of DESIGN.md ("State and messages"). Each has one owning
// package; the comment names it.
const (
	BucketConnections       = "rp_connections"        // gateway: connection id -> record
	BucketPlayerConnections = "rp_player_connections" // gateway: player id -> connection ids
	BucketIdentities        = "rp_identities"         // identity: identity id -> linked logins
	BucketConfig            = "rp_config"             // fleet, placement, matchmaking: <kind>.<name>
	BucketTickets           = "rp_tickets"            // matchmaking: ticket id
	BucketSessions          = "rp_sessions"           // fleet, placement: gs.<id>, ps.<id>, pl.<id>
	BucketComputes          = "rp_computes"           // fleet: <fleet>.<compute>
	BucketLeases            = "rp_leases"             // engine: <aggregate> -> holder
	BucketPlayerEvents      = "rp_player_events"      // notifier: player id -> its latest matchmaking event
)

// StreamEvents carries every event document; subjects are
// rp.events.<source>.<name>.<type>.
const (
	StreamEvents        = "RP_EVENTS"
	EventsSubjectPrefix = "rp.events."
)

// bucketSpecs are the buckets with the settings that differ between them.
// Every bucket keeps one value per key: history lives in events, and the
// owners rely on compare-and-set on the latest revision, not on old values.
var bucketSpecs = []jetstream.KeyValueConfig{
	{Bucket: BucketConnections, Description: "player gateway connections"},
	{Bucket: BucketPlayerConnections, Description: "connection ids per player"},
	{Bucket: BucketIdentities, Description: "player identities and their linked logins; never expire"},
	{Bucket: BucketConfig, Description: "rule sets, configurations, queues, fleets, aliases, locations"},
	{Bucket: BucketTickets, Description: "matchmaking tickets"},
	{Bucket: BucketSessions, Description: "game sessions, player sessions, placements"},
	{Bucket: BucketComputes, Description: "computes and server processes per fleet"},
	{Bucket: BucketLeases, Description: "single-writer leases per aggregate"},
	// A ticket lives at most 12 hours (FlexMatch's longest request
	// timeout), so a day covers the latest event of every live ticket.
	{Bucket: BucketPlayerEvents, Description: "the latest matchmaking event of each player, resent when it connects", TTL: 24 * time.Hour},
}

// eventsMaxAge bounds how long the event stream keeps history; consumers that
// are further behind than this start from the oldest event kept.
const eventsMaxAge = 7 * 24 * time.Hour

func (e *Engine) provision(ctx context.Context) error {
	e.buckets = make(map[string]jetstream.KeyValue, len(bucketSpecs))
	for _, spec := range bucketSpecs {
		spec.Storage = jetstream.FileStorage
		spec.History = 1
		spec.Replicas = e.cfg.Replicas
		kv, err := e.js.CreateOrUpdateKeyValue(ctx, spec)
		if err != nil {
			return fmt.Errorf("provision bucket %s: %w", spec.Bucket, err)
		}
		e.buckets[spec.Bucket] = kv
	}
	stream, err := e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamEvents,
		Description: "GameLift-style event documents: matchmaking, placement, fleet",
		Subjects:    []string{EventsSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      eventsMaxAge,
		Duplicates:  2 * time.Minute, // publishers set Nats-Msg-Id so retries do not duplicate
		Replicas:    e.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("provision stream %s: %w", StreamEvents, err)
	}
	e.events = stream
	return nil
}
