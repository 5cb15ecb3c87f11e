// Package server is the server SDK a game server links to be hosted by
// rallypoint, or by Amazon GameLift Anywhere: both speak the WebSocket
// protocol of GameLift's server SDK 5.x, and this package speaks it too.
//
// A game server process connects, says it is ready, and then reacts to what
// the service pushes:
//
//	proc, err := server.Connect(ctx, server.ServerParameters{
//		WebSocketURL: "wss://...",  // from the fleet's location
//		ProcessID:    uuid.NewString(),
//		HostID:       "my-compute", // the registered compute name
//		FleetID:      "fleet-...",
//		AuthToken:    token,        // from GetComputeAuthToken
//	})
//	err = proc.ProcessReady(server.ProcessParameters{
//		OnStartGameSession: func(gs server.GameSession) { ...; proc.ActivateGameSession() },
//		OnProcessTerminate: func() { ...; proc.ProcessEnding(); proc.Destroy() },
//		Port:               7777,
//	})
//
// Then, as players connect, AcceptPlayerSession checks their player session
// ids, and RemovePlayerSession frees their slots when they leave.
//
// # Relation to GameLift's Go server SDK
//
// The API follows GameLift's Go server SDK 5.x, with these differences:
//
//   - A Process is a value made by Connect, so one Go program can run several
//     game server processes (tests do). The package-level functions (InitSDK,
//     ProcessReady, ActivateGameSession, ...) work on a default Process for
//     code written against GameLift's API.
//   - Connect and InitSDK take a context that bounds the connection attempts;
//     every call has a ...Context variant.
//   - Environment variables (GAMELIFT_SDK_WEBSOCKET_URL, GAMELIFT_SDK_AUTH_TOKEN,
//     HEALTHCHECK_INTERVAL, ...) are not read; pass ServerParameters and
//     Options instead. Only auth tokens are supported, not SigV4 credentials.
//   - GetTerminationTime returns a time.Time rather than epoch seconds.
//     Timestamps in results are time.Time too.
//   - Errors are Go errors: *Error for a refusal by the service, checked
//     with errors.Is against ErrNotFound and the other sentinels, and
//     wrapped sentinels (ErrTimeout, ErrReplyLost, ErrInvalidParameter, ...)
//     for the rest.
//   - Without an OnProcessTerminate callback, a TerminateProcess push makes
//     the Process call ProcessEnding, as GameLift's SDK does, but it does not
//     exit the program.
//   - Without an OnHealthCheck callback, the process reports healthy.
//   - Every call, ActivateServerProcess included, times out after 20 s
//     (WithCallTimeout); GameLift's Go SDK gives ProcessReady 6 s.
//   - Redials start after 250 ms and double up to 32 s (WithReconnectBackoff);
//     GameLift's SDKs start at 4 to 8 s.
//   - Logs go to a *slog.Logger (WithLogger), discarded by default.
//
// # Connection
//
// Connect dials WebSocketURL with the query parameters pID, sdkVersion,
// sdkLanguage=Go, ComputeId, FleetId, IdempotencyToken and Authorization,
// replacing any query the URL had. Each request carries a fresh RequestId and
// waits for the reply with the same one; a StatusCode other than 200 is
// returned as an *Error carrying the service's ErrorMessage.
//
// If the connection drops (a read or write error, or a close status other
// than 1000 and 1001), the Process redials the last URL with the current
// token, with backoff, until Destroy. What the process is (ready, its game
// session, its termination time) is kept, and nothing is re-sent: the
// service knows the process by fleet, compute and ProcessID. A request whose
// reply was due on the dropped connection fails with ErrReplyLost, since it
// may or may not have taken effect; a call made while redialing waits for
// the connection, up to its timeout. A close with 1000 or 1001 by the service
// ends the session (ErrClosedByService).
//
// Connect retries failed dials until its context ends, or for 3 minutes if
// the context has no deadline, but not an upgrade refused with HTTP 401 or
// 403 (errors.Is ErrUnauthorized or ErrForbidden): a bad token or a reused
// ProcessID does not get better by retrying. When two calls in a row time
// out, the connection is taken for half-open and redialed, as GameLift's Go
// SDK does.
//
// The Process is as strict with the service as GameLift's SDKs are taken
// together, so that a service that works with it works with them: a reply
// without StatusCode is an error (InternalService), a 200 reply must echo
// the request's Action (ErrProtocol otherwise), and a push carrying a
// RequestId without StatusCode 200 is dropped as a failed reply.
//
// A RefreshConnection push makes the Process dial the new endpoint with the
// new token, move to it, and close the old connection with 1000 once the
// replies due on it have arrived (or after 5 s). Later redials use the new
// endpoint and token.
//
// # Callbacks and goroutines
//
// Pushes run the game's callbacks in goroutines of their own, so a callback
// may call the Process, and even Destroy it. Game session pushes that arrive
// before ProcessReady succeeds, or after ProcessEnding, are ignored, and so
// is a CreateGameSession for the game session the process already has (the
// service sends one again after a reconnect if it was not activated yet):
// OnStartGameSession runs once per game session.
// Heartbeats (HeartbeatServerProcess with OnHealthCheck's answer) go out
// when ProcessReady succeeds and then every 60 s ± 10 s. Destroy stops and
// waits for every goroutine of the Process except running callbacks.
package server
