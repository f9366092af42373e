package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Backup writes a consistent copy of the database to path with VACUUM INTO.
// It runs as one read transaction, so it is safe while the server writes; the
// copy is compacted and has no WAL. path must not exist yet.
func (d *DB) Backup(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// Create the target ourselves so that it is owner-only; VACUUM INTO
	// accepts an empty file.
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	// VACUUM INTO writes, which the query-only readers refuse, and running it
	// on the writer would stall every write for its duration: it gets a
	// connection of its own. It reads one snapshot, so writes go on meanwhile.
	conn, err := sql.Open("sqlite", dsn(d.path, d.sync, roleBackup))
	if err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// backupPrefix names scheduled backups so that pruning never touches
// anything else in the folder.
const backupPrefix = "tack-"

// BackupTo writes a timestamped backup into dir (created 0700) and then
// deletes the oldest scheduled backups beyond keep. It returns the new file.
func (d *DB) BackupTo(ctx context.Context, dir string, keep int, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	name := filepath.Join(dir, backupPrefix+now.UTC().Format("20060102T150405.000Z")+".db")
	if err := d.Backup(ctx, name); err != nil {
		return "", err
	}
	if keep > 0 {
		if err := pruneBackups(dir, keep); err != nil {
			return name, err
		}
	}
	return name, nil
}

func pruneBackups(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup prune: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, ".db") {
			names = append(names, n)
		}
	}
	// The timestamp format sorts lexically in time order.
	slices.Sort(names)
	var errs []error
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			errs = append(errs, err)
		}
		names = names[1:]
	}
	return errors.Join(errs...)
}
