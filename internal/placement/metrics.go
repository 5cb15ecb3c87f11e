package placement

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the placement service's Prometheus collectors.
type Metrics struct {
	started  *prometheus.CounterVec
	ended    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retried  *prometheus.CounterVec
}

// NewMetrics registers the placement collectors of s with reg; s records
// into them from then on.
func NewMetrics(reg prometheus.Registerer, s *Service) *Metrics {
	m := &Metrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_placements_started_total",
			Help: "Placements accepted by StartGameSessionPlacement on this node, by queue.",
		}, []string{"queue"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_placements_ended_total",
			Help: "Placements ended by this node, by queue and final status.",
		}, []string{"queue", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rallypoint_placement_duration_seconds",
			Help:    "Time from a placement's start to its end, by final status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"status"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_placement_attempts_failed_total",
			Help: "Placement attempts that did not lead to a game session or whose game session ended before it was activated, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.started, m.ended, m.duration, m.retried,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rallypoint_placements_pending",
			Help: "PENDING placements of the queues this node owns.",
		}, func() float64 { return float64(s.ownedPending()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rallypoint_queues_owned",
			Help: "Game session queues this node owns (holds the lease of).",
		}, func() float64 { return float64(s.ownedQueues()) }),
	)
	s.metrics = m
	return m
}

func (s *Service) ownedPending() int {
	s.mu.Lock()
	owners := make([]*owner, 0, len(s.owners))
	for _, o := range s.owners {
		owners = append(owners, o)
	}
	s.mu.Unlock()
	n := 0
	for _, o := range owners {
		o.mu.Lock()
		n += len(o.entries)
		o.mu.Unlock()
	}
	return n
}

func (s *Service) ownedQueues() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.owners)
}

// Owns reports whether this node owns the queue now (holds its lease).
func (s *Service) Owns(queue string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.owners[queueName(queue)]
	return ok
}

func (m *Metrics) placementStarted(queue string) {
	if m != nil {
		m.started.WithLabelValues(queue).Inc()
	}
}

func (m *Metrics) placementEnded(pl Placement) {
	if m != nil {
		m.ended.WithLabelValues(pl.Queue, pl.Status).Inc()
		m.duration.WithLabelValues(pl.Status).Observe(pl.EndTime.Sub(pl.StartTime).Seconds())
	}
}

func (m *Metrics) attemptFailed(reason string) {
	if m != nil {
		m.retried.WithLabelValues(reason).Inc()
	}
}
