package server_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/sdk/server"
)

// A game server process: connect, say it is ready, start game sessions as
// they come, check players in, and end when the service asks.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	proc, err := server.Connect(ctx, server.ServerParameters{
		WebSocketURL: os.Getenv("RALLYPOINT_SDK_URL"), // e.g. ws://127.0.0.1:7400/sdk
		ProcessID:    uuid.NewString(),
		HostID:       os.Getenv("COMPUTE_NAME"),
		FleetID:      os.Getenv("FLEET_ID"),
		AuthToken:    os.Getenv("AUTH_TOKEN"),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer proc.Destroy()

	done := make(chan struct{})
	err = proc.ProcessReady(server.ProcessParameters{
		Port: 7777,
		OnStartGameSession: func(gs server.GameSession) {
			// Load the map named in gs.GameProperties, then open the doors.
			if err := proc.ActivateGameSession(); err != nil {
				log.Print(err)
			}
		},
		OnProcessTerminate: func() {
			if t, err := proc.GetTerminationTime(); err == nil {
				log.Printf("stopping before %v", t)
			}
			close(done)
		},
		OnHealthCheck: func() bool { return true },
	})
	if err != nil {
		log.Fatal(err)
	}

	// When a player connects with a player session id:
	//	if err := proc.AcceptPlayerSession(playerSessionID); err != nil { refuse the player }
	// and when they leave:
	//	proc.RemovePlayerSession(playerSessionID)

	<-done
	if err := proc.ProcessEnding(); err != nil {
		log.Print(err)
	}
}

// Code written for GameLift's Go server SDK uses the package-level functions.
func ExampleInitSDK() {
	params := server.ServerParameters{
		WebSocketURL: os.Getenv("GAMELIFT_SDK_WEBSOCKET_URL"),
		ProcessID:    os.Getenv("GAMELIFT_SDK_PROCESS_ID"),
		HostID:       os.Getenv("GAMELIFT_SDK_HOST_ID"),
		FleetID:      os.Getenv("GAMELIFT_SDK_FLEET_ID"),
		AuthToken:    os.Getenv("GAMELIFT_SDK_AUTH_TOKEN"),
	}
	if err := server.InitSDK(context.Background(), params); err != nil {
		log.Fatal(err)
	}
	defer server.Destroy()
	err := server.ProcessReady(server.ProcessParameters{
		Port:               7777,
		OnStartGameSession: func(server.GameSession) { _ = server.ActivateGameSession() },
	})
	if err != nil {
		log.Fatal(err)
	}
}
