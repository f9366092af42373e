package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"tack/db"
	"tack/migrations"
)

// cliResult is what one in-process run of the command line produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// tack runs the command line in-process with empty stdin.
func tack(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return cliResult{code, stdout.String(), stderr.String()}
}

// wantCode fails the test when r did not exit with code want.
func (r cliResult) wantCode(t *testing.T, args []string, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("tack %q: exit code %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
	}
}

// mustRun runs tack with args and requires exit code want.
func mustRun(t *testing.T, want int, args ...string) cliResult {
	t.Helper()
	r := tack(t, args...)
	r.wantCode(t, args, want)
	return r
}

// cliDir moves the test into an empty working folder and returns a database
// path inside a folder that does not exist yet.
func cliDir(t *testing.T) (dbPath string) {
	t.Helper()
	inTempDir(t)
	return filepath.Join(t.TempDir(), "state", "tack.db")
}

func TestCLIUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string // substring, if not empty
		wantStderr string // substring, if not empty
	}{
		{"version", []string{"version"}, 0, "tack ", ""},
		{"help", []string{"help"}, 0, "Usage:", ""},
		{"-h", []string{"-h"}, 0, "", "-db.path"},
		{"--help", []string{"--help"}, 0, "", "-config"},
		{"migrate -h", []string{"migrate", "-h"}, 0, "", "-server.addr"},
		{"backup -h", []string{"backup", "-h"}, 0, "", "-db.path"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"unknown flag", []string{"--no-such-flag"}, 2, "", "no-such-flag"},
		{"unknown flag of migrate", []string{"migrate", "status", "--nope"}, 2, "", "nope"},
		{"flag without its value", []string{"migrate", "status", "--db.path"}, 2, "", "db.path"},
		{"migrate without subcommand", []string{"migrate"}, 2, "", "usage: tack migrate"},
		{"migrate with an unknown subcommand", []string{"migrate", "sideways"}, 2, "", "usage: tack migrate"},
		{"migrate with two subcommands", []string{"migrate", "up", "down"}, 2, "", "usage: tack migrate"},
		{"serve with an argument", []string{"serve", "extra-arg"}, 2, "", "extra-arg"},
		{"backup without a file", []string{"backup"}, 2, "", "usage: tack backup FILE"},
		{"backup with two files", []string{"backup", "a.db", "b.db"}, 2, "", "usage: tack backup FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath := cliDir(t)
			// Every row uses a database path that must stay untouched: none
			// of these commands may get as far as opening it.
			args := append(tt.args[:len(tt.args):len(tt.args)], "--db.path", dbPath)
			if tt.name == "flag without its value" {
				args = tt.args
			}
			r := tack(t, args...)
			r.wantCode(t, args, tt.want)
			if tt.wantStdout != "" && !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.wantStdout)
			}
			if tt.wantStderr != "" && !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantStderr)
			}
			if _, err := os.Stat(filepath.Dir(dbPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the database folder was created (stat: %v)", err)
			}
			if _, err := os.Stat("data"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a data folder was created in the working folder (stat: %v)", err)
			}
		})
	}
}

func TestCLIVersion(t *testing.T) {
	inTempDir(t)
	r := mustRun(t, 0, "version")
	if !strings.HasPrefix(r.stdout, "tack ") {
		t.Errorf("version output %q does not start with %q", r.stdout, "tack ")
	}
	if !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("version output %q does not contain the Go version %q", r.stdout, runtime.Version())
	}
	if !strings.Contains(r.stdout, "commit ") {
		t.Errorf("version output %q does not name a commit", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("version wrote to stderr: %q", r.stderr)
	}
}

// statusRow matches one line of "tack migrate status":
// version, applied-at timestamp or "pending", file name.
var statusRow = regexp.MustCompile(`(?m)^(\d+)\s+(pending|\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)\s+(\S+)\s*$`)

// migrationState parses "tack migrate status" into version -> state, where
// state is "pending" or "applied", and checks the name of version 1.
func migrationState(t *testing.T, out string) map[string]string {
	t.Helper()
	if !strings.HasPrefix(out, "VERSION") {
		t.Errorf("status output does not start with its header:\n%s", out)
	}
	states := make(map[string]string)
	for _, m := range statusRow.FindAllStringSubmatch(out, -1) {
		state := "applied"
		if m[2] == "pending" {
			state = "pending"
		}
		states[m[1]] = state
		if m[1] == "1" && m[3] != "00001_settings.sql" {
			t.Errorf("migration 1 is named %q, want %q", m[3], "00001_settings.sql")
		}
	}
	if len(states) == 0 {
		t.Fatalf("no migrations in the status output:\n%s", out)
	}
	return states
}

func TestCLIMigrate(t *testing.T) {
	dbPath := cliDir(t)
	flags := []string{"--db.path", dbPath}
	migrate := func(t *testing.T, want int, sub string) cliResult {
		t.Helper()
		return mustRun(t, want, append([]string{"migrate", sub}, flags...)...)
	}

	// The steps build on each other, in order.
	steps := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"up on a fresh path applies 1", func(t *testing.T) {
			r := migrate(t, 0, "up")
			if !strings.Contains(r.stdout, "applied 1\n") {
				t.Errorf("migrate up printed %q, want it to contain %q", r.stdout, "applied 1")
			}
			for path, want := range map[string]os.FileMode{filepath.Dir(dbPath): 0o700, dbPath: 0o600} {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatalf("after migrate up: %v", err)
				}
				if got := st.Mode().Perm(); got != want {
					t.Errorf("%s has mode %v, want %v", path, got, want)
				}
			}
		}},
		{"up again applies nothing", func(t *testing.T) {
			r := migrate(t, 0, "up")
			if strings.Contains(r.stdout, "applied") || !strings.Contains(r.stdout, "no migrations to apply") {
				t.Errorf("second migrate up printed %q, want %q", r.stdout, "no migrations to apply")
			}
		}},
		{"status shows 1 applied", func(t *testing.T) {
			r := migrate(t, 0, "status")
			if got := migrationState(t, r.stdout)["1"]; got != "applied" {
				t.Errorf("migration 1 is %q, want applied\n%s", got, r.stdout)
			}
		}},
		{"down reverts each migration, newest first", func(t *testing.T) {
			versions := migrationVersions(t)
			for i := len(versions) - 1; i >= 0; i-- {
				r := migrate(t, 0, "down")
				want := fmt.Sprintf("reverted %d\n", versions[i])
				if !strings.Contains(r.stdout, want) {
					t.Errorf("migrate down printed %q, want it to contain %q", r.stdout, want)
				}
			}
		}},
		{"status shows 1 pending", func(t *testing.T) {
			r := migrate(t, 0, "status")
			states := migrationState(t, r.stdout)
			if got := states["1"]; got != "pending" {
				t.Errorf("migration 1 is %q, want pending\n%s", got, r.stdout)
			}
			for v, s := range states {
				if s != "pending" {
					t.Errorf("after reverting, migration %s is %s, want every migration pending\n%s", v, s, r.stdout)
				}
			}
		}},
		{"down with nothing applied fails", func(t *testing.T) {
			migrate(t, 1, "down")
		}},
		{"up applies 1 again", func(t *testing.T) {
			r := migrate(t, 0, "up")
			if !strings.Contains(r.stdout, "applied 1\n") {
				t.Errorf("migrate up printed %q, want it to contain %q", r.stdout, "applied 1")
			}
			if got := migrationState(t, migrate(t, 0, "status").stdout)["1"]; got != "applied" {
				t.Errorf("migration 1 is %q, want applied", got)
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.check) {
			return // later steps depend on this one
		}
	}
}

// migrationVersions lists the embedded migrations' versions, oldest first.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		t.Fatal("no migrations embedded")
	}
	return vs
}

func TestCLIMigrateMissingDatabase(t *testing.T) {
	for _, sub := range []string{"status", "down"} {
		t.Run(sub, func(t *testing.T) {
			dbPath := cliDir(t)
			args := []string{"migrate", sub, "--db.path", dbPath}
			r := mustRun(t, 1, args...)
			if r.stderr == "" {
				t.Errorf("migrate %s on a missing database printed no error", sub)
			}
			if _, err := os.Stat(filepath.Dir(dbPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("migrate %s created the database folder (stat: %v)", sub, err)
			}
		})
	}
	t.Run("status with the default path", func(t *testing.T) {
		inTempDir(t)
		mustRun(t, 1, "migrate", "status")
		if _, err := os.Stat("data"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("migrate status created ./data (stat: %v)", err)
		}
	})
}

// migratedDB creates and migrates a database at a fresh path.
func migratedDB(t *testing.T) string {
	t.Helper()
	dbPath := cliDir(t)
	mustRun(t, 0, "migrate", "up", "--db.path", dbPath)
	return dbPath
}

// checkSQLite opens path as a Tack database and checks its integrity and
// that it holds the migrated schema.
func checkSQLite(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatalf("open backup %s: %v", path, err)
	}
	defer d.Close()
	var result string
	if err := d.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if result != "ok" {
		t.Errorf("integrity_check = %q, want %q", result, "ok")
	}
	var n int
	if err := d.QueryRowContext(ctx, "SELECT count(*) FROM settings").Scan(&n); err != nil {
		t.Errorf("the backup lacks the migrated schema: %v", err)
	}
}

func TestCLIBackup(t *testing.T) {
	t.Run("to a new file", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "copy.db")
		r := mustRun(t, 0, "backup", out, "--db.path", dbPath)
		if !strings.Contains(r.stdout, out) {
			t.Errorf("backup printed %q, want it to name %s", r.stdout, out)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatalf("backup file: %v", err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("backup file mode %v, want %v", got, os.FileMode(0o600))
		}
		header := make([]byte, 16)
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Read(header)
		f.Close()
		if err != nil || string(header) != "SQLite format 3\x00" {
			t.Errorf("backup header %q (err %v), want a SQLite file", header, err)
		}
		checkSQLite(t, out)
	})

	t.Run("relative file in the working folder", func(t *testing.T) {
		dbPath := migratedDB(t)
		mustRun(t, 0, "backup", "--db.path", dbPath, "copy.db")
		checkSQLite(t, "copy.db")
	})

	t.Run("flags after the file", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "copy.db")
		mustRun(t, 0, "backup", out, "--db.path", dbPath, "--log.level", "debug")
		checkSQLite(t, out)
	})

	t.Run("flags before and after the file", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "copy.db")
		mustRun(t, 0, "backup", "--log.format=json", out, "--db.path="+dbPath)
		checkSQLite(t, out)
	})

	t.Run("to an existing file", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "exists.db")
		const content = "precious, not a database"
		if err := os.WriteFile(out, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, 1, "backup", out, "--db.path", dbPath)
		if r.stderr == "" {
			t.Error("a refused backup printed no error")
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("the existing file now holds %q, want %q", got, content)
		}
		if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("the existing file's mode changed: %v, %v", st.Mode(), err)
		}
	})

	t.Run("of a database that does not exist", func(t *testing.T) {
		dbPath := cliDir(t)
		out := filepath.Join(t.TempDir(), "copy.db")
		r := mustRun(t, 1, "backup", out, "--db.path", dbPath)
		if r.stderr == "" {
			t.Error("a failed backup printed no error")
		}
		for _, p := range []string{out, filepath.Dir(dbPath)} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed backup left %s behind (stat: %v)", p, err)
			}
		}
	})

	t.Run("into a folder that does not exist", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "no", "such", "copy.db")
		mustRun(t, 1, "backup", out, "--db.path", dbPath)
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat %s: %v, want it not to exist", out, err)
		}
	})

	t.Run("with a bad config", func(t *testing.T) {
		dbPath := migratedDB(t)
		out := filepath.Join(t.TempDir(), "copy.db")
		r := mustRun(t, 2, "backup", out, "--db.path", dbPath, "--db.synchronous=sometimes")
		if !strings.Contains(r.stderr, "db.synchronous") {
			t.Errorf("stderr %q does not name db.synchronous", r.stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat %s: %v, want it not to exist", out, err)
		}
	})
}
