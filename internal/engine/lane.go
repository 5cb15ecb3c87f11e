package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A Lane is a connection of its own to the engine, with its own handles on
// the buckets and the event stream. Everything sent over one connection
// shares its lock and the one goroutine that reads it on each side, so
// under load a busy service's requests queue behind another's: with one
// connection, the matchmaker's writes waited behind thousands of players'
// socket records and identity reads. Each service of a node takes a lane.
//
// A lane is safe for concurrent use. The engine closes its lanes when it
// closes.
type Lane struct {
	name    string
	conn    *nats.Conn
	js      jetstream.JetStream
	buckets map[string]jetstream.KeyValue
	events  jetstream.Stream
}

// Lane opens a new lane, named in the server's connection list after the
// node and name.
func (e *Engine) Lane(ctx context.Context, name string) (*Lane, error) {
	conn, err := e.dial(name)
	if err != nil {
		return nil, fmt.Errorf("open engine lane %s: %w", name, err)
	}
	l := &Lane{name: name, conn: conn, buckets: make(map[string]jetstream.KeyValue, len(bucketSpecs))}
	fail := func(err error) (*Lane, error) {
		conn.Close()
		return nil, fmt.Errorf("open engine lane %s: %w", name, err)
	}
	if l.js, err = jetstream.New(conn); err != nil {
		return fail(err)
	}
	for _, spec := range bucketSpecs {
		kv, err := l.js.KeyValue(ctx, spec.Bucket)
		if err != nil {
			return fail(fmt.Errorf("bucket %s: %w", spec.Bucket, err))
		}
		l.buckets[spec.Bucket] = kv
	}
	if l.events, err = l.js.Stream(ctx, StreamEvents); err != nil {
		return fail(fmt.Errorf("stream %s: %w", StreamEvents, err))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil || e.conn.IsClosed() {
		return fail(errors.New("the engine is closed"))
	}
	e.lanes = append(e.lanes, l)
	return l, nil
}

// Conn is the lane's NATS connection.
func (l *Lane) Conn() *nats.Conn { return l.conn }

// JetStream is the JetStream context over the lane's connection.
func (l *Lane) JetStream() jetstream.JetStream { return l.js }

// Bucket returns the lane's handle on one of the provisioned buckets (the
// Bucket* constants). It panics on an unknown name, as Engine.Bucket does.
func (l *Lane) Bucket(name string) jetstream.KeyValue {
	kv, ok := l.buckets[name]
	if !ok {
		panic("engine: bucket " + name + " is not provisioned")
	}
	return kv
}

// Events is the lane's handle on the RP_EVENTS stream.
func (l *Lane) Events() jetstream.Stream { return l.events }

func (l *Lane) close() error {
	if err := closeConn(l.conn); err != nil {
		return fmt.Errorf("lane %s: %w", l.name, err)
	}
	return nil
}

// closeConn sends what is buffered on a connection and closes it.
func closeConn(c *nats.Conn) error {
	if c.IsClosed() {
		return nil
	}
	var err error
	if ferr := c.FlushTimeout(5 * time.Second); ferr != nil && !errors.Is(ferr, nats.ErrConnectionClosed) {
		err = fmt.Errorf("flush NATS connection: %w", ferr)
	}
	c.Close()
	return err
}
