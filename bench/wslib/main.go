// Command wslib measures, for three Go WebSocket server libraries, the
// server's memory per idle connection and its push throughput: the
// comparison the player gateway's library was chosen by (see
// docs/performance.md). It is a module of its own so that the libraries
// not chosen stay out of rallypoint's go.mod.
//
//	cd bench/wslib && go build -o wslib . && for l in gobwas gws coder; do ./wslib -lib $l -n 5000; done
//
// Clients run in a child process (this program started again with
// -client), so the memory measured is the server's.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/lxzan/gws"
)

var (
	lib   = flag.String("lib", "gobwas", "")
	n     = flag.Int("n", 5000, "")
	child = flag.String("client", "", "run as client against addr")
	push  = flag.Int("push", 200000, "frames to push in the throughput run")
)

type conns struct {
	mu   sync.Mutex
	send []func([]byte) error
}

var all conns
var ready atomic.Int64

type gwsHandler struct{ gws.BuiltinEventHandler }

func (gwsHandler) OnMessage(c *gws.Conn, m *gws.Message) { m.Close() }

func main() {
	flag.Parse()
	if *child != "" {
		client(*child, *n)
		return
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	var h http.Handler
	switch *lib {
	case "gobwas":
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _, _, err := ws.UpgradeHTTP(r, w)
			if err != nil {
				return
			}
			var mu sync.Mutex
			all.mu.Lock()
			all.send = append(all.send, func(b []byte) error {
				mu.Lock()
				defer mu.Unlock()
				var hb [ws.MaxHeaderSize]byte
				w := bytesWriter{buf: hb[:0]}
				ws.WriteHeader(&w, ws.Header{Fin: true, OpCode: ws.OpText, Length: int64(len(b))})
				_, err := (&net.Buffers{w.buf, b}).WriteTo(c)
				return err
			})
			all.mu.Unlock()
			ready.Add(1)
			go func() {
				for {
					hd, err := ws.ReadHeader(c)
					if err != nil {
						c.Close()
						return
					}
					io.CopyN(io.Discard, c, hd.Length)
				}
			}()
		})
	case "gws":
		up := gws.NewUpgrader(gwsHandler{}, &gws.ServerOption{})
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r)
			if err != nil {
				return
			}
			all.mu.Lock()
			all.send = append(all.send, func(b []byte) error { return c.WriteMessage(gws.OpcodeText, b) })
			all.mu.Unlock()
			ready.Add(1)
			go c.ReadLoop()
		})
	case "coder":
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			all.mu.Lock()
			all.send = append(all.send, func(b []byte) error { return c.Write(context.Background(), websocket.MessageText, b) })
			all.mu.Unlock()
			ready.Add(1)
			go func() {
				for {
					if _, _, err := c.Read(context.Background()); err != nil {
						return
					}
				}
			}()
		})
	}
	go http.Serve(ln, h)
	// warm up one connection so lazily built state is not counted
	before := mem()
	cmd := exec.Command(os.Args[0], "-client", ln.Addr().String(), "-n", strconv.Itoa(*n))
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	cmd.Start()
	for ready.Load() < int64(*n) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	after := mem()
	fmt.Printf("%s: %d idle conns: %.1f KB/conn (heap+stack), goroutines %d\n", *lib, *n, float64(after-before)/float64(*n)/1024, runtime.NumGoroutine())
	// push throughput: 100 senders over the first 100 connections, 256-byte frames
	frame := make([]byte, 256)
	for i := range frame {
		frame[i] = 'x'
	}
	senders := 100
	per := *push / senders
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(f func([]byte) error) {
			defer wg.Done()
			for j := 0; j < per; j++ {
				if err := f(frame); err != nil {
					panic(err)
				}
			}
		}(all.send[i])
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("%s: pushes %d x 256 B over %d conns: %.0f pushes/s\n", *lib, per*senders, senders, float64(per*senders)/el.Seconds())
	stdin.Close()
	cmd.Process.Kill()
}

func mem() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func client(addr string, n int) {
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			panic(err)
		}
		key := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%016d", i)))
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, key)
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				panic(err)
			}
			if line == "\r\n" {
				break
			}
		}
		go io.Copy(io.Discard, br)
	}
	io.Copy(io.Discard, os.Stdin)
}

type bytesWriter struct{ buf []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.buf = append(w.buf, p...); return len(p), nil }
