package serversdk

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the server SDK endpoint's Prometheus collectors.
type Metrics struct {
	connections prometheus.Gauge
	refused     *prometheus.CounterVec
	requests    *prometheus.CounterVec
	pushes      *prometheus.CounterVec
}

// NewMetrics registers the endpoint's collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rallypoint_serversdk_connections",
			Help: "Game server sockets open on this node.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_serversdk_refused_total",
			Help: "Game server connections refused at the upgrade, by HTTP status.",
		}, []string{"status"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_serversdk_requests_total",
			Help: "Server SDK requests by action and reply status code.",
		}, []string{"action", "status"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallypoint_serversdk_pushes_total",
			Help: "Messages pushed to game servers by action.",
		}, []string{"action"}),
	}
	reg.MustRegister(m.connections, m.refused, m.requests, m.pushes)
	return m
}

// knownActions bounds the action label: anything else is "unknown".
var knownActions = map[string]bool{
	"ActivateServerProcess": true, "HeartbeatServerProcess": true, "ActivateGameSession": true,
	"UpdatePlayerSessionCreationPolicy": true, "AcceptPlayerSession": true, "RemovePlayerSession": true,
	"DescribePlayerSessions": true, "StartMatchBackfill": true, "StopMatchBackfill": true,
	"TerminateServerProcess": true, "GetComputeCertificate": true, "GetFleetRoleCredentials": true,
}

func (m *Metrics) connected(delta float64) {
	if m != nil {
		m.connections.Add(delta)
	}
}

func (m *Metrics) refusal(status int) {
	if m != nil {
		m.refused.WithLabelValues(strconv.Itoa(status)).Inc()
	}
}

func (m *Metrics) request(action string, status int) {
	if m == nil {
		return
	}
	if !knownActions[action] {
		action = "unknown"
	}
	m.requests.WithLabelValues(action, strconv.Itoa(status)).Inc()
}

func (m *Metrics) pushed(action string) {
	if m != nil {
		m.pushes.WithLabelValues(action).Inc()
	}
}
