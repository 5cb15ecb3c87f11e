package loadgen

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/rallypoint/rallypoint/sdk/client"
)

// play is one simulated player, start to finish; what fails is counted by
// kind.
func play(ctx context.Context, o Options, e *env, srv *servers, st *stats, user string) {
	// The studio's backend vouches for the player (a developer identity);
	// the token is what its client connects with.
	tok, err := e.cognito.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(e.pool),
		Logins:         map[string]string{e.provider: user},
	})
	if err != nil {
		st.fail("identity")
		return
	}
	id, err := client.SignInWithDeveloperToken(aws.ToString(tok.IdentityId), aws.ToString(tok.Token))
	if err != nil {
		st.fail("identity")
		return
	}
	conn, err := client.Connect(ctx, client.Config{Endpoint: o.Endpoint, HTTPClient: o.HTTPClient}, id)
	if err != nil {
		st.fail("connect")
		return
	}
	defer conn.Close()

	latencies := make(map[string]int, len(e.locations))
	for _, l := range e.locations {
		latencies[l] = 20 + rand.IntN(130)
	}
	attrs := map[string]client.AttributeValue{"skill": client.Number(float64(1 + rand.IntN(20)))}
	sent := time.Now()
	ticket, err := conn.StartMatchmaking(ctx, e.config, attrs, latencies)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) {
			st.fail("startMatchmaking: " + ce.Code)
		} else {
			st.fail("startMatchmaking")
		}
		return
	}

	wait := time.NewTimer(o.Wait)
	defer wait.Stop()
	for {
		var ev client.Event
		var ok bool
		select {
		case <-ctx.Done():
			st.fail("interrupted")
			return
		case <-wait.C:
			st.fail("no result in time")
			return
		case ev, ok = <-conn.Events():
		}
		if !ok {
			st.fail("socket closed")
			return
		}
		if !ev.ForTicket(ticket.TicketID) {
			continue
		}
		switch {
		case ev.Type == client.EventMatchmakingSucceeded:
			st.matchedIn(time.Since(sent))
			p, found := ev.Player(id.ID)
			if !found || p.PlayerSessionID == "" {
				st.fail("no player session in the result")
				return
			}
			if err := srv.join(ev.GameSessionInfo.Port, p.PlayerSessionID); err != nil {
				st.fail("join")
				return
			}
			st.joined.Add(1)
			return
		case ev.Ended():
			st.fail(ev.Type)
			return
		}
	}
}
