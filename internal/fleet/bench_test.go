package fleet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// BenchmarkGameSession measures CreateGameSession (find an idle process,
// claim it with compare-and-set, store the session) in a location with 100
// busy processes and b.N idle ones.
func BenchmarkGameSession(b *testing.B) {
	env := newSessionEnv(b, nil)
	for i := range 100 {
		env.ready(b, fmt.Sprint("busy-", i), 7000)
		env.create(b, 8)
	}
	for i := range b.N {
		env.ready(b, fmt.Sprint("idle-", i), 7000)
	}
	time.Sleep(100 * time.Millisecond) // let the process view catch up, as it does between bursts
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		env.create(b, 8)
	}
}

// BenchmarkPlayerSession measures one player's way through a game
// session of 8 (a new game session every 8 players): reserve, accept,
// remove.
func BenchmarkPlayerSession(b *testing.B) {
	ctx := context.Background()
	env := newSessionEnv(b, nil)
	var ref fleet.ProcessRef
	var gs fleet.GameSession
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%8 == 0 {
			b.StopTimer()
			ref, gs = env.activeSession(b, fmt.Sprint("host-", i), 8)
			b.StartTimer()
		}
		ps, err := env.s.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: fmt.Sprint("p", i)}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := env.s.AcceptPlayerSession(ctx, ref, gs.ID, ps[0].ID); err != nil {
			b.Fatal(err)
		}
		if err := env.s.RemovePlayerSession(ctx, ref, gs.ID, ps[0].ID); err != nil {
			b.Fatal(err)
		}
	}
}
