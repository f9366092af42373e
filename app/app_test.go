package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"tack/app/auth"
	"tack/app/board"
	"tack/app/errs"
	"tack/db"
	"tack/migrations"
)

// testApp is a real App on a real SQLite file behind a real HTTP server.
type testApp struct {
	*App
	srv    *httptest.Server
	logs   *syncBuffer
	clock  *testClock
	secret []byte
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var testUI = fstest.MapFS{
	"index.html":       {Data: []byte("<!doctype html><title>Tack</title>")},
	"static/app.js":    {Data: []byte("console.log('tack')")},
	"static/style.css": {Data: []byte("body{}")},
}

// testOpts changes what newTestAppWith builds.
type testOpts struct {
	app    func(*Options)      // the App's options, before New
	auth   func(*auth.Options) // the auth service's options
	routes func(*App)          // extra routes, before the server starts
}

// newTestApp opens a migrated database in a temp dir and serves the App.
// extra registers routes before the server starts.
func newTestApp(t *testing.T, extra func(a *App)) *testApp {
	t.Helper()
	return newTestAppWith(t, testOpts{routes: extra})
}

// newTestAppWith is the one setup of every test and benchmark of this
// package: a real App with its services on a real, migrated SQLite file in
// a temp dir, behind a real HTTP server. Tests log at debug level into
// ta.logs; benchmarks log what production logs (info) into io.Discard.
func newTestAppWith(tb testing.TB, o testOpts) *testApp {
	tb.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	var logger *slog.Logger
	if _, bench := tb.(*testing.B); bench {
		logger = slog.New(NewLogHandler(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	} else {
		logger = slog.New(NewLogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	d, err := db.Open(ctx, db.Options{Path: filepath.Join(tb.TempDir(), "tack.db"), Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		tb.Fatal(err)
	}
	secret, err := auth.LoadSecret(ctx, d, "")
	if err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{}
	ao := auth.Options{
		DB: d, Logger: logger, Secret: secret,
		Issuer: "tack", Audience: "tack",
		AccessTTL: 15 * time.Minute, RefreshTTL: 720 * time.Hour,
		// Real argon2id at a test cost: the race detector makes the
		// production cost slow, and the cost is benchmarked in app/auth.
		Hasher: auth.NewHasher(auth.HashParams{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4),
		Now:    clock.Now,
	}
	if o.auth != nil {
		o.auth(&ao)
	}
	ops := Options{
		DB: d, Logger: logger, UI: testUI, SchemaVersion: m.Target(),
		Auth: auth.New(ao), BaseURL: "http://tack.test",
		Board: board.New(board.Options{DB: d, Logger: logger, Now: clock.Now}),
	}
	if o.app != nil {
		o.app(&ops)
	}
	a := New(ops)
	if o.routes != nil {
		o.routes(a)
	}
	srv := httptest.NewServer(a.Handler())
	tb.Cleanup(srv.Close)
	return &testApp{App: a, srv: srv, logs: logs, clock: clock, secret: secret}
}

// testClock is the services' clock: real time plus an offset tests can move
// forward, so expiry is tested without sleeping.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (ta *testApp) do(t *testing.T, method, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := ta.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// wantError checks a response in the SPEC's error shape.
func wantError(t *testing.T, res *http.Response, body []byte, status int, code errs.Code) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", res.StatusCode, status, body)
	}
	var e struct {
		Error struct {
			Code    errs.Code      `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body %q is not the error shape: %v", body, err)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error = %+v, want code %s and a message", e.Error, code)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	return e.Error.Details
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	})
	for _, tc := range []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/projects/7"},
		{"GET", "/static/app.js"},
		{"GET", "/healthz"},
		{"GET", "/readyz"},
		{"GET", "/metrics"},
		{"GET", "/api/v1/nope"},
		{"POST", "/api/v1/boom"},
		{"GET", "/api/v1/boom"},
		{"DELETE", "/"},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			res, _ := ta.do(t, tc.method, tc.path, nil)
			h := res.Header
			csp := h.Get("Content-Security-Policy")
			for _, part := range []string{"default-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline script", csp)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := h.Get("Referrer-Policy"); got != "same-origin" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestRequestIDInEveryLogLine(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/logs", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.logger.InfoContext(r.Context(), "handler says hello")
			w.WriteHeader(http.StatusNoContent)
		}))
	})
	res, _ := ta.do(t, "GET", "/api/v1/logs", nil)
	id := res.Header.Get("X-Request-Id")
	res2, _ := ta.do(t, "GET", "/api/v1/logs", nil)
	if id == "" || id == res2.Header.Get("X-Request-Id") {
		t.Fatalf("request ids %q and %q: want distinct, non-empty", id, res2.Header.Get("X-Request-Id"))
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(ta.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["request_id"] == id {
			lines = append(lines, m)
		}
	}
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, fmt.Sprint(l["msg"]))
	}
	if strings.Join(msgs, ",") != "handler says hello,request" {
		t.Errorf("log lines with the request id: %v, want the handler's line and the access log", msgs)
	}
	access := lines[len(lines)-1]
	if access["route"] != "GET /api/v1/logs" || access["status"] != float64(204) || access["method"] != "GET" {
		t.Errorf("access log = %v", access)
	}
}

func TestPanicAnswersInternal(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("secret internals: password=hunter2")
		}))
	})
	res, body := ta.do(t, "GET", "/api/v1/boom", nil)
	wantError(t, res, body, 500, errs.Internal)
	if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "goroutine") {
		t.Errorf("500 body leaks internals: %s", body)
	}
	logs := ta.logs.String()
	if !strings.Contains(logs, `"msg":"panic"`) || !strings.Contains(logs, res.Header.Get("X-Request-Id")) {
		t.Errorf("panic not logged with its request id: %s", logs)
	}
	// The server goes on answering.
	if res, _ := ta.do(t, "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Errorf("healthz after a panic = %d", res.StatusCode)
	}
}

func TestInternalErrorsHidden(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/fail", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, a.logger, fmt.Errorf("query users: %w", errors.New("SQLITE_CORRUPT at /var/lib/tack")))
		}))
	})
	res, body := ta.do(t, "GET", "/api/v1/fail", nil)
	wantError(t, res, body, 500, errs.Internal)
	if strings.Contains(string(body), "SQLITE") || strings.Contains(string(body), "/var/lib") {
		t.Errorf("500 body leaks internals: %s", body)
	}
	if !strings.Contains(ta.logs.String(), "SQLITE_CORRUPT") {
		t.Error("the internal error was not logged")
	}
}

func TestErrorShapes(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/err/{kind}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var err error
			switch r.PathValue("kind") {
			case "validation":
				f := errs.Fields{}
				f.Add("title", "required")
				f.Add("color", "not a colour like #rrggbb")
				err = f.Err()
			case "limited":
				err = &errs.Error{Code: errs.RateLimited, Message: "slow down", RetryAfter: 1500 * 1e6}
			case "unauthorized":
				err = errs.New(errs.Unauthorized, "token expired").With("reason", "token_expired")
			}
			writeError(w, r, a.logger, err)
		}))
	})
	res, body := ta.do(t, "GET", "/api/v1/err/validation", nil)
	d := wantError(t, res, body, 422, errs.ValidationFailed)
	if d["title"] != "required" || d["color"] != "not a colour like #rrggbb" {
		t.Errorf("details = %v", d)
	}
	if !strings.Contains(string(body), `"message":"color is not a colour like #rrggbb"`) {
		t.Errorf("message should name the first field: %s", body)
	}
	res, body = ta.do(t, "GET", "/api/v1/err/limited", nil)
	wantError(t, res, body, 429, errs.RateLimited)
	if got := res.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (rounded up)", got)
	}
	res, body = ta.do(t, "GET", "/api/v1/err/unauthorized", nil)
	if d := wantError(t, res, body, 401, errs.Unauthorized); d["reason"] != "token_expired" {
		t.Errorf("details = %v", d)
	}
}

func TestUIAndAPIRouting(t *testing.T) {
	ta := newTestApp(t, func(a *App) {
		a.Handle("GET /api/v1/things", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]int{"n": 1})
		}))
	})
	t.Run("IndexAtRoot", func(t *testing.T) {
		res, body := ta.do(t, "GET", "/", nil)
		if res.StatusCode != 200 || !strings.Contains(string(body), "<title>Tack</title>") {
			t.Errorf("GET / = %d %q", res.StatusCode, body)
		}
	})
	t.Run("ClientRouteServesIndex", func(t *testing.T) {
		res, body := ta.do(t, "GET", "/projects/12/tasks/3", nil)
		if res.StatusCode != 200 || !strings.Contains(string(body), "<title>Tack</title>") {
			t.Errorf("client route = %d %q", res.StatusCode, body)
		}
	})
	t.Run("StaticFile", func(t *testing.T) {
		res, body := ta.do(t, "GET", "/static/app.js", nil)
		if res.StatusCode != 200 || string(body) != "console.log('tack')" || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
			t.Errorf("app.js = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})
	t.Run("APIUnknownIsJSON404", func(t *testing.T) {
		for _, p := range []string{"/api/v1/nope", "/api/", "/api/v2/projects", "/api/v1/things/extra"} {
			res, body := ta.do(t, "GET", p, nil)
			wantError(t, res, body, 404, errs.NotFound)
			if strings.Contains(string(body), "<title>") {
				t.Errorf("%s served the UI", p)
			}
		}
	})
	t.Run("APIWrongMethodIs405", func(t *testing.T) {
		res, body := ta.do(t, "DELETE", "/api/v1/things", nil)
		wantError(t, res, body, 405, errs.MethodNotAllowed)
		if got := res.Header.Get("Allow"); got != "GET" {
			t.Errorf("Allow = %q, want GET", got)
		}
	})
	t.Run("UIRefusesWrites", func(t *testing.T) {
		if res, _ := ta.do(t, "POST", "/projects", nil); res.StatusCode != 405 {
			t.Errorf("POST to a UI path = %d, want 405", res.StatusCode)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	ta := newTestApp(t, nil)
	if res, body := ta.do(t, "GET", "/healthz", nil); res.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz = %d %s", res.StatusCode, body)
	}
	if res, body := ta.do(t, "GET", "/readyz", nil); res.StatusCode != 200 {
		t.Errorf("readyz = %d %s", res.StatusCode, body)
	}
	t.Run("MigrationsBehind", func(t *testing.T) {
		behind := newTestApp(t, nil)
		behind.schemaVersion++ // the code expects a migration the file lacks
		if res, body := behind.do(t, "GET", "/readyz", nil); res.StatusCode != 503 || !strings.Contains(string(body), "migrations_pending") {
			t.Errorf("readyz with a pending migration = %d %s", res.StatusCode, body)
		}
	})
	ta.BeginShutdown()
	if res, body := ta.do(t, "GET", "/readyz", nil); res.StatusCode != 503 {
		t.Errorf("readyz while shutting down = %d %s, want 503", res.StatusCode, body)
	}
	if res, _ := ta.do(t, "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Errorf("healthz while shutting down = %d, want 200", res.StatusCode)
	}
	t.Run("DatabaseGone", func(t *testing.T) {
		gone := newTestApp(t, nil)
		gone.db.Close()
		if res, _ := gone.do(t, "GET", "/readyz", nil); res.StatusCode != 503 {
			t.Errorf("readyz with the database closed = %d, want 503", res.StatusCode)
		}
	})
}

func TestMetrics(t *testing.T) {
	ta := newTestApp(t, nil)
	for range 3 {
		ta.do(t, "GET", "/healthz", nil)
	}
	ta.do(t, "GET", "/api/v1/nope", nil)
	res, body := ta.do(t, "GET", "/metrics", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`tack_http_requests_total{route="GET /healthz",status="200"} 3`,
		`tack_http_requests_total{route="/api/",status="404"} 1`,
		`tack_http_request_duration_seconds_bucket{route="GET /healthz",status="200",le=`,
		`go_goroutines `,
		`go_sql_open_connections{db_name="writer"}`,
		`go_sql_open_connections{db_name="reader"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "/api/v1/nope") {
		t.Error("metrics label a raw path: series would grow without bound")
	}
}

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Title string `json:"title"`
		N     int    `json:"n"`
	}
	ta := newTestApp(t, func(a *App) {
		a.Handle("POST /api/v1/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b body
			if err := decodeJSON(w, r, &b); err != nil {
				writeError(w, r, a.logger, err)
				return
			}
			writeJSON(w, 200, b)
		}))
	})
	const jsonCT = "application/json"
	for _, tc := range []struct {
		name   string
		ct     string
		body   string
		status int
		code   errs.Code
	}{
		{"OK", jsonCT, `{"title":"a","n":2}`, 200, ""},
		{"OKWithCharset", "application/json; charset=utf-8", `{"title":"a"}`, 200, ""},
		{"NoContentType", "", `{"title":"a"}`, 415, errs.UnsupportedMediaType},
		{"FormContentType", "application/x-www-form-urlencoded", `title=a`, 415, errs.UnsupportedMediaType},
		{"Empty", jsonCT, ``, 400, errs.BadRequest},
		{"Malformed", jsonCT, `{"title":`, 400, errs.BadRequest},
		{"NotJSON", jsonCT, `<xml/>`, 400, errs.BadRequest},
		{"UnknownField", jsonCT, `{"title":"a","admin":true}`, 400, errs.BadRequest},
		{"WrongType", jsonCT, `{"title":5}`, 400, errs.BadRequest},
		{"NumberForString", jsonCT, `{"n":"5"}`, 400, errs.BadRequest},
		{"Array", jsonCT, `[1,2]`, 400, errs.BadRequest},
		{"Trailing", jsonCT, `{"title":"a"} {"title":"b"}`, 400, errs.BadRequest},
		{"TrailingGarbage", jsonCT, `{"title":"a"} x`, 400, errs.BadRequest},
		{"TooLarge", jsonCT, `{"title":"` + strings.Repeat("x", 1<<20) + `"}`, 413, errs.PayloadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.ct != "" {
				h = []string{"Content-Type", tc.ct}
			}
			res, b := ta.do(t, "POST", "/api/v1/echo", strings.NewReader(tc.body), h...)
			if tc.status == 200 {
				if res.StatusCode != 200 {
					t.Errorf("status = %d, body %s", res.StatusCode, b)
				}
				return
			}
			wantError(t, res, b, tc.status, tc.code)
		})
	}
	t.Run("UnknownFieldNamed", func(t *testing.T) {
		res, b := ta.do(t, "POST", "/api/v1/echo", strings.NewReader(`{"admin":true}`), "Content-Type", jsonCT)
		if d := wantError(t, res, b, 400, errs.BadRequest); d["admin"] == nil {
			t.Errorf("details = %v, want the unknown field named", d)
		}
	})
}
