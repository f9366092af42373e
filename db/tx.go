package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Querier is what read helpers need: satisfied by *Tx and by *DB (whose
// query methods run on the read pool).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a transaction whose statements are timed for the slow-query log.
// Write helpers take a *Tx; read helpers take a Querier.
type Tx struct {
	tx          *sql.Tx
	db          *DB
	afterCommit []func()
}

// AfterCommit registers fn to run once the transaction has committed (never
// if it rolls back). For a write transaction, hooks run before the next write
// transaction can begin, so hooks of successive commits run in commit order.
// A hook must be quick and must not block: it typically hands events to
// subscribers.
func (t *Tx) AfterCommit(fn func()) { t.afterCommit = append(t.afterCommit, fn) }

// ExecContext runs a statement that returns no rows.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	res, err := t.tx.ExecContext(ctx, query, args...)
	t.db.observe(ctx, query, start)
	return res, err
}

// QueryContext runs a query; the time to its first row is what is timed.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := t.tx.QueryContext(ctx, query, args...)
	t.db.observe(ctx, query, start)
	return rows, err
}

// QueryRowContext runs a query expected to return at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	row := t.tx.QueryRowContext(ctx, query, args...)
	t.db.observe(ctx, query, start)
	return row
}

// WriteTx runs fn in a write transaction on the single writer connection
// (BEGIN IMMEDIATE) and commits when fn returns nil. Callers queue for the
// connection in Go, so concurrent writers never see SQLITE_BUSY from each
// other. If ctx is cancelled before the commit, the transaction rolls back
// and nothing is changed.
func (d *DB) WriteTx(ctx context.Context, fn func(*Tx) error) error {
	if d.readOnly {
		return errors.New("db: write on a read-only handle")
	}
	select {
	case d.writeTurn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("db: begin: %w", ctx.Err())
	}
	defer func() { <-d.writeTurn }()
	return d.runTx(ctx, d.write, nil, fn)
}

// ReadTx runs fn in a read transaction on the read pool: every statement in
// fn sees the same snapshot, and writers are never blocked by it.
func (d *DB) ReadTx(ctx context.Context, fn func(*Tx) error) error {
	return d.runTx(ctx, d.read, &sql.TxOptions{ReadOnly: true}, fn)
}

func (d *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(*Tx) error) (err error) {
	start := time.Now()
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	t := &Tx{tx: tx, db: d}
	if err := fn(t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	d.observe(ctx, "transaction", start)
	for _, hook := range t.afterCommit {
		hook()
	}
	return nil
}

// QueryContext runs a query on the read pool through a cached prepared
// statement.
func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := d.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rows, err := stmt.QueryContext(ctx, args...)
	d.observe(ctx, query, start)
	return rows, err
}

// QueryRowContext runs a single-row query on the read pool through a cached
// prepared statement. A failure to prepare surfaces from Scan.
func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := d.stmt(ctx, query)
	if err != nil {
		// database/sql offers no way to build a *sql.Row holding an error;
		// run the query unprepared so the error reaches Scan.
		return d.read.QueryRowContext(ctx, query, args...)
	}
	start := time.Now()
	row := stmt.QueryRowContext(ctx, args...)
	d.observe(ctx, query, start)
	return row
}

func (d *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	d.stmtMu.Lock()
	s, ok := d.stmts[query]
	closed := d.stmts == nil
	d.stmtMu.Unlock()
	if ok {
		return s, nil
	}
	if closed {
		return nil, fmt.Errorf("db: closed")
	}
	// Prepared outside the lock: preparing may wait for a pooled connection.
	s, err := d.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("db: prepare: %w", err)
	}
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	if d.stmts == nil {
		s.Close()
		return nil, fmt.Errorf("db: closed")
	}
	if prev, ok := d.stmts[query]; ok {
		s.Close()
		return prev, nil
	}
	d.stmts[query] = s
	return s, nil
}

// observe logs a statement that took longer than the slow-query threshold.
func (d *DB) observe(ctx context.Context, query string, start time.Time) {
	if d.slow <= 0 {
		return
	}
	if took := time.Since(start); took >= d.slow {
		d.logger.WarnContext(ctx, "slow query", "query", query, "took", took)
	}
}
