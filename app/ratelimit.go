package app

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"tack/app/errs"
)

// maxLimiterKeys bounds each limiter's memory. When full, keys whose bucket
// has refilled (indistinguishable from a new key) are dropped first.
const maxLimiterKeys = 10000

// keyedLimiter is a token bucket per key (a username, a client IP).
type keyedLimiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*rate.Limiter
	now   func() time.Time
}

func newKeyedLimiter(per time.Duration, burst int) *keyedLimiter {
	return &keyedLimiter{every: rate.Every(per), burst: burst, m: make(map[string]*rate.Limiter), now: time.Now}
}

func (k *keyedLimiter) get(key string) *rate.Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l, ok := k.m[key]; ok {
		return l
	}
	if len(k.m) >= maxLimiterKeys {
		now := k.now()
		for key, l := range k.m {
			if l.TokensAt(now) >= float64(k.burst) {
				delete(k.m, key)
			}
		}
		// Still full: drop an arbitrary half rather than grow.
		for key := range k.m {
			if len(k.m) < maxLimiterKeys/2 {
				break
			}
			delete(k.m, key)
		}
	}
	l := rate.NewLimiter(k.every, k.burst)
	k.m[key] = l
	return l
}

// reservations takes one token from each of several buckets at once. If any
// bucket is empty, nothing is taken and the error says when to retry.
type reservations []*rate.Reservation

// bucket names one key's bucket in a limiter.
type bucket struct {
	l   *keyedLimiter
	key string
}

func reserve(now time.Time, buckets ...bucket) (reservations, error) {
	var rs reservations
	var wait time.Duration
	for _, b := range buckets {
		r := b.l.get(b.key).ReserveN(now, 1)
		rs = append(rs, r)
		if d := r.DelayFrom(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		rs.cancel(now)
		return nil, &errs.Error{Code: errs.RateLimited, Message: "too many attempts; try again later", RetryAfter: wait}
	}
	return rs, nil
}

// cancel gives the tokens back: the attempt does not count.
func (rs reservations) cancel(now time.Time) {
	for _, r := range rs {
		r.CancelAt(now)
	}
}

// limits are the rate limits of the auth endpoints.
type limits struct {
	loginUser *keyedLimiter // failed sign-ins per username
	loginIP   *keyedLimiter // failed sign-ins per client IP
	register  *keyedLimiter // registrations per client IP
	refresh   *keyedLimiter // refreshes per client IP
	password  *keyedLimiter // wrong current passwords per user
}

func newLimits() *limits {
	return &limits{
		loginUser: newKeyedLimiter(30*time.Second, 10),
		loginIP:   newKeyedLimiter(5*time.Second, 30),
		register:  newKeyedLimiter(time.Minute, 5),
		refresh:   newKeyedLimiter(time.Second, 60),
		password:  newKeyedLimiter(30*time.Second, 5),
	}
}

// clientIP is the address rate limits and the sessions list see: the peer,
// unless the peer is a trusted proxy, in which case the nearest address in
// X-Forwarded-For that is not itself a trusted proxy. An untrusted peer's
// X-Forwarded-For is ignored, so it cannot reset its own limits.
func (a *App) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !a.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: trust nothing further left
		}
		client = ip.Unmap()
		if !a.trusted(client) {
			break
		}
	}
	return client.String()
}

func (a *App) trusted(ip netip.Addr) bool {
	for _, p := range a.trustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
