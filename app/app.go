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
	"tack/app/board"
	"tack/db"
	"tack/docs"
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
	// Board is projects, members, columns, labels and tasks.
	Board *board.Service
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
	patterns      []string
	handler       http.Handler
	schemaVersion int64
	shuttingDown  atomic.Bool

	auth           *auth.Service
	board          *board.Service
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
		board:          o.Board,
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
	a.handle("GET /healthz", a.handleHealthz)
	a.handle("GET /readyz", a.handleReadyz)
	a.handle("GET /metrics", a.metrics.handler().ServeHTTP)
	a.handle("GET /api/v1/openapi.yaml", serveOpenAPI)

	a.handle("POST /api/v1/auth/register", a.handleRegister)
	a.handle("POST /api/v1/auth/login", a.handleLogin)
	a.handle("POST /api/v1/auth/refresh", a.handleRefresh)
	a.handle("POST /api/v1/auth/logout", a.authed(a.handleLogout))
	a.handle("GET /api/v1/me", a.authed(a.handleMe))
	a.handle("PATCH /api/v1/me", a.authed(a.handleUpdateMe))
	a.handle("PUT /api/v1/me/password", a.authed(a.handleChangePassword))
	a.handle("GET /api/v1/me/sessions", a.authed(a.handleSessions))
	a.handle("DELETE /api/v1/me/sessions/{id}", a.authed(a.handleRevokeSession))
	a.handle("GET /api/v1/users", a.authed(a.handleUsers))
	a.handle("POST /api/v1/users", a.admin(a.handleCreateUser))
	a.handle("PATCH /api/v1/users/{id}", a.admin(a.handleUpdateUser))

	a.handle("GET /api/v1/projects", a.authed(a.handleProjects))
	a.handle("POST /api/v1/projects", a.authed(a.handleCreateProject))
	a.handle("GET /api/v1/projects/{id}", a.authed(a.handleProject))
	a.handle("PATCH /api/v1/projects/{id}", a.authed(a.handleUpdateProject))
	a.handle("DELETE /api/v1/projects/{id}", a.authed(a.handleDeleteProject))
	a.handle("GET /api/v1/projects/{id}/members", a.authed(a.handleMembers))
	a.handle("POST /api/v1/projects/{id}/members", a.authed(a.handleAddMember))
	a.handle("PATCH /api/v1/projects/{id}/members/{user_id}", a.authed(a.handleUpdateMember))
	a.handle("DELETE /api/v1/projects/{id}/members/{user_id}", a.authed(a.handleRemoveMember))
	a.handle("GET /api/v1/projects/{id}/columns", a.authed(a.handleColumns))
	a.handle("POST /api/v1/projects/{id}/columns", a.authed(a.handleCreateColumn))
	a.handle("PATCH /api/v1/columns/{id}", a.authed(a.handleUpdateColumn))
	a.handle("DELETE /api/v1/columns/{id}", a.authed(a.handleDeleteColumn))
	a.handle("GET /api/v1/projects/{id}/labels", a.authed(a.handleLabels))
	a.handle("POST /api/v1/projects/{id}/labels", a.authed(a.handleCreateLabel))
	a.handle("PATCH /api/v1/labels/{id}", a.authed(a.handleUpdateLabel))
	a.handle("DELETE /api/v1/labels/{id}", a.authed(a.handleDeleteLabel))
	a.handle("GET /api/v1/projects/{id}/tasks", a.authed(a.handleTasks))
	a.handle("POST /api/v1/projects/{id}/tasks", a.authed(a.handleCreateTask))
	a.handle("GET /api/v1/tasks/{id}", a.authed(a.handleTask))
	a.handle("PATCH /api/v1/tasks/{id}", a.authed(a.handleUpdateTask))
	a.handle("DELETE /api/v1/tasks/{id}", a.authed(a.handleDeleteTask))
	a.handle("POST /api/v1/tasks/{id}/move", a.authed(a.handleMoveTask))
	a.handle("GET /api/v1/projects/{id}/activity", a.authed(a.handleProjectActivity))
	a.handle("GET /api/v1/tasks/{id}/activity", a.authed(a.handleTaskActivity))

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

// handle registers a route and remembers its pattern, so that a test can
// hold docs/openapi.yaml to every route there is.
func (a *App) handle(pattern string, h http.HandlerFunc) {
	a.patterns = append(a.patterns, pattern)
	a.mux.Handle(pattern, h)
}

// Routes lists the API routes registered, as ServeMux patterns.
func (a *App) Routes() []string { return append([]string(nil), a.patterns...) }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(docs.OpenAPI)
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
