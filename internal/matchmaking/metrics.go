package matchmaking

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the matchmaking service's Prometheus collectors.
type Metrics struct {
	started *prometheus.CounterVec
	ended   *prometheus.CounterVec
	matches *prometheus.CounterVec
	waited  *prometheus.HistogramVec
	cycle   *prometheus.HistogramVec
}

// NewMetrics registers the matchmaking collectors of s with reg; s records
// into them from then on.
func NewMetrics(reg prometheus.Registerer, s *Service) *Metrics {
	m := &Metrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_matchmaking_tickets_started_total",
			Help: "Matchmaking and backfill tickets accepted on this node, by configuration.",
		}, []string{"configuration"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_matchmaking_tickets_ended_total",
			Help: "Tickets ended by this node, by configuration and final status.",
		}, []string{"configuration", "status"}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_matchmaking_matches_total",
			Help: "Matches (potential matches) made by this node, by configuration.",
		}, []string{"configuration"}),
		waited: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rallypoint_matchmaking_ticket_duration_seconds",
			Help:    "Time from a ticket's start to its end, by final status.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600},
		}, []string{"status"}),
		cycle: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rallypoint_matchmaking_cycle_seconds",
			Help:    "Time one matchmaking cycle took, by configuration.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
		}, []string{"configuration"}),
	}
	reg.MustRegister(m.started, m.ended, m.matches, m.waited, m.cycle,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rallypoint_matchmaking_tickets_active",
			Help: "Tickets that have not ended, of every configuration, as this node sees them.",
		}, func() float64 { return float64(s.activeTotal()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rallypoint_matchmaking_configurations_owned",
			Help: "Matchmaking configurations this node owns (holds the lease of).",
		}, func() float64 { return float64(s.ownedConfigurations()) }),
	)
	s.metrics = m
	return m
}

func (s *Service) activeTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.active {
		n += len(m)
	}
	return n
}

func (s *Service) ownedConfigurations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.owners)
}

// Owns reports whether this node owns the configuration now.
func (s *Service) Owns(configuration string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.owners[nameFromARN(configuration, "matchmakingconfiguration")]
	return ok
}

func (m *Metrics) ticketStarted(config string) {
	if m != nil {
		m.started.WithLabelValues(config).Inc()
	}
}

func (m *Metrics) ticketEnded(t *Ticket) {
	if m != nil {
		m.ended.WithLabelValues(t.Configuration, t.Status).Inc()
		m.waited.WithLabelValues(t.Status).Observe(t.EndTime.Sub(t.StartTime).Seconds())
	}
}

func (m *Metrics) matched(config string) {
	if m != nil {
		m.matches.WithLabelValues(config).Inc()
	}
}

func (m *Metrics) cycled(config string, took time.Duration) {
	if m != nil {
		m.cycle.WithLabelValues(config).Observe(took.Seconds())
	}
}
