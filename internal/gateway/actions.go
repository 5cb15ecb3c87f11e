package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/gobwas/ws"

	"github.com/rallypoint/rallypoint/internal/matchmaking"
)

// handleMessage routes one complete client message and answers it. It
// runs in the connection's handler goroutine, one message at a time, so a
// connection's messages are handled and answered in the order sent.
func (g *Gateway) handleMessage(c *conn, m []byte) {
	f, decodeErr := decodeFrame(m)
	route, builtin := selectRoute(f, decodeErr, g.cfg.Routes, g.cfg.Matchmaking != nil)
	label := route
	if label == "" {
		label = "none"
	}
	g.metrics.messages.WithLabelValues(label).Inc()
	switch {
	case builtin:
		ctx, cancel := context.WithTimeout(c.ctx, g.cfg.IntegrationTimeout)
		rep := g.builtin(ctx, c.rec.PlayerID, f, m)
		cancel()
		c.reply(rep)
	case route != "":
		g.forward(c, route, f, m)
	case decodeErr != nil:
		c.reply(errorReply(f.RequestID, codeInvalidRequest, "%s", decodeErr.Error()))
	case f.Action == "":
		c.reply(errorReply(f.RequestID, codeInvalidRequest, "action is required: it selects what the frame asks for"))
	default:
		c.reply(errorReply(f.RequestID, codeUnknownAction, "action %q is not a built-in action and no route takes it", truncate(f.Action, 64)))
	}
}

// reply queues a reply on the socket.
func (c *conn) reply(r reply) {
	b, err := json.Marshal(r)
	if err != nil {
		c.g.log.Error("could not encode a reply", "connection", c.id(), "error", err)
		return
	}
	_ = c.enqueue(encodeFrame(ws.OpText, b))
}

// The built-in actions' frames.
type (
	startFrame struct {
		TicketID          string                                `json:"ticketId"`
		ConfigurationName *string                               `json:"configurationName"`
		PlayerAttributes  map[string]matchmaking.AttributeValue `json:"playerAttributes"`
		LatencyInMs       map[string]int                        `json:"latencyInMs"`
		// PlayerID, when sent, must be the caller: the player is always
		// the authenticated identity.
		PlayerID *string         `json:"playerId"`
		Players  json.RawMessage `json:"players"`
	}
	ticketFrame struct {
		TicketID       *string `json:"ticketId"`
		AcceptanceType *string `json:"acceptanceType"`
	}
)

// builtin runs a built-in action for player.
func (g *Gateway) builtin(ctx context.Context, player string, f frame, m []byte) reply {
	ok := reply{RequestID: f.RequestID, OK: true}
	switch f.Action {
	case actionPing:
		return ok
	case actionLocate:
		return g.describeLocations(ctx, f, m)
	case actionStart:
		var in startFrame
		if err := json.Unmarshal(m, &in); err != nil {
			return errorReply(f.RequestID, codeInvalidRequest, "%s", jsonProblem(err))
		}
		switch {
		case in.ConfigurationName == nil || *in.ConfigurationName == "":
			return errorReply(f.RequestID, codeInvalidRequest, "configurationName is required")
		case in.PlayerID != nil && *in.PlayerID != player:
			return errorReply(f.RequestID, codeInvalidRequest, "playerId must be left out (or be your own identity id): the player is always the authenticated identity")
		case len(in.Players) > 0:
			return errorReply(f.RequestID, codeInvalidRequest, "players is not accepted: a ticket started over the socket holds the authenticated player only")
		}
		for name, v := range in.PlayerAttributes {
			if n := setMembers(v); n != 1 {
				return errorReply(f.RequestID, codeInvalidRequest, "playerAttributes.%s must set exactly one of S, N, SL, SDM (it sets %d)", truncate(name, 64), n)
			}
		}
		t, err := g.cfg.Matchmaking.StartMatchmaking(ctx, matchmaking.StartInput{
			TicketID:      in.TicketID,
			Configuration: *in.ConfigurationName,
			Players:       []matchmaking.Player{{PlayerID: player, Attributes: in.PlayerAttributes, LatencyInMs: in.LatencyInMs}},
		})
		if err != nil {
			return g.matchmakingError(f.RequestID, err)
		}
		ok.Ticket = toWireTicket(t)
		return ok
	}

	var in ticketFrame
	if err := json.Unmarshal(m, &in); err != nil {
		return errorReply(f.RequestID, codeInvalidRequest, "%s", jsonProblem(err))
	}
	if in.TicketID == nil || *in.TicketID == "" {
		return errorReply(f.RequestID, codeInvalidRequest, "ticketId is required")
	}
	id := *in.TicketID
	t, err := g.ownTicket(ctx, player, id)
	if err != nil {
		return g.matchmakingError(f.RequestID, err)
	}
	switch f.Action {
	case actionDescribe:
		ok.Ticket = toWireTicket(t)
	case actionStop:
		if err := g.cfg.Matchmaking.StopMatchmaking(ctx, id); err != nil {
			return g.matchmakingError(f.RequestID, err)
		}
	case actionAccept:
		if in.AcceptanceType == nil {
			return errorReply(f.RequestID, codeInvalidRequest, "acceptanceType is required: ACCEPT or REJECT")
		}
		if err := g.cfg.Matchmaking.AcceptMatch(ctx, id, []string{player}, *in.AcceptanceType); err != nil {
			return g.matchmakingError(f.RequestID, err)
		}
	}
	return ok
}

// ownTicket reads a ticket that names player. A ticket of anyone else is
// answered exactly as one that does not exist, so nothing about it shows.
func (g *Gateway) ownTicket(ctx context.Context, player, id string) (matchmaking.Ticket, error) {
	notFound := &matchmaking.Error{Kind: matchmaking.ErrNotFound, Msg: "Matchmaking ticket " + truncate(id, 128) + " not found."}
	ts, err := g.cfg.Matchmaking.Tickets(ctx, []string{id})
	if err != nil {
		return matchmaking.Ticket{}, err
	}
	for _, t := range ts {
		if t.ID == id && !t.Backfill && slices.ContainsFunc(t.Players, func(p matchmaking.Player) bool { return p.PlayerID == player }) {
			return t, nil
		}
	}
	return matchmaking.Ticket{}, notFound
}

// matchmakingError maps the matchmaking service's error kinds to reply
// codes: the one place they meet this protocol.
func (g *Gateway) matchmakingError(requestID json.RawMessage, err error) reply {
	var me *matchmaking.Error
	msg := err.Error()
	if errors.As(err, &me) {
		msg = me.Msg
	}
	switch {
	case errors.Is(err, matchmaking.ErrNotFound):
		return errorReply(requestID, codeNotFound, "%s", msg)
	case errors.Is(err, matchmaking.ErrInvalidRequest):
		return errorReply(requestID, codeInvalidRequest, "%s", msg)
	case errors.Is(err, matchmaking.ErrConflict):
		return errorReply(requestID, codeConflict, "%s", msg)
	}
	g.log.Error("matchmaking call failed", "error", err)
	return errorReply(requestID, codeInternal, "the request could not be completed; retry")
}

func setMembers(v matchmaking.AttributeValue) int {
	n := 0
	if v.S != nil {
		n++
	}
	if v.N != nil {
		n++
	}
	if v.SL != nil {
		n++
	}
	if v.SDM != nil {
		n++
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// wireTicket is a ticket as DescribeMatchmaking returns it, with camelCase
// member names and ISO 8601 UTC times.
type wireTicket struct {
	TicketID                  string          `json:"ticketId"`
	ConfigurationName         string          `json:"configurationName,omitempty"`
	ConfigurationArn          string          `json:"configurationArn,omitempty"`
	Status                    string          `json:"status"`
	StatusReason              string          `json:"statusReason,omitempty"`
	StatusMessage             string          `json:"statusMessage,omitempty"`
	StartTime                 string          `json:"startTime,omitempty"`
	EndTime                   string          `json:"endTime,omitempty"`
	EstimatedWaitTime         *int            `json:"estimatedWaitTime,omitempty"`
	Players                   []wirePlayer    `json:"players"`
	GameSessionConnectionInfo *wireConnection `json:"gameSessionConnectionInfo,omitempty"`
}

type wirePlayer struct {
	PlayerID         string                                `json:"playerId"`
	PlayerAttributes map[string]matchmaking.AttributeValue `json:"playerAttributes,omitempty"`
	Team             string                                `json:"team,omitempty"`
	LatencyInMs      map[string]int                        `json:"latencyInMs,omitempty"`
}

type wireConnection struct {
	GameSessionArn        string              `json:"gameSessionArn"`
	IPAddress             string              `json:"ipAddress,omitempty"`
	DNSName               string              `json:"dnsName,omitempty"`
	Port                  int                 `json:"port,omitempty"`
	MatchedPlayerSessions []wirePlayerSession `json:"matchedPlayerSessions,omitempty"`
}

type wirePlayerSession struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// isoTime is the ISO 8601 form of times in replies, in UTC to the
// millisecond.
const isoTime = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(isoTime)
}

func toWireTicket(t matchmaking.Ticket) *wireTicket {
	w := &wireTicket{
		TicketID:          t.ID,
		ConfigurationName: t.Configuration,
		ConfigurationArn:  t.ConfigARN,
		Status:            t.Status,
		StatusReason:      t.StatusReason,
		StatusMessage:     t.StatusMessage,
		StartTime:         formatTime(t.StartTime),
		EndTime:           formatTime(t.EndTime),
		EstimatedWaitTime: t.EstimatedWaitSeconds,
		Players:           make([]wirePlayer, 0, len(t.Players)),
	}
	for _, p := range t.Players {
		w.Players = append(w.Players, wirePlayer{PlayerID: p.PlayerID, PlayerAttributes: p.Attributes, Team: p.Team, LatencyInMs: p.LatencyInMs})
	}
	if ci := t.ConnectionInfo; ci != nil {
		wc := &wireConnection{GameSessionArn: ci.GameSessionARN, IPAddress: ci.IPAddress, DNSName: ci.DNSName, Port: ci.Port}
		for _, mp := range ci.Players {
			wc.MatchedPlayerSessions = append(wc.MatchedPlayerSessions, wirePlayerSession{PlayerID: mp.PlayerID, PlayerSessionID: mp.PlayerSessionID})
		}
		w.GameSessionConnectionInfo = wc
	}
	return w
}

// wireLocation is a location as describeLocations answers it, with its
// ping beacon in ListLocations' shape.
type wireLocation struct {
	Location   string          `json:"location"`
	PingBeacon *wirePingBeacon `json:"pingBeacon,omitempty"`
}

type wirePingBeacon struct {
	UDPEndpoint wireEndpoint `json:"udpEndpoint"`
}

type wireEndpoint struct {
	Domain string `json:"domain"`
	Port   int    `json:"port"`
}

// describeLocations answers where a configuration's matches may be placed
// and how a client measures its latency to each place: what it needs to
// fill latencyInMs. It takes no player data, so any player may ask.
func (g *Gateway) describeLocations(ctx context.Context, f frame, m []byte) reply {
	var in struct {
		ConfigurationName *string `json:"configurationName"`
	}
	if err := json.Unmarshal(m, &in); err != nil {
		return errorReply(f.RequestID, codeInvalidRequest, "%s", jsonProblem(err))
	}
	if in.ConfigurationName == nil || *in.ConfigurationName == "" {
		return errorReply(f.RequestID, codeInvalidRequest, "configurationName is required")
	}
	if g.cfg.Locations == nil {
		return errorReply(f.RequestID, codeUnknownAction, "this gateway does not know the locations of configurations")
	}
	locs, err := g.cfg.Locations(ctx, *in.ConfigurationName)
	if err != nil {
		return g.matchmakingError(f.RequestID, err)
	}
	out := reply{RequestID: f.RequestID, OK: true, Locations: make([]wireLocation, 0, len(locs))}
	for _, l := range locs {
		w := wireLocation{Location: l.Name}
		if l.BeaconHost != "" {
			w.PingBeacon = &wirePingBeacon{UDPEndpoint: wireEndpoint{Domain: l.BeaconHost, Port: l.BeaconPort}}
		}
		out.Locations = append(out.Locations, w)
	}
	return out
}
