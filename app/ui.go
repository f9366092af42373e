package app

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"tack/app/errs"
)

// uiHandler serves the embedded UI. A path that names a file serves it; any
// other path serves index.html so that client-side routes survive a reload.
// /api/ paths never get here: the mux sends them to the API's 404.
func uiHandler(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				w.Header().Set("Cache-Control", "no-cache")
				fileServer.ServeHTTP(w, r)
				return
			}
		}
		index, err := fs.ReadFile(files, "index.html")
		if err != nil {
			http.Error(w, "UI missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}

// handleAPINotFound answers any /api/ path no route claims: 405 when the path
// exists for another method, else 404, both in the SPEC's error shape.
func (a *App) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != apiCatchAll {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, r, a.logger, errs.New(errs.MethodNotAllowed, "%s is not allowed here", r.Method))
		return
	}
	writeError(w, r, a.logger, errs.New(errs.NotFound, "no such endpoint"))
}
