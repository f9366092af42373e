package app

// HTTP-level tests of accounts and sessions (SPEC section 4): tokens,
// registration, sign-in, refresh rotation, expiry, logout, password change,
// the sessions list, the Origin check and secrets staying out of logs and
// answers. Every request goes through the real server.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tack/app/auth"
	"tack/app/errs"
	"tack/app/page"
)

// kitPassword is the password of every account these tests make, unless a
// test says otherwise.
const kitPassword = "correct horse battery"

// authKit drives one testApp through its HTTP API.
type authKit struct{ *testApp }

func newAuthKit(t *testing.T) authKit { return authKit{newTestApp(t, nil)} }

// newAuthTestApp is newTestApp with hooks that change the App's and the auth
// service's options before they are built (trusted proxies, allowed
// origins, open registration).
func newAuthTestApp(t *testing.T, appOpt func(*Options), authOpt func(*auth.Options)) *testApp {
	t.Helper()
	return newTestAppWith(t, testOpts{app: appOpt, auth: authOpt})
}

// call sends one request. body is nil (no body), a string or []byte (sent
// as is) or anything else (sent as JSON); a body gets Content-Type
// application/json unless hdr sets it. hdr is name, value pairs: a name
// given twice sends both values; an empty value removes the header.
func (k authKit) call(t *testing.T, method, path string, body any, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := k.newRequest(method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func (k authKit) newRequest(method, path string, body any, hdr ...string) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		var b []byte
		switch v := body.(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		default:
			var err error
			if b, err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, k.srv.URL+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(hdr); i += 2 {
		switch name := http.CanonicalHeaderKey(hdr[i]); {
		case hdr[i+1] == "":
			req.Header.Del(name)
		case seen[name]:
			req.Header.Add(name, hdr[i+1])
		default:
			req.Header.Set(name, hdr[i+1])
		}
		seen[http.CanonicalHeaderKey(hdr[i])] = true
	}
	return req, nil
}

// bearer is the header pair that presents an access token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// register registers a user through the API and expects 201.
func (k authKit) register(t *testing.T, username, password string) auth.Tokens {
	t.Helper()
	res, body := k.call(t, "POST", "/api/v1/auth/register", map[string]string{"username": username, "password": password})
	kitStatus(t, res, body, http.StatusCreated)
	return kitDecode[auth.Tokens](t, body)
}

// login signs in and expects 200.
func (k authKit) login(t *testing.T, username, password string, hdr ...string) auth.Tokens {
	t.Helper()
	res, body := k.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}, hdr...)
	kitStatus(t, res, body, http.StatusOK)
	return kitDecode[auth.Tokens](t, body)
}

// tryLogin signs in and returns the answer, whatever it is.
func (k authKit) tryLogin(t *testing.T, username, password string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return k.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}, hdr...)
}

// createUser is an admin's POST /users; it expects 201. A user made with a
// bare username gets kitPassword.
func (k authKit) createUser(t *testing.T, adminToken string, in map[string]any) auth.User {
	t.Helper()
	if _, ok := in["password"]; !ok {
		in["password"] = kitPassword
	}
	res, body := k.call(t, "POST", "/api/v1/users", in, bearer(adminToken)...)
	kitStatus(t, res, body, http.StatusCreated)
	return kitDecode[auth.User](t, body)
}

// patchUser is an admin's PATCH /users/{id}.
func (k authKit) patchUser(t *testing.T, adminToken string, id int64, in any) (*http.Response, []byte) {
	t.Helper()
	return k.call(t, "PATCH", fmt.Sprintf("/api/v1/users/%d", id), in, bearer(adminToken)...)
}

func (k authKit) me(t *testing.T, token string) (*http.Response, []byte) {
	t.Helper()
	return k.call(t, "GET", "/api/v1/me", nil, bearer(token)...)
}

func (k authKit) refresh(t *testing.T, refreshToken string) (*http.Response, []byte) {
	t.Helper()
	return k.call(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": refreshToken})
}

// wantMe checks that token is accepted by GET /me.
func (k authKit) wantMe(t *testing.T, token string) auth.User {
	t.Helper()
	res, body := k.me(t, token)
	kitStatus(t, res, body, http.StatusOK)
	return kitDecode[auth.User](t, body)
}

// wantRefused checks that token is refused by GET /me with a 401 reason.
func (k authKit) wantRefused(t *testing.T, token, reason string) {
	t.Helper()
	res, body := k.me(t, token)
	kitWant401(t, res, body, reason)
}

// snapshot is every user row, every session row and the count of used
// refresh tokens, read through the database handle: what a refused request
// must leave alone.
func (k authKit) snapshot(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, q := range []string{
		"SELECT * FROM users ORDER BY id",
		"SELECT count(*) FROM sessions",
		"SELECT * FROM sessions ORDER BY id",
		"SELECT count(*) FROM used_refresh_tokens",
	} {
		rows, err := k.db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s\n", q)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = fmt.Sprintf("%x", b)
				}
			}
			fmt.Fprintf(&sb, "  %v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return sb.String()
}

// wantUnchanged compares a snapshot with the database now.
func (k authKit) wantUnchanged(t *testing.T, before string) {
	t.Helper()
	if after := k.snapshot(t); after != before {
		t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func kitStatus(t *testing.T, res *http.Response, body []byte, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status = %d, want %d (body %s)", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, body)
	}
}

func kitDecode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// kitWant401 checks a 401 in the SPEC's shape with details.reason and a
// WWW-Authenticate header. reason "" (a refused sign-in) wants no reason.
func kitWant401(t *testing.T, res *http.Response, body []byte, reason string) {
	t.Helper()
	d := wantError(t, res, body, http.StatusUnauthorized, errs.Unauthorized)
	if reason == "" && d["reason"] != nil || reason != "" && d["reason"] != reason {
		t.Errorf("details.reason = %v, want %s (body %s)", d["reason"], reason, body)
	}
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("a 401 without WWW-Authenticate")
	}
}

// kitKeys is the sorted keys of a JSON object.
func kitKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s: %v", raw, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// kitSID is the session id inside an access token (read without checking
// the signature: the server made it).
func kitSID(t *testing.T, token string) int64 {
	t.Helper()
	var c struct {
		SID int64 `json:"sid"`
		jwt.RegisteredClaims
	}
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		t.Fatalf("parse access token: %v", err)
	}
	return c.SID
}

// kitCookie returns the response's tack_refresh cookie, or nil.
func kitCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == refreshCookie {
			return c
		}
	}
	return nil
}

// wantCookieCleared checks that a response deletes the refresh cookie.
func wantCookieCleared(t *testing.T, res *http.Response) {
	t.Helper()
	c := kitCookie(res)
	if c == nil {
		t.Fatalf("no %s cookie in the answer; want it cleared", refreshCookie)
	}
	if c.MaxAge >= 0 || c.Value != "" || c.Path != refreshCookiePath {
		t.Errorf("cookie = %+v, want it cleared (Max-Age<=0, empty, Path %s)", c, refreshCookiePath)
	}
}

// errorObject is the "error" member of an error answer.
type errorObject struct {
	Code    errs.Code      `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

func kitError(t *testing.T, body []byte) errorObject {
	t.Helper()
	return kitDecode[struct {
		Error errorObject `json:"error"`
	}](t, body).Error
}

func TestAccessTokenForgeries(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	bob := k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	bobTk := k.login(t, "bob", kitPassword)
	uid := strconv.FormatInt(root.User.ID, 10)
	sid := kitSID(t, root.AccessToken)

	now := k.clock.Now()
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub": uid,
			"sid": sid,
			"iss": "tack",
			"aud": []string{"tack"},
			"iat": now.Unix(),
			"nbf": now.Unix(),
			"exp": now.Add(15 * time.Minute).Unix(),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hs256 := func(c jwt.Claims) string { return sign(jwt.SigningMethodHS256, k.secret, c) }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := []byte("an entirely different 32+ byte secret!!")
	valid := hs256(claims(nil))
	unsigned := valid[:strings.LastIndex(valid, ".")+1]

	for _, tc := range []struct {
		name   string
		header string // the Authorization header; "" sends none
		status int
		reason string
	}{
		{"ValidControl", "Bearer " + valid, 200, ""},
		{"LowercaseSchemeControl", "bearer " + valid, 200, ""},
		{"NoHeader", "", 401, auth.ReasonTokenMissing},
		{"Basic", "Basic " + base64.StdEncoding.EncodeToString([]byte("root:"+kitPassword)), 401, auth.ReasonTokenInvalid},
		{"BearerEmpty", "Bearer ", 401, auth.ReasonTokenInvalid},
		{"BearerBlank", "Bearer     ", 401, auth.ReasonTokenInvalid},
		{"BareToken", valid, 401, auth.ReasonTokenInvalid},
		{"AlgNone", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), 401, auth.ReasonTokenInvalid},
		{"SignatureStripped", "Bearer " + unsigned, 401, auth.ReasonTokenInvalid},
		{"HS512RightSecret", "Bearer " + sign(jwt.SigningMethodHS512, k.secret, claims(nil)), 401, auth.ReasonTokenInvalid},
		{"HS384RightSecret", "Bearer " + sign(jwt.SigningMethodHS384, k.secret, claims(nil)), 401, auth.ReasonTokenInvalid},
		{"RS256", "Bearer " + sign(jwt.SigningMethodRS256, rsaKey, claims(nil)), 401, auth.ReasonTokenInvalid},
		{"WrongSecret", "Bearer " + sign(jwt.SigningMethodHS256, wrongSecret, claims(nil)), 401, auth.ReasonTokenInvalid},
		// The signature is checked before the claims: a forged expired
		// token must not learn that it is "merely" expired.
		{"ExpiredWrongSecret", "Bearer " + sign(jwt.SigningMethodHS256, wrongSecret, claims(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), 401, auth.ReasonTokenInvalid},
		{"WrongIssuer", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["iss"] = "evil" })), 401, auth.ReasonTokenInvalid},
		{"NoIssuer", "Bearer " + hs256(claims(func(c jwt.MapClaims) { delete(c, "iss") })), 401, auth.ReasonTokenInvalid},
		{"WrongAudience", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["aud"] = []string{"other"} })), 401, auth.ReasonTokenInvalid},
		{"NoAudience", "Bearer " + hs256(claims(func(c jwt.MapClaims) { delete(c, "aud") })), 401, auth.ReasonTokenInvalid},
		{"NoExp", "Bearer " + hs256(claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401, auth.ReasonTokenInvalid},
		{"Expired", "Bearer " + hs256(claims(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), 401, auth.ReasonTokenExpired},
		{"NotYetValid", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), 401, auth.ReasonTokenInvalid},
		{"IssuedInFuture", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), 401, auth.ReasonTokenInvalid},
		{"SubNotNumber", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sub"] = "root" })), 401, auth.ReasonTokenInvalid},
		{"SubZero", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sub"] = "0" })), 401, auth.ReasonTokenInvalid},
		{"SubNegative", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sub"] = "-1" })), 401, auth.ReasonTokenInvalid},
		{"SubMissing", "Bearer " + hs256(claims(func(c jwt.MapClaims) { delete(c, "sub") })), 401, auth.ReasonTokenInvalid},
		{"SubNumberNotString", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sub"] = root.User.ID })), 401, auth.ReasonTokenInvalid},
		{"SIDMissing", "Bearer " + hs256(claims(func(c jwt.MapClaims) { delete(c, "sid") })), 401, auth.ReasonTokenInvalid},
		{"SIDZero", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sid"] = 0 })), 401, auth.ReasonTokenInvalid},
		{"SIDString", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sid"] = strconv.FormatInt(sid, 10) })), 401, auth.ReasonTokenInvalid},
		{"Garbage", "Bearer not-a-token", 401, auth.ReasonTokenInvalid},
		{"GarbageDots", "Bearer a.b.c", 401, auth.ReasonTokenInvalid},
		{"SessionDoesNotExist", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sid"] = 999999 })), 401, auth.ReasonSessionRevoked},
		// A valid signature over another user's session id: the session
		// must belong to the subject.
		{"SessionOfAnotherUser", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sid"] = kitSID(t, bobTk.AccessToken) })), 401, auth.ReasonSessionRevoked},
		{"UserOfAnotherSession", "Bearer " + hs256(claims(func(c jwt.MapClaims) { c["sub"] = strconv.FormatInt(bob.ID, 10) })), 401, auth.ReasonSessionRevoked},
		// Go's server reads up to 1 MiB + 4 KiB of headers; this fits and
		// must be refused cheaply, not parsed.
		{"OneMiBHeader", "Bearer " + strings.Repeat("a", 1<<20-10), 401, auth.ReasonTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := k.call(t, "GET", "/api/v1/me", nil, "Authorization", tc.header)
			if tc.status == 200 {
				kitStatus(t, res, body, 200)
				if u := kitDecode[auth.User](t, body); u.ID != root.User.ID {
					t.Errorf("/me = user %d, want %d", u.ID, root.User.ID)
				}
				return
			}
			kitWant401(t, res, body, tc.reason)
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)

	t.Run("RoleRefused", func(t *testing.T) {
		before := k.snapshot(t)
		for _, role := range []string{"admin", "member"} {
			res, body := k.call(t, "POST", "/api/v1/auth/register",
				map[string]string{"username": "root", "password": kitPassword, "role": role})
			if d := wantError(t, res, body, 400, errs.BadRequest); d["role"] == nil {
				t.Errorf("details = %v, want role named", d)
			}
		}
		k.wantUnchanged(t, before)
	})

	// Registration is closed (newTestApp's default), yet the first user may
	// register and becomes admin.
	res, body := k.call(t, "POST", "/api/v1/auth/register",
		map[string]string{"username": "Root", "password": kitPassword, "display_name": "The Root", "email": "root@example.com"})
	kitStatus(t, res, body, 201)
	t.Run("Shape", func(t *testing.T) {
		if got, want := kitKeys(t, body), []string{"access_token", "expires_in", "refresh_token", "user"}; !slices.Equal(got, want) {
			t.Errorf("keys = %v, want %v", got, want)
		}
		raw := kitDecode[map[string]json.RawMessage](t, body)
		if got, want := kitKeys(t, raw["user"]), []string{"created_at", "display_name", "email", "id", "is_active", "role", "username"}; !slices.Equal(got, want) {
			t.Errorf("user keys = %v, want %v", got, want)
		}
		tk := kitDecode[auth.Tokens](t, body)
		u := tk.User
		if u.Username != "root" || u.DisplayName != "The Root" || u.Email == nil || *u.Email != "root@example.com" || u.Role != auth.RoleAdmin || !u.IsActive {
			t.Errorf("user = %+v, want active admin root (lowercased)", u)
		}
		if tk.AccessToken == "" || tk.RefreshToken == "" || tk.ExpiresIn != 900 {
			t.Errorf("tokens = %+v, want both tokens and expires_in 900", tk)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		c := kitCookie(res)
		if c == nil {
			t.Fatal("no tack_refresh cookie")
		}
		if c.Value != tk.RefreshToken || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" {
			t.Errorf("cookie = %+v, want the refresh token, HttpOnly, SameSite=Strict, Path=/api/v1/auth", c)
		}
		if c.Secure {
			t.Error("cookie is Secure on an http:// base URL")
		}
		if d := c.Expires.Sub(k.clock.Now().Add(720 * time.Hour)); d < -time.Minute || d > time.Minute {
			t.Errorf("cookie expires %v, want about 720h from now", c.Expires)
		}
		if me := k.wantMe(t, tk.AccessToken); me.ID != u.ID {
			t.Errorf("/me = %d, want %d", me.ID, u.ID)
		}
	})
	root := kitDecode[auth.Tokens](t, body)

	t.Run("SecondClosed", func(t *testing.T) {
		before := k.snapshot(t)
		res, body := k.call(t, "POST", "/api/v1/auth/register", map[string]string{"username": "second", "password": kitPassword})
		wantError(t, res, body, 403, errs.Forbidden)
		k.wantUnchanged(t, before)
	})

	t.Run("UsernameCaseInsensitive", func(t *testing.T) {
		alice := k.createUser(t, root.AccessToken, map[string]any{"username": "Alice"})
		if alice.Username != "alice" {
			t.Errorf("username = %q, want alice", alice.Username)
		}
		before := k.snapshot(t)
		for _, name := range []string{"alice", "ALICE", " Alice "} {
			res, body := k.call(t, "POST", "/api/v1/users", map[string]string{"username": name, "password": kitPassword}, bearer(root.AccessToken)...)
			wantError(t, res, body, 409, errs.Conflict)
		}
		k.wantUnchanged(t, before)
		if tk := k.login(t, "ALICE", kitPassword); tk.User.ID != alice.ID {
			t.Errorf("ALICE signed in as %d, want %d", tk.User.ID, alice.ID)
		}
	})
}

func TestRegisterOpen(t *testing.T) {
	t.Parallel()
	k := authKit{newAuthTestApp(t, nil, func(o *auth.Options) { o.OpenRegistration = true })}
	first := k.register(t, "first", kitPassword)
	second := k.register(t, "second", kitPassword)
	if first.User.Role != auth.RoleAdmin || second.User.Role != auth.RoleMember {
		t.Errorf("roles = %s, %s; want admin, member", first.User.Role, second.User.Role)
	}
	res, body := k.call(t, "POST", "/api/v1/auth/register", map[string]string{"username": "FIRST", "password": kitPassword})
	wantError(t, res, body, 409, errs.Conflict)
}

func TestLogin(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	bob := k.createUser(t, root.AccessToken, map[string]any{"username": "bob", "display_name": "Bob"})

	tk := k.login(t, "bob", kitPassword)
	if tk.User.ID != bob.ID || tk.AccessToken == "" || tk.RefreshToken == "" || tk.ExpiresIn != 900 {
		t.Errorf("login = %+v", tk)
	}
	if tk := k.login(t, "  BOB ", kitPassword); tk.User.ID != bob.ID {
		t.Errorf("case-insensitive login got user %d", tk.User.ID)
	}

	refusal := func(t *testing.T, user, password string) errorObject {
		t.Helper()
		before := k.snapshot(t)
		res, body := k.tryLogin(t, user, password)
		kitWant401(t, res, body, "")
		k.wantUnchanged(t, before)
		return kitError(t, body)
	}
	t.Run("SameRefusal", func(t *testing.T) {
		unknown := refusal(t, "nobody", kitPassword)
		wrong := refusal(t, "bob", "wrong password!")
		longName := refusal(t, strings.Repeat("b", 33), kitPassword)
		longPass := refusal(t, "bob", strings.Repeat("p", 1000))
		for name, got := range map[string]errorObject{"wrong password": wrong, "over-long username": longName, "over-long password": longPass} {
			if !reflect.DeepEqual(got, unknown) {
				t.Errorf("%s: %+v, unknown user: %+v; want the same", name, got, unknown)
			}
		}
	})
	t.Run("Inactive", func(t *testing.T) {
		unknown := refusal(t, "nobody", kitPassword)
		res, body := k.patchUser(t, root.AccessToken, bob.ID, map[string]any{"is_active": false})
		kitStatus(t, res, body, 200)
		before := k.snapshot(t)
		res, body = k.tryLogin(t, "bob", kitPassword)
		wantError(t, res, body, 403, errs.Forbidden)
		k.wantUnchanged(t, before)
		// A wrong password says nothing about the account's state.
		if got := refusal(t, "bob", "wrong password!"); !reflect.DeepEqual(got, unknown) {
			t.Errorf("inactive, wrong password: %+v; unknown user: %+v", got, unknown)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	bob := k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	first := k.login(t, "bob", kitPassword)
	other := k.login(t, "bob", kitPassword) // another device: must survive
	sid := kitSID(t, first.AccessToken)

	// Through the body.
	res, body := k.refresh(t, first.RefreshToken)
	kitStatus(t, res, body, 200)
	r1 := kitDecode[auth.Tokens](t, body)
	if r1.RefreshToken == first.RefreshToken || r1.RefreshToken == "" || r1.User.ID != bob.ID || r1.ExpiresIn != 900 {
		t.Errorf("refresh = %+v, want a new refresh token for bob", r1)
	}
	if got := kitSID(t, r1.AccessToken); got != sid {
		t.Errorf("refreshed session = %d, want the same session %d", got, sid)
	}
	if c := kitCookie(res); c == nil || c.Value != r1.RefreshToken || !c.HttpOnly {
		t.Errorf("cookie = %+v, want the new refresh token", c)
	}
	k.wantMe(t, r1.AccessToken)

	// Through the cookie only: no body, no Content-Type.
	res, body = k.call(t, "POST", "/api/v1/auth/refresh", nil, "Cookie", refreshCookie+"="+r1.RefreshToken)
	kitStatus(t, res, body, 200)
	r2 := kitDecode[auth.Tokens](t, body)
	if r2.RefreshToken == r1.RefreshToken || kitSID(t, r2.AccessToken) != sid {
		t.Errorf("cookie refresh = %+v, want a new token for session %d", r2, sid)
	}
	k.wantMe(t, r2.AccessToken)

	// The first refresh token again: it leaked, so the session ends.
	res, body = k.refresh(t, first.RefreshToken)
	kitWant401(t, res, body, auth.ReasonSessionRevoked)
	wantCookieCleared(t, res)
	k.wantRefused(t, r1.AccessToken, auth.ReasonSessionRevoked)
	k.wantRefused(t, r2.AccessToken, auth.ReasonSessionRevoked)
	res, body = k.refresh(t, r2.RefreshToken)
	kitWant401(t, res, body, auth.ReasonSessionRevoked)
	// Only that session: bob's other device goes on.
	k.wantMe(t, other.AccessToken)
	res, body = k.refresh(t, other.RefreshToken)
	kitStatus(t, res, body, 200)

	t.Run("Refused", func(t *testing.T) {
		random := make([]byte, 32)
		rand.Read(random)
		for _, tc := range []struct {
			name   string
			body   any
			hdr    []string
			reason string
		}{
			{"Garbage", map[string]string{"refresh_token": "garbage"}, nil, auth.ReasonTokenInvalid},
			{"UnknownWellFormed", map[string]string{"refresh_token": base64.RawURLEncoding.EncodeToString(random)}, nil, auth.ReasonTokenInvalid},
			{"AccessTokenAsRefresh", map[string]string{"refresh_token": other.AccessToken}, nil, auth.ReasonTokenInvalid},
			{"GarbageCookie", nil, []string{"Cookie", refreshCookie + "=garbage"}, auth.ReasonTokenInvalid},
			{"NoBodyNoCookie", nil, nil, auth.ReasonTokenMissing},
			{"EmptyObject", `{}`, nil, auth.ReasonTokenMissing},
			{"EmptyToken", map[string]string{"refresh_token": ""}, nil, auth.ReasonTokenMissing},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := k.snapshot(t)
				res, body := k.call(t, "POST", "/api/v1/auth/refresh", tc.body, tc.hdr...)
				kitWant401(t, res, body, tc.reason)
				wantCookieCleared(t, res)
				k.wantUnchanged(t, before)
			})
		}
	})
	t.Run("RefreshTokenAsAccessToken", func(t *testing.T) {
		k.wantRefused(t, other.RefreshToken, auth.ReasonTokenInvalid)
	})
}

func TestRefreshConcurrentSameToken(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	for round := range 10 {
		tk := k.login(t, "bob", kitPassword)
		start := make(chan struct{})
		var wg sync.WaitGroup
		status := make([]int, 2)
		failure := make([]error, 2)
		for i := range status {
			req, err := k.newRequest("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				<-start
				res, err := k.srv.Client().Do(req)
				if err != nil {
					failure[i] = err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status[i] = res.StatusCode
			})
		}
		close(start)
		wg.Wait()
		for _, err := range failure {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		slices.Sort(status)
		if status[0] != 200 || status[1] != 401 {
			t.Errorf("round %d: statuses %v, want exactly one 200 and one 401", round, status)
		}
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	tk := k.register(t, "root", kitPassword)
	k.wantMe(t, tk.AccessToken)

	k.clock.Advance(16 * time.Minute)
	k.wantRefused(t, tk.AccessToken, auth.ReasonTokenExpired)
	// The session lives on: a refresh gives a working access token.
	res, body := k.refresh(t, tk.RefreshToken)
	kitStatus(t, res, body, 200)
	r := kitDecode[auth.Tokens](t, body)
	k.wantMe(t, r.AccessToken)

	// Past the refresh token's lifetime: the session is over.
	k.clock.Advance(721 * time.Hour)
	before := k.snapshot(t)
	res, body = k.refresh(t, r.RefreshToken)
	kitWant401(t, res, body, auth.ReasonTokenExpired)
	k.wantUnchanged(t, before)
	k.wantRefused(t, r.AccessToken, auth.ReasonTokenExpired)
	// A correctly signed token that outlives its session (as one signed
	// with a leaked secret would) still dies with the session.
	now := k.clock.Now()
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": strconv.FormatInt(tk.User.ID, 10), "sid": kitSID(t, r.AccessToken),
		"iss": "tack", "aud": "tack", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(k.secret)
	if err != nil {
		t.Fatal(err)
	}
	k.wantRefused(t, forged, auth.ReasonSessionRevoked)
}

func TestPatchMe(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	patch := func(t *testing.T, body string) auth.User {
		t.Helper()
		res, b := k.call(t, "PATCH", "/api/v1/me", body, bearer(root.AccessToken)...)
		kitStatus(t, res, b, 200)
		u := kitDecode[auth.User](t, b)
		if me := k.wantMe(t, root.AccessToken); !reflect.DeepEqual(me, u) {
			t.Errorf("PATCH answered %+v, /me says %+v", u, me)
		}
		return u
	}
	email := func(u auth.User) string {
		if u.Email == nil {
			return "<nil>"
		}
		return *u.Email
	}
	u := patch(t, `{"display_name":"  Root Person  ","email":"root@example.com"}`)
	if u.DisplayName != "Root Person" || email(u) != "root@example.com" || u.Username != "root" || u.Role != auth.RoleAdmin {
		t.Errorf("after patch = %+v (email %s)", u, email(u))
	}
	before := k.snapshot(t)
	if u := patch(t, `{}`); u.DisplayName != "Root Person" || email(u) != "root@example.com" {
		t.Errorf("empty patch changed %+v", u)
	}
	k.wantUnchanged(t, before)
	if u := patch(t, `{"email":null}`); u.Email != nil || u.DisplayName != "Root Person" {
		t.Errorf("email null: %+v (email %s), want no email", u, email(u))
	}
	patch(t, `{"email":"root@example.com"}`)
	if u := patch(t, `{"email":""}`); u.Email != nil {
		t.Errorf(`email "": email %s, want none`, email(u))
	}
	if u := patch(t, `{"display_name":"Zoë Ünïcode"}`); u.DisplayName != "Zoë Ünïcode" {
		t.Errorf("display_name = %q", u.DisplayName)
	}
	res, b := k.call(t, "PATCH", "/api/v1/me", `{"display_name":"x"}`)
	kitWant401(t, res, b, auth.ReasonTokenMissing)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	other := k.login(t, "root", kitPassword)

	res, body := k.call(t, "POST", "/api/v1/auth/logout", nil, bearer(root.AccessToken)...)
	kitStatus(t, res, body, 204)
	wantCookieCleared(t, res)
	k.wantRefused(t, root.AccessToken, auth.ReasonSessionRevoked)
	res, body = k.refresh(t, root.RefreshToken)
	kitWant401(t, res, body, auth.ReasonSessionRevoked)
	res, body = k.call(t, "POST", "/api/v1/auth/logout", nil, bearer(root.AccessToken)...)
	kitWant401(t, res, body, auth.ReasonSessionRevoked)
	res, body = k.call(t, "POST", "/api/v1/auth/logout", nil)
	kitWant401(t, res, body, auth.ReasonTokenMissing)
	// Only the one session ended.
	k.wantMe(t, other.AccessToken)
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	cur := k.login(t, "bob", kitPassword)
	laptop := k.login(t, "bob", kitPassword)
	phone := k.login(t, "bob", kitPassword)
	const newPassword = "a brand new passphrase"
	put := func(t *testing.T, body any) (*http.Response, []byte) {
		t.Helper()
		return k.call(t, "PUT", "/api/v1/me/password", body, bearer(cur.AccessToken)...)
	}

	for _, tc := range []struct {
		name, current, next, field string
	}{
		{"WrongCurrent", "not my password", newPassword, "current_password"},
		{"MissingCurrent", "", newPassword, "current_password"},
		{"NewTooShort", kitPassword, "short", "new_password"},
		{"NewNineChars", kitPassword, "123456789", "new_password"},
		{"NewTooLong", kitPassword, strings.Repeat("n", 129), "new_password"},
		{"MissingNew", kitPassword, "", "new_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := k.snapshot(t)
			res, body := put(t, map[string]string{"current_password": tc.current, "new_password": tc.next})
			if d := wantError(t, res, body, 422, errs.ValidationFailed); d[tc.field] == nil {
				t.Errorf("details = %v, want %s", d, tc.field)
			}
			k.wantUnchanged(t, before)
			k.wantMe(t, laptop.AccessToken)
		})
	}
	k.login(t, "bob", kitPassword) // still the old password

	res, body := put(t, map[string]string{"current_password": kitPassword, "new_password": newPassword})
	kitStatus(t, res, body, 204)
	// Every other session is over at once; this one goes on.
	k.wantRefused(t, laptop.AccessToken, auth.ReasonSessionRevoked)
	k.wantRefused(t, phone.AccessToken, auth.ReasonSessionRevoked)
	res, body = k.refresh(t, laptop.RefreshToken)
	kitWant401(t, res, body, auth.ReasonSessionRevoked)
	k.wantMe(t, cur.AccessToken)
	res, body = k.refresh(t, cur.RefreshToken)
	kitStatus(t, res, body, 200)
	// The old password no longer signs in; the new one does.
	res, body = k.tryLogin(t, "bob", kitPassword)
	kitWant401(t, res, body, "")
	k.login(t, "bob", newPassword)
	// Root is not affected.
	k.wantMe(t, root.AccessToken)
}

func TestSessionsAPI(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	root := k.register(t, "root", kitPassword)
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob"})
	var devices []auth.Tokens
	for i := range 5 {
		devices = append(devices, k.login(t, "bob", kitPassword, "User-Agent", fmt.Sprintf("device-%d", i)))
	}
	caller := devices[4]
	list := func(t *testing.T, token, query string) page.List[json.RawMessage] {
		t.Helper()
		res, body := k.call(t, "GET", "/api/v1/me/sessions"+query, nil, bearer(token)...)
		kitStatus(t, res, body, 200)
		return kitDecode[page.List[json.RawMessage]](t, body)
	}

	t.Run("List", func(t *testing.T) {
		l := list(t, caller.AccessToken, "")
		if len(l.Items) != 5 || l.NextCursor != nil {
			t.Fatalf("%d sessions, next %v; want 5 and no cursor", len(l.Items), l.NextCursor)
		}
		if got, want := kitKeys(t, l.Items[0]), []string{"created_at", "current", "expires_at", "id", "ip", "last_used_at", "user_agent"}; !slices.Equal(got, want) {
			t.Errorf("session keys = %v, want %v", got, want)
		}
		currents := 0
		for _, raw := range l.Items {
			s := kitDecode[auth.Session](t, raw)
			if s.Current {
				currents++
				if s.ID != kitSID(t, caller.AccessToken) || s.UserAgent != "device-4" {
					t.Errorf("current = %+v, want the caller's session (device-4)", s)
				}
			}
			if s.IP != "127.0.0.1" || !strings.HasPrefix(s.UserAgent, "device-") {
				t.Errorf("session = %+v, want ip 127.0.0.1 and a device user agent", s)
			}
		}
		if currents != 1 {
			t.Errorf("%d sessions marked current, want 1", currents)
		}
	})

	t.Run("Paginate", func(t *testing.T) {
		seen := map[int64]bool{}
		var ids []int64
		cursor := ""
		pages := 0
		for {
			q := "?limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			l := list(t, caller.AccessToken, q)
			pages++
			if len(l.Items) > 2 {
				t.Fatalf("page of %d, want at most 2", len(l.Items))
			}
			for _, raw := range l.Items {
				s := kitDecode[auth.Session](t, raw)
				if seen[s.ID] {
					t.Errorf("session %d repeated", s.ID)
				}
				seen[s.ID] = true
				ids = append(ids, s.ID)
			}
			if l.NextCursor == nil {
				break
			}
			cursor = *l.NextCursor
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if len(ids) != 5 || pages != 3 {
			t.Errorf("got %d sessions over %d pages, want 5 over 3", len(ids), pages)
		}
		if !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("ids %v, want newest first", ids)
		}
	})

	t.Run("BadQuery", func(t *testing.T) {
		for _, q := range []string{"?cursor=!!!", "?cursor=" + page.Encode("text"), "?cursor=" + page.Encode(1, 2), "?cursor=bm90IGpzb24",
			"?limit=0", "?limit=abc", "?limit=-1", "?limit=1.5", "?cursor=" + strings.Repeat("A", 2000)} {
			res, body := k.call(t, "GET", "/api/v1/me/sessions"+q, nil, bearer(caller.AccessToken)...)
			wantError(t, res, body, 400, errs.BadRequest)
		}
	})

	t.Run("RevokeOther", func(t *testing.T) {
		victim := devices[0]
		id := kitSID(t, victim.AccessToken)
		res, body := k.call(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", id), nil, bearer(caller.AccessToken)...)
		kitStatus(t, res, body, 204)
		if kitCookie(res) != nil {
			t.Error("signing out another device cleared the caller's cookie")
		}
		k.wantRefused(t, victim.AccessToken, auth.ReasonSessionRevoked)
		res, body = k.refresh(t, victim.RefreshToken)
		kitWant401(t, res, body, auth.ReasonSessionRevoked)
		for _, raw := range list(t, caller.AccessToken, "").Items {
			if kitDecode[auth.Session](t, raw).ID == id {
				t.Errorf("revoked session %d still listed", id)
			}
		}
		k.wantMe(t, caller.AccessToken)
		// Again: it is gone.
		res, body = k.call(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", id), nil, bearer(caller.AccessToken)...)
		wantError(t, res, body, 404, errs.NotFound)
	})

	t.Run("NotFound", func(t *testing.T) {
		before := k.snapshot(t)
		for _, id := range []string{strconv.FormatInt(kitSID(t, root.AccessToken), 10), "999999", "abc", "0", "-1", "1.0"} {
			res, body := k.call(t, "DELETE", "/api/v1/me/sessions/"+id, nil, bearer(caller.AccessToken)...)
			wantError(t, res, body, 404, errs.NotFound)
		}
		k.wantUnchanged(t, before)
		k.wantMe(t, root.AccessToken)
	})

	t.Run("RevokeCurrent", func(t *testing.T) {
		self := devices[3]
		res, body := k.call(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", kitSID(t, self.AccessToken)), nil, bearer(self.AccessToken)...)
		kitStatus(t, res, body, 204)
		wantCookieCleared(t, res)
		k.wantRefused(t, self.AccessToken, auth.ReasonSessionRevoked)
	})
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	const allowed = "https://app.example.com"
	k := authKit{newAuthTestApp(t, func(o *Options) { o.AllowedOrigins = []string{allowed} }, nil)}
	root := k.register(t, "root", kitPassword)
	n := 0
	create := func(t *testing.T, origin string) (*http.Response, []byte) {
		t.Helper()
		n++
		return k.call(t, "POST", "/api/v1/users", map[string]string{"username": fmt.Sprintf("user%d", n), "password": kitPassword},
			append(bearer(root.AccessToken), "Origin", origin)...)
	}

	t.Run("Foreign", func(t *testing.T) {
		for _, origin := range []string{"http://evil.example", "null", "http://tack.test.evil.example", "https://tack.test",
			"http://tack.test:8080", "http://127.0.0.1:1", "https://app.example.com.evil.example"} {
			before := k.snapshot(t)
			res, body := create(t, origin)
			wantError(t, res, body, 403, errs.Forbidden)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%s: Access-Control-Allow-Origin = %q", origin, got)
			}
			k.wantUnchanged(t, before)
		}
		// Signing in from a foreign page (login CSRF) starts no session.
		before := k.snapshot(t)
		res, body := k.tryLogin(t, "root", kitPassword, "Origin", "http://evil.example")
		wantError(t, res, body, 403, errs.Forbidden)
		res, body = k.call(t, "POST", "/api/v1/auth/refresh", nil, "Cookie", refreshCookie+"="+root.RefreshToken, "Origin", "http://evil.example")
		wantError(t, res, body, 403, errs.Forbidden)
		k.wantUnchanged(t, before)
		res, body = k.call(t, "OPTIONS", "/api/v1/users", nil, "Origin", "http://evil.example", "Access-Control-Request-Method", "POST")
		wantError(t, res, body, 403, errs.Forbidden)
	})

	t.Run("Own", func(t *testing.T) {
		for _, origin := range []string{"http://tack.test", "http://tack.test/", "HTTP://TACK.TEST", k.srv.URL} {
			res, body := create(t, origin)
			kitStatus(t, res, body, 201)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%s: same-origin answer has Access-Control-Allow-Origin %q", origin, got)
			}
		}
	})

	t.Run("Allowed", func(t *testing.T) {
		res, body := create(t, allowed)
		kitStatus(t, res, body, 201)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != allowed {
			t.Errorf("Access-Control-Allow-Origin = %q, want %s", got, allowed)
		}
		if !slices.Contains(res.Header.Values("Vary"), "Origin") {
			t.Errorf("Vary = %v, want Origin", res.Header.Values("Vary"))
		}
		res, body = k.call(t, "OPTIONS", "/api/v1/users", nil, "Origin", allowed,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
		kitStatus(t, res, body, 204)
		h := res.Header
		if h.Get("Access-Control-Allow-Origin") != allowed {
			t.Errorf("preflight Access-Control-Allow-Origin = %q", h.Get("Access-Control-Allow-Origin"))
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Methods"), m) {
				t.Errorf("Access-Control-Allow-Methods = %q, lacks %s", h.Get("Access-Control-Allow-Methods"), m)
			}
		}
		for _, name := range []string{"Authorization", "Content-Type"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), name) {
				t.Errorf("Access-Control-Allow-Headers = %q, lacks %s", h.Get("Access-Control-Allow-Headers"), name)
			}
		}
	})
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	k := newAuthKit(t)
	const (
		rootPass   = "root-secret-Passw0rd-1"
		bobPass    = "bob-secret-Passw0rd-2"
		bobNewPass = "bob-secret-Passw0rd-3"
		guess      = "guess-secret-Passw0rd-4"
	)
	secrets := []string{rootPass, bobPass, bobNewPass, guess}
	keep := func(tk auth.Tokens) auth.Tokens {
		secrets = append(secrets, tk.AccessToken, tk.RefreshToken)
		return tk
	}
	root := keep(k.register(t, "root", rootPass))
	k.createUser(t, root.AccessToken, map[string]any{"username": "bob", "password": bobPass})
	bob := keep(k.login(t, "bob", bobPass))
	old := bob.RefreshToken
	res, body := k.refresh(t, bob.RefreshToken)
	kitStatus(t, res, body, 200)
	bob = keep(kitDecode[auth.Tokens](t, body))
	res, body = k.call(t, "PUT", "/api/v1/me/password", map[string]string{"current_password": guess, "new_password": bobNewPass}, bearer(bob.AccessToken)...)
	kitStatus(t, res, body, 422)
	res, body = k.call(t, "PUT", "/api/v1/me/password", map[string]string{"current_password": bobPass, "new_password": bobNewPass}, bearer(bob.AccessToken)...)
	kitStatus(t, res, body, 204)
	k.tryLogin(t, "bob", guess)
	k.tryLogin(t, "nobody", guess)
	k.call(t, "POST", "/api/v1/auth/register", map[string]string{"username": "eve", "password": guess})
	k.call(t, "POST", "/api/v1/auth/login", map[string]any{"username": "bob", "password": bobNewPass, "extra": guess})
	bob2 := keep(k.login(t, "bob", bobNewPass))
	res, body = k.refresh(t, bob2.RefreshToken)
	kitStatus(t, res, body, 200)
	bob2 = keep(kitDecode[auth.Tokens](t, body))
	k.refresh(t, old) // reuse of a spent token is logged: without the token
	k.call(t, "GET", "/api/v1/me?access_token="+bob2.AccessToken, nil)

	var hashes []string
	rows, err := k.db.QueryContext(context.Background(), "SELECT password_hash FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if len(hashes) != 2 {
		t.Fatalf("%d users, want 2", len(hashes))
	}

	t.Run("Logs", func(t *testing.T) {
		logs := k.logs.String()
		if !strings.Contains(logs, "refresh token reused") {
			t.Error("reuse of a refresh token was not logged")
		}
		for _, s := range append(slices.Clone(secrets), hashes...) {
			if strings.Contains(logs, s) {
				t.Errorf("logs contain a secret %.12q…", s)
			}
		}
	})

	t.Run("Responses", func(t *testing.T) {
		for _, tc := range []struct{ path, token string }{
			{"/api/v1/me", root.AccessToken},
			{"/api/v1/me", bob2.AccessToken},
			{"/api/v1/users", root.AccessToken},
			{"/api/v1/users", bob2.AccessToken},
			{"/api/v1/users?q=bob", root.AccessToken},
			{"/api/v1/me/sessions", root.AccessToken},
			{"/api/v1/me/sessions", bob2.AccessToken},
		} {
			res, body := k.call(t, "GET", tc.path, nil, bearer(tc.token)...)
			kitStatus(t, res, body, 200)
			text := string(body)
			for _, bad := range []string{"password", "argon2", "hash"} {
				if strings.Contains(text, bad) {
					t.Errorf("GET %s contains %q: %s", tc.path, bad, body)
				}
			}
			for _, s := range append(slices.Clone(secrets), hashes...) {
				if strings.Contains(text, s) {
					t.Errorf("GET %s contains a secret %.12q…", tc.path, s)
				}
			}
		}
	})

	t.Run("Database", func(t *testing.T) {
		snap := k.snapshot(t)
		for _, s := range secrets {
			if strings.Contains(snap, s) {
				t.Errorf("the database holds a secret in clear %.12q…", s)
			}
		}
		for _, h := range hashes {
			if !strings.HasPrefix(h, "$argon2id$") {
				t.Errorf("password hash %.12q… is not argon2id", h)
			}
		}
	})
}
