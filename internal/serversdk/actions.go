package serversdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// requestError is a failed request: an HTTP-style status the SDKs map to
// their error types, and a message for the game's log.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: 400, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps fleet's error kinds to the status codes the SDKs know:
// 400 BadRequest, 403 Forbidden, 404 NotFound, 409 Conflict, 500.
func statusOf(err error) (int, string) {
	var re *requestError
	if errors.As(err, &re) {
		return re.status, re.msg
	}
	var fe *fleet.Error
	if !errors.As(err, &fe) {
		return 500, "internal error; the rallypoint log has the details"
	}
	switch {
	case errors.Is(err, fleet.ErrNotFound):
		return 404, fe.Msg
	case errors.Is(err, fleet.ErrForbidden):
		return 403, fe.Msg
	case errors.Is(err, fleet.ErrConflict):
		return 409, fe.Msg
	case errors.Is(err, fleet.ErrLimitExceeded):
		return 429, fe.Msg
	}
	return 400, fe.Msg
}

// handle runs one request frame and writes its reply.
func (c *conn) handle(ctx context.Context, data []byte) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		// Without a RequestId nobody is waiting for an answer; an answer
		// without one would be taken for a push.
		c.log().Info("undecodable frame from game server", "error", err)
		return
	}
	if env.Action == "ActivateServerProcess" {
		// From the moment the process is ready, the service may push it a
		// game session; the SDKs ignore pushes that arrive before the reply
		// to ActivateServerProcess, so no push may overtake the reply.
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
	}
	result, err := c.dispatch(ctx, env.Action, data)
	rep := reply{Action: env.Action, RequestID: env.RequestID, StatusCode: 200}
	if err != nil {
		rep.StatusCode, rep.ErrorMessage = statusOf(err)
		if rep.StatusCode == 500 {
			c.log().Error("server SDK request failed", "action", env.Action, "error", err)
		} else {
			c.log().Info("server SDK request refused", "action", env.Action, "status", rep.StatusCode, "error", rep.ErrorMessage)
		}
		result = nil
	}
	c.srv.cfg.Metrics.request(env.Action, rep.StatusCode)
	frame, err := encodeReply(rep, result)
	if err != nil {
		c.log().Error("cannot encode reply", "action", env.Action, "error", err)
		return
	}
	if env.Action == "ActivateServerProcess" {
		err = c.writeFrame(ctx, frame) // writeMu is held
	} else {
		err = c.write(ctx, frame)
	}
	if err != nil {
		c.log().Info("reply not delivered", "action", env.Action, "error", err)
	}
}

// encodeReply merges the envelope members into a result's members.
func encodeReply(rep reply, result any) ([]byte, error) {
	switch r := result.(type) {
	case nil:
		return json.Marshal(rep)
	case *describePlayerSessionsReply:
		r.reply = rep
		return json.Marshal(r)
	case *computeCertificateReply:
		r.reply = rep
		return json.Marshal(r)
	case *startBackfillReply:
		r.reply = rep
		return json.Marshal(r)
	}
	return nil, fmt.Errorf("no encoding for %T", result)
}

type startBackfillReply struct {
	reply
	TicketID string `json:"TicketId"`
}

func decode[T any](data []byte, action string) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, badRequest("%s: the message does not match its shape: %v", action, err)
	}
	return v, nil
}

func (c *conn) dispatch(ctx context.Context, action string, data []byte) (any, error) {
	f := c.srv.cfg.Fleets
	switch action {
	case "ActivateServerProcess":
		in, err := decode[activateServerProcessRequest](data, action)
		if err != nil {
			return nil, err
		}
		_, err = f.ProcessReady(ctx, c.ref, fleet.ReadyInput{Port: in.Port, LogPaths: in.LogPaths, SDKVersion: in.SdkVersion, SDKLanguage: in.SdkLanguage})
		return nil, err
	case "HeartbeatServerProcess":
		in, err := decode[heartbeatRequest](data, action)
		if err != nil {
			return nil, err
		}
		return nil, f.Heartbeat(ctx, c.ref, in.HealthStatus)
	case "ActivateGameSession":
		in, err := decode[gameSessionRequest](data, action)
		if err != nil {
			return nil, err
		}
		_, err = f.ActivateGameSession(ctx, c.ref, in.GameSessionID)
		return nil, err
	case "AcceptPlayerSession":
		in, err := decode[playerSessionRequest](data, action)
		if err != nil {
			return nil, err
		}
		_, err = f.AcceptPlayerSession(ctx, c.ref, in.GameSessionID, in.PlayerSessionID)
		return nil, err
	case "RemovePlayerSession":
		in, err := decode[playerSessionRequest](data, action)
		if err != nil {
			return nil, err
		}
		return nil, f.RemovePlayerSession(ctx, c.ref, in.GameSessionID, in.PlayerSessionID)
	case "UpdatePlayerSessionCreationPolicy":
		in, err := decode[policyRequest](data, action)
		if err != nil {
			return nil, err
		}
		return nil, f.UpdatePlayerSessionCreationPolicy(ctx, c.ref, in.GameSessionID, in.PlayerSessionPolicy)
	case "DescribePlayerSessions":
		in, err := decode[describePlayerSessionsRequest](data, action)
		if err != nil {
			return nil, err
		}
		return c.describePlayerSessions(ctx, in)
	case "TerminateServerProcess":
		return nil, f.ProcessEnding(ctx, c.ref)
	case "GetComputeCertificate":
		return &computeCertificateReply{CertificatePath: c.compute.CertificatePath, ComputeName: c.compute.Name}, nil
	case "GetFleetRoleCredentials":
		return nil, badRequest("GetFleetRoleCredentials: rallypoint fleets have no IAM role to assume; give the game server its credentials another way")
	case "StartMatchBackfill":
		in, err := decode[backfillRequest](data, action)
		if err != nil {
			return nil, err
		}
		if c.srv.cfg.Backfill == nil {
			return nil, &requestError{status: 404, msg: fmt.Sprintf("Matchmaking configuration %s not found.", in.MatchmakingConfigurationArn)}
		}
		players, _ := json.Marshal(in.Players)
		id, err := c.srv.cfg.Backfill.StartMatchBackfill(ctx, c.ref, in.GameSessionArn, in.MatchmakingConfigurationArn, in.TicketID, players)
		if err != nil {
			return nil, err
		}
		return &startBackfillReply{TicketID: id}, nil
	case "StopMatchBackfill":
		in, err := decode[backfillRequest](data, action)
		if err != nil {
			return nil, err
		}
		if c.srv.cfg.Backfill == nil {
			return nil, &requestError{status: 404, msg: fmt.Sprintf("Matchmaking configuration %s not found.", in.MatchmakingConfigurationArn)}
		}
		return nil, c.srv.cfg.Backfill.StopMatchBackfill(ctx, c.ref, in.GameSessionArn, in.MatchmakingConfigurationArn, in.TicketID)
	case "":
		return nil, badRequest("the message has no Action")
	}
	return nil, badRequest("unknown Action %q", action)
}

// Page sizes of DescribePlayerSessions.
const (
	defaultPageSize = 50
	maxPageSize     = 1024
)

func (c *conn) describePlayerSessions(ctx context.Context, in describePlayerSessionsRequest) (*describePlayerSessionsReply, error) {
	switch in.PlayerSessionStatusFilter {
	case "", fleet.PlayerSessionReserved, fleet.PlayerSessionActive, fleet.PlayerSessionCompleted, fleet.PlayerSessionTimedOut:
	default:
		return nil, badRequest("PlayerSessionStatusFilter must be RESERVED, ACTIVE, COMPLETED or TIMEDOUT, not %q", in.PlayerSessionStatusFilter)
	}
	if in.Limit < 0 || in.Limit > maxPageSize {
		return nil, badRequest("Limit %d is out of range 1 to %d", in.Limit, maxPageSize)
	}
	filter := fleet.PlayerSessionFilter{PlayerSessionID: in.PlayerSessionID, GameSessionID: in.GameSessionID, PlayerID: in.PlayerID}
	if in.PlayerSessionID == "" && in.PlayerID == "" {
		filter.Status = in.PlayerSessionStatusFilter
	}
	all, err := c.srv.cfg.Fleets.PlayerSessions(ctx, filter)
	if err != nil {
		return nil, err
	}
	// A process sees its own fleet's player sessions only.
	var mine []playerSession
	for _, v := range all {
		if v.FleetID == c.ref.FleetID {
			mine = append(mine, playerSessionOut(v))
		}
	}
	start := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, aerr := strconv.Atoi(string(b))
		if err != nil || aerr != nil || n < 0 || n > len(mine) {
			return nil, badRequest("NextToken %q is not a token this call returned", in.NextToken)
		}
		start = n
	}
	limit := in.Limit
	if limit == 0 || in.PlayerSessionID != "" {
		limit = defaultPageSize
	}
	end := min(start+limit, len(mine))
	out := &describePlayerSessionsReply{PlayerSessions: mine[start:end]}
	if out.PlayerSessions == nil {
		out.PlayerSessions = []playerSession{}
	}
	if end < len(mine) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return out, nil
}
