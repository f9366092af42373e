// Package app is Tack's HTTP layer: routes, middleware, the error writer and
// the handlers that decode a request, call one service method and encode
// the answer. Domain rules live in the service packages beside it.
package app

import (
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"

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
	}
	a.routes(o.UI)
	a.handler = a.base(a.mux)
	return a
}

func (a *App) routes(ui fs.FS) {
	a.mux.HandleFunc("GET /healthz", a.handleHealthz)
	a.mux.HandleFunc("GET /readyz", a.handleReadyz)
	a.mux.Handle("GET /metrics", a.metrics.handler())
	a.mux.HandleFunc(apiCatchAll, a.handleAPINotFound)
	if ui != nil {
		// "/" without a method: "GET /" would conflict with the "/api/"
		// catch-all. The handler refuses other methods itself.
		a.mux.Handle("/", uiHandler(ui))
	}
}

// Handler is the whole HTTP API and UI.
func (a *App) Handler() http.Handler { return a.handler }

// Handle registers an extra route. Tests and build-tagged tools use it; the
// product's routes are all registered in routes.
func (a *App) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// BeginShutdown turns /readyz to 503 so that load balancers stop sending
// traffic while in-flight requests finish.
func (a *App) BeginShutdown() { a.shuttingDown.Store(true) }
