package server

import (
	"encoding/json"
	"fmt"
)

// MatchmakerData is the FlexMatch document in GameSession.MatchmakerData: the
// match, its configuration and its teams of players. StartMatchBackfill needs
// what it holds.
type MatchmakerData struct {
	MatchID                     string
	MatchmakingConfigurationArn string
	// AutoBackfillTicketID and AutoBackfillMode (MANUAL or AUTOMATIC) are set
	// when the configuration backfills by itself.
	AutoBackfillTicketID string
	AutoBackfillMode     string
	Teams                []MatchmakerTeam
}

// MatchmakerTeam is one team of a match.
type MatchmakerTeam struct {
	Name    string
	Players []MatchmakerPlayer
}

// MatchmakerPlayer is one player of a match, with the attributes the
// matchmaker used.
type MatchmakerPlayer struct {
	PlayerID   string
	Attributes map[string]AttributeValue
}

// wireMatchmakerData is the document's JSON, in FlexMatch's camelCase.
type wireMatchmakerData struct {
	MatchID                     string `json:"matchId"`
	MatchmakingConfigurationArn string `json:"matchmakingConfigurationArn"`
	AutoBackfillTicketID        string `json:"autoBackfillTicketId"`
	AutoBackfillMode            string `json:"autoBackfillMode"`
	Teams                       []struct {
		Name    string `json:"name"`
		Players []struct {
			PlayerID   string `json:"playerId"`
			Attributes map[string]struct {
				AttributeType  AttributeType   `json:"attributeType"`
				ValueAttribute json.RawMessage `json:"valueAttribute"`
			} `json:"attributes"`
		} `json:"players"`
	} `json:"teams"`
}

// ParseMatchmakerData reads a game session's matchmaker data.
func ParseMatchmakerData(s string) (MatchmakerData, error) {
	var w wireMatchmakerData
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return MatchmakerData{}, fmt.Errorf("parse matchmaker data: %w", err)
	}
	md := MatchmakerData{
		MatchID:                     w.MatchID,
		MatchmakingConfigurationArn: w.MatchmakingConfigurationArn,
		AutoBackfillTicketID:        w.AutoBackfillTicketID,
		AutoBackfillMode:            w.AutoBackfillMode,
		Teams:                       make([]MatchmakerTeam, 0, len(w.Teams)),
	}
	for _, wt := range w.Teams {
		t := MatchmakerTeam{Name: wt.Name, Players: make([]MatchmakerPlayer, 0, len(wt.Players))}
		for _, wp := range wt.Players {
			p := MatchmakerPlayer{PlayerID: wp.PlayerID}
			if len(wp.Attributes) > 0 {
				p.Attributes = make(map[string]AttributeValue, len(wp.Attributes))
			}
			for name, wa := range wp.Attributes {
				v := AttributeValue{Type: wa.AttributeType}
				var err error
				switch wa.AttributeType {
				case AttributeString:
					err = json.Unmarshal(wa.ValueAttribute, &v.S)
				case AttributeDouble:
					err = json.Unmarshal(wa.ValueAttribute, &v.N)
				case AttributeStringList:
					err = json.Unmarshal(wa.ValueAttribute, &v.SL)
				case AttributeStringDoubleMap:
					err = json.Unmarshal(wa.ValueAttribute, &v.SDM)
				default:
					err = fmt.Errorf("unknown attributeType %q", wa.AttributeType)
				}
				if err != nil {
					return MatchmakerData{}, fmt.Errorf("parse matchmaker data: player %s attribute %s: %w", wp.PlayerID, name, err)
				}
				p.Attributes[name] = v
			}
			t.Players = append(t.Players, p)
		}
		md.Teams = append(md.Teams, t)
	}
	return md, nil
}

// Players lists every player of the match with its team, as
// StartMatchBackfillRequest.Players wants them. Latencies are not part of
// matchmaker data; add them if the rule set uses them.
func (md MatchmakerData) Players() []Player {
	var ps []Player
	for _, t := range md.Teams {
		for _, mp := range t.Players {
			ps = append(ps, Player{PlayerID: mp.PlayerID, Team: t.Name, PlayerAttributes: mp.Attributes})
		}
	}
	return ps
}
