package gateway

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series.
type metrics struct {
	open         prometheus.Gauge
	writers      prometheus.Gauge
	upgrades     *prometheus.CounterVec
	messages     *prometheus.CounterVec
	pushes       *prometheus.CounterVec
	closes       *prometheus.CounterVec
	integrations *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rallypoint_gateway_connections",
			Help: "Player sockets open on this node.",
		}),
		writers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rallypoint_gateway_writers",
			Help: "Sockets with frames being written right now (each has a writer goroutine).",
		}),
		upgrades: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_gateway_upgrades_total",
			Help: "WebSocket upgrades by result (ok, unauthorized, forbidden, connect_refused, connect_failed, bad_request, unavailable, error).",
		}, []string{"result"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_gateway_messages_total",
			Help: "Client messages by the route that took them (none: no route).",
		}, []string{"route"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_gateway_pushes_total",
			Help: "Frames pushed to sockets (PushToPlayer, Send, @connections), by whether the sender was this node (local) or another (remote).",
		}, []string{"from"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_gateway_closes_total",
			Help: "Sockets closed, by reason.",
		}, []string{"reason"}),
		integrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_gateway_integration_calls_total",
			Help: "HTTP integration calls by route and result (ok, status: non-2xx, error, timeout).",
		}, []string{"route", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.open, m.writers, m.upgrades, m.messages, m.pushes, m.closes, m.integrations} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("gateway: metrics already registered (one Gateway per registry): %w", err)
			}
			return nil, fmt.Errorf("gateway: register metrics: %w", err)
		}
	}
	return m, nil
}
