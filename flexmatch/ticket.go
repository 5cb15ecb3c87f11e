package flexmatch

import "time"

// Ticket is a matchmaking request: one player, or a party that must end up
// on the same team.
type Ticket struct {
	// ID is unique within a matchmaker's pool.
	ID string
	// Players are the ticket's players: up to 10 for a matchmaking request,
	// more for a backfill request that carries a whole game session.
	Players []Player
	// CreatedAt is when the ticket started searching. Expansions relax rules
	// as tickets age, so a ticket put back into the pool (after a failed
	// acceptance, say) keeps its original CreatedAt.
	CreatedAt time.Time
	// Backfill marks a backfill request (StartMatchBackfill): Players are the
	// players already in a game session, each with the Team they play on, and
	// the matchmaker looks for tickets to fill the session's open slots. A
	// match holds at most one backfill ticket.
	Backfill bool
}

// Player is one player in a ticket, with GameLift's Player fields.
type Player struct {
	// ID identifies the player; it is unique within a ticket.
	ID string
	// Team is the player's current team in a backfill ticket (a team name
	// from the rule set, with its _N suffix when the team has a quantity).
	// It is ignored in other tickets: the matchmaker assigns teams.
	Team string
	// Attributes holds the player's values for the rule set's declared
	// player attributes. A declared attribute missing here takes the rule
	// set's default; without a default the ticket is refused. Undeclared
	// attributes are ignored.
	Attributes map[string]AttributeValue
	// LatencyMs maps a location (an AWS Region or a custom location) to the
	// player's latency there in milliseconds. Rule sets with a latency rule
	// only match players in locations they report.
	LatencyMs map[string]int
}
