package app

import (
	"context"
	"net/http"
	"strings"

	"tack/app/auth"
	"tack/app/errs"
)

// authedHandler is a handler that runs only for a signed-in caller.
type authedHandler func(w http.ResponseWriter, r *http.Request, p *auth.Principal)

// authed checks the bearer token, the session and the user on every request
// (no caching: a revocation made anywhere, even by the tack user command in
// another process, takes effect on the very next request).
func (a *App) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		h(w, r, p)
	}
}

// admin is authed plus the site admin role, checked before the body is read.
func (a *App) admin(h authedHandler) http.HandlerFunc {
	return a.authed(func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		if !p.IsAdmin() {
			a.fail(w, r, errs.New(errs.Forbidden, "only an admin may do this"))
			return
		}
		h(w, r, p)
	})
}

func (a *App) authenticate(r *http.Request) (*auth.Principal, error) {
	token, err := bearerToken(r)
	if err != nil {
		return nil, err
	}
	p, err := a.auth.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	setUserID(r.Context(), p.UserID)
	return p, nil
}

// bearerToken reads "Authorization: Bearer <token>". Tokens are never taken
// from the query string, where they would end up in logs and histories.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errs.New(errs.Unauthorized, "an access token is required").With("reason", auth.ReasonTokenMissing)
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", errs.New(errs.Unauthorized, "the Authorization header must be Bearer <token>").With("reason", auth.ReasonTokenInvalid)
	}
	return strings.TrimSpace(token), nil
}

// setUserID records the caller in the request's info, for the access log.
func setUserID(ctx context.Context, id int64) {
	if ri, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		ri.userID = id
	}
}
