package board

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"tack/app/errs"
	"tack/app/page"
	"tack/db"
)

// Member is the SPEC's member shape.
type Member struct {
	UserID      int64  `json:"user_id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
}

const memberSelect = `
	SELECT m.user_id, u.username, u.display_name, m.role
	FROM project_members m JOIN users u ON u.id = m.user_id`

func scanMember(r scanner) (*Member, error) {
	var m Member
	err := r.Scan(&m.UserID, &m.Username, &m.DisplayName, &m.Role)
	return &m, err
}

func getMember(ctx context.Context, q db.Querier, projectID, userID int64) (*Member, error) {
	return getOne(ctx, q, scanMember, "member", memberSelect+" WHERE m.project_id = ? AND m.user_id = ?", projectID, userID)
}

// Members lists a project's members by username. Any member may read it.
func (s *Service) Members(ctx context.Context, userID, projectID int64, pg page.Request) (page.List[*Member], error) {
	var after string
	if _, err := page.Decode(pg.Cursor, &after); err != nil {
		return page.List[*Member]{}, err
	}
	return listInProject(ctx, s, userID, projectID, pg, scanMember,
		memberSelect+" WHERE m.project_id = ? AND u.username > ? ORDER BY u.username LIMIT ?",
		[]any{after}, func(m *Member) string { return page.Encode(m.Username) })
}

// NewMember is a user to add to a project.
type NewMember struct {
	UserID int64 `json:"user_id"`
	Role   Role  `json:"role"`
}

// AddMember adds an active user to a project (owners only).
func (s *Service) AddMember(ctx context.Context, userID, projectID int64, in NewMember) (*Member, error) {
	f := errs.Fields{}
	if in.UserID <= 0 {
		f.Add("user_id", "required")
	}
	if !in.Role.valid() {
		f.Add("role", "not owner, editor or viewer")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var m *Member
	err := s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, projectID, RoleOwner, "project"); err != nil {
			return err
		}
		var active bool
		err := t.QueryRowContext(ctx, "SELECT is_active FROM users WHERE id = ?", in.UserID).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
			return errs.New(errs.ValidationFailed, "user_id is not an active user").With("user_id", "not an active user")
		}
		if err != nil {
			return fmt.Errorf("board: add member: %w", err)
		}
		res, err := t.ExecContext(ctx, `
			INSERT INTO project_members (project_id, user_id, role, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, projectID, in.UserID, in.Role, db.Time(t.now))
		if err != nil {
			return fmt.Errorf("board: add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, "the user is already a member").With("user_id", "already a member")
		}
		if m, err = getMember(ctx, t, projectID, in.UserID); err != nil {
			return err
		}
		return t.emit(projectID, nil, "member.added", m)
	})
	return m, err
}

// ownerCount counts a project's owners.
func ownerCount(ctx context.Context, q db.Querier, projectID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM project_members WHERE project_id = ? AND role = 'owner'", projectID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("board: count owners: %w", err)
	}
	return n, nil
}

var errLastOwner = errs.New(errs.Conflict, "the last owner can neither leave nor be demoted; make someone else an owner first")

// UpdateMember changes a member's role (owners only). The last owner cannot
// be demoted.
func (s *Service) UpdateMember(ctx context.Context, userID, projectID, memberID int64, role Role) (*Member, error) {
	if !role.valid() {
		return nil, errs.New(errs.ValidationFailed, "role is not owner, editor or viewer").With("role", "not owner, editor or viewer")
	}
	var m *Member
	err := s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, projectID, RoleOwner, "project"); err != nil {
			return err
		}
		cur, err := getMember(ctx, t, projectID, memberID)
		if err != nil {
			return err
		}
		if cur.Role == RoleOwner && role != RoleOwner {
			n, err := ownerCount(ctx, t, projectID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastOwner
			}
		}
		if _, err := t.ExecContext(ctx, "UPDATE project_members SET role = ? WHERE project_id = ? AND user_id = ?", role, projectID, memberID); err != nil {
			return fmt.Errorf("board: update member: %w", err)
		}
		if m, err = getMember(ctx, t, projectID, memberID); err != nil {
			return err
		}
		return t.emit(projectID, nil, "member.updated", m)
	})
	return m, err
}

// RemoveMember takes a member out of a project: an owner may remove anyone,
// any member may leave. The last owner can do neither. The member's task
// assignments in the project go with them.
func (s *Service) RemoveMember(ctx context.Context, userID, projectID, memberID int64) error {
	return s.write(ctx, userID, func(t *txn) error {
		min := RoleOwner
		if memberID == userID {
			min = RoleViewer
		}
		if _, err := access(ctx, t, userID, projectID, min, "project"); err != nil {
			return err
		}
		cur, err := getMember(ctx, t, projectID, memberID)
		if err != nil {
			return err
		}
		if cur.Role == RoleOwner {
			n, err := ownerCount(ctx, t, projectID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastOwner
			}
		}
		if _, err := t.ExecContext(ctx, "DELETE FROM project_members WHERE project_id = ? AND user_id = ?", projectID, memberID); err != nil {
			return fmt.Errorf("board: remove member: %w", err)
		}
		// Their assignments go; the tasks changed, so their versions move.
		if _, err := t.ExecContext(ctx, `
			UPDATE tasks SET version = version + 1, updated_at = ?
			WHERE project_id = ? AND id IN (SELECT task_id FROM task_assignees WHERE user_id = ?)`,
			db.Time(t.now), projectID, memberID); err != nil {
			return fmt.Errorf("board: remove member: %w", err)
		}
		if _, err := t.ExecContext(ctx, `
			DELETE FROM task_assignees WHERE user_id = ? AND task_id IN (SELECT id FROM tasks WHERE project_id = ?)`,
			memberID, projectID); err != nil {
			return fmt.Errorf("board: remove member: %w", err)
		}
		return t.emit(projectID, nil, "member.removed", map[string]int64{"user_id": memberID, "project_id": projectID})
	})
}
