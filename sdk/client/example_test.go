package client_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/rallypoint/rallypoint/sdk/beacon"
	"github.com/rallypoint/rallypoint/sdk/client"
)

// The whole flow of a game client, against `rallypoint serve --demo`: a
// guest signs in, connects, measures its latency to each location, asks
// for a match, waits for it to be placed, and joins the game server.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := client.Config{Endpoint: "http://127.0.0.1:7400"}

	// "" makes a new guest; keep id.ID to sign in as the same player later.
	id, err := client.SignInGuest(ctx, cfg, "us-east-1:5f0c2b7e-0000-4000-8000-000000000000", "")
	if err != nil {
		log.Fatal(err)
	}
	conn, err := client.Connect(ctx, cfg, id)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	latencies, err := conn.MeasureLatencies(ctx, "demo-2v2", 3)
	if err != nil {
		log.Fatal(err)
	}
	ticket, err := conn.StartMatchmaking(ctx, "demo-2v2",
		map[string]client.AttributeValue{"skill": client.Number(14)}, latencies)
	if err != nil {
		log.Fatal(err)
	}
	for ev := range conn.Events() {
		if !ev.ForTicket(ticket.TicketID) {
			continue // a backfill ticket naming this player
		}
		switch ev.Type {
		case client.EventMatchmakingSucceeded:
			me, _ := ev.Player(id.ID)
			game, err := client.JoinGameServer(ctx, ev.GameSessionInfo.Address(), me.PlayerSessionID)
			if err != nil {
				log.Fatal(err)
			}
			_ = game.Send("gl hf")
			line, _ := game.Receive(ctx)
			fmt.Println(line)
			_ = game.Leave(ctx)
			return
		case client.EventMatchmakingTimedOut, client.EventMatchmakingFailed, client.EventMatchmakingCancelled:
			log.Fatalf("no match: %s", ev.Message)
		}
	}
	log.Fatal(conn.Err())
}

// Measuring the latency to beacons whose addresses the client already
// knows. A location whose beacon does not answer is left out.
func ExampleMeasureBeacons() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer pc.Close()
	go beacon.Serve(ctx, pc)

	latencies, err := client.MeasureBeacons(ctx, map[string]string{"custom-eu": pc.LocalAddr().String()}, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("custom-eu measured:", latencies["custom-eu"] >= 1)
	// Output: custom-eu measured: true
}

// Acting on the events of one's own ticket: a player also receives the
// events of backfill tickets that name it.
func ExampleEvent_ForTicket() {
	ev, err := client.ParseEvent([]byte(succeeded))
	if err != nil {
		log.Fatal(err)
	}
	if ev.ForTicket("706cfa29") && ev.Type == client.EventMatchmakingSucceeded {
		me, _ := ev.Player("local:a9facbf8")
		fmt.Println("join", ev.GameSessionInfo.Address(), "as", me.PlayerSessionID, "in team", me.Team)
	}
	// Output: join 127.0.0.1:7001 as psess-1 in team red
}

// A client signed in by the studio's backend renews its token through
// that backend when the server closes the socket at the token's expiry.
func ExampleWithRenew() {
	ctx := context.Background()
	cfg := client.Config{Endpoint: "http://127.0.0.1:7400"}
	// askBackend stands for the game's call to its own backend, which
	// calls GetOpenIdTokenForDeveloperIdentity.
	askBackend := func(ctx context.Context) (identityID, token string, err error) {
		return "", "", fmt.Errorf("not in this example")
	}
	idID, token, err := askBackend(ctx)
	if err != nil {
		log.Print(err)
		return
	}
	id, err := client.SignInWithDeveloperToken(idID, token)
	if err != nil {
		log.Fatal(err)
	}
	conn, err := client.Connect(ctx, cfg, id, client.WithRenew(func(ctx context.Context) (*client.Identity, error) {
		idID, token, err := askBackend(ctx)
		if err != nil {
			return nil, err
		}
		return client.SignInWithDeveloperToken(idID, token)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
}

// Following the socket's state, for a "reconnecting..." banner.
func ExampleOnStateChange() {
	ctx := context.Background()
	cfg := client.Config{Endpoint: "http://127.0.0.1:7400"}
	id, err := client.SignInGuest(ctx, cfg, "us-east-1:5f0c2b7e-0000-4000-8000-000000000000", "")
	if err != nil {
		log.Fatal(err)
	}
	conn, err := client.Connect(ctx, cfg, id, client.WithSigV4(), client.OnStateChange(func(s client.State, err error) {
		log.Printf("socket %s (%v)", s, err)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
}
