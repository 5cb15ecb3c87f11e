package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/sdk/server"
)

// servers are the game server processes loadgen runs in its own process:
// a fixed number per location, each hosting one game session, ended once
// its players have all joined (or after a while) and replaced by a new
// process, as a real fleet's processes are.
type servers struct {
	ctx     context.Context
	cancel  context.CancelFunc
	o       Options
	env     *env
	players int // per game
	wg      sync.WaitGroup

	mu       sync.Mutex
	byPort   map[int]*gameServer
	nextPort int
}

type gameServer struct {
	proc     *server.Process
	location int
	port     int
	joined   int
	ended    bool
}

// gameLife bounds how long a game server waits for its players before it
// ends anyway (a player that failed never comes).
const gameLife = 30 * time.Second

func startServers(ctx context.Context, o Options, e *env) (*servers, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &servers{ctx: ctx, cancel: cancel, o: o, env: e, players: 2 * o.TeamSize, byPort: map[int]*gameServer{}, nextPort: 20000}
	for loc := range e.locations {
		for range o.Servers {
			if err := s.start(loc); err != nil {
				s.stop()
				return nil, err
			}
		}
	}
	return s, nil
}

// start runs a new game server process in a location.
func (s *servers) start(loc int) error {
	s.mu.Lock()
	port := s.nextPort
	s.nextPort++
	s.mu.Unlock()
	cctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	proc, err := server.Connect(cctx, server.ServerParameters{
		WebSocketURL: s.env.endpoint, ProcessID: uuid.NewString(), HostID: s.env.computes[loc],
		FleetID: s.env.fleetID, AuthToken: s.env.tokens[loc],
	})
	if err != nil {
		return fmt.Errorf("game server: %w", err)
	}
	g := &gameServer{proc: proc, location: loc, port: port}
	s.mu.Lock()
	s.byPort[port] = g
	s.mu.Unlock()
	err = proc.ProcessReady(server.ProcessParameters{
		Port: port,
		OnStartGameSession: func(server.GameSession) {
			go func() {
				_ = proc.ActivateGameSession()
				select {
				case <-s.ctx.Done():
				case <-time.After(gameLife):
					s.end(g)
				}
			}()
		},
		OnProcessTerminate: func() { go s.end(g) },
	})
	if err != nil {
		_ = proc.Destroy()
		return fmt.Errorf("game server ready: %w", err)
	}
	return nil
}

// join is a player presenting its player session id to the game server at
// port: the server validates it (AcceptPlayerSession), as the game would.
func (s *servers) join(port int, playerSessionID string) error {
	s.mu.Lock()
	g := s.byPort[port]
	s.mu.Unlock()
	if g == nil {
		return fmt.Errorf("no game server at port %d", port)
	}
	if err := g.proc.AcceptPlayerSession(playerSessionID); err != nil {
		return err
	}
	s.mu.Lock()
	g.joined++
	full := g.joined >= s.players
	s.mu.Unlock()
	if full {
		go s.end(g)
	}
	return nil
}

// end ends a game server's game and process, and starts its replacement.
func (s *servers) end(g *gameServer) {
	s.mu.Lock()
	if g.ended {
		s.mu.Unlock()
		return
	}
	g.ended = true
	delete(s.byPort, g.port)
	s.mu.Unlock()
	_ = g.proc.ProcessEnding()
	_ = g.proc.Destroy()
	if s.ctx.Err() != nil {
		return
	}
	s.wg.Go(func() {
		for s.ctx.Err() == nil {
			err := s.start(g.location)
			if err == nil || errors.Is(err, context.Canceled) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// stop ends every game server.
func (s *servers) stop() {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	all := make([]*gameServer, 0, len(s.byPort))
	for _, g := range s.byPort {
		all = append(all, g)
	}
	s.byPort = map[int]*gameServer{}
	s.mu.Unlock()
	for _, g := range all {
		_ = g.proc.ProcessEnding()
		_ = g.proc.Destroy()
	}
}
