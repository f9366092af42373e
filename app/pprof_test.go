package app

import (
	"strings"
	"testing"
)

// TestPprofAdminsOnly: with debug.pprof on, profiles are served to site
// admins only; with it off, /debug/pprof/ is not pprof at all.
func TestPprofAdminsOnly(t *testing.T) {
	k := authKit{newAuthTestApp(t, func(o *Options) { o.Pprof = true }, nil)}
	admin := k.register(t, "admin", kitPassword)
	k.createUser(t, admin.AccessToken, map[string]any{"username": "member", "password": kitPassword})
	member := k.login(t, "member", kitPassword)

	res, body := k.call(t, "GET", "/debug/pprof/", nil, "Authorization", "Bearer "+admin.AccessToken)
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Errorf("admin: %d %.80s, want the pprof index", res.StatusCode, body)
	}
	res, body = k.call(t, "GET", "/debug/pprof/goroutine?debug=1", nil, "Authorization", "Bearer "+admin.AccessToken)
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("admin goroutine profile: %d %.80s", res.StatusCode, body)
	}
	res, body = k.call(t, "GET", "/debug/pprof/", nil, "Authorization", "Bearer "+member.AccessToken)
	wantError(t, res, body, 403, "forbidden")
	res, body = k.call(t, "GET", "/debug/pprof/heap", nil)
	wantError(t, res, body, 401, "unauthorized")

	off := authKit{newTestApp(t, nil)}
	offAdmin := off.register(t, "admin", kitPassword)
	_, body = off.call(t, "GET", "/debug/pprof/", nil, "Authorization", "Bearer "+offAdmin.AccessToken)
	if strings.Contains(string(body), "goroutine") {
		t.Error("pprof served with debug.pprof off")
	}
}
