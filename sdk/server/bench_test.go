package server_test

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// seat is a reserved player session and the game server that hosts it.
type seat struct {
	g  *gameServer
	id string
}

// reserveSeats starts game servers with ACTIVE game sessions and reserves
// n player sessions in them, per players in each.
func reserveSeats(b *testing.B, s *service, n, per int) []seat {
	b.Helper()
	var seats []seat
	for len(seats) < n {
		g, gs := s.activeGameSession(b, fmt.Sprint("bench-", len(seats)))
		var players []string
		for i := range min(per, n-len(seats)) {
			players = append(players, fmt.Sprint("player-", len(seats)+i))
		}
		for _, ps := range s.playerSessions(b, gs.ID, players...) {
			seats = append(seats, seat{g: g, id: ps.ID})
		}
	}
	return seats
}

// BenchmarkAcceptPlayerSession measures a game server validating a
// player: AcceptPlayerSession from the SDK through its socket to a real
// node, which checks and stores it, and the reply back.
func BenchmarkAcceptPlayerSession(b *testing.B) {
	for _, per := range []int{10, 100} {
		b.Run(fmt.Sprint("players=", per), func(b *testing.B) {
			s := startService(b, nil)
			seats := reserveSeats(b, s, b.N, per)
			b.ResetTimer()
			for i := range b.N {
				if err := seats[i].g.AcceptPlayerSession(seats[i].id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAcceptPlayerSessionParallel is the same with 8 callers per CPU
// at once, as servers accepting many players together make.
func BenchmarkAcceptPlayerSessionParallel(b *testing.B) {
	for _, per := range []int{10, 100} {
		b.Run(fmt.Sprint("players=", per), func(b *testing.B) {
			s := startService(b, nil)
			seats := reserveSeats(b, s, b.N, per)
			var next atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					st := seats[next.Add(1)-1]
					if err := st.g.AcceptPlayerSession(st.id); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
