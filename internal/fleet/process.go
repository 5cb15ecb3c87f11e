package fleet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Server process statuses. A process is ACTIVE from ProcessReady until it
// ends; TERMINATING once it has been told to stop (TerminateProcess) and
// has not yet called ProcessEnding; TERMINATED for good after that, or
// when it was lost. A process never hosts a second game session: on
// GameLift a process ends with its game session, and a new one starts.
const (
	ProcessActive      = "ACTIVE"
	ProcessTerminating = "TERMINATING"
	ProcessTerminated  = "TERMINATED"
)

// ProcessRef names one run of a game server process: the SDKs identify a
// process by fleet, compute and the process id it chose, not by its socket,
// so that a reconnect finds the same process.
type ProcessRef struct {
	FleetID   string
	Compute   string
	ProcessID string
}

func (r ProcessRef) key() string {
	// Process ids are free text to the SDKs; base64url makes any of them a
	// valid KV key token.
	return "proc." + r.FleetID + "." + r.Compute + "." + base64.RawURLEncoding.EncodeToString([]byte(r.ProcessID))
}

func (r ProcessRef) String() string { return r.FleetID + "/" + r.Compute + "/" + r.ProcessID }

// Process is a game server process that called ProcessReady on a compute.
type Process struct {
	FleetID     string    `json:"fleetId"`
	Compute     string    `json:"compute"`
	ProcessID   string    `json:"processId"`
	Location    string    `json:"location"`
	IPAddress   string    `json:"ipAddress,omitempty"`
	DNSName     string    `json:"dnsName,omitempty"`
	Port        int       `json:"port"`
	LogPaths    []string  `json:"logPaths,omitempty"`
	SDKVersion  string    `json:"sdkVersion,omitempty"`
	SDKLanguage string    `json:"sdkLanguage,omitempty"`
	Status      string    `json:"status"`
	Healthy     bool      `json:"healthy"`
	Unhealthy   int       `json:"unhealthy,omitempty"` // unhealthy heartbeats in a row
	ActivatedAt time.Time `json:"activatedAt"`
	LastBeat    time.Time `json:"lastBeat"`
	// GameSession is the key of the game session the process hosts or
	// hosted; empty while it is idle.
	GameSession string `json:"gameSession,omitempty"`
	// TerminationTime is when a process told to terminate will be stopped.
	TerminationTime time.Time `json:"terminationTime,omitzero"`
	EndedAt         time.Time `json:"endedAt,omitzero"`
	EndReason       string    `json:"endReason,omitempty"`
}

// Ref returns the process's reference.
func (p *Process) Ref() ProcessRef {
	return ProcessRef{FleetID: p.FleetID, Compute: p.Compute, ProcessID: p.ProcessID}
}

// idle says whether the process can take a new game session.
func (p *Process) idle() bool {
	return p.Status == ProcessActive && p.Healthy && p.GameSession == ""
}

// ConnectProcess checks that a game server may open the server SDK
// connection it asks for: its compute auth token must be valid for exactly
// this fleet and compute, the compute must still be registered, and the
// process id must not belong to a process that has ended (the SDKs require
// a fresh process id per run). It returns the compute and when the token
// expires.
func (s *Service) ConnectProcess(ctx context.Context, ref ProcessRef, token string) (Compute, time.Time, error) {
	fleetID, compute, expires, err := s.VerifyComputeAuthToken(token)
	if err != nil {
		return Compute{}, time.Time{}, newError(ErrForbidden, "The compute auth token is not valid: %v. Get a fresh one with GetComputeAuthToken.", err)
	}
	if fleetID != ref.FleetID || compute != ref.Compute {
		return Compute{}, time.Time{}, newError(ErrForbidden, "The compute auth token was issued for compute %s of fleet %s, not compute %s of fleet %s.", compute, fleetID, ref.Compute, ref.FleetID)
	}
	c, err := s.Compute(ctx, ref.FleetID, ref.Compute)
	if errors.Is(err, ErrNotFound) {
		return Compute{}, time.Time{}, newError(ErrForbidden, "Compute %s is not registered in fleet %s.", ref.Compute, ref.FleetID)
	}
	if err != nil {
		return Compute{}, time.Time{}, err
	}
	if c.Status != ComputeActive {
		return Compute{}, time.Time{}, newError(ErrForbidden, "Compute %s of fleet %s is %s.", ref.Compute, ref.FleetID, c.Status)
	}
	p, _, err := engine.Get[Process](ctx, s.cfg.Computes, ref.key())
	switch {
	case errors.Is(err, engine.ErrNotFound):
	case err != nil:
		return Compute{}, time.Time{}, fmt.Errorf("read process %s: %w", ref, err)
	case p.Status == ProcessTerminated:
		return Compute{}, time.Time{}, newError(ErrForbidden, "Process %s has ended (%s); every run of a game server needs a new ProcessId.", ref.ProcessID, p.EndReason)
	}
	return c, expires, nil
}

// ReadyInput is what a process reports with ProcessReady.
type ReadyInput struct {
	Port        int
	LogPaths    []string
	SDKVersion  string
	SDKLanguage string
}

// ProcessReady records that a process is ready to host a game session.
// Calling it again while the process is active updates its port and log
// paths, as the SDKs allow.
func (s *Service) ProcessReady(ctx context.Context, ref ProcessRef, in ReadyInput) (Process, error) {
	if in.Port < 1 || in.Port > 60000 {
		return Process{}, newError(ErrInvalidRequest, "Port %d is out of range: it must be 1 to 60000, as in GameLift (players are given it as a game session port).", in.Port)
	}
	c, err := s.Compute(ctx, ref.FleetID, ref.Compute)
	if err != nil {
		return Process{}, err
	}
	now := s.now()
	p := Process{
		FleetID: ref.FleetID, Compute: ref.Compute, ProcessID: ref.ProcessID,
		Location: c.Location, IPAddress: c.IPAddress, DNSName: c.DNSName,
		Port: in.Port, LogPaths: in.LogPaths, SDKVersion: in.SDKVersion, SDKLanguage: in.SDKLanguage,
		Status: ProcessActive, Healthy: true, ActivatedAt: now, LastBeat: now,
	}
	unlock := s.locks.lock(ref.key())
	defer unlock()
	if _, err := engine.Create(ctx, s.cfg.Computes, ref.key(), p); err != nil {
		if !errors.Is(err, engine.ErrExists) {
			return Process{}, fmt.Errorf("record process %s: %w", ref, err)
		}
		p, err = engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
			if p.Status == ProcessTerminated {
				return newError(ErrInvalidRequest, "Process %s has ended; a new run needs a new ProcessId.", ref.ProcessID)
			}
			p.Port, p.LogPaths, p.LastBeat = in.Port, in.LogPaths, now
			return nil
		})
		if err != nil {
			return Process{}, s.processWriteError(ref, err)
		}
		return p, nil
	}
	s.log.Info("server process ready", "fleet", ref.FleetID, "compute", ref.Compute, "process", ref.ProcessID, "port", in.Port, "location", c.Location)
	s.scheduleProcess(p)
	return p, nil
}

// Process returns a process's record.
func (s *Service) Process(ctx context.Context, ref ProcessRef) (Process, error) {
	p, _, err := load[Process](ctx, s.cfg.Computes, ref.key(), "Process", ref.ProcessID, " on compute "+ref.Compute)
	return p, err
}

// activeProcess returns the process if it has called ProcessReady and not
// ended: the state every game-session call from a process needs.
func (s *Service) activeProcess(ctx context.Context, ref ProcessRef) (Process, error) {
	p, err := s.Process(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return Process{}, newError(ErrInvalidRequest, "Process %s has not called ProcessReady.", ref.ProcessID)
	}
	if err != nil {
		return Process{}, err
	}
	if p.Status == ProcessTerminated {
		return Process{}, newError(ErrInvalidRequest, "Process %s has ended (%s).", ref.ProcessID, p.EndReason)
	}
	return p, nil
}

// Heartbeat records a process's health report. A process that reports
// itself unhealthy UnhealthyLimit times in a row is ended.
func (s *Service) Heartbeat(ctx context.Context, ref ProcessRef, healthy bool) error {
	unlock := s.locks.lock(ref.key())
	p, err := engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
		if p.Status == ProcessTerminated {
			return newError(ErrInvalidRequest, "Process %s has ended (%s).", ref.ProcessID, p.EndReason)
		}
		p.LastBeat = s.now()
		p.Healthy = healthy
		if healthy {
			p.Unhealthy = 0
		} else {
			p.Unhealthy++
		}
		return nil
	})
	unlock()
	if errors.Is(err, engine.ErrNotFound) {
		return newError(ErrInvalidRequest, "Process %s has not called ProcessReady.", ref.ProcessID)
	}
	if err != nil {
		return s.processWriteError(ref, err)
	}
	if p.Unhealthy >= s.cfg.UnhealthyLimit {
		return s.loseProcess(ctx, ref, fmt.Sprintf("reported unhealthy %d times in a row", p.Unhealthy))
	}
	return nil
}

// ProcessEnding ends a process at its own request, and with it the game
// session it hosts.
func (s *Service) ProcessEnding(ctx context.Context, ref ProcessRef) error {
	p, err := s.endProcess(ctx, ref, "ProcessEnding")
	if err != nil {
		return err
	}
	if p.GameSession != "" {
		return s.endGameSessionOfProcess(ctx, p.GameSession, ref, false)
	}
	return nil
}

// loseProcess ends a process that stopped heartbeating or is unhealthy:
// its game session ends (ERROR if it never activated), and the process is
// told to terminate in case it is still running.
func (s *Service) loseProcess(ctx context.Context, ref ProcessRef, reason string) error {
	p, err := s.endProcess(ctx, ref, reason)
	if err != nil {
		return err
	}
	s.log.Warn("server process lost", "fleet", ref.FleetID, "compute", ref.Compute, "process", ref.ProcessID, "reason", reason)
	s.push(ctx, ref, Push{Kind: PushTerminateProcess, TerminationTime: s.now()})
	if p.GameSession != "" {
		return s.endGameSessionOfProcess(ctx, p.GameSession, ref, true)
	}
	return nil
}

// endProcess marks a process TERMINATED and returns it as it was.
func (s *Service) endProcess(ctx context.Context, ref ProcessRef, reason string) (Process, error) {
	unlock := s.locks.lock(ref.key())
	defer unlock()
	var before Process
	_, err := engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
		if p.Status == ProcessTerminated {
			return newError(ErrInvalidRequest, "Process %s has already ended (%s).", ref.ProcessID, p.EndReason)
		}
		before = *p
		p.Status = ProcessTerminated
		p.Healthy = false
		p.EndedAt = s.now()
		p.EndReason = reason
		return nil
	})
	if errors.Is(err, engine.ErrNotFound) {
		return Process{}, newError(ErrInvalidRequest, "Process %s has not called ProcessReady.", ref.ProcessID)
	}
	if err != nil {
		return Process{}, s.processWriteError(ref, err)
	}
	s.log.Info("server process ended", "fleet", ref.FleetID, "compute", ref.Compute, "process", ref.ProcessID, "reason", reason)
	return before, nil
}

// checkProcess acts on a process's heartbeat deadline.
func (s *Service) checkProcess(ctx context.Context, key string) error {
	p, _, err := engine.Get[Process](ctx, s.cfg.Computes, key)
	if errors.Is(err, engine.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	if p.Status == ProcessTerminated {
		return nil // purged by the rescan once processRetention is over
	}
	var reason string
	switch {
	case p.Status == ProcessTerminating && !now.Before(p.TerminationTime):
		reason = "did not call ProcessEnding by its termination time"
	case !now.Before(p.LastBeat.Add(s.cfg.HeartbeatTimeout)):
		reason = fmt.Sprintf("no heartbeat for %s", now.Sub(p.LastBeat).Round(time.Second))
	case p.Healthy && !now.Before(p.LastBeat.Add(s.unhealthyAfter())):
		return s.markSilent(ctx, p)
	default:
		s.scheduleProcess(p)
		return nil
	}
	err = s.loseProcess(ctx, p.Ref(), reason)
	var e *Error
	if errors.As(err, &e) {
		return nil // it ended meanwhile
	}
	return err
}

// processRetention is how long an ended process's record stays to refuse
// its id's reuse.
const processRetention = time.Hour

// unhealthyAfter is how long without a heartbeat makes a process
// unhealthy (no new game sessions) before it is given up on at
// HeartbeatTimeout: half of it, so that one missed beat (the SDKs beat
// every 50-70 s) is enough with the default of 3 minutes.
func (s *Service) unhealthyAfter() time.Duration { return s.cfg.HeartbeatTimeout / 2 }

// markSilent marks a process that has missed its heartbeat unhealthy, so
// that it is given no new game session; a heartbeat makes it healthy
// again.
func (s *Service) markSilent(ctx context.Context, seen Process) error {
	ref := seen.Ref()
	unlock := s.locks.lock(ref.key())
	p, err := engine.Mutate(ctx, s.cfg.Computes, ref.key(), func(p *Process) error {
		if p.Status == ProcessTerminated || !p.LastBeat.Equal(seen.LastBeat) {
			return errNoChange // it beat or ended meanwhile
		}
		p.Healthy = false
		return nil
	})
	unlock()
	switch {
	case errors.Is(err, errNoChange), errors.Is(err, engine.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	s.log.Warn("server process missed its heartbeat; marked unhealthy", "fleet", ref.FleetID, "compute", ref.Compute, "process", ref.ProcessID, "last_heartbeat", p.LastBeat)
	s.scheduleProcess(p)
	return nil
}

func (s *Service) scheduleProcess(p Process) {
	if p.Status == ProcessTerminated {
		return
	}
	at := p.LastBeat.Add(s.cfg.HeartbeatTimeout)
	if p.Healthy {
		at = p.LastBeat.Add(s.unhealthyAfter())
	}
	if p.Status == ProcessTerminating && p.TerminationTime.Before(at) {
		at = p.TerminationTime
	}
	s.timers.schedule(timerProcess, p.Ref().key(), at)
}

// processes lists a fleet's processes, optionally in one location.
func (s *Service) processes(ctx context.Context, fleetID string) ([]Process, error) {
	ps, err := listSorted(ctx, s.cfg.Computes, "proc."+fleetID+".>", func(p Process) string { return p.Compute + "\x00" + p.ProcessID })
	if err != nil {
		return nil, fmt.Errorf("list server processes of fleet %s: %w", fleetID, err)
	}
	return ps, nil
}

func (s *Service) processWriteError(ref ProcessRef, err error) error {
	if errors.Is(err, engine.ErrStale) {
		return newError(ErrConflict, "Process %s changed concurrently; retry.", ref.ProcessID)
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("update process %s: %w", ref, err)
}

// Push kinds: what the service sends a game server process unasked.
type PushKind string

const (
	PushCreateGameSession PushKind = "CreateGameSession"
	PushUpdateGameSession PushKind = "UpdateGameSession"
	PushTerminateProcess  PushKind = "TerminateProcess"
)

// Push is one message for a process.
type Push struct {
	Kind             PushKind
	GameSession      *GameSession
	UpdateReason     string
	BackfillTicketID string
	TerminationTime  time.Time
}

// Pusher delivers pushes to processes wherever their sockets are. Push
// returns an error when the process is not connected; the process gets
// what it missed when it reconnects (see PendingPushes).
type Pusher interface {
	Push(ctx context.Context, to ProcessRef, p Push) error
}

func (s *Service) push(ctx context.Context, to ProcessRef, p Push) {
	if s.cfg.Pusher == nil {
		return
	}
	if err := s.cfg.Pusher.Push(ctx, to, p); err != nil {
		s.log.Info("push not delivered now; the process gets it when it reconnects", "process", to.String(), "push", string(p.Kind), "error", err)
	}
}

// PendingPushes returns what a reconnecting process must be told again: a
// game session it was given but has not activated, or a termination it
// was told of. The SDKs do not acknowledge pushes, so a push sent while
// the socket was down would otherwise be lost.
func (s *Service) PendingPushes(ctx context.Context, ref ProcessRef) ([]Push, error) {
	p, _, err := engine.Get[Process](ctx, s.cfg.Computes, ref.key())
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read process %s: %w", ref, err)
	}
	var out []Push
	if p.GameSession != "" && p.Status != ProcessTerminated {
		gs, _, err := engine.Get[GameSession](ctx, s.cfg.Sessions, p.GameSession)
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			return nil, fmt.Errorf("read game session of process %s: %w", ref, err)
		}
		if err == nil && gs.Status == GameSessionActivating {
			out = append(out, Push{Kind: PushCreateGameSession, GameSession: &gs})
		}
	}
	if p.Status == ProcessTerminating {
		out = append(out, Push{Kind: PushTerminateProcess, TerminationTime: p.TerminationTime})
	}
	return out, nil
}
