package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gobwas/ws"
)

// ServeHTTP upgrades GET /ws to a player's socket: authenticate, run the
// $connect integration, record the connection, complete the handshake,
// send the resume frame, then read. A refused upgrade leaves no record.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !headerHasToken(r.Header, "Upgrade", "websocket") {
		g.refuse(w, http.StatusBadRequest, "expected a WebSocket upgrade (GET with Upgrade: websocket)", "bad_request")
		return
	}
	if !g.ready.Load() {
		g.refuse(w, http.StatusServiceUnavailable, "the gateway is not accepting connections", "unavailable")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.RequestTimeout+g.cfg.IntegrationTimeout)
	defer cancel()
	p, cr, err := g.authenticate(ctx, r)
	if err != nil {
		status, msg := http.StatusForbidden, err.Error()
		if ae, ok := err.(*authError); ok {
			status = ae.status
		}
		result := "forbidden"
		if status == http.StatusUnauthorized {
			result = "unauthorized"
		}
		g.log.Debug("upgrade refused", "method", cr.method, "status", status, "reason", msg)
		g.refuse(w, status, msg, result)
		return
	}

	now := g.cfg.Now().UTC()
	rec := record{
		ConnectionID: newConnectionID(),
		PlayerID:     p.IdentityID,
		IdentityID:   p.IdentityID,
		Node:         g.cfg.NodeID,
		ConnectedAt:  now,
		SourceIP:     sourceIP(r),
		UserAgent:    r.UserAgent(),
	}
	c := g.newConn(rec, p.Expires)
	if _, ok := g.cfg.Routes[routeConnect]; ok {
		status, _, err := g.integrate(ctx, c, routeConnect, "CONNECT", nil, r)
		switch {
		case err != nil:
			g.log.Warn("$connect integration failed", "connection", rec.ConnectionID, "player", rec.PlayerID, "error", err)
			g.refuse(w, http.StatusBadGateway, "the $connect integration failed", "connect_failed")
			return
		case status < 200 || status > 299:
			g.refuse(w, http.StatusForbidden, "Forbidden: the $connect integration refused the connection", "connect_refused")
			return
		}
	}

	g.mu.Lock()
	if g.shutdown {
		g.mu.Unlock()
		g.refuse(w, http.StatusServiceUnavailable, "the gateway is shutting down", "unavailable")
		return
	}
	g.conns[rec.ConnectionID] = c
	g.readers.Add(1)
	g.mu.Unlock()
	g.metrics.open.Inc()

	// The record is written before the handshake completes, so that the
	// moment a client sees 101 it can be reached from any node; pushes
	// that arrive meanwhile wait in the queue, behind the resume frame.
	if err := g.register(ctx, rec); err != nil {
		g.log.Error("could not record a connection", "connection", rec.ConnectionID, "player", rec.PlayerID, "error", err)
		g.drop(c)
		g.refuse(w, http.StatusInternalServerError, "could not record the connection", "error")
		return
	}
	up := ws.HTTPUpgrader{Timeout: g.cfg.WriteTimeout}
	if cr.protocol != "" {
		up.Protocol = func(p string) bool { return p == cr.protocol }
	}
	nc, rw, _, err := up.Upgrade(r, w)
	if err != nil {
		if nc != nil {
			_ = nc.Close()
		}
		g.metrics.upgrades.WithLabelValues("bad_request").Inc()
		g.unregister(context.WithoutCancel(ctx), rec)
		g.drop(c)
		return
	}
	var reader io.Reader = nc
	if n := rw.Reader.Buffered(); n > 0 {
		// The client sent frames right behind its handshake.
		early, _ := rw.Reader.Peek(n)
		reader = io.MultiReader(bytes.NewReader(bytes.Clone(early)), nc)
	}
	c.wmu.Lock()
	c.nc, c.r = nc, reader
	closing := c.closing
	c.wmu.Unlock()
	if closing {
		// Closed (by Shutdown) while the handshake ran.
		_ = nc.SetReadDeadline(time.Now().Add(closeGrace + g.cfg.WriteTimeout))
	}
	g.metrics.upgrades.WithLabelValues("ok").Inc()
	g.log.Debug("connected", "connection", rec.ConnectionID, "player", rec.PlayerID, "auth", cr.method)

	var first []byte
	if g.cfg.Resume != nil && !closing {
		if f, ok := g.cfg.Resume(ctx, rec.PlayerID); ok && len(f) > 0 {
			first = f
		}
	}
	c.release(first)
	go c.readLoop()
}

// drop forgets a socket that never started reading.
func (g *Gateway) drop(c *conn) {
	c.cancel()
	g.mu.Lock()
	delete(g.conns, c.id())
	g.mu.Unlock()
	g.metrics.open.Dec()
	g.readers.Done()
}

// disconnect runs when a socket's reader ends, whatever ended it: the
// records go, then $disconnect runs.
func (g *Gateway) disconnect(c *conn) {
	c.closeWith(closeGoingAway, reasonLost, false, false)
	_ = c.nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.RequestTimeout)
	g.unregister(ctx, c.rec)
	cancel()
	g.mu.Lock()
	delete(g.conns, c.id())
	g.mu.Unlock()
	g.metrics.open.Dec()
	if _, ok := g.cfg.Routes[routeDisconnect]; ok {
		ctx, cancel := context.WithTimeout(context.Background(), g.cfg.IntegrationTimeout)
		if _, _, err := g.integrate(ctx, c, routeDisconnect, "DISCONNECT", nil, nil); err != nil {
			g.log.Warn("$disconnect integration failed", "connection", c.id(), "player", c.rec.PlayerID, "error", err)
		}
		cancel()
	}
	g.log.Debug("disconnected", "connection", c.id(), "player", c.rec.PlayerID)
	g.readers.Done()
}

// refuse answers an upgrade that will not happen with a short JSON body.
func (g *Gateway) refuse(w http.ResponseWriter, status int, msg, result string) {
	g.metrics.upgrades.WithLabelValues(result).Inc()
	writeJSONError(w, status, "", msg)
}

// writeJSONError writes {"message": msg}, with x-amzn-ErrorType when
// errorType is set.
func writeJSONError(w http.ResponseWriter, status int, errorType, msg string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	if errorType != "" {
		w.Header().Set("x-amzn-ErrorType", errorType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// headerHasToken reports whether a comma-separated header holds token,
// case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, line := range h.Values(name) {
		for _, t := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
