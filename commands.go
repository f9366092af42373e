package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"tack/db"
	"tack/migrations"
)

// openDB opens the configured database for a command.
// A read-only handle must find the file and leaves it as it was on close.
func openDB(ctx context.Context, cfg *Config, mustExist, readOnly bool, stderr io.Writer) (*db.DB, error) {
	return db.Open(ctx, db.Options{
		Path:        cfg.DB.Path,
		Synchronous: cfg.DB.Synchronous,
		SlowQuery:   cfg.DB.SlowQuery,
		MustExist:   mustExist || readOnly,
		ReadOnly:    readOnly,
		Logger:      newLogger(cfg, stderr),
	})
}

// cmdMigrate is "tack migrate up|down|status".
func cmdMigrate(args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := setup("migrate", args, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "up" && rest[0] != "down" && rest[0] != "status") {
		return &usageError{"usage: tack migrate up|down|status"}
	}
	ctx, cancel := signalContext()
	defer cancel()
	d, err := openDB(ctx, cfg, rest[0] != "up", rest[0] == "status", stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "up":
		applied, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "no migrations to apply")
		}
		for _, v := range applied {
			fmt.Fprintf(stdout, "applied %d\n", v)
		}
	case "down":
		v, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reverted %d\n", v)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tAPPLIED AT\tNAME")
		for _, s := range st {
			at := "pending"
			if s.Applied {
				at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, at, s.Name)
		}
		tw.Flush()
	}
	return nil
}

// cmdBackup is "tack backup FILE": a consistent copy, safe beside a running
// server because it reads one snapshot and writes nothing to the database.
func cmdBackup(args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := setup("backup", args, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &usageError{"usage: tack backup FILE"}
	}
	ctx, cancel := signalContext()
	defer cancel()
	d, err := openDB(ctx, cfg, true, true, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Backup(ctx, rest[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", cfg.DB.Path, rest[0])
	return nil
}
