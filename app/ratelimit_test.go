package app

// HTTP-level tests of the auth rate limits and of which client address
// they key on (SPEC section 4: 429 with Retry-After; server.trusted_proxies).
// The limiters run on the wall clock, so a bucket refills while a test runs:
// counts allow for the refills the elapsed time permits (none, normally).

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"tack/app/auth"
	"tack/app/errs"
)

// untilLimited calls attempt until it answers 429 (or max times) and checks
// that exactly burst attempts got through, plus any refills the elapsed time
// allows at one token per every. It returns the 429.
func untilLimited(t *testing.T, burst int, every time.Duration, attempt func(i int) (*http.Response, []byte)) (*http.Response, []byte) {
	t.Helper()
	start := time.Now()
	max := burst + 50
	for i := range max {
		res, body := attempt(i)
		if res.StatusCode == http.StatusTooManyRequests {
			refills := int(time.Since(start) / every)
			if i < burst || i > burst+refills {
				t.Errorf("limited after %d attempts, want %d (+%d refills)", i, burst, refills)
			}
			wantRetryAfter(t, res, body, every)
			return res, body
		}
		if res.StatusCode >= 500 {
			t.Fatalf("attempt %d: %d %s", i, res.StatusCode, body)
		}
	}
	t.Fatalf("no 429 after %d attempts", max)
	return nil, nil
}

// wantRetryAfter checks a 429 in the SPEC's shape whose Retry-After is whole
// seconds, at least 1 and at most the bucket's refill interval.
func wantRetryAfter(t *testing.T, res *http.Response, body []byte, every time.Duration) {
	t.Helper()
	wantError(t, res, body, http.StatusTooManyRequests, errs.RateLimited)
	ra := res.Header.Get("Retry-After")
	n, err := strconv.Atoi(ra)
	if err != nil || n < 1 || time.Duration(n)*time.Second > every+time.Second {
		t.Errorf("Retry-After = %q, want whole seconds from 1 to %v", ra, every)
	}
}

func TestLoginLimitPerUser(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	before := k.snapshot(t)

	untilLimited(t, 10, 30*time.Second, func(i int) (*http.Response, []byte) {
		return k.tryLogin(t, "bob", fmt.Sprintf("wrong password %d", i))
	})
	// Locked: the right password, another spelling of the name, or a
	// forged client address do not get in.
	for _, tc := range []struct {
		name, user string
		hdr        []string
	}{
		{"RightPassword", "bob", nil},
		{"UpperCase", "BOB", nil},
		{"Spaces", " bob ", nil},
		{"ForwardedFor", "bob", []string{"X-Forwarded-For", "203.0.113.7"}},
		{"RealIP", "bob", []string{"X-Real-IP", "203.0.113.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := k.tryLogin(t, tc.user, kitPassword, tc.hdr...)
			wantRetryAfter(t, res, body, 30*time.Second)
		})
	}
	k.wantUnchanged(t, before)
	// Other users are not locked out.
	k.login(t, "root", kitPassword)
}

func TestLoginRightPasswordFree(t *testing.T) {
	t.Parallel()
	start := time.Now()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	for i := range 9 {
		res, body := k.tryLogin(t, "bob", fmt.Sprintf("wrong password %d", i))
		kitWant401(t, res, body, "")
	}
	for range 5 {
		k.login(t, "bob", kitPassword)
	}
	// The tenth failure still counts as one; the eleventh is refused.
	res, body := k.tryLogin(t, "bob", "wrong password 9")
	kitWant401(t, res, body, "")
	res, body = k.tryLogin(t, "bob", "wrong password 10")
	// A token refills every 30 s; only a run that slow may get a 401.
	if res.StatusCode == http.StatusUnauthorized && time.Since(start) >= 30*time.Second {
		t.Logf("a token refilled: eleventh failure = 401")
	} else {
		wantRetryAfter(t, res, body, 30*time.Second)
	}
	// An inactive user with the right password (403) costs nothing either.
	k2 := newAuthKit(t)
	root2 := k2.register(t, "root", kitPassword)
	carol := k2.createUser(t, root2.AccessToken, map[string]any{"username": "carol"})
	res, body = k2.patchUser(t, root2.AccessToken, carol.ID, map[string]any{"is_active": false})
	kitStatus(t, res, body, 200)
	for range 15 {
		res, body := k2.tryLogin(t, "carol", kitPassword)
		wantError(t, res, body, 403, errs.Forbidden)
	}
}

func TestLoginLimitPerIP(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	k.register(t, "root", kitPassword)
	before := k.snapshot(t)
	// Many usernames, one failure each: the per-IP bucket runs out.
	untilLimited(t, 30, 5*time.Second, func(i int) (*http.Response, []byte) {
		return k.tryLogin(t, fmt.Sprintf("user%d", i), "wrong password")
	})
	// The peer is not a trusted proxy, so its X-Forwarded-For is ignored:
	// it neither resets nor evades the limit.
	for i, hdr := range [][]string{
		{"X-Forwarded-For", "203.0.113.7"},
		{"X-Forwarded-For", "203.0.113.8, 198.51.100.9"},
		{"X-Real-IP", "203.0.113.10"},
		{"Forwarded", "for=203.0.113.11"},
	} {
		t.Run(hdr[0]+strconv.Itoa(i), func(t *testing.T) {
			res, body := k.tryLogin(t, fmt.Sprintf("fresh%d", i), "wrong password", hdr...)
			wantRetryAfter(t, res, body, 5*time.Second)
		})
	}
	k.wantUnchanged(t, before)
	// And the sessions list shows the real peer, not a forged address.
	tk := authKit{newTestApp(t, nil)}
	tk.register(t, "root", kitPassword)
	s := tk.login(t, "root", kitPassword, "X-Forwarded-For", "203.0.113.7")
	if ip := tk.sessionIP(t, s); ip != "127.0.0.1" {
		t.Errorf("session ip = %q, want the peer 127.0.0.1", ip)
	}
}

// sessionIP is the ip the sessions list shows for tk's own session.
func (k authKit) sessionIP(t *testing.T, tk auth.Tokens) string {
	t.Helper()
	res, body := k.call(t, "GET", "/api/v1/me/sessions", nil, bearer(tk.AccessToken)...)
	kitStatus(t, res, body, 200)
	l := kitDecode[struct{ Items []auth.Session }](t, body)
	for _, s := range l.Items {
		if s.Current {
			return s.IP
		}
	}
	t.Fatal("no current session listed")
	return ""
}

func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	k := authKit{newAuthTestApp(t, func(o *Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	}, nil)}
	k.register(t, "root", kitPassword)
	xff := func(v string) []string { return []string{"X-Forwarded-For", v} }
	n := 0
	fail := func(t *testing.T, hdr []string) (*http.Response, []byte) {
		t.Helper()
		n++
		return k.tryLogin(t, fmt.Sprintf("user%d", n), "wrong password", hdr...)
	}

	untilLimited(t, 30, 5*time.Second, func(int) (*http.Response, []byte) {
		return fail(t, xff("198.51.100.1"))
	})
	for _, tc := range []struct {
		name    string
		hdr     []string
		limited bool
	}{
		// The proxy's word is believed: another client has its own budget.
		{"OtherClient", xff("198.51.100.2"), false},
		{"SameClientAgain", xff("198.51.100.1"), true},
		// The client prepends a fake hop; the proxy appends the real one.
		// The rightmost untrusted hop counts.
		{"PrependedFake", xff("198.51.100.99, 198.51.100.1"), true},
		{"PrependedFakeSeparateHeaders", []string{"X-Forwarded-For", "198.51.100.98", "X-Forwarded-For", "198.51.100.1"}, true},
		// Trusted hops are skipped from the right.
		{"ThroughTwoProxies", xff("198.51.100.97, 198.51.100.1, 10.1.2.3"), true},
		{"OtherThroughTwoProxies", xff("198.51.100.1, 198.51.100.3, 10.1.2.3"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := fail(t, tc.hdr)
			if tc.limited {
				wantRetryAfter(t, res, body, 5*time.Second)
			} else {
				kitWant401(t, res, body, "")
			}
		})
	}

	t.Run("SessionIP", func(t *testing.T) {
		tk := k.login(t, "root", kitPassword, "X-Forwarded-For", "198.51.100.77")
		if ip := k.sessionIP(t, tk); ip != "198.51.100.77" {
			t.Errorf("session ip = %q, want the forwarded client 198.51.100.77", ip)
		}
	})
}

func TestRegisterLimitPerIP(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	k.register(t, "root", kitPassword)
	before := k.snapshot(t)
	// Five per minute per address, the first registration included; closed
	// registration's 403s count too, and a forged X-Forwarded-For from an
	// untrusted peer changes nothing.
	untilLimited(t, 4, time.Minute, func(i int) (*http.Response, []byte) {
		return k.call(t, "POST", "/api/v1/auth/register", map[string]string{"username": fmt.Sprintf("user%d", i), "password": kitPassword},
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
	})
	k.wantUnchanged(t, before)
}

func TestRefreshLimitPerIP(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	before := k.snapshot(t)
	untilLimited(t, 60, time.Second, func(int) (*http.Response, []byte) {
		return k.refresh(t, "garbage")
	})
	k.wantUnchanged(t, before)
	// Refused refreshes of garbage cost what valid ones do: the bucket is
	// per address, so a valid one waits as well.
	res, body := k.refresh(t, root.RefreshToken)
	wantRetryAfter(t, res, body, time.Second)
}

func TestChangePasswordLimit(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	before := k.snapshot(t)
	untilLimited(t, 5, 30*time.Second, func(i int) (*http.Response, []byte) {
		res, body := k.call(t, "PUT", "/api/v1/me/password",
			map[string]string{"current_password": fmt.Sprintf("wrong password %d", i), "new_password": "a new passphrase"}, bearer(root.AccessToken)...)
		if res.StatusCode != http.StatusTooManyRequests {
			wantError(t, res, body, 422, errs.ValidationFailed)
		}
		return res, body
	})
	k.wantUnchanged(t, before)
}
