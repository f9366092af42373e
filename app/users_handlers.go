package app

import (
	"net/http"

	"tack/app/auth"
)

func (a *App) handleUsers(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if pg, ok := a.pageOf(w, r); ok {
		list, err := a.auth.Directory(r.Context(), p, r.URL.Query().Get("q"), pg)
		a.respond(w, r, http.StatusOK, list, err)
	}
}

func (a *App) handleCreateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in auth.NewUser
	if a.decode(w, r, &in) {
		u, err := a.auth.CreateUser(r.Context(), p, in)
		a.respond(w, r, http.StatusCreated, u, err)
	}
}

func (a *App) handleUpdateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in auth.UserPatch
	if id, ok := a.ids(w, r, "id"); ok && a.decode(w, r, &in) {
		u, err := a.auth.UpdateUser(r.Context(), p, id[0], in)
		a.respond(w, r, http.StatusOK, u, err)
	}
}
