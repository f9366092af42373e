package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"tack/app/auth"
	"tack/db"
)

// startJobs starts the server's background work; each job stops when ctx is
// cancelled, and Wait returns once all have.
func startJobs(ctx context.Context, cfg *Config, d *db.DB, authSvc *auth.Service, logger *slog.Logger) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		every(ctx, 6*time.Hour, func() {
			n, err := authSvc.PruneSessions(ctx)
			if err != nil && ctx.Err() == nil {
				logger.Error("pruning ended sessions", "err", err)
			} else if n > 0 {
				logger.Info("pruned ended sessions", "count", n)
			}
		})
	})
	if cfg.Backup.Interval > 0 {
		wg.Go(func() { runBackups(ctx, d, cfg.Backup.Dir, cfg.Backup.Interval, cfg.Backup.Keep, logger) })
	}
	return &wg
}

// runBackups writes a backup into dir every interval, keeping the newest keep.
func runBackups(ctx context.Context, d *db.DB, dir string, interval time.Duration, keep int, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			start := time.Now()
			name, err := d.BackupTo(ctx, dir, keep, now)
			if err != nil {
				logger.Error("scheduled backup", "err", err)
				continue
			}
			logger.Info("scheduled backup", "file", name, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// every runs fn now and then every interval until ctx is cancelled.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
