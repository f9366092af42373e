package app

import (
	"net/http"
	"time"

	"tack/app/auth"
	"tack/app/errs"
)

// refreshCookie holds the refresh token for browsers: HttpOnly (no script
// can read it), SameSite=Strict (no other site can send it) and scoped to
// the auth endpoints (no other request carries it).
const (
	refreshCookie     = "tack_refresh"
	refreshCookiePath = "/api/v1/auth"
)

func (a *App) client(r *http.Request) auth.Client {
	return auth.Client{IP: a.clientIP(r), UserAgent: r.UserAgent()}
}

func (a *App) setRefreshCookie(w http.ResponseWriter, r *http.Request, t *auth.Tokens) {
	http.SetCookie(w, &http.Cookie{
		Name:     refreshCookie,
		Value:    t.RefreshToken,
		Path:     refreshCookiePath,
		Expires:  t.RefreshExpires,
		HttpOnly: true,
		Secure:   a.secureCookies || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}

func (a *App) clearRefreshCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: refreshCookie, Path: refreshCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: a.secureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// answerTokens sends a token pair; the response is never cached.
func (a *App) answerTokens(w http.ResponseWriter, r *http.Request, status int, t *auth.Tokens) {
	a.setRefreshCookie(w, r, t)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, t)
}

func (a *App) handleRegister(w http.ResponseWriter, r *http.Request) {
	var in auth.NewUser
	if !a.decode(w, r, &in) {
		return
	}
	if in.Role != nil {
		a.fail(w, r, errs.New(errs.BadRequest, "unknown field \"role\"").With("role", "unknown field"))
		return
	}
	if _, err := reserve(time.Now(), bucket{a.limits.register, a.clientIP(r)}); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.auth.Register(r.Context(), in, a.client(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.answerTokens(w, r, http.StatusCreated, t)
}

func (a *App) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !a.decode(w, r, &in) {
		return
	}
	f := errs.Fields{}
	if in.Username == "" {
		f.Add("username", "required")
	}
	if in.Password == "" {
		f.Add("password", "required")
	}
	if err := f.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	// A token is taken from both buckets up front, so that parallel
	// attempts cannot all slip in before the first failure is counted; a
	// sign-in with the right password gives them back.
	now := time.Now()
	rs, err := reserve(now,
		bucket{a.limits.loginUser, auth.NormalizeUsername(in.Username)},
		bucket{a.limits.loginIP, a.clientIP(r)})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.auth.Login(r.Context(), in.Username, in.Password, a.client(r))
	if err != auth.ErrBadCredentials {
		rs.cancel(now)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.answerTokens(w, r, http.StatusOK, t)
}

func (a *App) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	// The body is optional: a browser sends the cookie and no body.
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if !a.decode(w, r, &in) {
			return
		}
	}
	token := in.RefreshToken
	if token == "" {
		if c, err := r.Cookie(refreshCookie); err == nil {
			token = c.Value
		}
	}
	if _, err := reserve(time.Now(), bucket{a.limits.refresh, a.clientIP(r)}); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.auth.Refresh(r.Context(), token, a.client(r))
	if err != nil {
		if errs.Is(err, errs.Unauthorized) {
			a.clearRefreshCookie(w, r)
		}
		a.fail(w, r, err)
		return
	}
	a.answerTokens(w, r, http.StatusOK, t)
}

func (a *App) handleLogout(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if err := a.auth.Logout(r.Context(), p); err != nil {
		a.fail(w, r, err)
		return
	}
	a.clearRefreshCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}
