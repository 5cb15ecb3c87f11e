// Package engine is rallypoint's storage and messaging layer: a NATS server
// with JetStream, embedded in the process (or an external cluster joined by
// URL), with the key-value buckets and streams every other package keeps its
// state in, and a lease primitive that gives each aggregate a single writer.
//
// The engine provisions storage but does not interpret it: each bucket has
// one owning package, which receives the bucket handle at start-up and is the
// only code that reads or writes it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the engine keeps its data or which cluster it joins.
type Config struct {
	// DataDir holds the embedded server's JetStream files. Required when
	// URL is empty.
	DataDir string
	// URL, when set, joins an external NATS server or cluster instead of
	// embedding one. Several URLs may be given separated by commas.
	URL string
	// Listen, when set, makes the embedded server accept NATS clients on
	// this host:port (for tools such as the nats CLI, or other nodes).
	// By default the embedded server has no listening port at all.
	Listen string
	// NodeID names this node; it becomes the embedded server's name.
	NodeID string
	// Replicas is the replication factor for buckets and streams created
	// on an external cluster. Zero means 1.
	Replicas int
	// Logger receives the engine's logs and the embedded server's.
	Logger *slog.Logger
}

// Engine is an open connection to JetStream with rallypoint's storage
// provisioned. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	server  *server.Server // nil when an external URL is used
	conn    *nats.Conn
	js      jetstream.JetStream
	buckets map[string]jetstream.KeyValue
	events  jetstream.Stream

	mu    sync.Mutex
	lanes []*Lane
}

// Open starts (or connects to) NATS and provisions every bucket and stream.
// Provisioning is idempotent: opening an engine over existing data keeps it.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replicas <= 0 || cfg.URL == "" {
		// A single embedded server can hold one replica only.
		cfg.Replicas = 1
	}
	if cfg.NodeID == "" {
		cfg.NodeID = DefaultNodeID()
	}
	e := &Engine{cfg: cfg, log: cfg.Logger.With("component", "engine")}

	var err error
	if cfg.URL != "" {
		e.conn, err = e.dial("")
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", cfg.URL, err)
		}
		if max := e.conn.MaxPayload(); max < MaxRecordBytes {
			e.log.Warn("the NATS servers' max_payload is below what rallypoint may write; set max_payload: 4MB in their configuration",
				"max_payload", max, "needed", MaxRecordBytes)
		}
	} else {
		if err := e.startEmbedded(); err != nil {
			return nil, err
		}
	}

	e.js, err = jetstream.New(e.conn)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("open JetStream: %w", err)
	}
	if err := e.provision(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// MaxRecordBytes is the largest record (and message) rallypoint writes:
// the embedded server allows it, and an external one should too.
const MaxRecordBytes = 4 << 20

func (e *Engine) startEmbedded() error {
	if e.cfg.DataDir == "" {
		return errors.New("engine: a data directory is required for the embedded NATS server")
	}
	storeDir := filepath.Join(e.cfg.DataDir, "jetstream")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return fmt.Errorf("create JetStream directory: %w", err)
	}
	opts := &server.Options{
		ServerName: e.cfg.NodeID,
		JetStream:  true,
		StoreDir:   storeDir,
		DontListen: e.cfg.Listen == "",
		NoSigs:     true, // the process owns signal handling and shuts us down in order
		// A game session's record holds its player sessions, game session
		// data and matchmaker data: up to about 1.1 MB at GameLift's limits,
		// above NATS's default of 1 MB.
		MaxPayload: MaxRecordBytes,
		// A JetStream domain is not needed in one process; leaving the
		// defaults keeps the store usable by a stand-alone nats-server.
	}
	if e.cfg.Listen != "" {
		host, port, err := net.SplitHostPort(e.cfg.Listen)
		if err != nil {
			return fmt.Errorf("NATS listen address %q: %w", e.cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("NATS listen port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
		if p == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("configure embedded NATS server: %w", err)
	}
	ns.SetLoggerV2(natsLogger{e.log.With("component", "nats")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return errors.New("embedded NATS server did not become ready within 30s")
	}
	e.server = ns
	e.conn, err = e.dial("")
	if err != nil {
		ns.Shutdown()
		return fmt.Errorf("connect to embedded NATS server: %w", err)
	}
	return nil
}

// dial opens a connection to the embedded server or the external URL,
// named after the node and, for a lane, the lane.
func (e *Engine) dial(lane string) (*nats.Conn, error) {
	name := "rallypoint " + e.cfg.NodeID
	if lane != "" {
		name += " " + lane
	}
	if e.server != nil {
		return nats.Connect("", nats.InProcessServer(e.server), nats.Name(name))
	}
	return nats.Connect(e.cfg.URL,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
	)
}

// NodeID is the name this node goes by in leases and connection records.
func (e *Engine) NodeID() string { return e.cfg.NodeID }

// Conn is the NATS connection, for core subjects (pushes between nodes).
func (e *Engine) Conn() *nats.Conn { return e.conn }

// JetStream is the JetStream context over Conn.
func (e *Engine) JetStream() jetstream.JetStream { return e.js }

// Bucket returns the handle of one of the provisioned buckets (the Bucket*
// constants). It panics on an unknown name: that is a programming error,
// caught by any test that starts the owning package.
func (e *Engine) Bucket(name string) jetstream.KeyValue {
	kv, ok := e.buckets[name]
	if !ok {
		panic("engine: bucket " + name + " is not provisioned")
	}
	return kv
}

// Events is the RP_EVENTS stream.
func (e *Engine) Events() jetstream.Stream { return e.events }

// ClientURL is where NATS clients can reach the embedded server when it
// listens (Config.Listen), or the external URL; empty when the embedded
// server has no port.
func (e *Engine) ClientURL() string {
	if e.server == nil {
		return e.cfg.URL
	}
	if e.cfg.Listen == "" {
		return ""
	}
	return e.server.ClientURL()
}

// Check reports whether the engine can serve requests: the connection is up
// and JetStream answers.
func (e *Engine) Check(ctx context.Context) error {
	if e.conn == nil || !e.conn.IsConnected() {
		return errors.New("not connected to NATS")
	}
	if _, err := e.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("JetStream account info: %w", err)
	}
	return nil
}

// Close flushes and closes the connection, then shuts the embedded server
// down, which syncs JetStream's files to disk. It is safe to call twice.
func (e *Engine) Close() error {
	var err error
	e.mu.Lock()
	lanes := e.lanes
	e.lanes = nil
	e.mu.Unlock()
	for _, l := range lanes {
		err = errors.Join(err, l.close())
	}
	if e.conn != nil && !e.conn.IsClosed() {
		err = errors.Join(err, closeConn(e.conn))
	}
	if e.server != nil {
		e.server.Shutdown()
		e.server.WaitForShutdown()
		e.server = nil
	}
	return err
}

// DefaultNodeID derives a node id from the host name, so that nodes of one
// cluster get distinct, recognisable names without configuration.
func DefaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "node"
	}
	return sanitizeNodeID(h)
}

// sanitizeNodeID keeps the characters that are safe in NATS subjects and
// KV keys (node ids appear in both).
func sanitizeNodeID(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		default:
			b = append(b, '-')
		}
	}
	if len(b) == 0 {
		return "node"
	}
	return string(b)
}

// ValidNodeID reports whether id can be used as a node id as given.
func ValidNodeID(id string) bool { return id != "" && sanitizeNodeID(id) == id && len(id) <= 64 }
