package app

import (
	"net/http"

	"tack/app/auth"
	"tack/app/page"
)

func (a *App) handleUsers(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg, err := page.FromQuery(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	list, err := a.auth.Directory(r.Context(), p, r.URL.Query().Get("q"), pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *App) handleCreateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in auth.NewUser
	if err := decodeJSON(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.auth.CreateUser(r.Context(), p, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (a *App) handleUpdateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in auth.UserPatch
	if err := decodeJSON(w, r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.auth.UpdateUser(r.Context(), p, id, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
