package identity

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// clientLimits bounds the public calls each source address may make. An
// address's bucket is dropped once it has been quiet long enough to be
// full again, so the map holds only recent callers.
type clientLimits struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex // guards the fields below
	clients map[string]*clientLimit
	swept   time.Time
}

type clientLimit struct {
	limiter *rate.Limiter
	seen    time.Time
}

// newClientLimits returns nil (no limit) for a negative rate.
func newClientLimits(perSecond float64, burst int, now func() time.Time) *clientLimits {
	if perSecond < 0 {
		return nil
	}
	return &clientLimits{rate: rate.Limit(perSecond), burst: burst, now: now, clients: map[string]*clientLimit{}}
}

// allow reports whether the request's source address may make one more
// call now.
func (l *clientLimits) allow(r *http.Request) bool {
	if l == nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	// A bucket quiet for this long is full again: forgetting it changes
	// nothing for its address.
	refill := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	if now.Sub(l.swept) > refill {
		for k, c := range l.clients {
			if now.Sub(c.seen) > refill {
				delete(l.clients, k)
			}
		}
		l.swept = now
	}
	c := l.clients[host]
	if c == nil {
		c = &clientLimit{limiter: rate.NewLimiter(l.rate, l.burst)}
		l.clients[host] = c
	}
	c.seen = now
	return c.limiter.AllowN(now, 1)
}
