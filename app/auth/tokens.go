package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tack/app/errs"
	"tack/db"
)

// The SPEC's reasons for a 401, sent in details.reason.
const (
	ReasonTokenMissing   = "token_missing"
	ReasonTokenInvalid   = "token_invalid"
	ReasonTokenExpired   = "token_expired"
	ReasonSessionRevoked = "session_revoked"
)

func unauthorized(reason, msg string) error {
	return errs.New(errs.Unauthorized, "%s", msg).With("reason", reason)
}

// maxTokenLen bounds what is parsed: a real access token is a few hundred
// bytes, and parsing a huge one would only burn CPU and memory.
const maxTokenLen = 4096

// accessClaims are the access token's claims: the registered ones plus sid,
// the session the token belongs to.
type accessClaims struct {
	SID int64 `json:"sid"`
	jwt.RegisteredClaims
}

type tokens struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	parser   *jwt.Parser
}

func newTokens(secret []byte, issuer, audience string, ttl time.Duration, now func() time.Time) *tokens {
	return &tokens{
		secret:   secret,
		issuer:   issuer,
		audience: audience,
		ttl:      ttl,
		// The method list is pinned: a token claiming "none", HS512 or an
		// asymmetric algorithm (the classic key-confusion attack) fails.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
		),
	}
}

// issue signs an access token for a session.
func (t *tokens) issue(userID, sessionID int64, now time.Time) (string, error) {
	exp := now.Add(t.ttl)
	claims := accessClaims{
		SID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

// parse checks a token's signature, algorithm, issuer, audience and times,
// and returns its user and session. Claims of a token that failed any check
// are never looked at.
func (t *tokens) parse(token string) (userID, sessionID int64, expires time.Time, err error) {
	if token == "" {
		return 0, 0, time.Time{}, unauthorized(ReasonTokenMissing, "an access token is required")
	}
	if len(token) > maxTokenLen {
		return 0, 0, time.Time{}, unauthorized(ReasonTokenInvalid, "the access token is not valid")
	}
	var c accessClaims
	_, err = t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return 0, 0, time.Time{}, unauthorized(ReasonTokenExpired, "the access token has expired")
		}
		return 0, 0, time.Time{}, unauthorized(ReasonTokenInvalid, "the access token is not valid")
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 || c.SID <= 0 {
		return 0, 0, time.Time{}, unauthorized(ReasonTokenInvalid, "the access token is not valid")
	}
	return uid, c.SID, c.ExpiresAt.Time, nil
}

// newRefreshToken returns a random refresh token and the hash that is all
// the database keeps of it.
func newRefreshToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefresh(token)
}

// hashRefresh is SHA-256: a refresh token is 256 random bits, so a slow
// password hash would add nothing but cost.
func hashRefresh(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// secretKey is where a generated JWT secret is kept.
const secretKey = "auth.jwt_secret"

// LoadSecret returns the JWT signing secret: the configured one when given,
// else the one kept in the database, generated (32 random bytes) the first
// time. Several processes starting at once agree on one secret.
func LoadSecret(ctx context.Context, d *db.DB, configured string) ([]byte, error) {
	if configured != "" {
		if len(configured) < 32 {
			return nil, errors.New("auth: jwt_secret must be at least 32 bytes")
		}
		return []byte(configured), nil
	}
	var stored string
	err := d.WriteTx(ctx, func(tx *db.Tx) error {
		b := make([]byte, 32)
		rand.Read(b)
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
			secretKey, base64.StdEncoding.EncodeToString(b)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", secretKey).Scan(&stored)
	})
	if err != nil {
		return nil, fmt.Errorf("auth: load secret: %w", err)
	}
	secret, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(secret) < 32 {
		return nil, errors.New("auth: the stored jwt secret is damaged")
	}
	return secret, nil
}
