package beacon

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Serve answers the probes that arrive on conn until ctx ends, and then
// returns nil; if conn fails first, it returns the error. One Serve at a
// time per conn. Serve does not close conn (its caller does, once Serve has
// returned); to stop reading it may leave a read deadline set on it.
//
// Datagrams that are not probes are dropped without a log line or an
// error: a beacon receives whatever anyone sends it, and reporting each
// would hand them the log.
func Serve(ctx context.Context, conn net.PacketConn) error {
	// Reads take no context; a deadline in the past is what ends a read
	// that is waiting when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var err error
	if udp, ok := conn.(*net.UDPConn); ok {
		err = serveUDP(udp)
	} else {
		err = servePackets(conn)
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("ping beacon on %s: %w", conn.LocalAddr(), err)
}

// serveUDP is the loop for UDP sockets, which can read and write without
// allocating an address per datagram.
func serveUDP(conn *net.UDPConn) error {
	var buf [maxSize + 1]byte // one byte more than a probe can have, to tell larger datagrams apart
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			return err
		}
		if answerable(from) && echo(buf[:n]) {
			// An echo that cannot be sent is a lost datagram, which the
			// client counts as such; the beacon carries on.
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}
}

// servePackets is the loop for any other packet connection.
func servePackets(conn net.PacketConn) error {
	var buf [maxSize + 1]byte
	for {
		n, from, err := conn.ReadFrom(buf[:])
		if err != nil {
			return err
		}
		if udp, ok := from.(*net.UDPAddr); ok && !answerable(udp.AddrPort()) {
			continue
		}
		if echo(buf[:n]) {
			_, _ = conn.WriteTo(buf[:n], from)
		}
	}
}

// ListenAndServe listens for UDP on addr (host:port) and serves a beacon
// there until ctx ends, as Serve does.
func ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	conn, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return fmt.Errorf("ping beacon: %w", err)
	}
	defer conn.Close()
	return Serve(ctx, conn)
}
