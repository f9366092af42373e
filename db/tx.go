package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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
	stmts       *stmtCache // of the pool the transaction runs on
	misses      []string   // queries to prepare once the transaction is over
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
	var res sql.Result
	var err error
	if st := t.prepared(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, query, args...)
	}
	t.db.observe(ctx, query, start)
	return res, err
}

// QueryContext runs a query; the time to its first row is what is timed.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	var rows *sql.Rows
	var err error
	if st := t.prepared(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, query, args...)
	}
	t.db.observe(ctx, query, start)
	return rows, err
}

// QueryRowContext runs a query expected to return at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	var row *sql.Row
	if st := t.prepared(ctx, query); st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = t.tx.QueryRowContext(ctx, query, args...)
	}
	t.db.observe(ctx, query, start)
	return row
}

// prepared returns query as a statement of this transaction when it has been
// prepared before (SQLite's prepare costs as much as running a simple
// statement). Otherwise it returns nil, the caller runs the text, and the
// query is prepared once the transaction is over: preparing now would need
// a second connection from the pool, which for the one writer connection
// would wait forever.
func (t *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	s, ok := t.stmts.lookup(query)
	if !ok {
		t.misses = append(t.misses, query)
		return nil
	}
	return t.tx.StmtContext(ctx, s)
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
	return d.runTx(ctx, d.write, d.writeStmts, nil, fn)
}

// ReadTx runs fn in a read transaction on the read pool: every statement in
// fn sees the same snapshot, and writers are never blocked by it.
func (d *DB) ReadTx(ctx context.Context, fn func(*Tx) error) error {
	return d.runTx(ctx, d.read, d.readStmts, &sql.TxOptions{ReadOnly: true}, fn)
}

func (d *DB) runTx(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(*Tx) error) (err error) {
	start := time.Now()
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	t := &Tx{tx: tx, db: d, stmts: stmts}
	defer func() {
		p := recover()
		if p != nil || err != nil {
			tx.Rollback()
		}
		// The connection is back in its pool by now (for the writer, still
		// ours: WriteTx holds the write turn), so preparing cannot wait on
		// this transaction.
		for _, q := range t.misses {
			pctx, cancel := context.WithTimeout(context.Background(), time.Second)
			stmts.get(pctx, q)
			cancel()
		}
		if p != nil {
			panic(p)
		}
	}()
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
	stmt, err := d.readStmts.get(ctx, query)
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
	stmt, err := d.readStmts.get(ctx, query)
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

// stmtCache holds prepared statements of one pool, keyed by their SQL
// text. Queries are constant strings (or built from a fixed set of
// fragments) in the code, so the set is bounded.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt // nil once closed
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: make(map[string]*sql.Stmt)}
}

// lookup returns the statement for query if it was prepared already.
func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	return s, ok
}

// get returns the statement for query, preparing it on the pool if needed.
// It must not be called while holding a connection of the same pool.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s, ok := c.m[query]
	closed := c.m == nil
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	if closed {
		return nil, fmt.Errorf("db: closed")
	}
	// Prepared outside the lock: preparing may wait for a pooled connection.
	s, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("db: prepare: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		s.Close()
		return nil, fmt.Errorf("db: closed")
	}
	if prev, ok := c.m[query]; ok {
		s.Close()
		return prev, nil
	}
	c.m[query] = s
	return s, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
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
