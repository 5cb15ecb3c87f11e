// Package client is the Go SDK for game clients of rallypoint: it gets
// the player an identity, opens the player's socket, asks for a match
// over it, hands over the matchmaking events pushed down it, measures the
// latencies matchmaking places games by, and joins the game server the
// match was placed on.
//
// The flow, as docs/players.md describes it on the wire:
//
//  1. Sign in: SignInGuest (a guest; keep Identity.ID to come back as the
//     same player), SignInWithLogin (an OpenID Connect provider's id
//     token) or SignInWithDeveloperToken (a token the studio's backend got
//     for the player). The identity calls are Cognito's (GetId,
//     GetOpenIdToken, GetCredentialsForIdentity), made with the AWS SDK to
//     rallypoint's public listener.
//  2. Connect opens the socket, with the identity's token as a bearer
//     token or, WithSigV4, with a URL presigned by its temporary
//     credentials as API Gateway clients do.
//  3. MeasureLatencies probes the UDP ping beacons of the configuration's
//     locations (sdk/beacon); StartMatchmaking sends the result with the
//     player's attributes.
//  4. Events delivers the ticket's events; MatchmakingSucceeded carries
//     the game server's address and the player's session id
//     (Event.Player).
//  5. JoinGameServer presents the player session id to a game server that
//     speaks the arena example's UDP protocol; other games do the same
//     with their own protocol.
//
// A Conn stays connected by itself: when the socket drops it reconnects
// with exponential backoff and jitter, renewing the token or credentials
// when they expired (the server closes a socket whose token expires). On
// each new socket the server first sends the latest event of the player's
// ticket, so a result that came while the client was away is delivered;
// an event received twice is delivered once. A request whose socket
// dropped before its reply fails with ErrConnectionLost, and may be sent
// again (StartMatchmaking does that itself, without making a second
// ticket). The server's error replies are *Error values.
package client
