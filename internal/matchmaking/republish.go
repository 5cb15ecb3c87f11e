package matchmaking

import (
	"slices"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// republishWindow is how far back a new owner publishes again the events
// of its configuration: the stream's duplicate window, within which an
// event that did go out the first time is dropped as a duplicate (the
// events' ids derive from what they report).
const republishWindow = 2 * time.Minute

// republish publishes again the events of the changes made in the last
// two minutes, which the previous owner may have stored without
// publishing before it stopped: the current event of each searching
// ticket and each match in progress, and the final event of each ticket
// that ended. Older changes were published (an owner publishes within
// moments of a change, and a lease passes on within seconds).
func (o *owner) republish() {
	now := o.s.now()
	since := now.Add(-republishWindow)
	for _, ts := range o.tickets {
		if ts.t.Status == StatusSearching && ts.t.ChangedAt.After(since) {
			o.s.publish(o.ctx, &o.cfg, searchingEvent(&ts.t, ts.t.EstimatedWaitSeconds), now)
		}
	}
	for _, m := range o.matches {
		tickets := o.matchTickets(m)
		recent := m.rec.CreatedAt.After(since)
		for _, t := range tickets {
			recent = recent || t.ChangedAt.After(since)
		}
		if !recent || len(tickets) == 0 {
			continue
		}
		o.s.publish(o.ctx, &o.cfg, o.potentialMatchEvent(m, tickets), now)
		if len(m.rec.Announced) > 0 {
			o.s.publish(o.ctx, &o.cfg, acceptMatchEvent(m, tickets), now)
		}
		if m.rec.Status == StatusPlacing && o.cfg.AcceptanceRequired && m.rec.Backfill == "" {
			o.s.publish(o.ctx, &o.cfg, acceptMatchCompletedEvent(m, tickets, AcceptanceAccepted), now)
		}
	}
	o.republishEnded(since, now)
}

// republishEnded publishes again the final events of the configuration's
// tickets that ended since then: one MatchmakingSucceeded per match, one
// event per ticket that ended otherwise.
func (o *owner) republishEnded(since, now time.Time) {
	o.s.mu.Lock()
	var ids []string
	for _, r := range o.s.ended {
		if r.config == o.name && r.at.After(since) {
			ids = append(ids, r.id)
		}
	}
	o.s.mu.Unlock()
	matches := map[string][]*Ticket{}
	var order []string
	for _, id := range ids {
		t, _, err := engine.Get[Ticket](o.ctx, o.s.cfg.Tickets, ticketKey(id))
		if err != nil || !t.Ended() {
			continue
		}
		if t.Status != StatusCompleted {
			o.s.publish(o.ctx, &o.cfg, endEvent(&t), now)
			continue
		}
		if _, ok := matches[t.MatchID]; !ok {
			order = append(order, t.MatchID)
		}
		matches[t.MatchID] = append(matches[t.MatchID], &t)
	}
	for _, matchID := range order {
		tickets := matches[matchID]
		slices.SortFunc(tickets, func(a, b *Ticket) int { return a.StartTime.Compare(b.StartTime) })
		var conn *ConnectionInfo
		for _, t := range tickets {
			if t.ConnectionInfo != nil {
				c := *t.ConnectionInfo
				c.Players = nil
				conn = &c
				break
			}
		}
		o.s.publish(o.ctx, &o.cfg, succeededEvent(matchID, tickets, conn), now)
	}
}
