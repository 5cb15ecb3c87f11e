package server

import (
	"context"
	"sync"
	"time"
)

// The package-level functions mirror GameLift's Go server SDK, whose API is a
// set of functions over one hidden instance. They work on a default Process
// made by InitSDK. This is the package's only global state; code that runs
// more than one process in a program uses Connect and *Process instead.
var (
	defaultMu      sync.Mutex
	defaultProcess *Process
)

// InitSDK connects the default Process, as Connect does. It fails with
// ErrAlreadyInitialized if one is connected and not destroyed.
//
// Unlike GameLift's SDK, it does not read GAMELIFT_SDK_WEBSOCKET_URL,
// GAMELIFT_SDK_AUTH_TOKEN and the other environment variables: pass what
// they hold in p.
func InitSDK(ctx context.Context, p ServerParameters, opts ...Option) error {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultProcess != nil {
		return ErrAlreadyInitialized
	}
	proc, err := Connect(ctx, p, opts...)
	if err != nil {
		return err
	}
	defaultProcess = proc
	return nil
}

func getDefault() (*Process, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultProcess == nil {
		return nil, ErrNotInitialized
	}
	return defaultProcess, nil
}

// GetSDKVersion returns the GameLift server SDK version this package speaks.
func GetSDKVersion() (string, error) { return SDKVersion, nil }

// ProcessReady calls ProcessReady on the default Process.
func ProcessReady(params ProcessParameters) error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.ProcessReady(params)
}

// ProcessEnding calls ProcessEnding on the default Process.
func ProcessEnding() error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.ProcessEnding()
}

// ActivateGameSession calls ActivateGameSession on the default Process.
func ActivateGameSession() error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.ActivateGameSession()
}

// UpdatePlayerSessionCreationPolicy calls UpdatePlayerSessionCreationPolicy
// on the default Process.
func UpdatePlayerSessionCreationPolicy(policy PlayerSessionCreationPolicy) error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.UpdatePlayerSessionCreationPolicy(policy)
}

// AcceptPlayerSession calls AcceptPlayerSession on the default Process.
func AcceptPlayerSession(playerSessionID string) error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.AcceptPlayerSession(playerSessionID)
}

// RemovePlayerSession calls RemovePlayerSession on the default Process.
func RemovePlayerSession(playerSessionID string) error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.RemovePlayerSession(playerSessionID)
}

// DescribePlayerSessions calls DescribePlayerSessions on the default Process.
func DescribePlayerSessions(req DescribePlayerSessionsRequest) (DescribePlayerSessionsResult, error) {
	p, err := getDefault()
	if err != nil {
		return DescribePlayerSessionsResult{}, err
	}
	return p.DescribePlayerSessions(req)
}

// StartMatchBackfill calls StartMatchBackfill on the default Process.
func StartMatchBackfill(req StartMatchBackfillRequest) (StartMatchBackfillResult, error) {
	p, err := getDefault()
	if err != nil {
		return StartMatchBackfillResult{}, err
	}
	return p.StartMatchBackfill(req)
}

// StopMatchBackfill calls StopMatchBackfill on the default Process.
func StopMatchBackfill(req StopMatchBackfillRequest) error {
	p, err := getDefault()
	if err != nil {
		return err
	}
	return p.StopMatchBackfill(req)
}

// GetComputeCertificate calls GetComputeCertificate on the default Process.
func GetComputeCertificate() (GetComputeCertificateResult, error) {
	p, err := getDefault()
	if err != nil {
		return GetComputeCertificateResult{}, err
	}
	return p.GetComputeCertificate()
}

// GetFleetRoleCredentials calls GetFleetRoleCredentials on the default
// Process.
func GetFleetRoleCredentials(req GetFleetRoleCredentialsRequest) (GetFleetRoleCredentialsResult, error) {
	p, err := getDefault()
	if err != nil {
		return GetFleetRoleCredentialsResult{}, err
	}
	return p.GetFleetRoleCredentials(req)
}

// GetGameSessionID calls GetGameSessionID on the default Process.
func GetGameSessionID() (string, error) {
	p, err := getDefault()
	if err != nil {
		return "", err
	}
	return p.GetGameSessionID()
}

// GetTerminationTime calls GetTerminationTime on the default Process.
func GetTerminationTime() (time.Time, error) {
	p, err := getDefault()
	if err != nil {
		return time.Time{}, err
	}
	return p.GetTerminationTime()
}

// Destroy destroys the default Process; InitSDK may then be called again.
func Destroy() error {
	defaultMu.Lock()
	p := defaultProcess
	defaultProcess = nil
	defaultMu.Unlock()
	if p == nil {
		return ErrNotInitialized
	}
	return p.Destroy()
}
