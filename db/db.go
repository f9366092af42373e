// Package db owns Tack's one SQLite file: opening it with the right pragmas,
// the single writer connection and the read-only pool, transactions,
// migrations, online backups and a clean close.
//
// The handle is opened once in main and passed down explicitly. Writes go
// through exactly one connection whose transactions start with
// BEGIN IMMEDIATE, so concurrent writers queue inside database/sql instead of
// failing with SQLITE_BUSY; reads go through a separate pool of query-only
// connections that keep answering while a write transaction is open (WAL).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options configures Open.
type Options struct {
	// Path is the SQLite file. Its folder is created with mode 0700 and the
	// file with mode 0600 when they do not exist.
	Path string
	// Synchronous is "normal" (the default) or "full" (survives power loss,
	// at the cost of an fsync per commit).
	Synchronous string
	// SlowQuery is the duration above which a statement is logged; 0 turns
	// the slow-query log off.
	SlowQuery time.Duration
	// ReadConns is the size of the read-only pool; 0 picks a default.
	ReadConns int
	// MustExist refuses to create a new database file (used by commands such
	// as backup that only make sense on an existing database).
	MustExist bool
	// ReadOnly is for commands that only read beside a running server
	// (backup, migrate status): WriteTx is refused and Close leaves the file
	// alone, skipping the optimize and checkpoint that would contend with
	// the server's writer.
	ReadOnly bool
	// Logger receives slow-query and close messages; nil discards them.
	Logger *slog.Logger
}

// DB is the process-wide database handle.
type DB struct {
	path     string
	sync     string
	readOnly bool
	write    *sql.DB
	read     *sql.DB
	// writeTurn is held from a write transaction's BEGIN until its
	// after-commit hooks have run, so that what one commit publishes is
	// handed on before the next commit can happen: subscribers see events
	// in commit order. There is one writer connection anyway, so it costs
	// no concurrency; unlike a mutex, waiting for it honours the context.
	writeTurn chan struct{}
	slow      time.Duration
	logger    *slog.Logger

	// Prepared statements of each pool.
	readStmts, writeStmts *stmtCache

	closeOnce sync.Once
	closeErr  error
}

// ErrNotDatabase is returned by Open when the file exists but is not a SQLite
// database.
var ErrNotDatabase = errors.New("not a SQLite database")

// Open opens (creating if needed) the database at opts.Path and checks that it
// is a usable SQLite file. It does not apply migrations: see Migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Path == "" {
		return nil, errors.New("db: empty path")
	}
	syncMode := strings.ToLower(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "normal"
	case "normal", "full":
	default:
		return nil, fmt.Errorf("db: synchronous must be normal or full, not %q", opts.Synchronous)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := prepareFile(opts.Path, opts.MustExist); err != nil {
		return nil, err
	}

	d := &DB{
		path:      opts.Path,
		sync:      syncMode,
		readOnly:  opts.ReadOnly,
		slow:      opts.SlowQuery,
		logger:    opts.Logger,
		writeTurn: make(chan struct{}, 1),
	}

	var err error
	d.write, err = sql.Open("sqlite", dsn(opts.Path, syncMode, roleWriter))
	if err != nil {
		return nil, fmt.Errorf("db: open writer: %w", err)
	}
	// One writer connection: writers queue here, in Go, not in SQLITE_BUSY
	// retries. It is never closed for idleness, so its page cache stays warm.
	d.writeStmts = newStmtCache(d.write)
	d.write.SetMaxOpenConns(1)
	d.write.SetMaxIdleConns(1)
	d.write.SetConnMaxLifetime(0)
	d.write.SetConnMaxIdleTime(0)

	if err := d.check(ctx); err != nil {
		d.write.Close()
		return nil, err
	}

	d.read, err = sql.Open("sqlite", dsn(opts.Path, syncMode, roleReader))
	if err != nil {
		d.write.Close()
		return nil, fmt.Errorf("db: open readers: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	d.readStmts = newStmtCache(d.read)
	d.read.SetMaxOpenConns(n)
	d.read.SetMaxIdleConns(n)
	d.read.SetConnMaxLifetime(0)
	d.read.SetConnMaxIdleTime(0)
	if err := d.read.PingContext(ctx); err != nil {
		d.read.Close()
		d.write.Close()
		return nil, fmt.Errorf("db: open readers: %w", err)
	}
	return d, nil
}

// prepareFile creates the folder (0700) and an empty file (0600) so that
// SQLite, which would otherwise use the process umask, never makes them
// readable by other users. SQLite gives the -wal and -shm files the mode of
// the database file.
func prepareFile(path string, mustExist bool) error {
	if mustExist {
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("db: %w", err)
		}
		if st.IsDir() {
			return fmt.Errorf("db: %s is a folder, not a database file", path)
		}
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("db: create folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("db: open %s: %w", path, err)
	}
	return f.Close()
}

// role says what a connection is for.
type role int

const (
	roleWriter role = iota // the one writer: BEGIN IMMEDIATE
	roleReader             // the read pool: query-only, memory-mapped
	roleBackup             // a one-off connection for VACUUM INTO
)

// dsn builds the connection string. Pragmas live in the DSN so that every
// connection the pools ever open gets them, not just the first one.
func dsn(path, synchronous string, r role) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+strings.ToUpper(synchronous)+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-32000)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	switch r {
	case roleReader:
		q.Add("_pragma", "query_only(1)")
		// Measured: mmap more than doubles list queries while a writer
		// commits, where a bigger page cache does not.
		q.Add("_pragma", "mmap_size(268435456)")
	case roleWriter:
		q.Add("_txlock", "immediate")
	}
	// SQLite reads this as a URI filename: escape what would end the path.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + q.Encode()
}

// check makes the writer connection read the file, which fails early and
// clearly when the file is not a database or the folder is read-only.
func (d *DB) check(ctx context.Context) error {
	var n int
	err := d.write.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "file is not a database"), strings.Contains(msg, "SQLITE_NOTADB"):
			return fmt.Errorf("db: %s: %w", d.path, ErrNotDatabase)
		case strings.Contains(msg, "readonly"), strings.Contains(msg, "unable to open"), strings.Contains(msg, "CANTOPEN"):
			return fmt.Errorf("db: %s cannot be opened for writing (is its folder read-only?): %w", d.path, err)
		}
		return fmt.Errorf("db: open %s: %w", d.path, err)
	}
	var mode string
	if err := d.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("db: read journal mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("db: %s: journal mode is %q, not wal (is its folder writable?)", d.path, mode)
	}
	return nil
}

// Path is the database file's path.
func (d *DB) Path() string { return d.path }

// Writer is the single writer connection pool, for tools such as the
// migration runner that need a *sql.DB. Application code uses WriteTx.
func (d *DB) Writer() *sql.DB { return d.write }

// Reader is the read-only pool, for stats collectors. Application code uses
// ReadTx or the query methods of DB.
func (d *DB) Reader() *sql.DB { return d.read }

// Close optimizes, checkpoints and truncates the WAL, then closes both pools.
// It is safe to call more than once.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		d.readStmts.close()
		d.writeStmts.close()
		// Readers go first so that the checkpoint can truncate the WAL.
		if err := d.read.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close readers: %w", err))
		}
		if !d.readOnly {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := d.write.ExecContext(ctx, "PRAGMA optimize"); err != nil {
				errs = append(errs, fmt.Errorf("optimize: %w", err))
			}
			if _, err := d.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				errs = append(errs, fmt.Errorf("checkpoint: %w", err))
			}
		}
		if err := d.write.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close writer: %w", err))
		}
		d.closeErr = errors.Join(errs...)
		if d.closeErr != nil {
			d.logger.Error("database close", "err", d.closeErr)
		}
	})
	return d.closeErr
}
