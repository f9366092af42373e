package app

import (
	"context"
	"net/http"
	"time"
)

// handleHealthz says the process is alive; it touches nothing.
func (a *App) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz says whether the server should get traffic: not while
// shutting down, and only while the database answers with every migration applied.
func (a *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if a.shuttingDown.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting_down"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	v, err := a.db.SchemaVersion(ctx)
	if err != nil {
		a.logger.WarnContext(ctx, "readiness: database", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database_unavailable"})
		return
	}
	if v < a.schemaVersion {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations_pending"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
