//go:build tacktest

package main

import (
	"net/http"
	"strconv"
	"time"

	"tack/app"
	"tack/db"
)

// registerBuildHooks adds two routes to binaries built with -tags tacktest,
// which the process-level tests (process_test.go) run as child processes:
// one that stays in flight for a while, to prove a graceful shutdown lets it
// finish, and one that writes a row, to prove acknowledged writes survive
// kill -9. A normal build has neither.
func registerBuildHooks(a *app.App, d *db.DB) {
	a.Handle("GET /api/v1/_test/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}))
	a.Handle("POST /api/v1/_test/write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		err := d.WriteTx(r.Context(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(r.Context(), "INSERT INTO settings (key, value) VALUES (?, ?)", "test."+key, key)
			return err
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
}
