package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the control plane's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the control-plane collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_api_requests_total",
			Help: "Control-plane calls by operation and outcome (the error type, or OK).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rallypoint_api_request_duration_seconds",
			Help:    "Control-plane call latency by operation, from request to response.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe records one call. Unknown operation names are folded into one
// label value so that clients cannot grow the label set without bound.
func (m *Metrics) observe(op string, known map[string]operation, errType string, d time.Duration) {
	if _, ok := known[op]; !ok {
		op = "unknown"
	}
	outcome := errType
	if outcome == "" {
		outcome = "OK"
	}
	m.requests.WithLabelValues(op, outcome).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}
