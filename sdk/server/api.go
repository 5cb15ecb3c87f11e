package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// This file is the GameLift server SDK's API on a Process. Each call that
// talks to the service has a ...Context variant; the plain one uses
// context.Background(). Either way a call gives up after the call timeout.

// ProcessReady tells the service the process can host game sessions, with the
// callbacks it drives and the port players use. Heartbeats start when it
// succeeds. It fails with ErrAlreadyReady if it already succeeded.
func (p *Process) ProcessReady(params ProcessParameters) error {
	return p.ProcessReadyContext(context.Background(), params)
}

// ProcessReadyContext is ProcessReady with a context.
func (p *Process) ProcessReadyContext(ctx context.Context, params ProcessParameters) error {
	const action = actionActivateServerProcess
	if err := validateProcessParameters(params); err != nil {
		return fmt.Errorf("ProcessReady: %w", err)
	}
	p.mu.Lock()
	if p.ready {
		p.mu.Unlock()
		return fmt.Errorf("ProcessReady: %w", ErrAlreadyReady)
	}
	p.mu.Unlock()
	logPaths := params.LogParameters.LogPaths
	if logPaths == nil {
		logPaths = []string{}
	}
	req := &activateServerProcessRequest{
		envelope:    envelope{Action: action},
		SdkVersion:  SDKVersion,
		SdkLanguage: sdkLanguage,
		Port:        params.Port,
		LogPaths:    logPaths,
	}
	_, err := p.do(ctx, req, func() {
		// In the reader, with mu held: ready before the next frame.
		p.params = params
		p.ready = true
		p.startHeartbeats(params.OnHealthCheck)
	})
	if err != nil {
		return fmt.Errorf("ProcessReady: %w", err)
	}
	p.log.Info("process ready", "port", params.Port)
	return nil
}

// ProcessEnding tells the service the process is shutting down and waits for
// it to acknowledge. Heartbeats stop and game-session pushes are no longer
// taken. Call Destroy afterwards.
func (p *Process) ProcessEnding() error {
	return p.ProcessEndingContext(context.Background())
}

// ProcessEndingContext is ProcessEnding with a context.
func (p *Process) ProcessEndingContext(ctx context.Context) error {
	// No heartbeat may reach the service after the process has ended:
	// stop them, and wait for one on the wire.
	p.mu.Lock()
	stop := p.stopHeartbeats
	p.stopHeartbeats = nil
	health, ready := p.params.OnHealthCheck, p.ready
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
	p.beating.Lock()
	//lint:ignore SA2001 the lock is taken only to wait for the beat in flight
	p.beating.Unlock()
	req := &bareRequest{envelope{Action: actionTerminateServerProcess}}
	_, err := p.do(ctx, req, func() { p.ready = false })
	if err != nil {
		if stop != nil && ready {
			// The process goes on: so do its heartbeats.
			p.mu.Lock()
			if p.ready && p.stopHeartbeats == nil && p.closedErr == nil {
				p.startHeartbeats(health)
			}
			p.mu.Unlock()
		}
		return fmt.Errorf("ProcessEnding: %w", err)
	}
	p.log.Info("process ending")
	return nil
}

// current returns the game session id, or why a call that needs one cannot be
// made.
func (p *Process) current(needSession bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closedErr != nil {
		return "", p.closedErr
	}
	if !p.ready {
		return "", ErrProcessNotReady
	}
	if needSession && p.gameSessionID == "" {
		return "", ErrNoGameSession
	}
	return p.gameSessionID, nil
}

// ActivateGameSession tells the service the game session this process was
// given is ready for players. Call it from OnStartGameSession (or after).
func (p *Process) ActivateGameSession() error {
	return p.ActivateGameSessionContext(context.Background())
}

// ActivateGameSessionContext is ActivateGameSession with a context.
func (p *Process) ActivateGameSessionContext(ctx context.Context) error {
	const action = actionActivateGameSession
	gs, err := p.current(true)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	_, err = p.do(ctx, &activateGameSessionRequest{envelope{Action: action}, gs}, nil)
	return err
}

// UpdatePlayerSessionCreationPolicy lets the current game session take new
// players (AcceptAll) or not (DenyAll).
func (p *Process) UpdatePlayerSessionCreationPolicy(policy PlayerSessionCreationPolicy) error {
	return p.UpdatePlayerSessionCreationPolicyContext(context.Background(), policy)
}

// UpdatePlayerSessionCreationPolicyContext is
// UpdatePlayerSessionCreationPolicy with a context.
func (p *Process) UpdatePlayerSessionCreationPolicyContext(ctx context.Context, policy PlayerSessionCreationPolicy) error {
	const action = actionUpdatePlayerSessionCreationPolicy
	if err := validatePolicy(policy); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	gs, err := p.current(true)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	_, err = p.do(ctx, &updatePlayerSessionCreationPolicyRequest{envelope{Action: action}, gs, string(policy)}, nil)
	return err
}

// AcceptPlayerSession checks with the service that a connecting player holds
// the player session playerSessionID in the current game session, and marks
// it ACTIVE. Refuse the player if it fails.
func (p *Process) AcceptPlayerSession(playerSessionID string) error {
	return p.AcceptPlayerSessionContext(context.Background(), playerSessionID)
}

// AcceptPlayerSessionContext is AcceptPlayerSession with a context.
func (p *Process) AcceptPlayerSessionContext(ctx context.Context, playerSessionID string) error {
	return p.playerSession(ctx, actionAcceptPlayerSession, playerSessionID)
}

// RemovePlayerSession tells the service a player left, freeing the slot.
func (p *Process) RemovePlayerSession(playerSessionID string) error {
	return p.RemovePlayerSessionContext(context.Background(), playerSessionID)
}

// RemovePlayerSessionContext is RemovePlayerSession with a context.
func (p *Process) RemovePlayerSessionContext(ctx context.Context, playerSessionID string) error {
	return p.playerSession(ctx, actionRemovePlayerSession, playerSessionID)
}

func (p *Process) playerSession(ctx context.Context, action, playerSessionID string) error {
	if err := validatePlayerSessionID(playerSessionID); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	gs, err := p.current(true)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	_, err = p.do(ctx, &playerSessionRequest{envelope{Action: action}, gs, playerSessionID}, nil)
	return err
}

// DescribePlayerSessions lists player sessions of a game session, a player,
// or one player session.
func (p *Process) DescribePlayerSessions(req DescribePlayerSessionsRequest) (DescribePlayerSessionsResult, error) {
	return p.DescribePlayerSessionsContext(context.Background(), req)
}

// DescribePlayerSessionsContext is DescribePlayerSessions with a context.
func (p *Process) DescribePlayerSessionsContext(ctx context.Context, req DescribePlayerSessionsRequest) (DescribePlayerSessionsResult, error) {
	const action = actionDescribePlayerSessions
	if err := validateDescribePlayerSessions(req); err != nil {
		return DescribePlayerSessionsResult{}, fmt.Errorf("%s: %w", action, err)
	}
	if _, err := p.current(false); err != nil {
		return DescribePlayerSessionsResult{}, fmt.Errorf("%s: %w", action, err)
	}
	data, err := p.do(ctx, &describePlayerSessionsRequest{
		envelope:                  envelope{Action: action},
		GameSessionID:             req.GameSessionID,
		PlayerID:                  req.PlayerID,
		PlayerSessionID:           req.PlayerSessionID,
		PlayerSessionStatusFilter: string(req.PlayerSessionStatusFilter),
		NextToken:                 req.NextToken,
		Limit:                     req.Limit,
	}, nil)
	if err != nil {
		return DescribePlayerSessionsResult{}, err
	}
	var r describePlayerSessionsReply
	if err := decodeReply(action, data, &r); err != nil {
		return DescribePlayerSessionsResult{}, err
	}
	return r.result(), nil
}

// StartMatchBackfill asks FlexMatch for players to fill open slots of a game
// session it made. New players arrive through OnUpdateGameSession.
func (p *Process) StartMatchBackfill(req StartMatchBackfillRequest) (StartMatchBackfillResult, error) {
	return p.StartMatchBackfillContext(context.Background(), req)
}

// StartMatchBackfillContext is StartMatchBackfill with a context.
func (p *Process) StartMatchBackfillContext(ctx context.Context, req StartMatchBackfillRequest) (StartMatchBackfillResult, error) {
	const action = actionStartMatchBackfill
	if err := validateStartMatchBackfill(req); err != nil {
		return StartMatchBackfillResult{}, fmt.Errorf("%s: %w", action, err)
	}
	if _, err := p.current(false); err != nil {
		return StartMatchBackfillResult{}, fmt.Errorf("%s: %w", action, err)
	}
	data, err := p.do(ctx, &startMatchBackfillRequest{
		envelope:                    envelope{Action: action},
		GameSessionArn:              req.GameSessionArn,
		MatchmakingConfigurationArn: req.MatchmakingConfigurationArn,
		TicketID:                    req.TicketID,
		Players:                     toWirePlayers(req.Players),
	}, nil)
	if err != nil {
		return StartMatchBackfillResult{}, err
	}
	var r startMatchBackfillReply
	if err := decodeReply(action, data, &r); err != nil {
		return StartMatchBackfillResult{}, err
	}
	return StartMatchBackfillResult(r), nil
}

// StopMatchBackfill cancels a match backfill ticket.
func (p *Process) StopMatchBackfill(req StopMatchBackfillRequest) error {
	return p.StopMatchBackfillContext(context.Background(), req)
}

// StopMatchBackfillContext is StopMatchBackfill with a context.
func (p *Process) StopMatchBackfillContext(ctx context.Context, req StopMatchBackfillRequest) error {
	const action = actionStopMatchBackfill
	if err := validateStopMatchBackfill(req); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if _, err := p.current(false); err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	_, err := p.do(ctx, &stopMatchBackfillRequest{
		envelope:                    envelope{Action: action},
		GameSessionArn:              req.GameSessionArn,
		MatchmakingConfigurationArn: req.MatchmakingConfigurationArn,
		TicketID:                    req.TicketID,
	}, nil)
	return err
}

// GetComputeCertificate returns where the compute's TLS certificate is.
func (p *Process) GetComputeCertificate() (GetComputeCertificateResult, error) {
	return p.GetComputeCertificateContext(context.Background())
}

// GetComputeCertificateContext is GetComputeCertificate with a context.
func (p *Process) GetComputeCertificateContext(ctx context.Context) (GetComputeCertificateResult, error) {
	const action = actionGetComputeCertificate
	if _, err := p.current(false); err != nil {
		return GetComputeCertificateResult{}, fmt.Errorf("%s: %w", action, err)
	}
	data, err := p.do(ctx, &bareRequest{envelope{Action: action}}, nil)
	if err != nil {
		return GetComputeCertificateResult{}, err
	}
	var r getComputeCertificateReply
	if err := decodeReply(action, data, &r); err != nil {
		return GetComputeCertificateResult{}, err
	}
	return GetComputeCertificateResult(r), nil
}

// GetFleetRoleCredentials returns temporary credentials for the fleet's IAM
// role. Credentials are cached per role and reused while they stay valid for
// 15 more minutes. A service that answers with empty credentials (GameLift
// Anywhere) makes it fail with ErrNotManagedFleet; rallypoint, whose fleets
// have no role, refuses the request (ErrBadRequest).
func (p *Process) GetFleetRoleCredentials(req GetFleetRoleCredentialsRequest) (GetFleetRoleCredentialsResult, error) {
	return p.GetFleetRoleCredentialsContext(context.Background(), req)
}

// GetFleetRoleCredentialsContext is GetFleetRoleCredentials with a context.
func (p *Process) GetFleetRoleCredentialsContext(ctx context.Context, req GetFleetRoleCredentialsRequest) (GetFleetRoleCredentialsResult, error) {
	const action = actionGetFleetRoleCredentials
	if req.RoleSessionName == "" {
		req.RoleSessionName = p.fleetID + "-" + p.hostID
		if len(req.RoleSessionName) > maxRoleSessionLength {
			req.RoleSessionName = req.RoleSessionName[:maxRoleSessionLength]
		}
	}
	if err := validateGetFleetRoleCredentials(req); err != nil {
		return GetFleetRoleCredentialsResult{}, fmt.Errorf("%s: %w", action, err)
	}
	if _, err := p.current(false); err != nil {
		return GetFleetRoleCredentialsResult{}, fmt.Errorf("%s: %w", action, err)
	}
	p.mu.Lock()
	cached, ok := p.roleCache[req.RoleArn]
	p.mu.Unlock()
	if ok && time.Until(cached.Expiration) > roleCredentialsMinTTL {
		return cached, nil
	}
	data, err := p.do(ctx, &getFleetRoleCredentialsRequest{
		envelope:        envelope{Action: action},
		RoleArn:         req.RoleArn,
		RoleSessionName: req.RoleSessionName,
	}, nil)
	if err != nil {
		return GetFleetRoleCredentialsResult{}, err
	}
	var r getFleetRoleCredentialsReply
	if err := decodeReply(action, data, &r); err != nil {
		return GetFleetRoleCredentialsResult{}, err
	}
	if r.AccessKeyID == "" {
		return GetFleetRoleCredentialsResult{}, fmt.Errorf("%s: %w", action, ErrNotManagedFleet)
	}
	res := r.result()
	p.mu.Lock()
	p.roleCache[req.RoleArn] = res
	p.mu.Unlock()
	return res, nil
}

// GetGameSessionID returns the id of the game session last started on this
// process, or "" if none was. The error is always nil; it is there for
// GameLift's signature.
func (p *Process) GetGameSessionID() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gameSessionID, nil
}

// GetTerminationTime returns when the service will stop this process, from
// its TerminateProcess, or ErrNoTerminationTime if it has not sent one.
// GameLift's Go SDK returns epoch seconds; this returns a time.Time with the
// milliseconds the service sent.
func (p *Process) GetTerminationTime() (time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminationTime.IsZero() {
		return time.Time{}, ErrNoTerminationTime
	}
	return p.terminationTime, nil
}

// decodeReply reads a reply's payload.
func decodeReply(action string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w: reply not understood: %w", action, ErrProtocol, err)
	}
	return nil
}
