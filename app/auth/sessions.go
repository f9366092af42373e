package auth

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"tack/app/errs"
	"tack/app/page"
	"tack/db"
)

// maxSessionsPerUser bounds the sessions table per user: signing in once
// more than this revokes the least recently used session.
const maxSessionsPerUser = 100

// Session is the SPEC's session shape: one signed-in device.
type Session struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

// startSession creates a session for u and issues its first token pair. It
// returns the ids of sessions dropped to respect maxSessionsPerUser.
func (s *Service) startSession(ctx context.Context, tx *db.Tx, u *User, c Client, now time.Time) (*Tokens, []int64, error) {
	c = c.clean()
	refresh, hash := newRefreshToken()
	expires := now.Add(s.refreshTTL)
	var sid int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO sessions (user_id, refresh_hash, created_at, last_used_at, expires_at, user_agent, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.ID, hash, db.Time(now), db.Time(now), db.Time(expires), c.UserAgent, c.IP).Scan(&sid)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: start session: %w", err)
	}
	dropped, err := revokeSessions(ctx, tx, now, `id IN (
		SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL
		ORDER BY last_used_at DESC, id DESC LIMIT -1 OFFSET ?)`, u.ID, maxSessionsPerUser)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.tokensFor(u, sid, refresh, expires, now)
	return t, dropped, err
}

func (s *Service) tokensFor(u *User, sid int64, refresh string, refreshExpires, now time.Time) (*Tokens, error) {
	access, err := s.tokens.issue(u.ID, sid, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		User:           u,
		AccessToken:    access,
		RefreshToken:   refresh,
		ExpiresIn:      int(s.accessTTL / time.Second),
		RefreshExpires: refreshExpires,
	}, nil
}

// revokeSessions revokes the live sessions matching where and returns their
// ids. where is a constant SQL condition from this package; values are
// always bound.
func revokeSessions(ctx context.Context, tx *db.Tx, now time.Time, where string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx,
		"UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL AND ("+where+") RETURNING id",
		append([]any{db.Time(now)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("auth: revoke sessions: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("auth: revoke sessions: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Refresh exchanges a refresh token for a new pair. Each refresh token works
// once: presenting one that was already exchanged means it leaked, so the
// whole session is revoked. Of two concurrent refreshes with one token,
// exactly one wins (writes are serialized on the one writer connection).
func (s *Service) Refresh(ctx context.Context, token string, c Client) (*Tokens, error) {
	if token == "" {
		return nil, unauthorized(ReasonTokenMissing, "a refresh token is required")
	}
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		return nil, unauthorized(ReasonTokenInvalid, "the refresh token is not valid")
	}
	c = c.clean()
	hash := hashRefresh(token)
	var t *Tokens
	var reused *Revocation
	err := s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		var sid, uid int64
		var expires time.Time
		var revoked, active bool
		err := tx.QueryRowContext(ctx, `
			SELECT s.id, s.user_id, s.expires_at, s.revoked_at IS NOT NULL, u.is_active
			FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.refresh_hash = ?`, hash).Scan(&sid, &uid, db.ScanTime(&expires), &revoked, &active)
		if errors.Is(err, sql.ErrNoRows) {
			return s.detectReuse(ctx, tx, hash, now, &reused)
		}
		if err != nil {
			return fmt.Errorf("auth: refresh: %w", err)
		}
		switch {
		case revoked:
			return unauthorized(ReasonSessionRevoked, "the session has ended; sign in again")
		case !expires.After(now):
			return unauthorized(ReasonTokenExpired, "the refresh token has expired; sign in again")
		case !active:
			return errs.New(errs.Forbidden, "this account is deactivated")
		}
		next, nextHash := newRefreshToken()
		nextExpires := now.Add(s.refreshTTL)
		if _, err := tx.ExecContext(ctx, "INSERT INTO used_refresh_tokens (hash, session_id) VALUES (?, ?)", hash, sid); err != nil {
			return fmt.Errorf("auth: refresh: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE sessions SET refresh_hash = ?, last_used_at = ?, expires_at = ?, ip = ?, user_agent = ?
			WHERE id = ?`, nextHash, db.Time(now), db.Time(nextExpires), c.IP, c.UserAgent, sid); err != nil {
			return fmt.Errorf("auth: refresh: %w", err)
		}
		u, err := getUser(ctx, tx, uid)
		if err != nil {
			return err
		}
		t, err = s.tokensFor(u, sid, next, nextExpires, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused != nil {
		s.revoked(*reused)
		return nil, unauthorized(ReasonSessionRevoked, "this refresh token was already used; the session is revoked")
	}
	return t, nil
}

// detectReuse handles a refresh token that is not a session's current one:
// if it is one already exchanged, its session is revoked (and the
// revocation committed); otherwise it is simply invalid.
func (s *Service) detectReuse(ctx context.Context, tx *db.Tx, hash []byte, now time.Time, reused **Revocation) error {
	var sid, uid int64
	err := tx.QueryRowContext(ctx, `
		SELECT s.id, s.user_id FROM used_refresh_tokens r JOIN sessions s ON s.id = r.session_id
		WHERE r.hash = ?`, hash).Scan(&sid, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return unauthorized(ReasonTokenInvalid, "the refresh token is not valid")
	}
	if err != nil {
		return fmt.Errorf("auth: refresh: %w", err)
	}
	ids, err := revokeSessions(ctx, tx, now, "id = ?", sid)
	if err != nil {
		return err
	}
	s.logger.WarnContext(ctx, "refresh token reused: session revoked", "user_id", uid, "session_id", sid)
	*reused = &Revocation{UserID: uid, SessionIDs: ids}
	return nil // commit the revocation; Refresh answers 401
}

// Logout revokes the caller's current session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	return s.RevokeSession(ctx, p, p.SessionID)
}

// RevokeSession signs out one of the caller's own sessions (404 for anyone
// else's, or one already ended).
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id int64) error {
	var ids []int64
	err := s.db.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		ids, err = revokeSessions(ctx, tx, s.now(), "id = ? AND user_id = ?", id, p.UserID)
		if err == nil && len(ids) == 0 {
			return errs.New(errs.NotFound, "no such session")
		}
		return err
	})
	if err != nil {
		return err
	}
	s.revoked(Revocation{UserID: p.UserID, SessionIDs: ids})
	return nil
}

// Sessions lists the caller's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, p *Principal, pg page.Request) (page.List[Session], error) {
	var before int64
	ok, err := page.Decode(pg.Cursor, &before)
	if err != nil {
		return page.List[Session]{}, err
	}
	if !ok {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, created_at, last_used_at, expires_at, user_agent, ip FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND id < ?
		ORDER BY id DESC LIMIT ?`, p.UserID, db.Time(s.now()), before, pg.Limit+1)
	if err != nil {
		return page.List[Session]{}, fmt.Errorf("auth: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var se Session
		if err := rows.Scan(&se.ID, db.ScanTime(&se.CreatedAt), db.ScanTime(&se.LastUsedAt), db.ScanTime(&se.ExpiresAt), &se.UserAgent, &se.IP); err != nil {
			return page.List[Session]{}, fmt.Errorf("auth: sessions: %w", err)
		}
		se.Current = se.ID == p.SessionID
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return page.List[Session]{}, fmt.Errorf("auth: sessions: %w", err)
	}
	return page.Trim(out, pg.Limit, func(se Session) string { return page.Encode(se.ID) }), nil
}

// PruneSessions deletes sessions that ended more than a day ago, with the
// used refresh tokens kept for reuse detection.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WriteTx(ctx, func(tx *db.Tx) error {
		cutoff := db.Time(s.now().Add(-24 * time.Hour))
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", cutoff, cutoff)
		if err != nil {
			return fmt.Errorf("auth: prune sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
