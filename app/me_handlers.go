package app

import (
	"net/http"
	"strconv"
	"time"

	"tack/app/auth"
	"tack/app/errs"
	"tack/app/page"
)

func (a *App) handleMe(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	u, err := a.auth.Me(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (a *App) handleUpdateMe(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in auth.MePatch
	if err := decodeJSON(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.auth.UpdateMe(r.Context(), p, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (a *App) handleChangePassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		a.fail(w, r, err)
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
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *App) handleSessions(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg, err := page.FromQuery(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	list, err := a.auth.Sessions(r.Context(), p, pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *App) handleRevokeSession(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.auth.RevokeSession(r.Context(), p, id); err != nil {
		a.fail(w, r, err)
		return
	}
	if id == p.SessionID {
		a.clearRefreshCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

// pathID reads a positive integer id from the path; anything else cannot
// name a resource, so it is a 404.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "no such %s", name)
	}
	return id, nil
}
