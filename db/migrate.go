package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Migrator applies the embedded migrations to the database through the
// writer connection.
type Migrator struct {
	p *goose.Provider
}

// NewMigrator prepares the migrations in fsys (normally migrations.FS).
func (d *DB) NewMigrator(fsys fs.FS) (*Migrator, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, d.write, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Up applies every pending migration and returns the versions applied.
func (m *Migrator) Up(ctx context.Context) ([]int64, error) {
	res, err := m.p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate up: %w", err)
	}
	var versions []int64
	for _, r := range res {
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// Down reverts the newest applied migration and returns its version.
func (m *Migrator) Down(ctx context.Context) (int64, error) {
	res, err := m.p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return 0, errors.New("db: migrate down: no migration is applied")
	}
	if err != nil {
		return 0, fmt.Errorf("db: migrate down: %w", err)
	}
	return res.Source.Version, nil
}

// Status lists every known migration, oldest first.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	st, err := m.p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// Pending reports whether any migration is not applied yet.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	ok, err := m.p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("db: migrate: %w", err)
	}
	return ok, nil
}

// Target is the newest version among the known migrations.
func (m *Migrator) Target() int64 {
	var v int64
	for _, s := range m.p.ListSources() {
		v = max(v, s.Version)
	}
	return v
}

// SchemaVersion reads the newest applied migration version on the read pool,
// so that a readiness check never queues behind writers.
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("db: schema version: %w", err)
	}
	return v, nil
}
