package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Player session statuses, as GameLift names them.
const (
	PlayerSessionReserved  = "RESERVED"
	PlayerSessionActive    = "ACTIVE"
	PlayerSessionCompleted = "COMPLETED"
	PlayerSessionTimedOut  = "TIMEDOUT"
)

// PlayerSession is one player's slot in a game session. It is stored
// inside its game session (see GameSession).
type PlayerSession struct {
	ID         string
	PlayerID   string
	PlayerData string
	Status     string
	CreatedAt  time.Time
	EndedAt    time.Time
}

// storedPlayerSession is a player session's stored form, kept small
// because a game session's record holds all of its player sessions and is
// rewritten on every change: the id is stored without the game session
// part it shares with its game session, and times are epoch nanoseconds
// (full precision: listings order player sessions by creation time).
type storedPlayerSession struct {
	Key        string `json:"k"`
	PlayerID   string `json:"p"`
	PlayerData string `json:"d,omitempty"`
	Status     string `json:"s"`
	CreatedAt  int64  `json:"c"`
	EndedAt    int64  `json:"e,omitempty"`
}

func (ps *PlayerSession) stored() storedPlayerSession {
	st := storedPlayerSession{
		Key:        ps.ID[strings.LastIndexByte(ps.ID, '.')+1:],
		PlayerID:   ps.PlayerID,
		PlayerData: ps.PlayerData,
		Status:     ps.Status,
		CreatedAt:  ps.CreatedAt.UnixNano(),
	}
	if !ps.EndedAt.IsZero() {
		st.EndedAt = ps.EndedAt.UnixNano()
	}
	return st
}

func (st *storedPlayerSession) playerSession(idPrefix string) PlayerSession {
	ps := PlayerSession{ID: idPrefix + st.Key, PlayerID: st.PlayerID, PlayerData: st.PlayerData, Status: st.Status, CreatedAt: time.Unix(0, st.CreatedAt).UTC()}
	if st.EndedAt != 0 {
		ps.EndedAt = time.Unix(0, st.EndedAt).UTC()
	}
	return ps
}

func (ps *PlayerSession) holdsSlot() bool {
	return ps.Status == PlayerSessionReserved || ps.Status == PlayerSessionActive
}

// PlayerSessionView is a player session with the game session facts every
// API answer about it carries.
type PlayerSessionView struct {
	PlayerSession
	GameSessionID string
	FleetID       string
	FleetARN      string
	IPAddress     string
	DNSName       string
	Port          int
	Location      string
}

func (g *GameSession) view(ps PlayerSession) PlayerSessionView {
	return PlayerSessionView{
		PlayerSession: ps,
		GameSessionID: g.ID,
		FleetID:       g.FleetID,
		FleetARN:      g.FleetARN,
		IPAddress:     g.IPAddress,
		DNSName:       g.DNSName,
		Port:          g.Port,
		Location:      g.Location,
	}
}

// A player session id names its game session, so finding one needs no
// index: "psess-<fleet id>.<game session short id>.<random>". The ids fit
// GameLift's pattern for player session ids (psess-, then no spaces) and
// the server SDKs' ([A-Za-z0-9.-]).
func newPlayerSessionID(gs *GameSession) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return gs.playerSessionPrefix() + hex.EncodeToString(b[:])
}

func (g *GameSession) playerSessionPrefix() string {
	return "psess-" + g.FleetID + "." + g.ShortID + "."
}

func gameSessionKeyOfPlayerSession(psID string) (string, bool) {
	rest, ok := strings.CutPrefix(psID, "psess-")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || !keyToken(parts[0]) || !keyToken(parts[1]) || !keyToken(parts[2]) {
		return "", false
	}
	return gameSessionKey(parts[0], parts[1]), true
}

// NewPlayer is one player to reserve a slot for.
type NewPlayer struct {
	PlayerID   string
	PlayerData string
}

// CreatePlayerSessions reserves slots in an ACTIVE game session that
// accepts players, all or none: if they do not all fit, none is reserved
// and the error is ErrGameSessionFull.
func (s *Service) CreatePlayerSessions(ctx context.Context, gameSessionID string, players []NewPlayer) ([]PlayerSessionView, error) {
	if len(players) == 0 {
		return nil, newError(ErrInvalidRequest, "At least one player is required.")
	}
	var created []PlayerSession
	gs, err := s.mutateGameSession(ctx, gameSessionID, func(gs *GameSession) error {
		created = created[:0]
		if gs.Status != GameSessionActive {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is %s; players can join only ACTIVE game sessions.", gs.ID, gs.Status)
		}
		if gs.PlayerSessionCreationPolicy == DenyAll {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is not accepting new players (PlayerSessionCreationPolicy is DENY_ALL).", gs.ID)
		}
		if free := gs.MaximumPlayerSessionCount - gs.CurrentPlayerSessionCount(); len(players) > free {
			return newError(ErrGameSessionFull, "Game session %s is full: %d of %d player slots are taken and %d more were requested.", gs.ID, gs.CurrentPlayerSessionCount(), gs.MaximumPlayerSessionCount, len(players))
		}
		now := s.now()
		for _, p := range players {
			ps := PlayerSession{ID: newPlayerSessionID(gs), PlayerID: p.PlayerID, PlayerData: p.PlayerData, Status: PlayerSessionReserved, CreatedAt: now}
			created = append(created, ps)
			gs.PlayerSessions = append(gs.PlayerSessions, ps)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.scheduleGameSession(gs)
	out := make([]PlayerSessionView, len(created))
	for i, ps := range created {
		out[i] = gs.view(ps)
	}
	s.log.Debug("player sessions reserved", "game_session", gs.ID, "count", len(created))
	return out, nil
}

// AcceptPlayerSession validates a player who connected to the game server:
// the player session must be RESERVED in the very game session the calling
// process hosts, and turns ACTIVE. Any other case changes nothing.
func (s *Service) AcceptPlayerSession(ctx context.Context, ref ProcessRef, gameSessionID, playerSessionID string) (PlayerSessionView, error) {
	var accepted PlayerSession
	var expired bool
	gs, err := s.mutateHosted(ctx, ref, gameSessionID, func(gs *GameSession) error {
		expired = false
		if gs.Status != GameSessionActive {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is %s; players can be accepted only in ACTIVE game sessions.", gs.ID, gs.Status)
		}
		ps := findPlayerSession(gs, playerSessionID)
		if ps == nil {
			return newError(ErrNotFound, "Player session %s not found in game session %s.", playerSessionID, gs.ID)
		}
		if ps.Status == PlayerSessionReserved && !s.now().Before(ps.CreatedAt.Add(s.cfg.ReservationTimeout)) {
			// Its timer has not fired yet, but the reservation is over.
			ps.Status, ps.EndedAt = PlayerSessionTimedOut, s.now()
			expired = true
			return nil
		}
		if ps.Status != PlayerSessionReserved {
			return newError(ErrInvalidRequest, "Player session %s is %s, not RESERVED; a reservation can be accepted only once, before it times out.", ps.ID, ps.Status)
		}
		ps.Status = PlayerSessionActive
		accepted = *ps
		return nil
	})
	if err != nil {
		return PlayerSessionView{}, err
	}
	if expired {
		return PlayerSessionView{}, newError(ErrInvalidRequest, "Player session %s is TIMEDOUT, not RESERVED: it was not accepted within %s.", playerSessionID, s.cfg.ReservationTimeout)
	}
	return gs.view(accepted), nil
}

// RemovePlayerSession records that a player left the game server: a
// RESERVED or ACTIVE player session becomes COMPLETED and frees its slot.
func (s *Service) RemovePlayerSession(ctx context.Context, ref ProcessRef, gameSessionID, playerSessionID string) error {
	_, err := s.mutateHosted(ctx, ref, gameSessionID, func(gs *GameSession) error {
		ps := findPlayerSession(gs, playerSessionID)
		if ps == nil {
			return newError(ErrNotFound, "Player session %s not found in game session %s.", playerSessionID, gs.ID)
		}
		if !ps.holdsSlot() {
			return newError(ErrInvalidRequest, "Player session %s is already %s.", ps.ID, ps.Status)
		}
		ps.Status, ps.EndedAt = PlayerSessionCompleted, s.now()
		return nil
	})
	return err
}

// UpdatePlayerSessionCreationPolicy lets the server open or close its game
// session to new players.
func (s *Service) UpdatePlayerSessionCreationPolicy(ctx context.Context, ref ProcessRef, gameSessionID, policy string) error {
	if policy != AcceptAll && policy != DenyAll {
		return newError(ErrInvalidRequest, "PlayerSessionPolicy must be ACCEPT_ALL or DENY_ALL, not %q.", policy)
	}
	_, err := s.mutateHosted(ctx, ref, gameSessionID, func(gs *GameSession) error {
		if gs.ended() {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is %s.", gs.ID, gs.Status)
		}
		gs.PlayerSessionCreationPolicy = policy
		return nil
	})
	return err
}

func findPlayerSession(gs *GameSession, id string) *PlayerSession {
	i := slices.IndexFunc(gs.PlayerSessions, func(ps PlayerSession) bool { return ps.ID == id })
	if i < 0 {
		return nil
	}
	return &gs.PlayerSessions[i]
}

// expireReservations times out the RESERVED player sessions whose time is
// up; it says whether any did.
func (s *Service) expireReservations(gs *GameSession, now time.Time) bool {
	changed := false
	for i := range gs.PlayerSessions {
		ps := &gs.PlayerSessions[i]
		if ps.Status == PlayerSessionReserved && !now.Before(ps.CreatedAt.Add(s.cfg.ReservationTimeout)) {
			ps.Status, ps.EndedAt = PlayerSessionTimedOut, now
			changed = true
		}
	}
	if changed {
		s.log.Debug("reservations timed out", "game_session", gs.ID)
	}
	return changed
}

// endPlayerSessions closes every player session of an ending game session:
// players who were in become COMPLETED, reservations nobody used TIMEDOUT.
func endPlayerSessions(gs *GameSession, now time.Time) {
	for i := range gs.PlayerSessions {
		ps := &gs.PlayerSessions[i]
		switch ps.Status {
		case PlayerSessionActive:
			ps.Status, ps.EndedAt = PlayerSessionCompleted, now
		case PlayerSessionReserved:
			ps.Status, ps.EndedAt = PlayerSessionTimedOut, now
		}
	}
}

// PlayerSessionFilter selects player sessions, as DescribePlayerSessions
// does: by one player session, or the ones of a game session or a player,
// optionally of one status (ignored with a player session or player id, as
// on GameLift).
type PlayerSessionFilter struct {
	PlayerSessionID string
	GameSessionID   string
	PlayerID        string
	Status          string
}

// PlayerSessions lists player sessions, ordered by creation.
func (s *Service) PlayerSessions(ctx context.Context, f PlayerSessionFilter) ([]PlayerSessionView, error) {
	switch {
	case f.PlayerSessionID != "":
		key, ok := gameSessionKeyOfPlayerSession(f.PlayerSessionID)
		if !ok {
			return nil, newError(ErrNotFound, "Player session %s not found.", f.PlayerSessionID)
		}
		gs, _, err := load[GameSession](ctx, s.cfg.Sessions, key, "Player session", f.PlayerSessionID, "")
		if err != nil {
			return nil, err
		}
		ps := findPlayerSession(&gs, f.PlayerSessionID)
		if ps == nil {
			return nil, newError(ErrNotFound, "Player session %s not found.", f.PlayerSessionID)
		}
		return []PlayerSessionView{gs.view(*ps)}, nil
	case f.GameSessionID != "":
		gs, err := s.GameSession(ctx, f.GameSessionID)
		if err != nil {
			return nil, err
		}
		var out []PlayerSessionView
		for _, ps := range gs.PlayerSessions {
			if f.Status == "" || ps.Status == f.Status {
				out = append(out, gs.view(ps))
			}
		}
		return out, nil
	case f.PlayerID != "":
		// A player's sessions are spread over game sessions; this reads
		// them all. It is an occasional lookup (support tools), not a hot
		// path.
		all, err := engine.List[GameSession](ctx, s.cfg.Sessions, "gs.>")
		if err != nil {
			return nil, fmt.Errorf("list game sessions: %w", err)
		}
		sortGameSessions(all)
		var out []PlayerSessionView
		for _, gs := range all {
			for _, ps := range gs.PlayerSessions {
				if ps.PlayerID == f.PlayerID {
					out = append(out, gs.view(ps))
				}
			}
		}
		return out, nil
	}
	return nil, newError(ErrInvalidRequest, "One of PlayerSessionId, GameSessionId or PlayerId is required.")
}
