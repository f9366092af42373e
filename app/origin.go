package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"tack/app/errs"
)

// checkOrigin refuses API requests from a browser page of a foreign origin
// (a cross-site request forgery or a page that is not Tack). Requests with no
// Origin header (non-browser clients, same-origin GETs) pass. It answers
// CORS preflights for server.allowed_origins. It reports whether the request
// may go on.
func (a *App) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	same, allowed := a.originAllowed(origin, r.Host)
	if !same && !allowed {
		writeError(w, r, a.logger, errs.New(errs.Forbidden, "requests from %s are not allowed", origin).With("origin", "not allowed"))
		return false
	}
	if allowed && !same {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return false
		}
	}
	return true
}

// originAllowed reports whether origin is the server's own (its base URL, or
// the host the request was sent to) or one of server.allowed_origins.
func (a *App) originAllowed(origin, host string) (same, allowed bool) {
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	if o == a.baseOrigin {
		return true, true
	}
	if u, err := url.Parse(o); err == nil && u.Host != "" && strings.EqualFold(u.Host, host) {
		return true, true
	}
	return false, slices.Contains(a.allowedOrigins, o)
}

// originOf returns scheme://host of a URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
