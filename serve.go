package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"tack/app"
	"tack/app/auth"
	"tack/app/board"
	"tack/db"
	"tack/migrations"
	"tack/ui"
)

// cmdServe is "tack serve": it runs until SIGINT or SIGTERM, then shuts down
// in the order of SPEC section 6. A second signal exits at once.
func cmdServe(args []string, stderr io.Writer) error {
	// Signals are caught before anything else, so that one arriving during
	// start-up still means a clean stop rather than the default kill.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	cfg, rest, err := setup("serve", args, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	logger := newLogger(cfg, stderr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		s := <-sigs
		logger.Info("shutting down", "signal", s.String())
		cancel()
		s = <-sigs
		logger.Warn("second signal: exiting now", "signal", s.String())
		os.Exit(1)
	}()

	err = serve(ctx, cfg, logger)
	if err != nil && ctx.Err() != nil {
		// Stopped by a signal while starting: nothing half-done is left
		// behind (each migration runs in its own transaction).
		logger.Info("stopped during start-up", "err", err)
		return nil
	}
	return err
}

// serve runs the server until ctx is cancelled, then shuts down.
func serve(ctx context.Context, cfg *Config, logger *slog.Logger) error {
	started := time.Now()
	d, err := db.Open(ctx, db.Options{
		Path:        cfg.DB.Path,
		Synchronous: cfg.DB.Synchronous,
		SlowQuery:   cfg.DB.SlowQuery,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	// The database closes last: after every request has finished.
	defer func() {
		if err := d.Close(); err != nil {
			logger.Error("closing the database", "err", err)
		} else {
			logger.Info("database closed")
		}
	}()

	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		return err
	}
	applied, err := m.Up(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		logger.Info("migrations applied", "versions", applied)
	}

	authSvc, err := newAuth(ctx, cfg, d, logger)
	if err != nil {
		return err
	}
	a := app.New(app.Options{
		DB:             d,
		Logger:         logger,
		UI:             ui.FS,
		SchemaVersion:  m.Target(),
		Auth:           authSvc,
		Board:          board.New(board.Options{DB: d, Logger: logger}),
		BaseURL:        cfg.Server.BaseURL,
		AllowedOrigins: cfg.Server.AllowedOrigins,
		TrustedProxies: cfg.Server.TrustedProxies,
		Pprof:          cfg.Debug.Pprof,
	})
	registerBuildHooks(a, d)

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.Server.baseURLDerived && cfg.Server.BaseURL != deriveBaseURL(ln.Addr().String()) {
		// With port 0 the real port is known only now.
		cfg.Server.BaseURL = deriveBaseURL(ln.Addr().String())
		a.SetBaseURL(cfg.Server.BaseURL)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.Server.BaseURL,
		"db", cfg.DB.Path, "version", version, "startup", time.Since(started).Round(time.Millisecond))

	jobs := startJobs(ctx, cfg, d, authSvc, logger)

	select {
	case err := <-serveErr:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}

	// Shutdown order (SPEC section 6): readiness off, stop accepting and let
	// in-flight requests finish, stop background jobs, then close the
	// database (deferred above).
	a.BeginShutdown()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("in-flight requests did not finish in time; closing them", "timeout", cfg.Server.ShutdownTimeout, "err", err)
		srv.Close()
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("server", "err", err)
	}
	jobs.Wait()
	logger.Info("server stopped")
	return nil
}

// newAuth builds the accounts service: the JWT secret comes from the config
// or, when unset, from the database (generated on first start).
func newAuth(ctx context.Context, cfg *Config, d *db.DB, logger *slog.Logger) (*auth.Service, error) {
	secret, err := auth.LoadSecret(ctx, d, cfg.Auth.JWTSecret)
	if err != nil {
		return nil, err
	}
	return auth.New(auth.Options{
		DB:               d,
		Logger:           logger,
		Secret:           secret,
		Issuer:           cfg.Auth.Issuer,
		Audience:         cfg.Auth.Audience,
		AccessTTL:        cfg.Auth.AccessTTL,
		RefreshTTL:       cfg.Auth.RefreshTTL,
		OpenRegistration: cfg.Auth.OpenRegistration,
		Hasher:           auth.NewHasher(auth.DefaultHashParams, max(1, runtime.NumCPU()/2)),
	}), nil
}
