package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet/query"
)

// Game session statuses, as GameLift names them.
const (
	GameSessionActivating  = "ACTIVATING"
	GameSessionActive      = "ACTIVE"
	GameSessionTerminating = "TERMINATING"
	GameSessionTerminated  = "TERMINATED"
	GameSessionError       = "ERROR"
)

// Game session status reasons.
const (
	ReasonInterrupted                 = "INTERRUPTED"
	ReasonTriggeredOnProcessTerminate = "TRIGGERED_ON_PROCESS_TERMINATE"
	ReasonForceTerminated             = "FORCE_TERMINATED"
)

// Player session creation policies.
const (
	AcceptAll = "ACCEPT_ALL"
	DenyAll   = "DENY_ALL"
)

// Termination modes of TerminateGameSession.
const (
	TriggerOnProcessTerminate = "TRIGGER_ON_PROCESS_TERMINATE"
	ForceTerminate            = "FORCE_TERMINATE"
)

// MaxPlayersPerGameSession is GameLift's fixed limit on
// MaximumPlayerSessionCount.
const MaxPlayersPerGameSession = 200

// Property is one game property; order is kept as the caller gave it.
type Property struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// GameSession is a game running on one server process. Its player
// sessions live inside it, so every change to who holds a slot is one
// compare-and-set on one record: the maximum can never be exceeded, even
// by concurrent callers on different nodes.
type GameSession struct {
	ID                          string          `json:"id"` // the ARN, which GameLift uses as the id
	ShortID                     string          `json:"shortId"`
	FleetID                     string          `json:"fleetId"`
	FleetARN                    string          `json:"fleetArn"`
	Name                        string          `json:"name,omitempty"`
	Location                    string          `json:"location"`
	Compute                     string          `json:"compute"`
	ProcessID                   string          `json:"processId"`
	IPAddress                   string          `json:"ipAddress,omitempty"`
	DNSName                     string          `json:"dnsName,omitempty"`
	Port                        int             `json:"port"`
	MaximumPlayerSessionCount   int             `json:"maximumPlayerSessionCount"`
	PlayerSessionCreationPolicy string          `json:"playerSessionCreationPolicy"`
	ProtectionPolicy            string          `json:"protectionPolicy"`
	GameProperties              []Property      `json:"gameProperties,omitempty"`
	GameSessionData             string          `json:"gameSessionData,omitempty"`
	MatchmakerData              string          `json:"matchmakerData,omitempty"`
	CreatorID                   string          `json:"creatorId,omitempty"`
	IdempotencyToken            string          `json:"idempotencyToken,omitempty"`
	Status                      string          `json:"status"`
	StatusReason                string          `json:"statusReason,omitempty"`
	CreatedAt                   time.Time       `json:"createdAt"`
	EndedAt                     time.Time       `json:"endedAt,omitzero"`
	PlayerSessions              []PlayerSession `json:"-"` // stored as storedPlayerSessions
}

// storedGameSession is a game session's stored form: its fields, with the
// player sessions in their compact stored form.
type storedGameSession struct {
	*plainGameSession
	PlayerSessions []storedPlayerSession `json:"ps,omitempty"`
}

// plainGameSession is GameSession without its JSON methods.
type plainGameSession GameSession

// MarshalJSON writes the stored form.
func (g GameSession) MarshalJSON() ([]byte, error) {
	st := storedGameSession{plainGameSession: (*plainGameSession)(&g)}
	if n := len(g.PlayerSessions); n > 0 {
		st.PlayerSessions = make([]storedPlayerSession, n)
		for i := range g.PlayerSessions {
			st.PlayerSessions[i] = g.PlayerSessions[i].stored()
		}
	}
	return json.Marshal(st)
}

// UnmarshalJSON reads the stored form.
func (g *GameSession) UnmarshalJSON(b []byte) error {
	st := storedGameSession{plainGameSession: (*plainGameSession)(g)}
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	g.PlayerSessions = nil
	if n := len(st.PlayerSessions); n > 0 {
		prefix := g.playerSessionPrefix()
		g.PlayerSessions = make([]PlayerSession, n)
		for i := range st.PlayerSessions {
			g.PlayerSessions[i] = st.PlayerSessions[i].playerSession(prefix)
		}
	}
	return nil
}

// Process names the process hosting the game session.
func (g *GameSession) Process() ProcessRef {
	return ProcessRef{FleetID: g.FleetID, Compute: g.Compute, ProcessID: g.ProcessID}
}

// CurrentPlayerSessionCount counts the player sessions holding a slot:
// RESERVED and ACTIVE ones.
func (g *GameSession) CurrentPlayerSessionCount() int {
	n := 0
	for _, ps := range g.PlayerSessions {
		if ps.holdsSlot() {
			n++
		}
	}
	return n
}

func (g *GameSession) ended() bool {
	return g.Status == GameSessionTerminated || g.Status == GameSessionError
}

func (g *GameSession) key() string { return gameSessionKey(g.FleetID, g.ShortID) }

func gameSessionKey(fleetID, shortID string) string { return "gs." + fleetID + "." + shortID }

// gameSessionKeyFromID turns a game session ARN into its record key. An id
// that is not one of ours has no record.
func gameSessionKeyFromID(id string) (string, bool) {
	i := strings.Index(id, ":gamesession/")
	if !strings.HasPrefix(id, "arn:") || i < 0 {
		return "", false
	}
	fleetID, shortID, ok := strings.Cut(id[i+len(":gamesession/"):], "/")
	if !ok || !keyToken(fleetID) || !keyToken(shortID) {
		return "", false
	}
	return gameSessionKey(fleetID, shortID), true
}

// keyToken says whether s can be one token of a KV key.
func keyToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// CreateGameSessionInput holds what CreateGameSession takes.
type CreateGameSessionInput struct {
	FleetID                   string // id or ARN; or AliasID
	AliasID                   string
	Location                  string
	Name                      string
	MaximumPlayerSessionCount int
	GameProperties            []Property
	GameSessionData           string
	MatchmakerData            string
	IdempotencyToken          string
	CreatorID                 string
}

// CreateGameSession starts a game session on an idle server process in the
// fleet location, ACTIVATING until the server calls ActivateGameSession.
// A repeated IdempotencyToken returns the session it created first.
func (s *Service) CreateGameSession(ctx context.Context, in CreateGameSessionInput) (GameSession, error) {
	f, err := s.sessionFleet(ctx, in.FleetID, in.AliasID)
	if err != nil {
		return GameSession{}, err
	}
	if f.Status != StatusActive {
		return GameSession{}, newError(ErrInvalidFleetStatus, "Fleet %s is %s; game sessions start only on ACTIVE fleets.", f.ID, f.Status)
	}
	if in.Location == "" {
		return GameSession{}, newError(ErrInvalidRequest, "Location is required for an Anywhere fleet: name one of fleet %s's custom locations (%s).", f.ID, strings.Join(f.CustomLocations(), ", "))
	}
	if !slices.Contains(f.CustomLocations(), in.Location) {
		return GameSession{}, newError(ErrInvalidRequest, "Location %s is not a custom location of fleet %s (it has: %s).", in.Location, f.ID, strings.Join(f.CustomLocations(), ", "))
	}
	if in.MaximumPlayerSessionCount < 0 || in.MaximumPlayerSessionCount > MaxPlayersPerGameSession {
		return GameSession{}, newError(ErrInvalidRequest, "MaximumPlayerSessionCount %d is out of range: a game session holds 0 to %d players.", in.MaximumPlayerSessionCount, MaxPlayersPerGameSession)
	}
	shortID := in.IdempotencyToken
	if shortID == "" {
		shortID = "gsess-" + uuid.NewString()
	} else if !keyToken(shortID) {
		return GameSession{}, newError(ErrInvalidRequest, "IdempotencyToken %q may hold only letters, digits and '-'.", shortID)
	}
	key := gameSessionKey(f.ID, shortID)
	if in.IdempotencyToken != "" {
		existing, _, err := engine.Get[GameSession](ctx, s.cfg.Sessions, key)
		if err == nil {
			return existing, sameRequest(existing, in)
		}
		if !errors.Is(err, engine.ErrNotFound) {
			return GameSession{}, fmt.Errorf("read game session %s: %w", key, err)
		}
	}
	if err := s.checkCreatorLimit(ctx, f, in.CreatorID); err != nil {
		return GameSession{}, err
	}
	p, err := s.claimProcess(ctx, f.ID, in.Location, key)
	if err != nil {
		return GameSession{}, err
	}
	gs := GameSession{
		ID:                          s.GameSessionARN(f.ID, shortID),
		ShortID:                     shortID,
		FleetID:                     f.ID,
		FleetARN:                    f.ARN,
		Name:                        in.Name,
		Location:                    in.Location,
		Compute:                     p.Compute,
		ProcessID:                   p.ProcessID,
		IPAddress:                   p.IPAddress,
		DNSName:                     p.DNSName,
		Port:                        p.Port,
		MaximumPlayerSessionCount:   in.MaximumPlayerSessionCount,
		PlayerSessionCreationPolicy: AcceptAll,
		ProtectionPolicy:            f.ProtectionPolicy,
		GameProperties:              in.GameProperties,
		GameSessionData:             in.GameSessionData,
		MatchmakerData:              in.MatchmakerData,
		CreatorID:                   in.CreatorID,
		IdempotencyToken:            in.IdempotencyToken,
		Status:                      GameSessionActivating,
		CreatedAt:                   s.now(),
	}
	if _, err := engine.Create(ctx, s.cfg.Sessions, key, gs); err != nil {
		s.releaseProcess(ctx, p.Ref(), key)
		if errors.Is(err, engine.ErrExists) {
			// The same idempotency token, concurrently.
			existing, _, gerr := engine.Get[GameSession](ctx, s.cfg.Sessions, key)
			if gerr != nil {
				return GameSession{}, fmt.Errorf("read game session %s: %w", key, gerr)
			}
			return existing, sameRequest(existing, in)
		}
		return GameSession{}, fmt.Errorf("record game session %s: %w", key, err)
	}
	s.log.Info("game session created", "fleet", f.ID, "game_session", gs.ID, "location", gs.Location, "compute", gs.Compute, "process", gs.ProcessID)
	s.scheduleGameSession(gs)
	s.push(ctx, p.Ref(), Push{Kind: PushCreateGameSession, GameSession: &gs})
	return gs, nil
}

// sessionFleet resolves the fleet a game session call names, by fleet id
// or by alias.
func (s *Service) sessionFleet(ctx context.Context, fleetID, aliasID string) (Fleet, error) {
	switch {
	case fleetID != "" && aliasID != "":
		return Fleet{}, newError(ErrInvalidRequest, "Give either FleetId or AliasId, not both.")
	case aliasID != "":
		return s.ResolveAlias(ctx, aliasID)
	case fleetID != "":
		return s.Fleet(ctx, fleetID)
	}
	return Fleet{}, newError(ErrInvalidRequest, "Either FleetId or AliasId is required.")
}

// sameRequest checks that a repeated idempotency token came with the
// parameters of the first request.
func sameRequest(gs GameSession, in CreateGameSessionInput) error {
	if gs.Location == in.Location && gs.Name == in.Name &&
		gs.MaximumPlayerSessionCount == in.MaximumPlayerSessionCount &&
		slices.Equal(gs.GameProperties, in.GameProperties) &&
		gs.GameSessionData == in.GameSessionData && gs.CreatorID == in.CreatorID {
		return nil
	}
	return newError(ErrIdempotentParameterMismatch, "IdempotencyToken %s was already used to create game session %s with different parameters.", in.IdempotencyToken, gs.ID)
}

// checkCreatorLimit applies the fleet's ResourceCreationLimitPolicy.
func (s *Service) checkCreatorLimit(ctx context.Context, f Fleet, creator string) error {
	lim := f.CreationLimit
	if creator == "" || lim == nil || lim.NewGameSessionsPerCreator <= 0 || lim.PolicyPeriodInMinutes <= 0 {
		return nil
	}
	since := s.now().Add(-time.Duration(lim.PolicyPeriodInMinutes) * time.Minute)
	all, err := s.fleetGameSessions(ctx, f.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, gs := range all {
		if gs.CreatorID == creator && gs.CreatedAt.After(since) {
			n++
		}
	}
	if n >= int(lim.NewGameSessionsPerCreator) {
		return newError(ErrLimitExceeded, "Creator %s has created %d game sessions in fleet %s in the last %d minutes, the fleet's limit.", creator, n, f.ID, lim.PolicyPeriodInMinutes)
	}
	return nil
}

// claimProcess picks an idle process in the location and marks it as
// hosting the game session at gsKey. The mark is a compare-and-set on the
// process record, so two callers (two API calls, two placements, two
// nodes) can never take the same process.
func (s *Service) claimProcess(ctx context.Context, fleetID, location, gsKey string) (Process, error) {
	// The cache answers fast but may lag behind a process that has just
	// become ready; before saying there is no capacity, storage is read.
	if idle, ok := s.procs.idleIn(fleetID, location); ok {
		if p, ok, err := s.claimOneOf(ctx, idle, gsKey); ok || err != nil {
			return p, err
		}
	}
	procs, err := s.processes(ctx, fleetID)
	if err != nil {
		return Process{}, err
	}
	idle := slices.DeleteFunc(procs, func(p Process) bool { return p.Location != location || !p.idle() })
	if p, ok, err := s.claimOneOf(ctx, idle, gsKey); ok || err != nil {
		return p, err
	}
	return Process{}, newError(ErrFleetCapacityExceeded, "No idle server process in location %s of fleet %s can host a new game session; start more game servers or retry.", location, fleetID)
}

// claimOneOf claims the first of the candidates that is still idle.
func (s *Service) claimOneOf(ctx context.Context, idle []Process, gsKey string) (Process, bool, error) {
	// Start at a random candidate so that concurrent callers spread out
	// instead of all racing for the first one.
	start := 0
	if len(idle) > 0 {
		start = rand.IntN(len(idle))
	}
	for k := range idle {
		cand := &idle[(start+k)%len(idle)]
		p, ok, err := s.claim(ctx, cand.Ref().key(), gsKey)
		if ok || err != nil {
			return p, ok, err
		}
	}
	return Process{}, false, nil
}

// claim marks one process as hosting gsKey if it is idle. A write that
// loses to another change of the record (a heartbeat, say) rereads it: only
// a process that is no longer idle is given up.
func (s *Service) claim(ctx context.Context, key, gsKey string) (Process, bool, error) {
	for range 8 {
		p, rev, err := engine.Get[Process](ctx, s.cfg.Computes, key)
		if errors.Is(err, engine.ErrNotFound) || err == nil && !p.idle() {
			return Process{}, false, nil
		}
		if err != nil {
			return Process{}, false, fmt.Errorf("read process %s: %w", key, err)
		}
		p.GameSession = gsKey
		_, err = engine.Update(ctx, s.cfg.Computes, key, p, rev)
		if errors.Is(err, engine.ErrStale) {
			continue
		}
		if err != nil {
			return Process{}, false, fmt.Errorf("claim process %s: %w", p.Ref(), err)
		}
		return p, true, nil
	}
	return Process{}, false, nil // too busy a record; try the next
}

// releaseProcess undoes a claim that did not lead to a game session.
func (s *Service) releaseProcess(ctx context.Context, ref ProcessRef, gsKey string) {
	_, err := engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
		if p.GameSession != gsKey {
			return errNoChange
		}
		p.GameSession = ""
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		s.log.Error("could not release a claimed server process", "process", ref.String(), "error", err)
	}
}

// errNoChange aborts a Mutate that finds nothing to do.
var errNoChange = errors.New("no change")

// GameSession returns a game session by its id (ARN).
func (s *Service) GameSession(ctx context.Context, id string) (GameSession, error) {
	key, ok := gameSessionKeyFromID(id)
	if !ok {
		return GameSession{}, newError(ErrNotFound, "Game session %s not found.", id)
	}
	gs, _, err := load[GameSession](ctx, s.cfg.Sessions, key, "Game session", id, "")
	return gs, err
}

// GameSessionFilter selects game sessions for DescribeGameSessions.
type GameSessionFilter struct {
	FleetID       string
	AliasID       string
	GameSessionID string
	Location      string
	Status        string
}

// GameSessions lists game sessions by id, or of a fleet (or the fleet an
// alias routes to), ordered by creation.
func (s *Service) GameSessions(ctx context.Context, filter GameSessionFilter) ([]GameSession, error) {
	var all []GameSession
	if filter.GameSessionID != "" {
		gs, err := s.GameSession(ctx, filter.GameSessionID)
		if err != nil {
			return nil, err
		}
		all = []GameSession{gs}
	} else {
		f, err := s.sessionFleet(ctx, filter.FleetID, filter.AliasID)
		if err != nil {
			return nil, err
		}
		if all, err = s.fleetGameSessions(ctx, f.ID); err != nil {
			return nil, err
		}
	}
	return slices.DeleteFunc(all, func(gs GameSession) bool {
		return filter.Location != "" && gs.Location != filter.Location ||
			filter.Status != "" && gs.Status != filter.Status
	}), nil
}

func (s *Service) fleetGameSessions(ctx context.Context, fleetID string) ([]GameSession, error) {
	all, err := engine.List[GameSession](ctx, s.cfg.Sessions, "gs."+fleetID+".>")
	if err != nil {
		return nil, fmt.Errorf("list game sessions of fleet %s: %w", fleetID, err)
	}
	sortGameSessions(all)
	return all, nil
}

func sortGameSessions(all []GameSession) {
	slices.SortFunc(all, func(a, b GameSession) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// UpdateGameSessionInput holds what UpdateGameSession changes; nil means
// unchanged. GameProperties are added or overwritten, never removed.
type UpdateGameSessionInput struct {
	ID                          string
	Name                        *string
	MaximumPlayerSessionCount   *int
	PlayerSessionCreationPolicy *string
	ProtectionPolicy            *string
	GameProperties              []Property
}

// UpdateGameSession changes a live game session's settings.
func (s *Service) UpdateGameSession(ctx context.Context, in UpdateGameSessionInput) (GameSession, error) {
	if n := in.MaximumPlayerSessionCount; n != nil && (*n < 0 || *n > MaxPlayersPerGameSession) {
		return GameSession{}, newError(ErrInvalidRequest, "MaximumPlayerSessionCount %d is out of range: a game session holds 0 to %d players.", *n, MaxPlayersPerGameSession)
	}
	return s.mutateGameSession(ctx, in.ID, func(gs *GameSession) error {
		if gs.ended() || gs.Status == GameSessionTerminating {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is %s and can no longer be updated.", gs.ID, gs.Status)
		}
		if in.Name != nil {
			gs.Name = *in.Name
		}
		if in.MaximumPlayerSessionCount != nil {
			gs.MaximumPlayerSessionCount = *in.MaximumPlayerSessionCount
		}
		if in.PlayerSessionCreationPolicy != nil {
			gs.PlayerSessionCreationPolicy = *in.PlayerSessionCreationPolicy
		}
		if in.ProtectionPolicy != nil {
			gs.ProtectionPolicy = *in.ProtectionPolicy
		}
		for _, p := range in.GameProperties {
			if i := slices.IndexFunc(gs.GameProperties, func(q Property) bool { return q.Key == p.Key }); i >= 0 {
				gs.GameProperties[i].Value = p.Value
			} else {
				gs.GameProperties = append(gs.GameProperties, p)
			}
		}
		if len(gs.GameProperties) > 16 {
			return newError(ErrInvalidRequest, "A game session has at most 16 game properties; this update would give it %d.", len(gs.GameProperties))
		}
		return nil
	})
}

// mutateGameSession applies fn to a game session with compare-and-set,
// serialised with this node's other writers to it.
func (s *Service) mutateGameSession(ctx context.Context, id string, fn func(*GameSession) error) (GameSession, error) {
	key, ok := gameSessionKeyFromID(id)
	if !ok {
		return GameSession{}, newError(ErrNotFound, "Game session %s not found.", id)
	}
	return s.mutateGameSessionKey(ctx, key, id, fn)
}

func (s *Service) mutateGameSessionKey(ctx context.Context, key, name string, fn func(*GameSession) error) (GameSession, error) {
	unlock := s.locks.lock(key)
	defer unlock()
	gs, err := engine.Mutate(ctx, s.cfg.Sessions, key, fn)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return GameSession{}, newError(ErrNotFound, "Game session %s not found.", name)
	case errors.Is(err, engine.ErrStale):
		return GameSession{}, newError(ErrConflict, "Game session %s is changing under heavy contention; retry.", name)
	}
	return gs, err
}

// TerminateGameSession ends a game session. TRIGGER_ON_PROCESS_TERMINATE
// tells its server process to terminate and ends the session when the
// process calls ProcessEnding (or, if it does not, when its termination
// time has passed). FORCE_TERMINATE needs the GameLift agent to kill
// processes, which Anywhere computes without it (and rallypoint) do not
// have, so it is refused as GameLift refuses it there.
func (s *Service) TerminateGameSession(ctx context.Context, id, mode string) (GameSession, error) {
	switch mode {
	case TriggerOnProcessTerminate:
	case ForceTerminate:
		return GameSession{}, newError(ErrInvalidRequest, "TerminationMode FORCE_TERMINATE needs a managed agent that can kill processes, which Anywhere fleets do not have; use TRIGGER_ON_PROCESS_TERMINATE.")
	default:
		return GameSession{}, newError(ErrInvalidRequest, "TerminationMode must be TRIGGER_ON_PROCESS_TERMINATE or FORCE_TERMINATE, not %q.", mode)
	}
	gs, err := s.mutateGameSession(ctx, id, func(gs *GameSession) error {
		switch gs.Status {
		case GameSessionActivating, GameSessionActive:
			gs.Status = GameSessionTerminating
			return nil
		case GameSessionTerminating:
			return errNoChange
		}
		return newError(ErrInvalidGameSessionStatus, "Game session %s is %s and cannot be terminated.", gs.ID, gs.Status)
	})
	if errors.Is(err, errNoChange) {
		return s.GameSession(ctx, id)
	}
	if err != nil {
		return GameSession{}, err
	}
	at := s.now().Add(s.cfg.TerminationGrace)
	ref := gs.Process()
	unlock := s.locks.lock(ref.key())
	p, err := engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
		if p.Status != ProcessActive {
			return errNoChange
		}
		p.Status = ProcessTerminating
		p.TerminationTime = at
		return nil
	})
	unlock()
	switch {
	case errors.Is(err, errNoChange), errors.Is(err, engine.ErrNotFound):
		// The process is already ending; its end ends the session.
	case err != nil:
		return GameSession{}, s.processWriteError(ref, err)
	default:
		s.scheduleProcess(p)
		s.push(ctx, ref, Push{Kind: PushTerminateProcess, TerminationTime: at})
	}
	s.log.Info("game session terminating", "game_session", gs.ID, "process", ref.String(), "termination_time", at)
	return gs, nil
}

// ActivateGameSession marks the process's game session ACTIVE: the server
// is ready for players. Activating an ACTIVE session again is a no-op, so
// a server that got its CreateGameSession twice (across a reconnect) is
// not punished for answering twice.
func (s *Service) ActivateGameSession(ctx context.Context, ref ProcessRef, id string) (GameSession, error) {
	if _, err := s.hostedGameSession(ctx, ref, id); err != nil {
		return GameSession{}, err
	}
	gs, err := s.mutateGameSession(ctx, id, func(gs *GameSession) error {
		switch gs.Status {
		case GameSessionActivating:
			gs.Status = GameSessionActive
			return nil
		case GameSessionActive:
			return errNoChange
		}
		return newError(ErrInvalidGameSessionStatus, "Game session %s is %s and cannot be activated.", gs.ID, gs.Status)
	})
	if errors.Is(err, errNoChange) {
		return s.GameSession(ctx, id)
	}
	if err == nil {
		s.log.Info("game session active", "game_session", gs.ID, "process", ref.String())
	}
	return gs, err
}

// hostedGameSession checks that the process is live and hosts the game
// session id: a process acts only on its own game session.
func (s *Service) hostedGameSession(ctx context.Context, ref ProcessRef, id string) (Process, error) {
	p, err := s.activeProcess(ctx, ref)
	if err != nil {
		return Process{}, err
	}
	key, ok := gameSessionKeyFromID(id)
	if !ok || p.GameSession != key {
		return Process{}, newError(ErrForbidden, "Game session %s is not hosted by process %s.", id, ref.ProcessID)
	}
	return p, nil
}

// mutateHosted applies fn to a game session that the calling process
// hosts. The game session's record names its process, so the calls game
// servers make for every player read one record; only a refusal reads the
// process too, to say precisely why.
func (s *Service) mutateHosted(ctx context.Context, ref ProcessRef, id string, fn func(*GameSession) error) (GameSession, error) {
	key, ok := gameSessionKeyFromID(id)
	if !ok {
		_, err := s.hostedGameSession(ctx, ref, id)
		return GameSession{}, err
	}
	hosted := false
	gs, err := s.mutateGameSessionKey(ctx, key, id, func(gs *GameSession) error {
		if hosted = gs.Process() == ref; !hosted {
			return errNoChange
		}
		return fn(gs)
	})
	if !hosted {
		if _, herr := s.hostedGameSession(ctx, ref, id); herr != nil {
			return GameSession{}, herr
		}
		// The process hosts it after all (it was being created): retry.
		if err == nil || errors.Is(err, errNoChange) || errors.Is(err, ErrNotFound) {
			return GameSession{}, newError(ErrConflict, "Game session %s changed concurrently; retry.", id)
		}
	}
	return gs, err
}

// endGameSessionOfProcess ends the game session a process hosted, when the
// process ends (lost: it died or stopped answering).
func (s *Service) endGameSessionOfProcess(ctx context.Context, key string, ref ProcessRef, lost bool) error {
	gs, err := s.mutateGameSessionKey(ctx, key, key, func(gs *GameSession) error {
		if gs.ended() || gs.Process() != ref {
			return errNoChange
		}
		switch {
		case gs.Status == GameSessionTerminating:
			gs.Status, gs.StatusReason = GameSessionTerminated, ReasonTriggeredOnProcessTerminate
		case gs.Status == GameSessionActivating && lost:
			gs.Status = GameSessionError
		case lost:
			gs.Status, gs.StatusReason = GameSessionTerminated, ReasonInterrupted
		default:
			gs.Status = GameSessionTerminated
		}
		gs.EndedAt = s.now()
		endPlayerSessions(gs, gs.EndedAt)
		return nil
	})
	if errors.Is(err, errNoChange) || errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Info("game session ended", "game_session", gs.ID, "status", gs.Status, "reason", gs.StatusReason)
	s.scheduleGameSession(gs)
	return nil
}

// checkGameSession acts on a game session's deadlines: activation and
// reservations.
func (s *Service) checkGameSession(ctx context.Context, key string) error {
	gs, _, err := engine.Get[GameSession](ctx, s.cfg.Sessions, key)
	if errors.Is(err, engine.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	switch {
	case gs.ended():
		return nil // purged by the rescan once its retention is over
	case gs.Status == GameSessionActivating && !now.Before(gs.CreatedAt.Add(s.cfg.ActivationTimeout)):
		return s.activationTimedOut(ctx, gs)
	case gs.Status == GameSessionActive:
		gs, err = s.mutateGameSessionKey(ctx, key, gs.ID, func(gs *GameSession) error {
			if !s.expireReservations(gs, s.now()) {
				return errNoChange
			}
			return nil
		})
		if errors.Is(err, errNoChange) || errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err != nil {
			return err
		}
	}
	s.scheduleGameSession(gs)
	return nil
}

// activationTimedOut ends a game session whose server never activated it,
// and the process with it: a process that cannot start a game is not given
// another.
func (s *Service) activationTimedOut(ctx context.Context, gs GameSession) error {
	reason := fmt.Sprintf("game session %s not activated within %s", gs.ID, s.cfg.ActivationTimeout)
	if err := s.loseProcess(ctx, gs.Process(), reason); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return err
		}
		// The process had ended already; end the session directly.
		return s.endGameSessionOfProcess(ctx, gs.key(), gs.Process(), true)
	}
	return nil
}

// nextDeadline is when the game session next needs looking at, if ever.
func (s *Service) nextDeadline(gs GameSession) (time.Time, bool) {
	switch gs.Status {
	case GameSessionActivating:
		return gs.CreatedAt.Add(s.cfg.ActivationTimeout), true
	case GameSessionTerminated, GameSessionError:
		return time.Time{}, false
	}
	var next time.Time
	for _, ps := range gs.PlayerSessions {
		if ps.Status == PlayerSessionReserved {
			if d := ps.CreatedAt.Add(s.cfg.ReservationTimeout); next.IsZero() || d.Before(next) {
				next = d
			}
		}
	}
	return next, !next.IsZero()
}

func (s *Service) scheduleGameSession(gs GameSession) {
	if at, ok := s.nextDeadline(gs); ok {
		s.timers.schedule(timerGameSession, gs.key(), at)
	}
}

// Utilization is what DescribeFleetUtilization reports for a fleet.
type Utilization struct {
	ActiveServerProcesses int
	ActiveGameSessions    int
	CurrentPlayerSessions int
	MaximumPlayerSessions int
	Computes              int
	ActiveComputes        int
	IdleComputes          int // active computes hosting no live game session
	TerminatingComputes   int
}

// FleetUtilization counts a fleet's live server processes, game sessions
// and player sessions, and its computes by what they are doing.
func (s *Service) FleetUtilization(ctx context.Context, idOrARN string) (Fleet, Utilization, error) {
	f, err := s.Fleet(ctx, idOrARN)
	if err != nil {
		return Fleet{}, Utilization{}, err
	}
	cs, err := s.listComputes(ctx, f.ID)
	if err != nil {
		return Fleet{}, Utilization{}, err
	}
	procs, err := s.processes(ctx, f.ID)
	if err != nil {
		return Fleet{}, Utilization{}, err
	}
	sessions, err := s.fleetGameSessions(ctx, f.ID)
	if err != nil {
		return Fleet{}, Utilization{}, err
	}
	var u Utilization
	busy := map[string]bool{}
	for _, p := range procs {
		if p.Status != ProcessTerminated {
			u.ActiveServerProcesses++
		}
	}
	for _, gs := range sessions {
		if gs.ended() {
			continue
		}
		u.ActiveGameSessions++
		u.CurrentPlayerSessions += gs.CurrentPlayerSessionCount()
		u.MaximumPlayerSessions += gs.MaximumPlayerSessionCount
		busy[gs.Compute] = true
	}
	for _, c := range cs {
		if c.Status != ComputeActive {
			u.TerminatingComputes++
			continue
		}
		u.ActiveComputes++
		if !busy[c.Name] {
			u.IdleComputes++
		}
	}
	return f, u, nil
}

// SearchGameSessions returns the ACTIVE game sessions of a fleet (or the
// fleet an alias routes to), optionally in one location, that match the
// filter, in the sort's order (creation order without one; GameLift's is
// unspecified).
func (s *Service) SearchGameSessions(ctx context.Context, fleetID, aliasID, location string, filter *query.Filter, sort *query.Sort) ([]GameSession, error) {
	f, err := s.sessionFleet(ctx, fleetID, aliasID)
	if err != nil {
		return nil, err
	}
	all, err := s.fleetGameSessions(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(gs GameSession) bool {
		return gs.Status != GameSessionActive || location != "" && gs.Location != location ||
			filter != nil && !filter.Match(gs.queryFields())
	})
	if sort != nil {
		slices.SortStableFunc(all, func(a, b GameSession) int { return sort.Compare(a.queryFields(), b.queryFields()) })
	}
	return all, nil
}

func (g *GameSession) queryFields() query.Fields {
	n := g.CurrentPlayerSessionCount()
	return query.Fields{
		GameSessionName:            g.Name,
		GameSessionID:              g.ID,
		MaximumSessions:            g.MaximumPlayerSessionCount,
		CreationTimeMillis:         g.CreatedAt.UnixMilli(),
		PlayerSessionCount:         n,
		HasAvailablePlayerSessions: n < g.MaximumPlayerSessionCount && g.PlayerSessionCreationPolicy == AcceptAll,
		Properties:                 properties(g.GameProperties),
	}
}

func properties(ps []Property) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Key] = p.Value
	}
	return m
}
