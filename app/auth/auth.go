// Package auth is accounts and sessions: users, password hashing, JWT access
// tokens, rotating refresh tokens and live revocation. Every authenticated
// request and socket message goes through Service.Authenticate, which checks
// the session and the user in the database, so a revoked session or a
// deactivated user is refused at once, even when the change was made by
// another process (the tack user command).
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tack/app/errs"
	"tack/db"
)

// Role is a site role.
type Role string

// Site roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Options configures a Service.
type Options struct {
	DB     *db.DB
	Logger *slog.Logger
	// Secret signs access tokens (see LoadSecret).
	Secret           []byte
	Issuer           string
	Audience         string
	AccessTTL        time.Duration
	RefreshTTL       time.Duration
	OpenRegistration bool
	// Hasher hashes passwords; nil means DefaultHashParams with a small
	// number of concurrent hashes.
	Hasher *Hasher
	// Now is the clock; nil means db.Now.
	Now func() time.Time
}

// Service is accounts and sessions.
type Service struct {
	db         *db.DB
	logger     *slog.Logger
	tokens     *tokens
	hasher     *Hasher
	now        func() time.Time
	openReg    bool
	refreshTTL time.Duration
	accessTTL  time.Duration

	hookMu sync.RWMutex
	hooks  []func(Revocation)
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = db.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Hasher == nil {
		o.Hasher = NewHasher(DefaultHashParams, 2)
	}
	return &Service{
		db:         o.DB,
		logger:     o.Logger,
		tokens:     newTokens(o.Secret, o.Issuer, o.Audience, o.AccessTTL, o.Now),
		hasher:     o.Hasher,
		now:        func() time.Time { return o.Now().UTC().Truncate(time.Millisecond) },
		openReg:    o.OpenRegistration,
		refreshTTL: o.RefreshTTL,
		accessTTL:  o.AccessTTL,
	}
}

// Revocation says that sessions of a user were revoked (logout, sign-out of
// a device, password change, deactivation, refresh-token reuse).
type Revocation struct {
	UserID     int64
	SessionIDs []int64
	// Deactivated is true when the user was deactivated.
	Deactivated bool
}

// OnRevoke registers fn to be called after every committed revocation made
// through this Service. It is the one hook other features use (the
// real-time hub closes sockets through it). fn must not block.
func (s *Service) OnRevoke(fn func(Revocation)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, fn)
}

func (s *Service) revoked(r Revocation) {
	if len(r.SessionIDs) == 0 && !r.Deactivated {
		return
	}
	s.hookMu.RLock()
	defer s.hookMu.RUnlock()
	for _, fn := range s.hooks {
		fn(r)
	}
}

// Principal is who is calling: the user and session behind a valid token.
type Principal struct {
	UserID    int64
	SessionID int64
	Username  string
	Role      Role
	// ExpiresAt is when the access token expires.
	ExpiresAt time.Time
}

// IsAdmin reports whether the caller is a site admin.
func (p *Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// authQuery is the per-request check: one indexed read on the read pool,
// through a prepared statement.
const authQuery = `
SELECT u.username, u.role, u.is_active, s.revoked_at IS NOT NULL, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = ? AND s.user_id = ?`

// Authenticate checks an access token and the session and user behind it. A
// missing, forged or expired token, or a revoked or expired session, is a
// 401 with the SPEC's reason; an inactive user is a 403. It never writes.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	uid, sid, exp, err := s.tokens.parse(token)
	if err != nil {
		return nil, err
	}
	p := &Principal{UserID: uid, SessionID: sid, ExpiresAt: exp}
	var active, revoked bool
	var sessionExpires time.Time
	err = s.db.QueryRowContext(ctx, authQuery, sid, uid).
		Scan(&p.Username, &p.Role, &active, &revoked, db.ScanTime(&sessionExpires))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauthorized(ReasonSessionRevoked, "the session has ended; sign in again")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: check session: %w", err)
	}
	if revoked || !sessionExpires.After(s.now()) {
		return nil, unauthorized(ReasonSessionRevoked, "the session has ended; sign in again")
	}
	if !active {
		return nil, errs.New(errs.Forbidden, "this account is deactivated")
	}
	return p, nil
}

// Tokens is what a sign-in, registration or refresh answers.
type Tokens struct {
	User         *User  `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int `json:"expires_in"`
	// RefreshExpires is when the refresh token expires (for the cookie).
	RefreshExpires time.Time `json:"-"`
}

// Client describes the device signing in, for the sessions list.
type Client struct {
	IP        string
	UserAgent string
}

func (c Client) clean() Client {
	c.UserAgent = truncate(c.UserAgent, 256)
	c.IP = truncate(c.IP, 64)
	return c
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
