package app

import (
	"net/http"
	"strconv"
	"time"

	"tack/app/auth"
)

func (a *App) handleMe(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	u, err := a.auth.Me(r.Context(), p)
	a.respond(w, r, http.StatusOK, u, err)
}

func (a *App) handleUpdateMe(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in auth.MePatch
	if a.decode(w, r, &in) {
		u, err := a.auth.UpdateMe(r.Context(), p, in)
		a.respond(w, r, http.StatusOK, u, err)
	}
}

func (a *App) handleChangePassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if !a.decode(w, r, &in) {
		return
	}
	// Guessing the current password through this endpoint is limited like
	// signing in.
	now := time.Now()
	rs, err := reserve(now, bucket{a.limits.password, strconv.FormatInt(p.UserID, 10)})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.auth.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword)
	if err != auth.ErrWrongPassword {
		rs.cancel(now)
	}
	a.respond(w, r, http.StatusNoContent, nil, err)
}

func (a *App) handleSessions(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if pg, ok := a.pageOf(w, r); ok {
		list, err := a.auth.Sessions(r.Context(), p, pg)
		a.respond(w, r, http.StatusOK, list, err)
	}
}

func (a *App) handleRevokeSession(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, ok := a.ids(w, r, "id")
	if !ok {
		return
	}
	err := a.auth.RevokeSession(r.Context(), p, id[0])
	if err == nil && id[0] == p.SessionID {
		a.clearRefreshCookie(w, r)
	}
	a.respond(w, r, http.StatusNoContent, nil, err)
}
