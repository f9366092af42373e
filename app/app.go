// Package app is Tack's HTTP layer: routes, middleware, the error writer and
// the handlers that decode a request, call one service method and encode
// the answer. Domain rules live in the service packages beside it.
package app

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strings"
	"sync/atomic"

	"tack/app/auth"
	"tack/db"
)

// Options is everything App needs, wired by hand in main.
type Options struct {
	DB     *db.DB
	Logger *slog.Logger
	// UI is the web UI's files (normally ui.FS).
	UI fs.FS
	// SchemaVersion is the migration version the code expects; /readyz
	// fails while the database is behind it.
	SchemaVersion int64
	// Auth is accounts and sessions.
	Auth *auth.Service
	// BaseURL is the public URL (server.base_url): its origin is always
	// allowed, and an https one makes cookies Secure.
	BaseURL string
	// AllowedOrigins are extra browser origins (server.allowed_origins).
	AllowedOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Pprof serves net/http/pprof under /debug/pprof/ to admins.
	Pprof bool
}

// App is the running server's HTTP side.
type App struct {
	db            *db.DB
	logger        *slog.Logger
	metrics       *metrics
	mux           *http.ServeMux
	handler       http.Handler
	schemaVersion int64
	shuttingDown  atomic.Bool

	auth           *auth.Service
	limits         *limits
	baseOrigin     string
	allowedOrigins []string
	trustedProxies []netip.Prefix
	secureCookies  bool
}

// apiCatchAll claims every /api/ path no other route does, so that API
// clients get JSON errors and never the UI's index page.
const apiCatchAll = "/api/"

// New builds the App and its routes.
func New(o Options) *App {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{
		db:            o.DB,
		logger:        o.Logger,
		metrics:       newMetrics(o.DB),
		mux:           http.NewServeMux(),
		schemaVersion: o.SchemaVersion,

		auth:           o.Auth,
		limits:         newLimits(),
		baseOrigin:     originOf(o.BaseURL),
		allowedOrigins: o.AllowedOrigins,
		trustedProxies: o.TrustedProxies,
		secureCookies:  strings.HasPrefix(o.BaseURL, "https://"),
	}
	a.routes(o.UI, o.Pprof)
	a.handler = a.base(a.mux)
	return a
}

func (a *App) routes(ui fs.FS, withPprof bool) {
	a.mux.HandleFunc("GET /healthz", a.handleHealthz)
	a.mux.HandleFunc("GET /readyz", a.handleReadyz)
	a.mux.Handle("GET /metrics", a.metrics.handler())

	a.mux.HandleFunc("POST /api/v1/auth/register", a.handleRegister)
	a.mux.HandleFunc("POST /api/v1/auth/login", a.handleLogin)
	a.mux.HandleFunc("POST /api/v1/auth/refresh", a.handleRefresh)
	a.mux.HandleFunc("POST /api/v1/auth/logout", a.authed(a.handleLogout))
	a.mux.HandleFunc("GET /api/v1/me", a.authed(a.handleMe))
	a.mux.HandleFunc("PATCH /api/v1/me", a.authed(a.handleUpdateMe))
	a.mux.HandleFunc("PUT /api/v1/me/password", a.authed(a.handleChangePassword))
	a.mux.HandleFunc("GET /api/v1/me/sessions", a.authed(a.handleSessions))
	a.mux.HandleFunc("DELETE /api/v1/me/sessions/{id}", a.authed(a.handleRevokeSession))
	a.mux.HandleFunc("GET /api/v1/users", a.authed(a.handleUsers))
	a.mux.HandleFunc("POST /api/v1/users", a.admin(a.handleCreateUser))
	a.mux.HandleFunc("PATCH /api/v1/users/{id}", a.admin(a.handleUpdateUser))

	if withPprof {
		// Profiles reveal internals: admins only, like the rest of /debug.
		a.mux.Handle("GET /debug/pprof/", a.admin(func(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
			switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
			case "cmdline":
				pprof.Cmdline(w, r)
			case "profile":
				pprof.Profile(w, r)
			case "symbol":
				pprof.Symbol(w, r)
			case "trace":
				pprof.Trace(w, r)
			default:
				pprof.Index(w, r)
			}
		}))
	}
	a.mux.HandleFunc(apiCatchAll, a.handleAPINotFound)
	if ui != nil {
		// "/" without a method: "GET /" would conflict with the "/api/"
		// catch-all. The handler refuses other methods itself.
		a.mux.Handle("/", uiHandler(ui))
	}
}

// fail answers err in the SPEC's shape (see writeError).
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, a.logger, err)
}

// Handler is the whole HTTP API and UI.
func (a *App) Handler() http.Handler { return a.handler }

// Handle registers an extra route. Tests and build-tagged tools use it; the
// product's routes are all registered in routes.
func (a *App) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// SetBaseURL changes the public URL once the listener is known (a derived
// URL with port 0). Call it before serving.
func (a *App) SetBaseURL(u string) {
	a.baseOrigin = originOf(u)
	a.secureCookies = strings.HasPrefix(u, "https://")
}

// BeginShutdown turns /readyz to 503 so that load balancers stop sending
// traffic while in-flight requests finish.
func (a *App) BeginShutdown() { a.shuttingDown.Store(true) }
