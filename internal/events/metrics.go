package events

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the notification deliveries' Prometheus collectors.
type Metrics struct {
	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	duration  prometheus.Histogram
}

// NewMetrics registers the delivery collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_notifications_delivered_total",
			Help: "Events this node delivered to notification targets (a 2xx answer), by target name.",
		}, []string{"target"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_notification_attempts_failed_total",
			Help: "Delivery attempts to notification targets that failed and will be retried, by target name.",
		}, []string{"target"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rallypoint_notification_attempt_duration_seconds",
			Help:    "Time of one delivery attempt, from sending the POST to its answer or failure.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	reg.MustRegister(m.delivered, m.failed, m.duration)
	return m
}

func (m *Metrics) attempt(target string, took time.Duration, err error) {
	if m == nil {
		return
	}
	m.duration.Observe(took.Seconds())
	if err != nil {
		m.failed.WithLabelValues(target).Inc()
		return
	}
	m.delivered.WithLabelValues(target).Inc()
}
