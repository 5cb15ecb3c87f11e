package server

import (
	"fmt"
	"net/url"
	"regexp"
)

// Limits and patterns GameLift's server SDKs check before sending, so that a
// request the real service would refuse is refused here too, with a clearer
// message. IDs the service hands out must pass them.
var (
	// idPattern: FleetId and PlayerSessionId.
	idPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)
	// computePattern: ComputeId (HostID), optionally "<name>/<name>".
	computePattern = regexp.MustCompile(`^[a-zA-Z0-9-]+(/[a-zA-Z0-9-]+)?$`)
	// arnPattern: game session ids and ARNs and role ARNs; no '_' or '.'.
	arnPattern = regexp.MustCompile(`^[a-zA-Z0-9:/-]+$`)
	// configPattern: a matchmaking configuration ARN or name. GameLift's Go
	// SDK wants an ARN in an AWS region; rallypoint's regions are free-form,
	// so any ARN-like string is accepted.
	configPattern = regexp.MustCompile(`^[a-zA-Z0-9:/.-]+$`)
	// ticketPattern: match backfill ticket ids.
	ticketPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]*$`)
	// roleSessionPattern: STS role session names.
	roleSessionPattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
)

const (
	maxIDLength          = 256
	maxLongLength        = 1024
	maxTicketLength      = 128
	maxRoleSessionLength = 64
	minPort, maxPort     = 1, 60000
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidParameter}, args...)...)
}

// checkString refuses s if it is required and empty, longer than max, or not
// matching re (when re is not nil).
func checkString(name, s string, required bool, max int, re *regexp.Regexp) error {
	if s == "" {
		if required {
			return invalid("%s is required", name)
		}
		return nil
	}
	if len(s) > max {
		return invalid("%s is %d characters long, more than %d", name, len(s), max)
	}
	if re != nil && !re.MatchString(s) {
		return invalid("%s %q does not match %s", name, s, re)
	}
	return nil
}

func validateServerParameters(p ServerParameters) error {
	if p.WebSocketURL == "" {
		return invalid("WebSocketURL is required")
	}
	u, err := url.Parse(p.WebSocketURL)
	if err != nil {
		return invalid("WebSocketURL: %v", err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return invalid("WebSocketURL %q: scheme must be ws or wss", p.WebSocketURL)
	}
	if u.Host == "" {
		return invalid("WebSocketURL %q has no host", p.WebSocketURL)
	}
	if p.ProcessID == "" {
		return invalid("ProcessID is required")
	}
	if err := checkString("HostID", p.HostID, true, maxIDLength, computePattern); err != nil {
		return err
	}
	if err := checkString("FleetID", p.FleetID, true, maxIDLength, idPattern); err != nil {
		return err
	}
	if p.AuthToken == "" {
		return invalid("AuthToken is required (SigV4 authentication is not supported)")
	}
	return nil
}

func validateProcessParameters(p ProcessParameters) error {
	if p.Port < minPort || p.Port > maxPort {
		return invalid("Port %d is not between %d and %d", p.Port, minPort, maxPort)
	}
	return nil
}

func validatePlayerSessionID(id string) error {
	return checkString("PlayerSessionID", id, true, maxIDLength, idPattern)
}

func validatePolicy(p PlayerSessionCreationPolicy) error {
	if p != AcceptAll && p != DenyAll {
		return invalid("player session creation policy %q is not ACCEPT_ALL or DENY_ALL", p)
	}
	return nil
}

func validateDescribePlayerSessions(r DescribePlayerSessionsRequest) error {
	n := 0
	for _, s := range []string{r.GameSessionID, r.PlayerID, r.PlayerSessionID} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return invalid("exactly one of GameSessionID, PlayerID and PlayerSessionID is required, got %d", n)
	}
	if err := checkString("GameSessionID", r.GameSessionID, false, maxIDLength, arnPattern); err != nil {
		return err
	}
	if err := checkString("PlayerID", r.PlayerID, false, maxLongLength, nil); err != nil {
		return err
	}
	if err := checkString("PlayerSessionID", r.PlayerSessionID, false, maxLongLength, nil); err != nil {
		return err
	}
	switch r.PlayerSessionStatusFilter {
	case "", PlayerSessionReserved, PlayerSessionActive, PlayerSessionCompleted, PlayerSessionTimedOut:
	default:
		return invalid("PlayerSessionStatusFilter %q is not RESERVED, ACTIVE, COMPLETED or TIMEDOUT", r.PlayerSessionStatusFilter)
	}
	if err := checkString("NextToken", r.NextToken, false, maxLongLength, nil); err != nil {
		return err
	}
	if r.Limit < 0 {
		return invalid("Limit %d is negative", r.Limit)
	}
	return nil
}

func validateStartMatchBackfill(r StartMatchBackfillRequest) error {
	if err := checkString("GameSessionArn", r.GameSessionArn, true, maxIDLength, arnPattern); err != nil {
		return err
	}
	if err := checkString("MatchmakingConfigurationArn", r.MatchmakingConfigurationArn, true, maxIDLength, configPattern); err != nil {
		return err
	}
	if err := checkString("TicketID", r.TicketID, false, maxTicketLength, ticketPattern); err != nil {
		return err
	}
	if len(r.Players) == 0 {
		return invalid("Players is empty")
	}
	for i, p := range r.Players {
		if p.PlayerID == "" {
			return invalid("Players[%d].PlayerID is required", i)
		}
		for name, a := range p.PlayerAttributes {
			switch a.Type {
			case AttributeString, AttributeDouble, AttributeStringList, AttributeStringDoubleMap:
			default:
				return invalid("Players[%d].PlayerAttributes[%q]: type %q is not STRING, DOUBLE, STRING_LIST or STRING_DOUBLE_MAP", i, name, a.Type)
			}
		}
	}
	return nil
}

func validateStopMatchBackfill(r StopMatchBackfillRequest) error {
	if err := checkString("GameSessionArn", r.GameSessionArn, true, maxIDLength, arnPattern); err != nil {
		return err
	}
	if err := checkString("MatchmakingConfigurationArn", r.MatchmakingConfigurationArn, true, maxIDLength, configPattern); err != nil {
		return err
	}
	return checkString("TicketID", r.TicketID, true, maxTicketLength, ticketPattern)
}

func validateGetFleetRoleCredentials(r GetFleetRoleCredentialsRequest) error {
	if err := checkString("RoleArn", r.RoleArn, true, maxIDLength, arnPattern); err != nil {
		return err
	}
	if len(r.RoleSessionName) < 2 {
		return invalid("RoleSessionName %q is shorter than 2 characters", r.RoleSessionName)
	}
	return checkString("RoleSessionName", r.RoleSessionName, true, maxRoleSessionLength, roleSessionPattern)
}
