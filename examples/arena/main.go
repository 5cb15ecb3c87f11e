// Command arena is a small UDP game server built on rallypoint's server SDK
// (sdk/server). It shows what every game server hosted by rallypoint (or by
// GameLift Anywhere) does: it connects to the service as a process of a
// registered compute, says it is ready, starts the game session the service
// places on it, and validates each player who connects by the player
// session id the player was given.
//
// The game is a chat room. Datagrams are lines of text:
//
//	JOIN <player session id>   -> ACCEPTED <player id> | REFUSED <reason>
//	MSG <text>                 -> relayed to the others as MSG <player id> <text>
//	PING                       -> PONG
//	LEAVE                      -> BYE
//
// A player who sends nothing for --idle-timeout is dropped. When the last
// player has left, when nobody has joined --join-timeout after the game
// session became active, or when the service asks the process to
// terminate, the game ends (players get END <reason>), the process calls ProcessEnding and the
// program exits: as on GameLift, a process hosts one game session.
//
// With --ping-beacon, the server also answers the UDP probes game clients
// measure their latency to a location with (sdk/beacon), so a studio that
// runs arena servers in a location can ship the location's beacon with
// them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/sdk/beacon"
	"github.com/rallypoint/rallypoint/sdk/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	endpoint, fleetID, compute, token, processID, listen string
	idleTimeout, joinTimeout, heartbeat                  time.Duration
	pingBeacon                                           string
	backfill                                             bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("arena", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `arena: a small UDP game server hosted by rallypoint through the server SDK.

Usage: arena --endpoint URL --fleet ID --compute NAME --token TOKEN [flags]

The endpoint is the GameLiftServiceSdkEndpoint RegisterCompute returned, the
token comes from GetComputeAuthToken. Every flag can also be set in the
environment as ARENA_<FLAG> (ARENA_ENDPOINT, ARENA_FLEET, ARENA_COMPUTE,
ARENA_TOKEN, ARENA_LISTEN, ...).

Players send UDP lines: JOIN <player session id>, MSG <text>, PING, LEAVE.
With --ping-beacon, game clients can also measure their latency to this
machine there (see sdk/beacon).

A game session made by FlexMatch carries its teams; arena prints them, and
prints each update matchmaking sends (a backfill that brought players).
With --backfill, a player who leaves a match makes arena ask FlexMatch for
a replacement (StartMatchBackfill with the players still in the match).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.endpoint, "endpoint", env("ENDPOINT", ""), "server SDK endpoint (ws:// or wss://)")
	fs.StringVar(&c.fleetID, "fleet", env("FLEET", ""), "fleet id")
	fs.StringVar(&c.compute, "compute", env("COMPUTE", ""), "registered compute name this server runs on")
	fs.StringVar(&c.token, "token", env("TOKEN", ""), "compute auth token from GetComputeAuthToken")
	fs.StringVar(&c.processID, "process-id", env("PROCESS_ID", ""), "process id, unique per run (default: a fresh UUID)")
	fs.StringVar(&c.listen, "listen", env("LISTEN", "0.0.0.0:7777"), "UDP address players connect to; its port (1-60000, or 0 for any free one) is reported to rallypoint")
	fs.StringVar(&c.pingBeacon, "ping-beacon", env("PING_BEACON", ""), "also serve the location's UDP ping beacon at host:port (e.g. 0.0.0.0:7770); empty serves none")
	fs.BoolVar(&c.backfill, "backfill", env("BACKFILL", "") == "true", "when a player leaves a FlexMatch match, ask for a replacement with StartMatchBackfill")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", envDuration("IDLE_TIMEOUT", 30*time.Second), "drop a player who sends nothing for this long")
	fs.DurationVar(&c.joinTimeout, "join-timeout", envDuration("JOIN_TIMEOUT", 60*time.Second), "end a game nobody has joined this long after it became active (GameLift reserves a player session for 60s); 0 waits for ever")
	fs.DurationVar(&c.heartbeat, "heartbeat", envDuration("HEARTBEAT", 60*time.Second), "heartbeat interval (the SDK adds up to 10s of jitter)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"--endpoint", c.endpoint}, {"--fleet", c.fleetID}, {"--compute", c.compute}, {"--token", c.token}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing %s (see --help)", strings.Join(missing, ", "))
	}
	if c.processID == "" {
		c.processID = uuid.NewString()
	}
	return c, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("ARENA_" + name); ok {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(name, "")); err == nil {
		return d
	}
	return def
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "arena:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "arena:", err)
		return 1
	}
	return 0
}

// arena is one running game server process.
type arena struct {
	cfg  config
	out  io.Writer
	proc *server.Process
	udp  *net.UDPConn

	mu        sync.Mutex // guards the fields below
	session   string     // game session id, once started
	players   map[string]*player
	hadPlayer bool
	activeAt  time.Time // when the game session became active
	// match is the FlexMatch match the game session was made for, as its
	// latest matchmaker data says; nil for a game session made otherwise.
	match     *server.MatchmakerData
	left      map[string]bool // players of the match who have left
	ended     chan struct{}
	endReason string
}

type player struct {
	addr            *net.UDPAddr
	playerSessionID string
	playerID        string
	lastSeen        time.Time
}

func (a *arena) say(format string, args ...any) {
	fmt.Fprintf(a.out, "arena: "+format+"\n", args...)
}

func serve(ctx context.Context, cfg config, out io.Writer) error {
	laddr, err := net.ResolveUDPAddr("udp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen address %s: %w", cfg.listen, err)
	}
	udp, err := listenUDP(laddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	defer udp.Close()
	port := udp.LocalAddr().(*net.UDPAddr).Port

	a := &arena{cfg: cfg, out: out, udp: udp, players: map[string]*player{}, left: map[string]bool{}, ended: make(chan struct{})}
	a.say("listening for players on udp %s", udp.LocalAddr())
	if cfg.pingBeacon != "" {
		stopBeacon, err := a.serveBeacon(cfg.pingBeacon)
		if err != nil {
			return err
		}
		defer stopBeacon()
	}
	connectCtx, cancel := context.WithTimeout(ctx, time.Minute)
	a.proc, err = server.Connect(connectCtx, server.ServerParameters{
		WebSocketURL: cfg.endpoint,
		ProcessID:    cfg.processID,
		HostID:       cfg.compute,
		FleetID:      cfg.fleetID,
		AuthToken:    cfg.token,
	}, server.WithHeartbeat(cfg.heartbeat, min(10*time.Second, cfg.heartbeat/6)))
	cancel()
	if err != nil {
		return fmt.Errorf("connect to rallypoint: %w", err)
	}
	defer a.proc.Destroy()
	a.say("connected to %s as process %s of compute %s", cfg.endpoint, cfg.processID, cfg.compute)

	err = a.proc.ProcessReady(server.ProcessParameters{
		OnStartGameSession:  a.onStartGameSession,
		OnUpdateGameSession: a.onUpdateGameSession,
		OnProcessTerminate:  func() { a.end("the service asked this process to terminate") },
		OnHealthCheck:       func() bool { return true },
		Port:                port,
	})
	if err != nil {
		return fmt.Errorf("ProcessReady: %w", err)
	}
	a.say("ready on port %d; waiting for a game session", port)

	go a.readLoop()
	tick := time.NewTicker(min(time.Second, cfg.idleTimeout/2))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.end("stopped by a signal")
		case <-a.ended:
			return a.finish()
		case <-tick.C:
			a.dropSilent()
			a.endIfNobodyCame()
		}
	}
}

// serveBeacon answers latency probes at addr until stop is called. It
// runs apart from the game's socket: a beacon's address is the location's,
// known before any game session, and it answers anyone, not just players.
func (a *arena) serveBeacon(addr string) (stop func(), err error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("ping beacon %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := beacon.Serve(ctx, conn); err != nil {
			a.say("ping beacon stopped: %v", err)
		}
	}()
	a.say("ping beacon on udp %s", conn.LocalAddr())
	return func() {
		cancel()
		<-done
		conn.Close()
	}, nil
}

// maxPort is the highest port the server SDKs accept in ProcessReady.
const maxPort = 60000

// listenUDP binds laddr. For port 0 it takes a free port the SDKs accept:
// the kernel's ephemeral range runs past 60000.
func listenUDP(laddr *net.UDPAddr) (*net.UDPConn, error) {
	if laddr.Port != 0 {
		return net.ListenUDP("udp", laddr)
	}
	for range 100 {
		c, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return nil, err
		}
		if c.LocalAddr().(*net.UDPAddr).Port <= maxPort {
			return c, nil
		}
		c.Close()
	}
	return nil, fmt.Errorf("found no free port at or below %d", maxPort)
}

func (a *arena) onStartGameSession(gs server.GameSession) {
	a.mu.Lock()
	a.session = gs.GameSessionID
	a.mu.Unlock()
	a.say("game session %s started (%q, up to %d players)", gs.GameSessionID, gs.Name, gs.MaximumPlayerSessionCount)
	a.readMatch(gs.MatchmakerData)
	if err := a.proc.ActivateGameSession(); err != nil {
		a.say("ActivateGameSession failed: %v", err)
		a.end("could not activate the game session")
		return
	}
	a.mu.Lock()
	a.activeAt = time.Now()
	a.mu.Unlock()
	a.say("game session active; players can join")
}

// endIfNobodyCame ends a game whose players have not come by the time
// their reservations lapse: their clients gave up, and the process is
// better freed for a game that will be played.
func (a *arena) endIfNobodyCame() {
	if a.cfg.joinTimeout <= 0 {
		return
	}
	a.mu.Lock()
	abandoned := !a.activeAt.IsZero() && !a.hadPlayer && time.Since(a.activeAt) > a.cfg.joinTimeout
	a.mu.Unlock()
	if abandoned {
		a.end(fmt.Sprintf("nobody joined within %v", a.cfg.joinTimeout))
	}
}

// onUpdateGameSession hears of changes to the game session; matchmaking
// sends one when a backfill brought players, and when a backfill ended
// without any.
func (a *arena) onUpdateGameSession(u server.UpdateGameSession) {
	a.say("game session updated: %s (backfill ticket %s)", u.UpdateReason, u.BackfillTicketID)
	if u.UpdateReason == server.UpdateMatchmakingDataUpdated {
		a.readMatch(u.GameSession.MatchmakerData)
		a.mu.Lock()
		n := a.matchSize()
		a.mu.Unlock()
		a.broadcast(nil, "MATCH %d players", n)
	}
}

// readMatch records and prints the match of a game session's matchmaker
// data.
func (a *arena) readMatch(data string) {
	if data == "" {
		return
	}
	md, err := server.ParseMatchmakerData(data)
	if err != nil {
		a.say("unreadable matchmaker data: %v", err)
		return
	}
	a.mu.Lock()
	a.match = &md
	a.mu.Unlock()
	var teams []string
	for _, t := range md.Teams {
		var ids []string
		for _, p := range t.Players {
			ids = append(ids, p.PlayerID)
		}
		teams = append(teams, t.Name+": "+strings.Join(ids, ", "))
	}
	a.say("match %s: %s", md.MatchID, strings.Join(teams, "; "))
}

// matchSize counts the match's players who have not left. a.mu is held.
func (a *arena) matchSize() int {
	n := 0
	if a.match != nil {
		for _, t := range a.match.Teams {
			for _, p := range t.Players {
				if !a.left[p.PlayerID] {
					n++
				}
			}
		}
	}
	return n
}

// backfill asks FlexMatch for players to replace those who left, with
// the players still in the match as the request's current players.
func (a *arena) backfill() {
	a.mu.Lock()
	md, session := a.match, a.session
	var current []server.Player
	if md != nil {
		for _, t := range md.Teams {
			for _, p := range t.Players {
				if !a.left[p.PlayerID] {
					current = append(current, server.Player{PlayerID: p.PlayerID, Team: t.Name, PlayerAttributes: p.Attributes})
				}
			}
		}
	}
	a.mu.Unlock()
	if md == nil || md.AutoBackfillMode == "AUTOMATIC" || len(current) == 0 {
		return // not a match, FlexMatch backfills by itself, or nobody is left
	}
	res, err := a.proc.StartMatchBackfill(server.StartMatchBackfillRequest{
		GameSessionArn:              session,
		MatchmakingConfigurationArn: md.MatchmakingConfigurationArn,
		Players:                     current,
	})
	if err != nil {
		a.say("StartMatchBackfill failed: %v", err)
		return
	}
	a.say("asked for a backfill (ticket %s) with %d players still in the match", res.TicketID, len(current))
}

func (a *arena) readLoop() {
	buf := make([]byte, 1500)
	for {
		n, addr, err := a.udp.ReadFromUDP(buf)
		if err != nil {
			return // closed by finish
		}
		a.handle(addr, strings.TrimSpace(string(buf[:n])))
	}
}

func (a *arena) send(addr *net.UDPAddr, format string, args ...any) {
	_, _ = a.udp.WriteToUDP([]byte(fmt.Sprintf(format, args...)+"\n"), addr)
}

func (a *arena) handle(addr *net.UDPAddr, line string) {
	cmd, arg, _ := strings.Cut(line, " ")
	a.mu.Lock()
	p := a.players[addr.String()]
	if p != nil {
		p.lastSeen = time.Now()
	}
	a.mu.Unlock()
	switch strings.ToUpper(cmd) {
	case "JOIN":
		a.join(addr, strings.TrimSpace(arg), p)
	case "PING":
		a.send(addr, "PONG")
	case "MSG":
		if p == nil {
			a.send(addr, "REFUSED join first: JOIN <player session id>")
			return
		}
		a.broadcast(p, "MSG %s %s", p.playerID, arg)
	case "LEAVE":
		if p != nil {
			a.remove(p, "left")
			a.send(addr, "BYE")
		}
	default:
		a.send(addr, "REFUSED unknown command %q (JOIN, MSG, PING, LEAVE)", cmd)
	}
}

func (a *arena) join(addr *net.UDPAddr, psID string, p *player) {
	if p != nil {
		if p.playerSessionID == psID {
			a.send(addr, "ACCEPTED %s", p.playerID) // a retransmitted JOIN
		} else {
			a.send(addr, "REFUSED this address already joined as %s", p.playerID)
		}
		return
	}
	a.mu.Lock()
	started := a.session != ""
	a.mu.Unlock()
	if !started {
		a.send(addr, "REFUSED no game session is running yet")
		return
	}
	if psID == "" {
		a.send(addr, "REFUSED JOIN needs a player session id")
		return
	}
	if err := a.proc.AcceptPlayerSession(psID); err != nil {
		a.say("refused %s from %s: %v", psID, addr, err)
		a.send(addr, "REFUSED %s", refusal(err))
		return
	}
	playerID := psID
	if res, err := a.proc.DescribePlayerSessions(server.DescribePlayerSessionsRequest{PlayerSessionID: psID}); err == nil && len(res.PlayerSessions) == 1 {
		playerID = res.PlayerSessions[0].PlayerID
	}
	p = &player{addr: addr, playerSessionID: psID, playerID: playerID, lastSeen: time.Now()}
	a.mu.Lock()
	a.players[addr.String()] = p
	a.hadPlayer = true
	a.mu.Unlock()
	a.say("player %s joined from %s (player session %s is ACTIVE)", playerID, addr, psID)
	a.send(addr, "ACCEPTED %s", playerID)
	a.broadcast(p, "JOINED %s", playerID)
}

// refusal is the reason a player is told, without the SDK's wrapping.
func refusal(err error) string {
	var e *server.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "the server could not check the player session"
}

// broadcast sends a line to every player but from.
func (a *arena) broadcast(from *player, format string, args ...any) {
	a.mu.Lock()
	var to []*net.UDPAddr
	for _, p := range a.players {
		if p != from {
			to = append(to, p.addr)
		}
	}
	a.mu.Unlock()
	for _, addr := range to {
		a.send(addr, format, args...)
	}
}

func (a *arena) remove(p *player, why string) {
	a.mu.Lock()
	if a.players[p.addr.String()] != p {
		a.mu.Unlock()
		return
	}
	delete(a.players, p.addr.String())
	empty := len(a.players) == 0 && a.hadPlayer
	a.left[p.playerID] = true
	a.mu.Unlock()
	if err := a.proc.RemovePlayerSession(p.playerSessionID); err != nil {
		a.say("RemovePlayerSession %s: %v", p.playerSessionID, err)
	}
	a.say("player %s %s (player session %s is COMPLETED)", p.playerID, why, p.playerSessionID)
	a.broadcast(p, "LEFT %s", p.playerID)
	if empty {
		a.end("every player has left")
		return
	}
	if a.cfg.backfill {
		a.backfill()
	}
}

func (a *arena) dropSilent() {
	a.mu.Lock()
	var silent []*player
	for _, p := range a.players {
		if time.Since(p.lastSeen) > a.cfg.idleTimeout {
			silent = append(silent, p)
		}
	}
	a.mu.Unlock()
	for _, p := range silent {
		a.send(p.addr, "BYE silent for %s", a.cfg.idleTimeout)
		a.remove(p, "went silent")
	}
}

// end makes the serve loop finish the game, once.
func (a *arena) end(reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.ended:
	default:
		a.endReason = reason
		close(a.ended)
	}
}

// finish tells the players, ends the process at the service and closes
// the socket.
func (a *arena) finish() error {
	a.mu.Lock()
	reason := a.endReason
	players := a.players
	a.players = map[string]*player{}
	a.mu.Unlock()
	a.say("game over: %s", reason)
	for _, p := range players {
		a.send(p.addr, "END %s", reason)
	}
	if err := a.proc.ProcessEnding(); err != nil {
		return fmt.Errorf("ProcessEnding: %w", err)
	}
	a.say("process ended")
	return nil
}
