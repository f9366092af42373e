package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
	"tack/db"
)

// User is the SPEC's user shape.
type User struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Email       *string   `json:"email"`
	Role        Role      `json:"role"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
}

// DirectoryEntry is what the user directory shows to non-admins.
type DirectoryEntry struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// NewUser is a user to create.
type NewUser struct {
	Username    string  `json:"username"`
	Password    string  `json:"password"`
	DisplayName *string `json:"display_name"`
	Email       *string `json:"email"`
	// Role is honoured only when an admin creates the user.
	Role *Role `json:"role"`
}

// Limits of SPEC section 4.
const (
	minUsername    = 3
	maxUsername    = 32
	minPassword    = 10
	maxPassword    = 128
	maxDisplayName = 100
	maxEmail       = 254
)

// NormalizeUsername lowercases: usernames are case-insensitive, and the
// allowed characters are lowercase, so "Alice" signs in as "alice".
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkUsername(f errs.Fields, u string) {
	switch {
	case u == "":
		f.Add("username", "required")
	case len(u) < minUsername:
		f.Add("username", fmt.Sprintf("too short (%d to %d characters)", minUsername, maxUsername))
	case len(u) > maxUsername:
		f.Add("username", fmt.Sprintf("too long (%d to %d characters)", minUsername, maxUsername))
	default:
		for _, r := range u {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				f.Add("username", "limited to a-z, 0-9, _ . and -")
				return
			}
		}
	}
}

func checkPassword(f errs.Fields, field, p string) {
	n := utf8.RuneCountInString(p)
	switch {
	case p == "":
		f.Add(field, "required")
	case n < minPassword:
		f.Add(field, fmt.Sprintf("too short (%d to %d characters)", minPassword, maxPassword))
	case n > maxPassword:
		f.Add(field, fmt.Sprintf("too long (%d to %d characters)", minPassword, maxPassword))
	}
}

// cleanDisplayName trims and checks a display name.
func cleanDisplayName(f errs.Fields, s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		f.Add("display_name", "required")
	case utf8.RuneCountInString(s) > maxDisplayName:
		f.Add("display_name", fmt.Sprintf("too long (at most %d characters)", maxDisplayName))
	case strings.ContainsFunc(s, unicode.IsControl):
		f.Add("display_name", "not allowed to hold control characters")
	}
	return s
}

// cleanEmail trims and checks an email; empty means none.
func cleanEmail(f errs.Fields, s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > maxEmail {
		f.Add("email", "not an email address")
	}
	return &s
}

func checkRole(f errs.Fields, r Role) {
	if r != RoleAdmin && r != RoleMember {
		f.Add("role", "neither admin nor member")
	}
}

// validateNewUser checks a NewUser and fills in defaults.
func validateNewUser(in *NewUser) error {
	f := errs.Fields{}
	in.Username = NormalizeUsername(in.Username)
	checkUsername(f, in.Username)
	checkPassword(f, "password", in.Password)
	if in.DisplayName == nil || strings.TrimSpace(*in.DisplayName) == "" {
		in.DisplayName = &in.Username
	}
	name := cleanDisplayName(f, *in.DisplayName)
	in.DisplayName = &name
	if in.Email != nil {
		in.Email = cleanEmail(f, *in.Email)
	}
	if in.Role != nil {
		checkRole(f, *in.Role)
	}
	return f.Err()
}

const userColumns = `id, username, display_name, email, role, is_active, created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Role, &u.IsActive, db.ScanTime(&u.CreatedAt))
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func errNoUser() error { return errs.New(errs.NotFound, "no such user") }

func getUser(ctx context.Context, q db.Querier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoUser()
	}
	if err != nil {
		return nil, fmt.Errorf("auth: get user: %w", err)
	}
	return u, nil
}

// insertUser adds a user whose password is already hashed.
func insertUser(ctx context.Context, tx *db.Tx, in *NewUser, hash string, role Role, now time.Time) (*User, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO users (username, display_name, search, email, password_hash, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (username) DO NOTHING
		RETURNING id`,
		in.Username, *in.DisplayName, searchText(in.Username, *in.DisplayName), in.Email, hash, role, db.Time(now), db.Time(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.Conflict, "the username %q is taken", in.Username).With("username", "taken")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: insert user: %w", err)
	}
	return getUser(ctx, tx, id)
}

// hasUsers reports whether any user exists (the first one may always
// register and becomes admin).
func hasUsers(ctx context.Context, q db.Querier) (bool, error) {
	var any bool
	if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM users)").Scan(&any); err != nil {
		return false, fmt.Errorf("auth: count users: %w", err)
	}
	return any, nil
}

// Register creates an account and signs it in. The very first account may
// always register and becomes admin; afterwards only while
// auth.open_registration is on.
func (s *Service) Register(ctx context.Context, in NewUser, c Client) (*Tokens, error) {
	in.Role = nil // a registering user never picks a role
	if err := validateNewUser(&in); err != nil {
		return nil, err
	}
	// Refuse before spending a hash when registration is clearly closed.
	if !s.openReg {
		exists, err := hasUsers(ctx, s.db)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, errClosed()
		}
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var t *Tokens
	var dropped []int64
	err = s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		exists, err := hasUsers(ctx, tx)
		if err != nil {
			return err
		}
		if exists && !s.openReg {
			return errClosed()
		}
		role := RoleMember
		if !exists {
			role = RoleAdmin
		}
		u, err := insertUser(ctx, tx, &in, hash, role, now)
		if err != nil {
			return err
		}
		t, dropped, err = s.startSession(ctx, tx, u, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.revoked(Revocation{UserID: t.User.ID, SessionIDs: dropped})
	return t, nil
}

func errClosed() error {
	return errs.New(errs.Forbidden, "registration is closed; ask an admin for an account")
}

// Login checks a username and password and starts a session. An unknown
// user and a wrong password get the same 401 after the same work; an
// inactive user gets 403, but only with the right password.
func (s *Service) Login(ctx context.Context, username, password string, c Client) (*Tokens, error) {
	username = NormalizeUsername(username)
	var id int64
	var hash string
	var active bool
	if username != "" && len(username) <= maxUsername && len(password) <= 4*maxPassword {
		err := s.db.QueryRowContext(ctx, "SELECT id, password_hash, is_active FROM users WHERE username = ?", username).
			Scan(&id, &hash, &active)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("auth: login: %w", err)
		}
	}
	ok, rehash, err := s.hasher.Verify(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBadCredentials
	}
	if !active {
		return nil, errs.New(errs.Forbidden, "this account is deactivated")
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return nil, err
		}
	}
	var t *Tokens
	var dropped []int64
	err = s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		u, err := getUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if !u.IsActive { // deactivated since the check above
			return errs.New(errs.Forbidden, "this account is deactivated")
		}
		if newHash != "" {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", newHash, id); err != nil {
				return fmt.Errorf("auth: rehash: %w", err)
			}
		}
		t, dropped, err = s.startSession(ctx, tx, u, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.revoked(Revocation{UserID: id, SessionIDs: dropped})
	return t, nil
}

// ErrBadCredentials is Login's answer for an unknown user or a wrong
// password alike.
var ErrBadCredentials = errs.New(errs.Unauthorized, "the username or password is wrong")

// Me returns the caller's own user.
func (s *Service) Me(ctx context.Context, p *Principal) (*User, error) {
	return getUser(ctx, s.db, p.UserID)
}

// MePatch is what a user may change about themselves.
type MePatch struct {
	DisplayName opt.Field[string] `json:"display_name"`
	Email       opt.Field[string] `json:"email"`
}

// UpdateMe changes the caller's display name or email (null clears it).
func (s *Service) UpdateMe(ctx context.Context, p *Principal, in MePatch) (*User, error) {
	f := errs.Fields{}
	var name string
	if in.DisplayName.Set {
		name = cleanDisplayName(f, in.DisplayName.V)
	}
	var email *string
	if in.Email.Set && !in.Email.Null {
		email = cleanEmail(f, in.Email.V)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var u *User
	err := s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if in.DisplayName.Set {
			if err := setDisplayName(ctx, tx, p.UserID, name, now); err != nil {
				return fmt.Errorf("auth: update me: %w", err)
			}
		}
		if in.Email.Set {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET email = ?, updated_at = ? WHERE id = ?", email, db.Time(now), p.UserID); err != nil {
				return fmt.Errorf("auth: update me: %w", err)
			}
		}
		var err error
		u, err = getUser(ctx, tx, p.UserID)
		return err
	})
	return u, err
}

// ChangePassword checks the current password, sets a new one and revokes
// every other session of the caller.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	f := errs.Fields{}
	if current == "" {
		f.Add("current_password", "required")
	}
	checkPassword(f, "new_password", next)
	if err := f.Err(); err != nil {
		return err
	}
	var hash string
	if err := s.db.QueryRowContext(ctx, "SELECT password_hash FROM users WHERE id = ?", p.UserID).Scan(&hash); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	ok, _, err := s.hasher.Verify(ctx, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	newHash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	var ids []int64
	err = s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", newHash, db.Time(now), p.UserID); err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
		ids, err = revokeSessions(ctx, tx, now, "user_id = ? AND id != ?", p.UserID, p.SessionID)
		return err
	})
	if err != nil {
		return err
	}
	s.revoked(Revocation{UserID: p.UserID, SessionIDs: ids})
	return nil
}

// ErrWrongPassword answers a password change with a wrong current password.
var ErrWrongPassword = errs.New(errs.ValidationFailed, "current_password is wrong").With("current_password", "wrong")

// Directory lists users for assigning and adding members, ordered by
// username. q matches the start of a username or display name, or a word in
// the display name. Admins see every field and inactive users too.
func (s *Service) Directory(ctx context.Context, p *Principal, q string, pg page.Request) (any, error) {
	var after string
	if _, err := page.Decode(pg.Cursor, &after); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > 100 {
		return nil, errs.New(errs.BadRequest, "q is too long").With("q", "at most 100 characters")
	}
	like := escapeLike(strings.ToLower(q))
	rows, err := s.db.QueryContext(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE username > ?
		  AND (? OR is_active)
		  AND (? = '' OR search LIKE '% ' || ? || '%' ESCAPE '\')
		ORDER BY username
		LIMIT ?`,
		after, p.IsAdmin(), like, like, pg.Limit+1)
	if err != nil {
		return nil, fmt.Errorf("auth: directory: %w", err)
	}
	defer rows.Close()
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: directory: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: directory: %w", err)
	}
	key := func(u *User) string { return page.Encode(u.Username) }
	if p.IsAdmin() {
		return page.Trim(users, pg.Limit, key), nil
	}
	entries := make([]DirectoryEntry, len(users))
	for i, u := range users {
		entries[i] = DirectoryEntry{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName}
	}
	return page.Trim(entries, pg.Limit, func(e DirectoryEntry) string { return page.Encode(e.Username) }), nil
}

// searchText is what the directory matches q against: the starts of the
// username and of every word of the display name, lowercased with Unicode
// rules.
func searchText(username, displayName string) string {
	return " " + strings.ToLower(username) + " " + searchWords(displayName)
}

func searchWords(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

func setDisplayName(ctx context.Context, tx *db.Tx, id int64, name string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE users SET display_name = ?, search = ' ' || username || ' ' || ?, updated_at = ? WHERE id = ?`,
		name, searchWords(name), db.Time(now), id)
	if err != nil {
		return fmt.Errorf("auth: set display name: %w", err)
	}
	return nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func requireAdmin(p *Principal) error {
	if p != nil && !p.IsAdmin() {
		return errs.New(errs.Forbidden, "only an admin may manage users")
	}
	return nil
}

// CreateUser is an admin creating an account (actor nil: the tack user
// command, which works on the database directly).
func (s *Service) CreateUser(ctx context.Context, actor *Principal, in NewUser) (*User, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	if err := validateNewUser(&in); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	role := RoleMember
	if in.Role != nil {
		role = *in.Role
	}
	var u *User
	err = s.db.WriteTx(ctx, func(tx *db.Tx) error {
		exists, err := hasUsers(ctx, tx)
		if err != nil {
			return err
		}
		if !exists {
			role = RoleAdmin // the first account is always an admin
		}
		u, err = insertUser(ctx, tx, &in, hash, role, s.now())
		return err
	})
	return u, err
}

// UserPatch is what an admin may change about a user.
type UserPatch struct {
	Role        opt.Field[Role]   `json:"role"`
	IsActive    opt.Field[bool]   `json:"is_active"`
	DisplayName opt.Field[string] `json:"display_name"`
}

// UpdateUser changes a user's role, active flag or display name (actor nil:
// the tack user command). Deactivating revokes every session of the user.
// The last active admin can be neither demoted nor deactivated.
func (s *Service) UpdateUser(ctx context.Context, actor *Principal, id int64, in UserPatch) (*User, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	f := errs.Fields{}
	if in.Role.Set {
		if in.Role.Null {
			f.Add("role", "neither admin nor member")
		} else {
			checkRole(f, in.Role.V)
		}
	}
	if in.IsActive.Set && in.IsActive.Null {
		f.Add("is_active", "neither true nor false")
	}
	var name string
	if in.DisplayName.Set {
		name = cleanDisplayName(f, in.DisplayName.V)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var u *User
	var ids []int64
	err := s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		cur, err := getUser(ctx, tx, id)
		if err != nil {
			return err
		}
		demote := in.Role.Set && in.Role.V != RoleAdmin
		deactivate := in.IsActive.Set && !in.IsActive.V
		if cur.Role == RoleAdmin && cur.IsActive && (demote || deactivate) {
			var others int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND is_active AND id != ?", id).Scan(&others); err != nil {
				return fmt.Errorf("auth: count admins: %w", err)
			}
			if others == 0 {
				return errs.New(errs.Conflict, "the last active admin can be neither demoted nor deactivated")
			}
		}
		set := func(col string, v any) error {
			_, err := tx.ExecContext(ctx, "UPDATE users SET "+col+" = ?, updated_at = ? WHERE id = ?", v, db.Time(now), id)
			return err
		}
		if in.Role.Set {
			if err := set("role", in.Role.V); err != nil {
				return fmt.Errorf("auth: update user: %w", err)
			}
		}
		if in.IsActive.Set {
			if err := set("is_active", in.IsActive.V); err != nil {
				return fmt.Errorf("auth: update user: %w", err)
			}
		}
		if in.DisplayName.Set {
			if err := setDisplayName(ctx, tx, id, name, now); err != nil {
				return fmt.Errorf("auth: update user: %w", err)
			}
		}
		if deactivate {
			if ids, err = revokeSessions(ctx, tx, now, "user_id = ?", id); err != nil {
				return err
			}
		}
		u, err = getUser(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.revoked(Revocation{UserID: id, SessionIDs: ids, Deactivated: in.IsActive.Set && !in.IsActive.V})
	return u, nil
}

// UserByName finds a user by username (for the command line).
func (s *Service) UserByName(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE username = ?", NormalizeUsername(username)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoUser()
	}
	if err != nil {
		return nil, fmt.Errorf("auth: find user: %w", err)
	}
	return u, nil
}

// AllUsers lists every user by username (for the command line).
func (s *Service) AllUsers(ctx context.Context) ([]*User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword sets a user's password (for the command line) and revokes
// every session of theirs: a reset password signs out everywhere.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	f := errs.Fields{}
	checkPassword(f, "password", password)
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	var ids []int64
	err = s.db.WriteTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, db.Time(now), id)
		if err != nil {
			return fmt.Errorf("auth: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoUser()
		}
		ids, err = revokeSessions(ctx, tx, now, "user_id = ?", id)
		return err
	})
	if err != nil {
		return err
	}
	s.revoked(Revocation{UserID: id, SessionIDs: ids})
	return nil
}
