package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tack/migrations"
)

// mustOpen opens a migrated database in a fresh temp dir and closes it when
// the test ends.
func mustOpen(tb testing.TB, opts Options) *DB {
	tb.Helper()
	if opts.Path == "" {
		opts.Path = filepath.Join(tb.TempDir(), "data", "tack.db")
	}
	ctx := context.Background()
	d, err := Open(ctx, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := d.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE items (id INTEGER PRIMARY KEY, owner INTEGER, n INTEGER, body TEXT)`)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return d
}

func insertItem(ctx context.Context, d *DB, owner, n int) error {
	return d.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO items (owner, n, body) VALUES (?, ?, ?)", owner, n, "x")
		return err
	})
}

func countItems(t *testing.T, q Querier) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), "SELECT count(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentWritersNeverBusy(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx := context.Background()
	const writers, each = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// A read inside the write transaction, then a write: the
				// pattern that fails with SQLITE_BUSY on deferred
				// transactions across connections.
				err := d.WriteTx(ctx, func(tx *Tx) error {
					var max int
					if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(n), 0) FROM items WHERE owner = ?", w).Scan(&max); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, "INSERT INTO items (owner, n, body) VALUES (?, ?, ?)", w, max+1, fmt.Sprint(i))
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write failed: %v", err)
	}
	if got, want := countItems(t, d), writers*each; got != want {
		t.Errorf("rows = %d, want %d", got, want)
	}
	// Each writer's n ran 1..each without gaps or repeats: no lost update.
	rows, err := d.QueryContext(ctx, "SELECT owner, COUNT(DISTINCT n), MAX(n) FROM items GROUP BY owner")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var owner, distinct, max int
		if err := rows.Scan(&owner, &distinct, &max); err != nil {
			t.Fatal(err)
		}
		if distinct != each || max != each {
			t.Errorf("writer %d: %d distinct n, max %d; want %d and %d", owner, distinct, max, each, each)
		}
	}
}

func TestReadersAnswerDuringLongWrite(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx := context.Background()
	for i := range 10 {
		if err := insertItem(ctx, d, 1, i); err != nil {
			t.Fatal(err)
		}
	}
	inTx := make(chan struct{})
	release := make(chan struct{})
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- d.WriteTx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO items (owner, n, body) VALUES (2, 0, 'uncommitted')"); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	// While the writer holds its transaction open, several concurrent readers
	// answer, and none sees the uncommitted row.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var n int
			if err := d.QueryRowContext(rctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
				t.Errorf("read during write: %v", err)
				return
			}
			if n != 10 {
				t.Errorf("reader saw %d rows during the write, want 10", n)
			}
			err := d.ReadTx(rctx, func(tx *Tx) error {
				return tx.QueryRowContext(rctx, "SELECT count(*) FROM items WHERE owner = 2").Scan(&n)
			})
			if err != nil || n != 0 {
				t.Errorf("ReadTx during write: n=%d err=%v", n, err)
			}
		})
	}
	wg.Wait()
	close(release)
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	if got := countItems(t, d); got != 11 {
		t.Errorf("after commit: %d rows, want 11", got)
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	for _, sync := range []struct {
		name string
		want int
	}{{"normal", 1}, {"full", 2}} {
		t.Run(sync.name, func(t *testing.T) {
			d := mustOpen(t, Options{Synchronous: sync.name, ReadConns: 4})
			ctx := context.Background()
			type want struct {
				pragma string
				value  string
			}
			common := []want{
				{"journal_mode", "wal"},
				{"foreign_keys", "1"},
				{"busy_timeout", "5000"},
				{"synchronous", fmt.Sprint(sync.want)},
				{"temp_store", "2"},
			}
			// Hold every read connection at once so that each pooled
			// connection is checked, not the same one four times.
			var conns []*sql.Conn
			for range 4 {
				c, err := d.Reader().Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for i, c := range conns {
				for _, w := range append(common, want{"query_only", "1"}, want{"mmap_size", "268435456"}) {
					var got string
					if err := c.QueryRowContext(ctx, "PRAGMA "+w.pragma).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != w.value {
						t.Errorf("reader %d: %s = %s, want %s", i, w.pragma, got, w.value)
					}
				}
			}
			for _, c := range conns {
				c.Close()
			}
			err := d.WriteTx(ctx, func(tx *Tx) error {
				for _, w := range append(common, want{"query_only", "0"}) {
					var got string
					if err := tx.QueryRowContext(ctx, "PRAGMA "+w.pragma).Scan(&got); err != nil {
						return err
					}
					if got != w.value {
						t.Errorf("writer: %s = %s, want %s", w.pragma, got, w.value)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Readers refuse writes.
			if _, err := d.Reader().ExecContext(ctx, "INSERT INTO items (owner, n) VALUES (1, 1)"); err == nil {
				t.Error("a reader connection accepted a write")
			}
		})
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx := context.Background()
	err := d.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE parent (id INTEGER PRIMARY KEY)"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = d.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO child (parent_id) VALUES (42)")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("insert with a dangling reference: err = %v, want a FOREIGN KEY error", err)
	}
}

func TestWriteTxRollsBack(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx := context.Background()
	t.Run("ErrFromFn", func(t *testing.T) {
		boom := errors.New("boom")
		err := d.WriteTx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO items (owner, n) VALUES (1, 1)"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
		if n := countItems(t, d); n != 0 {
			t.Errorf("%d rows after a failed transaction, want 0", n)
		}
	})
	t.Run("Panic", func(t *testing.T) {
		func() {
			defer func() { recover() }()
			d.WriteTx(ctx, func(tx *Tx) error {
				tx.ExecContext(ctx, "INSERT INTO items (owner, n) VALUES (1, 1)")
				panic("in the middle")
			})
		}()
		if n := countItems(t, d); n != 0 {
			t.Errorf("%d rows after a panic, want 0", n)
		}
		// The writer connection is usable again.
		if err := insertItem(ctx, d, 1, 1); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		before := countItems(t, d)
		cctx, cancel := context.WithCancel(ctx)
		err := d.WriteTx(cctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(cctx, "INSERT INTO items (owner, n) VALUES (9, 9)"); err != nil {
				return err
			}
			cancel() // the client went away mid-request
			return nil
		})
		if err == nil {
			t.Error("commit succeeded on a cancelled context")
		}
		if n := countItems(t, d); n != before {
			t.Errorf("%d rows, want %d: a cancelled request changed data", n, before)
		}
	})
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	d := mustOpen(t, Options{Path: filepath.Join(dir, "tack.db")})
	if err := insertItem(context.Background(), d, 1, 1); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir:                               0o700,
		filepath.Join(dir, "tack.db"):     0o600,
		filepath.Join(dir, "tack.db-wal"): 0o600,
		filepath.Join(dir, "tack.db-shm"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
		}
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tack.db")
	content := bytes.Repeat([]byte("this is not a database, it is a shopping list\n"), 200)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), Options{Path: path})
	if !errors.Is(err, ErrNotDatabase) {
		t.Fatalf("err = %v, want ErrNotDatabase", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, content) {
		t.Error("Open changed a file that is not a database")
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Error("Open left a WAL beside a file that is not a database")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("FolderCannotBeCreated", func(t *testing.T) {
		if _, err := Open(ctx, Options{Path: "/proc/self/no-such/tack.db"}); err == nil {
			t.Error("Open succeeded in a folder that cannot exist")
		}
	})
	t.Run("MustExist", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent.db")
		if _, err := Open(ctx, Options{Path: path, MustExist: true}); err == nil {
			t.Error("Open with MustExist succeeded on a missing file")
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("Open with MustExist created the file")
		}
	})
	t.Run("BadSynchronous", func(t *testing.T) {
		if _, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "x.db"), Synchronous: "off"}); err == nil {
			t.Error("Open accepted synchronous=off")
		}
	})
}

func TestBackupWhileWriting(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if err := insertItem(ctx, d, w, i); err != nil {
					if ctx.Err() == nil {
						t.Errorf("write: %v", err)
					}
					return
				}
				mu.Lock()
				acked++
				mu.Unlock()
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	before := acked
	mu.Unlock()
	target := filepath.Join(t.TempDir(), "backup.db")
	err := d.Backup(ctx, target)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	st, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %o, want 600", st.Mode().Perm())
	}
	b, err := Open(context.Background(), Options{Path: target, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var check string
	if err := b.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if n := countItems(t, b); n < before {
		t.Errorf("backup holds %d rows, want at least the %d acknowledged before it started", n, before)
	}
	if err := d.Backup(context.Background(), target); err == nil {
		t.Error("Backup overwrote an existing file")
	}
}

func TestBackupToPrunes(t *testing.T) {
	d := mustOpen(t, Options{})
	dir := filepath.Join(t.TempDir(), "backups")
	// A file that is not a scheduled backup must survive pruning.
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "keep-me.txt"), []byte("x"), 0o600)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for i := range 4 {
		name, err := d.BackupTo(context.Background(), dir, 2, start.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(name))
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"keep-me.txt", names[2], names[3]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backups left = %v, want %v", got, want)
	}
}

func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "m.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables := func() string {
		rows, err := d.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'goose_db_version' ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		return strings.Join(names, ",")
	}
	applied, err := m.Up(ctx)
	if err != nil || len(applied) == 0 || applied[len(applied)-1] != m.Target() {
		t.Fatalf("Up = %v, %v; want versions through %d", applied, err, m.Target())
	}
	full := tables()
	if !strings.Contains(full, "settings") {
		t.Errorf("tables after up = %q, want settings among them", full)
	}
	if v, _ := d.SchemaVersion(ctx); v != m.Target() {
		t.Errorf("SchemaVersion = %d, want %d", v, m.Target())
	}
	pending, err := m.Pending(ctx)
	if err != nil || pending {
		t.Errorf("Pending after up = %v, %v", pending, err)
	}
	// Down every migration, one at a time, then up again.
	for range applied {
		if _, err := m.Down(ctx); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	if got := tables(); got != "" {
		t.Errorf("tables after every down = %q, want none", got)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Applied {
			t.Errorf("migration %d applied after down", s.Version)
		}
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != full {
		t.Errorf("tables after up again = %q, want %q", got, full)
	}
	st, _ = m.Status(ctx)
	if len(st) == 0 || !st[0].Applied || !strings.HasSuffix(st[0].Name, "00001_settings.sql") {
		t.Errorf("Status = %+v, want 00001_settings.sql applied first", st)
	}
}

func TestSlowQueryLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	d := mustOpen(t, Options{SlowQuery: time.Nanosecond, Logger: logger})
	if err := insertItem(context.Background(), d, 1, 1); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "slow query") || !strings.Contains(out, "INSERT INTO items") {
		t.Errorf("log = %q, want a slow query line naming the statement", out)
	}
	if strings.Contains(out, "owner, n, body) VALUES (?, ?, ?)\" args") {
		t.Error("slow query log carries the arguments")
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCloseTruncatesWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	d, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	d.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE t (x); INSERT INTO t VALUES (1)")
		return err
	})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		t.Errorf("WAL holds %d bytes after Close, want it checkpointed away", st.Size())
	}
}

func TestAfterCommitHooks(t *testing.T) {
	d := mustOpen(t, Options{})
	ctx := context.Background()
	t.Run("NotOnRollback", func(t *testing.T) {
		ran := false
		d.WriteTx(ctx, func(tx *Tx) error {
			tx.AfterCommit(func() { ran = true })
			return errors.New("no")
		})
		if ran {
			t.Error("an after-commit hook ran for a rolled-back transaction")
		}
	})
	t.Run("SeesTheCommit", func(t *testing.T) {
		var n int
		err := d.WriteTx(ctx, func(tx *Tx) error {
			tx.AfterCommit(func() { n = countItems(t, d) }) // read pool: committed data only
			_, err := tx.ExecContext(ctx, "INSERT INTO items (owner, n) VALUES (1, 1)")
			return err
		})
		if err != nil || n != 1 {
			t.Errorf("hook saw %d rows (err %v), want the committed row", n, err)
		}
	})
	t.Run("CommitOrder", func(t *testing.T) {
		var mu sync.Mutex
		var order []int64
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 40 {
					err := d.WriteTx(ctx, func(tx *Tx) error {
						var id int64
						if err := tx.QueryRowContext(ctx, "INSERT INTO items (owner, n) VALUES (?, ?) RETURNING id", w, i).Scan(&id); err != nil {
							return err
						}
						tx.AfterCommit(func() {
							mu.Lock()
							order = append(order, id)
							mu.Unlock()
						})
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		for i := 1; i < len(order); i++ {
			if order[i] <= order[i-1] {
				t.Fatalf("hooks ran out of commit order: %d after %d", order[i], order[i-1])
			}
		}
	})
}
