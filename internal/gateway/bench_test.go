package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkIdleConnections reports what an idle authenticated socket
// costs the process: Go heap and stacks over 2000 sockets, both ends on
// loopback (the client end is a bare TCP connection, no goroutine, no
// buffer), with the gateway's records and timers in place.
//
//	go test -run '^$' -bench IdleConnections -benchtime 1x ./internal/gateway/
func BenchmarkIdleConnections(b *testing.B) {
	const n = 2000
	w := newWorld(b)
	node := w.node("a", nil)
	p := w.player()
	host, path, _ := strings.Cut(strings.TrimPrefix(node.wsURL, "ws://"), "/")
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", host)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(nc, "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", path, host, p.token)
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			b.Fatalf("upgrade: %v %v", err, resp)
		}
		return nc
	}
	conns := []net.Conn{dial()} // warm up
	before := memInUse()
	for range b.N {
		for range n {
			conns = append(conns, dial())
		}
	}
	eventually(b, "every socket to be recorded", func() bool { return len(w.records()) == len(conns) })
	after := memInUse()
	b.ReportMetric(float64(after-before)/float64(n*b.N), "B/conn")
	for _, c := range conns {
		_ = c.Close()
	}
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
