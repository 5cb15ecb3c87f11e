// Package gateway is the player WebSocket gateway: step 2 to 4 and 9 of
// the flow, where a game client holds one socket to rallypoint, asks for
// matches over it, and is told the outcome without polling. It speaks API
// Gateway's WebSocket semantics ($connect, $disconnect, $default, route
// selection on "action", the @connections API) so clients and backends
// written for it move over unchanged.
//
// # Sockets
//
// GET /ws upgrades after authentication: a presigned SigV4 URL made with
// an identity's temporary credentials (service execute-api), or an OpenID
// token as "Authorization: Bearer", as a Sec-WebSocket-Protocol entry
// (browsers; "rallypoint" is echoed when offered, else the token entry),
// or as ?token=. Refusals are 401 (missing or expired) or 403 (invalid),
// with {"message": ...}. The player id is always the authenticated
// identity, and a socket lives no longer than its credentials.
//
// Frames are read with github.com/gobwas/ws at the frame level, so frame
// and message sizes are limited separately, and an idle socket costs only
// its reader goroutine's stack and a small struct: no buffers. Writes are
// queued and written by a goroutine started when the queue fills and gone
// when it empties, batching what accumulated into one system call; a
// client that lets MaxQueueBytes pile up is closed as a slow consumer.
// Messages are handled one at a time per connection, in the order sent,
// by a handler goroutine that also exists only while messages wait; at
// most a few wait before the reader stops reading (TCP pushes back).
//
// # Registry
//
// rp_connections maps a connection id to its record (player, node,
// connected at, source ip, user agent); rp_player_connections maps a
// player (base64url) to its connection ids, updated with compare-and-set.
// Records are written before the handshake completes and removed whenever
// a socket ends. Each node holds lease "gateway.<node>"; the holder of
// "gateway.sweeper" removes the records of nodes whose lease expired, and
// a starting node removes what its previous run left.
//
// # Routing
//
// Built-in actions (startMatchmaking, stopMatchmaking, acceptMatch,
// describeMatchmaking, ping) are answered by the gateway; a player only
// ever sees its own tickets. Any other message goes to the route its
// action names, else to $default: an HTTP integration receiving API
// Gateway's Lambda-proxy event, whose non-empty 2xx answer is sent back
// verbatim. Pushes (PushToPlayer, Send, @connections) reach sockets on
// other nodes over the core NATS subject rp.gw.<node>.
//
// # Limits and close codes
//
//	1000 "connection deleted"            @connections DELETE
//	1001 "server shutting down"          Shutdown
//	1001 "idle timeout"                  no frame from the client for IdleTimeout
//	1001 "maximum connection duration"   older than MaxDuration
//	1002 <what was wrong>                a frame breaking RFC 6455
//	1003 "binary frames are not supported"
//	1007 "invalid UTF-8"                 a text message that is not
//	1008 "token expired"                 the credentials' expiry passed
//	1008 "rate limit exceeded"           messages (and pings) above MessageRate/MessageBurst
//	1008 "slow consumer"                 more than MaxQueueBytes waiting to be written
//	1009 "frame too large"               a frame over MaxFrameBytes
//	1009 "message too large"             a message over MaxMessageBytes
//
// The time limits are enforced by one ticker per node over all sockets,
// not by timers per socket.
package gateway
