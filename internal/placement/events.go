package placement

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/events"
)

// DetailType is the detail-type of every queue placement event.
const DetailType = "GameLift Queue Placement Event"

// Event types, as detail.type.
const (
	EventFulfilled = "PlacementFulfilled"
	EventCancelled = "PlacementCancelled"
	EventTimedOut  = "PlacementTimedOut"
	EventFailed    = "PlacementFailed"
)

// eventDetail is detail of a placement event. The failure events carry
// only the id and times.
type eventDetail struct {
	Type                 string        `json:"type"`
	PlacementID          string        `json:"placementId"`
	Port                 string        `json:"port,omitempty"`
	GameSessionARN       string        `json:"gameSessionArn,omitempty"`
	IPAddress            string        `json:"ipAddress,omitempty"`
	DNSName              *string       `json:"dnsName,omitempty"`
	StartTime            string        `json:"startTime"`
	EndTime              string        `json:"endTime"`
	GameSessionRegion    string        `json:"gameSessionRegion,omitempty"`
	PlacedPlayerSessions []eventPlayer `json:"placedPlayerSessions,omitempty"`
	CustomEventData      string        `json:"customEventData,omitempty"`
}

type eventPlayer struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// isoMillis is the time format of GameLift's event members.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func eventType(status string) string {
	switch status {
	case StatusFulfilled:
		return EventFulfilled
	case StatusCancelled:
		return EventCancelled
	case StatusTimedOut:
		return EventTimedOut
	}
	return EventFailed
}

// eventNamespace names the ids of placement events (UUID version 5).
var eventNamespace = uuid.MustParse("5f0c3a52-8d7e-4b6b-9a51-4b2f0f6e1c3d")

// eventID is the same for every publication of one placement's end, so
// that the stream drops a republication (see republish) as a duplicate.
func eventID(pl Placement) string {
	return uuid.NewSHA1(eventNamespace, []byte(pl.ID+"/"+pl.Status+"/"+pl.EndTime.Format(time.RFC3339Nano))).String()
}

// publish emits the event of an ended placement. A failure to publish is
// logged, not returned: the placement's outcome is stored either way, and
// DescribeGameSessionPlacement shows it.
// q is the placement's queue as the caller knows it; nil reads it.
func (s *Service) publish(ctx context.Context, pl Placement, q *Queue) {
	if s.cfg.Events == nil {
		return
	}
	queueARN := s.arn("gamesessionqueue/" + pl.Queue)
	if q == nil {
		if read, err := s.Queue(ctx, pl.Queue); err == nil {
			q = &read
		}
	}
	var target, custom string
	if q != nil {
		target, custom = q.NotificationTarget, q.CustomEventData
	}
	d := eventDetail{
		Type:            eventType(pl.Status),
		PlacementID:     pl.ID,
		StartTime:       isoMillis(pl.StartTime),
		EndTime:         isoMillis(pl.EndTime),
		CustomEventData: custom,
	}
	if pl.Status == StatusFulfilled {
		d.Port = strconv.Itoa(pl.Port)
		d.GameSessionARN = pl.GameSessionARN
		d.IPAddress = pl.IPAddress
		d.DNSName = &pl.DNSName
		d.GameSessionRegion = pl.Location
		d.PlacedPlayerSessions = []eventPlayer{}
		for _, p := range pl.PlacedPlayers {
			d.PlacedPlayerSessions = append(d.PlacedPlayerSessions, eventPlayer(p))
		}
	}
	ev := events.Event{
		Subject:            events.Subject("placement", pl.Queue, d.Type),
		NotificationTarget: target,
		Document:           events.NewDocument(DetailType, s.cfg.Region, []string{queueARN}, pl.EndTime, d),
	}
	ev.Document.ID = eventID(pl)
	// A retry carries the same document id, which the stream uses to drop
	// a duplicate if an earlier try was stored but not acknowledged.
	var err error
	for attempt := range 5 {
		if err = s.cfg.Events.Publish(ctx, ev); err == nil || ctx.Err() != nil {
			break
		}
		sleep(ctx, time.Duration(100<<attempt)*time.Millisecond)
	}
	if err != nil {
		s.log.Error("could not publish a placement event", "placement", pl.ID, "type", d.Type, "error", err)
	}
}

// republishWindow is how far back a new owner republishes the events of
// placements that ended: the stream's duplicate window, within which a
// republication of an event that did go out is dropped.
const republishWindow = 2 * time.Minute

// republish publishes again the events of the queue's placements that
// ended in the last two minutes: an owner that stored an outcome and
// stopped before publishing its event leaves it to the next owner. Those
// that were published are dropped by the stream as duplicates.
func (s *Service) republish(ctx context.Context, refs []endedRef) {
	for _, r := range refs {
		pl, _, err := s.loadPlacement(ctx, r.id)
		if err != nil || !pl.Ended() {
			continue
		}
		s.publish(ctx, pl, nil)
	}
}
