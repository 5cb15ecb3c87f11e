package matchmaking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// The matchmaker data document a game session carries (GameSession's
// MatchmakerData): FlexMatch's JSON, which game servers parse.
type matchmakerDoc struct {
	MatchID              string    `json:"matchId"`
	ConfigurationARN     string    `json:"matchmakingConfigurationArn"`
	Teams                []teamDoc `json:"teams"`
	AutoBackfillMode     string    `json:"autoBackfillMode,omitempty"`
	AutoBackfillTicketID string    `json:"autoBackfillTicketId,omitempty"`
}

type teamDoc struct {
	Name    string       `json:"name"`
	Players []matchedDoc `json:"players"`
}

type matchedDoc struct {
	PlayerID   string                  `json:"playerId"`
	Attributes map[string]attributeDoc `json:"attributes,omitempty"`
}

type attributeDoc struct {
	AttributeType  string `json:"attributeType"`
	ValueAttribute any    `json:"valueAttribute"`
}

// matchmakerData writes the match's matchmaker data: its teams with every
// player's attributes (as given, or the rule set's defaults).
func (o *owner) matchmakerData(m *match, autoTicket string) string {
	players := make(map[string]*Player)
	for _, t := range o.matchTickets(m) {
		for i := range t.Players {
			players[t.Players[i].PlayerID] = &t.Players[i]
		}
	}
	doc := matchmakerDoc{MatchID: m.rec.ID, ConfigurationARN: o.cfg.ARN, Teams: make([]teamDoc, 0, len(m.rec.Teams))}
	if o.cfg.BackfillMode == BackfillAutomatic {
		doc.AutoBackfillMode = BackfillAutomatic
		doc.AutoBackfillTicketID = autoTicket
	}
	decls := o.rs.Attributes()
	for _, tm := range m.rec.Teams {
		td := teamDoc{Name: tm.Name, Players: make([]matchedDoc, 0, len(tm.Players))}
		for _, pid := range tm.Players {
			md := matchedDoc{PlayerID: pid}
			if p := players[pid]; p != nil {
				for _, d := range decls {
					v, ok := p.Attributes[d.Name]
					var fv flexmatch.AttributeValue
					switch {
					case ok:
						fv = v.flexmatch()
					case d.Default != nil:
						fv = *d.Default
					default:
						continue
					}
					if md.Attributes == nil {
						md.Attributes = make(map[string]attributeDoc)
					}
					md.Attributes[d.Name] = attributeOf(fv)
				}
			}
			td.Players = append(td.Players, md)
		}
		doc.Teams = append(doc.Teams, td)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("matchmaking: encode matchmaker data: %v", err)) // plain structs always encode
	}
	return string(b)
}

func attributeOf(v flexmatch.AttributeValue) attributeDoc {
	switch v.Type {
	case flexmatch.AttributeString:
		return attributeDoc{AttributeType: "STRING", ValueAttribute: v.S}
	case flexmatch.AttributeNumber:
		return attributeDoc{AttributeType: "DOUBLE", ValueAttribute: v.N}
	case flexmatch.AttributeStringList:
		return attributeDoc{AttributeType: "STRING_LIST", ValueAttribute: v.SL}
	default:
		return attributeDoc{AttributeType: "STRING_DOUBLE_MAP", ValueAttribute: v.SDM}
	}
}

// applyBackfill puts a backfill match's new players into the running game
// session: player sessions for them and the new matchmaker data, in one
// write, which the game server learns of through OnUpdateGameSession.
func (o *owner) applyBackfill(m *match) {
	bt := o.tickets[m.rec.Backfill]
	if bt == nil || bt.t.MatchID != m.rec.ID {
		o.abort(m)
		return
	}
	var next string
	var newPlayers []fleet.NewPlayer
	for _, t := range o.matchTickets(m) {
		if t.Backfill {
			continue
		}
		for _, p := range t.Players {
			newPlayers = append(newPlayers, fleet.NewPlayer{PlayerID: p.PlayerID})
		}
	}
	total := 0
	for _, tm := range m.rec.Teams {
		total += len(tm.Players)
	}
	if o.cfg.BackfillMode == BackfillAutomatic && total < o.rs.MaxPlayers() {
		next = m.rec.AutoBackfillTicket
	}
	views, err := o.s.cfg.Fleets.Backfill(o.ctx, bt.t.GameSessionARN, newPlayers, o.matchmakerData(m, next), bt.t.ID)
	if err != nil {
		o.s.log.Info("a backfill match could not join its game session", "ticket", bt.t.ID, "game_session", bt.t.GameSessionARN, "error", err)
		// The game session cannot take the players: the backfill ends,
		// the players it found search on.
		for _, id := range m.rec.Tickets {
			if ts := o.tickets[id]; ts != nil && ts.t.MatchID == m.rec.ID && id != bt.t.ID {
				o.backToSearch(ts)
			}
		}
		o.end(bt, StatusFailed, "UNEXPECTED_ERROR", "The game session could not take the backfill's players: "+err.Error())
		o.dropMatch(m)
		return
	}
	sessions := make(map[string]string, len(views))
	var conn *ConnectionInfo
	for _, v := range views {
		sessions[v.PlayerID] = v.ID
		if conn == nil {
			conn = &ConnectionInfo{GameSessionARN: v.GameSessionID, IPAddress: v.IPAddress, DNSName: v.DNSName, Port: v.Port}
		}
	}
	if conn == nil {
		conn = &ConnectionInfo{GameSessionARN: bt.t.GameSessionARN}
	}
	gsARN := bt.t.GameSessionARN
	location := ""
	if gs, err := o.s.cfg.Fleets.GameSession(o.ctx, gsARN); err == nil {
		location = gs.Location
	}
	players := o.playersOf(m)
	o.complete(m, conn, sessions)
	if next != "" {
		o.autoBackfill(m, players, gsARN, next, location)
	}
}

// playersOf copies the players of a match's tickets, for what must be
// done with them once the tickets have ended.
func (o *owner) playersOf(m *match) []Player {
	var out []Player
	for _, t := range o.matchTickets(m) {
		out = append(out, t.Players...)
	}
	return out
}

// autoBackfill starts the backfill ticket of an AUTOMATIC configuration
// for a match's game session, which has open slots; players are the
// match's players (see playersOf).
func (o *owner) autoBackfill(m *match, players []Player, gameSessionARN, ticketID, location string) {
	total := 0
	for _, tm := range m.rec.Teams {
		total += len(tm.Players)
	}
	if total >= o.rs.MaxPlayers() || len(players) == 0 {
		return
	}
	gs, err := o.s.cfg.Fleets.GameSession(o.ctx, gameSessionARN)
	if err != nil || gs.Status != fleet.GameSessionActive {
		return
	}
	team := make(map[string]string)
	for _, tm := range m.rec.Teams {
		for _, pid := range tm.Players {
			team[pid] = tm.Name
		}
	}
	current := make([]Player, 0, len(players))
	for _, p := range players {
		q := Player{PlayerID: p.PlayerID, Attributes: p.Attributes, Team: team[p.PlayerID]}
		// A backfill request gives latency for the game session's
		// location only.
		if ms, ok := p.LatencyInMs[location]; ok {
			q.LatencyInMs = map[string]int{location: ms}
		}
		current = append(current, q)
	}
	if _, err := o.s.startBackfill(o.ctx, o.cfg, gs, ticketID, current, true); err != nil {
		o.s.log.Warn("could not start an automatic backfill", "game_session", gameSessionARN, "error", err)
	}
}

// recoverMatches carries on the matches a previous owner left: a match
// whose tickets all still point at it resumes where it was; any other is
// undone, and tickets that point at a match nobody recorded search again.
func (o *owner) recoverMatches() {
	for _, m := range o.matches {
		refs := o.matchTickets(m)
		switch {
		case m.rec.Status == StatusPlacing && m.rec.Backfill == "":
			if len(refs) == 0 {
				o.dropMatch(m)
				continue
			}
			o.s.awaitPlacement(m.rec.ID, o)
			pl, err := o.s.cfg.Placements.Placement(o.ctx, m.rec.ID)
			switch {
			case err == nil && pl.Ended():
				o.outcome(pl)
			case errors.Is(err, placement.ErrNotFound):
				if len(refs) == len(m.rec.Tickets) {
					o.startPlacement(m)
				} else {
					o.abort(m)
				}
			}
		case len(refs) != len(m.rec.Tickets):
			o.abort(m)
		case m.rec.Status == StatusPlacing:
			o.applyBackfill(m)
		default:
			o.acceptance(m)
		}
	}
	for _, ts := range o.tickets {
		if (ts.t.Status == StatusRequiresAcceptance || ts.t.Status == StatusPlacing) && o.matches[ts.t.MatchID] == nil {
			o.backToSearch(ts)
		}
	}
}

// ServerBackfill serves the server SDK's StartMatchBackfill and
// StopMatchBackfill: a game server backfills only its own game session.
type ServerBackfill struct{ S *Service }

// serverPlayer is a player as the server SDK sends it.
type serverPlayer struct {
	PlayerID         string                    `json:"PlayerId"`
	Team             string                    `json:"Team"`
	LatencyInMs      map[string]int            `json:"LatencyInMs"`
	PlayerAttributes map[string]AttributeValue `json:"PlayerAttributes"`
}

// StartMatchBackfill starts a backfill for the calling process's game session.
func (b ServerBackfill) StartMatchBackfill(ctx context.Context, from fleet.ProcessRef, gameSessionARN, configurationARN, ticketID string, players []byte) (string, error) {
	if err := b.hosts(ctx, from, gameSessionARN); err != nil {
		return "", err
	}
	var sp []serverPlayer
	if err := json.Unmarshal(players, &sp); err != nil {
		return "", &fleet.Error{Kind: fleet.ErrInvalidRequest, Msg: "Players: " + err.Error()}
	}
	in := BackfillInput{TicketID: ticketID, Configuration: configurationARN, GameSessionARN: gameSessionARN}
	for _, p := range sp {
		in.Players = append(in.Players, Player{PlayerID: p.PlayerID, Team: p.Team, LatencyInMs: p.LatencyInMs, Attributes: p.PlayerAttributes})
	}
	t, err := b.S.StartMatchBackfill(ctx, in)
	if err != nil {
		return "", asFleetError(err)
	}
	return t.ID, nil
}

// StopMatchBackfill cancels a backfill of the calling process's game session.
func (b ServerBackfill) StopMatchBackfill(ctx context.Context, from fleet.ProcessRef, gameSessionARN, configurationARN, ticketID string) error {
	if err := b.hosts(ctx, from, gameSessionARN); err != nil {
		return err
	}
	t, err := b.S.Tickets(ctx, []string{ticketID})
	if err != nil {
		return err
	}
	if len(t) == 0 || t[0].GameSessionARN != gameSessionARN {
		return &fleet.Error{Kind: fleet.ErrNotFound, Msg: fmt.Sprintf("Backfill ticket %s of game session %s not found.", ticketID, gameSessionARN)}
	}
	return asFleetError(b.S.StopMatchBackfill(ctx, ticketID))
}

func (b ServerBackfill) hosts(ctx context.Context, from fleet.ProcessRef, gameSessionARN string) error {
	gs, err := b.S.cfg.Fleets.GameSession(ctx, gameSessionARN)
	if err != nil {
		return err
	}
	if gs.FleetID != from.FleetID || gs.Compute != from.Compute || gs.ProcessID != from.ProcessID {
		return &fleet.Error{Kind: fleet.ErrForbidden, Msg: fmt.Sprintf("Game session %s is not hosted by this process.", gameSessionARN)}
	}
	return nil
}

// asFleetError gives a matchmaking error the kind the server SDK service
// maps to a status code.
func asFleetError(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	kind := fleet.ErrInvalidRequest
	switch {
	case errors.Is(err, ErrNotFound):
		kind = fleet.ErrNotFound
	case errors.Is(err, ErrConflict):
		kind = fleet.ErrConflict
	}
	return &fleet.Error{Kind: kind, Msg: e.Msg}
}
