package board

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"tack/app/errs"
	"tack/db"
)

// Task order within a column is an integer rank: spaced by rankGap when
// appended, halved between neighbours when a task goes between two others.
// When two neighbours' ranks meet (or the top would pass maxRank), the column
// is renumbered in the same transaction. So ranks never collide (a UNIQUE
// constraint holds them to it) and never run out of precision, however
// many moves happen. The API shows a task's index in its column, which a
// renumbering does not change.
const (
	rankGap int64 = 1 << 20
	// maxRank keeps ranks below 2^62, so that a renumbering can first lift
	// every rank of the column above 2^62 and then write the new ones
	// without ever colliding on the UNIQUE constraint.
	maxRank  int64 = 1 << 62
	liftRank int64 = 1 << 62
)

// rankBetween picks a rank strictly between lo and hi, where 0 means "no
// neighbour on that side". ok is false when there is no room.
func rankBetween(lo, hi int64) (int64, bool) {
	switch {
	case lo == 0 && hi == 0:
		return rankGap, true
	case hi == 0:
		r := lo + rankGap
		return r, r < maxRank
	case lo == 0:
		if hi > rankGap {
			return hi - rankGap, true
		}
		r := hi / 2
		return r, r > 0
	}
	r := lo + (hi-lo)/2
	return r, r > lo && r < hi
}

// renumber respaces the ranks of a column's tasks by rankGap, keeping their
// order.
func renumber(ctx context.Context, t *txn, columnID int64) error {
	if _, err := t.ExecContext(ctx, "UPDATE tasks SET rank = rank + ? WHERE column_id = ?", liftRank, columnID); err != nil {
		return fmt.Errorf("board: renumber: %w", err)
	}
	if _, err := t.ExecContext(ctx, `
		UPDATE tasks SET rank = r.n * ?
		FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank) AS n FROM tasks WHERE column_id = ?) AS r
		WHERE tasks.id = r.id`, rankGap, columnID); err != nil {
		return fmt.Errorf("board: renumber: %w", err)
	}
	return nil
}

func rankOf(ctx context.Context, t *txn, taskID, columnID int64, field string) (int64, error) {
	var r int64
	err := t.QueryRowContext(ctx, "SELECT rank FROM tasks WHERE id = ? AND column_id = ?", taskID, columnID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.New(errs.ValidationFailed, "%s is not a task in column_id", field).With(field, "not a task in column_id")
	}
	if err != nil {
		return 0, fmt.Errorf("board: rank: %w", err)
	}
	return r, nil
}

// neighbourRank is the rank next to rank in the column on one side
// (above: the largest smaller rank; below: the smallest larger one), not
// counting the task being placed; 0 when there is none.
func neighbourRank(ctx context.Context, t *txn, columnID, exclude, rank int64, above bool) (int64, error) {
	q := "SELECT COALESCE(MIN(rank), 0) FROM tasks WHERE column_id = ? AND id != ? AND rank > ?"
	if above {
		q = "SELECT COALESCE(MAX(rank), 0) FROM tasks WHERE column_id = ? AND id != ? AND rank < ?"
	}
	var r int64
	if err := t.QueryRowContext(ctx, q, columnID, exclude, rank).Scan(&r); err != nil {
		return 0, fmt.Errorf("board: neighbour: %w", err)
	}
	return r, nil
}

// slot finds the ranks the task will sit between in the column.
func slot(ctx context.Context, t *txn, taskID, columnID int64, beforeID, afterID *int64) (lo, hi int64, err error) {
	for _, id := range []*int64{beforeID, afterID} {
		if id != nil && *id == taskID {
			return 0, 0, errs.New(errs.ValidationFailed, "a task cannot be placed next to itself").With("before_id", "the task itself")
		}
	}
	switch {
	case beforeID != nil && afterID != nil:
		if hi, err = rankOf(ctx, t, *beforeID, columnID, "before_id"); err != nil {
			return 0, 0, err
		}
		if lo, err = rankOf(ctx, t, *afterID, columnID, "after_id"); err != nil {
			return 0, 0, err
		}
		next, err := neighbourRank(ctx, t, columnID, taskID, lo, false)
		if err != nil {
			return 0, 0, err
		}
		if lo >= hi || next != hi {
			return 0, 0, errs.New(errs.ValidationFailed, "after_id and before_id are not neighbours").
				With("before_id", "not directly below after_id")
		}
		return lo, hi, nil
	case beforeID != nil:
		if hi, err = rankOf(ctx, t, *beforeID, columnID, "before_id"); err != nil {
			return 0, 0, err
		}
		lo, err = neighbourRank(ctx, t, columnID, taskID, hi, true)
		return lo, hi, err
	case afterID != nil:
		if lo, err = rankOf(ctx, t, *afterID, columnID, "after_id"); err != nil {
			return 0, 0, err
		}
		hi, err = neighbourRank(ctx, t, columnID, taskID, lo, false)
		return lo, hi, err
	}
	// Neither: the bottom of the column.
	err = t.QueryRowContext(ctx, "SELECT COALESCE(MAX(rank), 0) FROM tasks WHERE column_id = ? AND id != ?", columnID, taskID).Scan(&lo)
	if err != nil {
		return 0, 0, fmt.Errorf("board: bottom: %w", err)
	}
	return lo, 0, nil
}

// place returns the rank that puts the task (taskID 0 for a new one) where
// asked in the column, renumbering the column first if there is no room.
func place(ctx context.Context, t *txn, taskID, columnID int64, beforeID, afterID *int64) (int64, error) {
	for range 2 {
		lo, hi, err := slot(ctx, t, taskID, columnID, beforeID, afterID)
		if err != nil {
			return 0, err
		}
		if r, ok := rankBetween(lo, hi); ok {
			return r, nil
		}
		if err := renumber(ctx, t, columnID); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("board: no room after renumbering")
}

// moveAllTasks moves every task of one column to the bottom of another,
// keeping their order.
func moveAllTasks(ctx context.Context, t *txn, from, to int64) error {
	var n, top int64
	if err := t.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM tasks WHERE column_id = ?), (SELECT COALESCE(MAX(rank), 0) FROM tasks WHERE column_id = ?)`,
		from, to).Scan(&n, &top); err != nil {
		return fmt.Errorf("board: move tasks: %w", err)
	}
	if top+(n+1)*rankGap >= maxRank {
		if err := renumber(ctx, t, to); err != nil {
			return err
		}
		if err := t.QueryRowContext(ctx, "SELECT COALESCE(MAX(rank), 0) FROM tasks WHERE column_id = ?", to).Scan(&top); err != nil {
			return fmt.Errorf("board: move tasks: %w", err)
		}
	}
	now := t.now
	if _, err := t.ExecContext(ctx, `
		UPDATE tasks SET column_id = ?, rank = ? + r.n * ?, version = version + 1, updated_at = ?
		FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank) AS n FROM tasks WHERE column_id = ?) AS r
		WHERE tasks.id = r.id`, to, top, rankGap, db.Time(now), from); err != nil {
		return fmt.Errorf("board: move tasks: %w", err)
	}
	return nil
}
