// Package migrations holds Tack's goose SQL migrations, embedded in the
// binary. Files are named NNNNN_what.sql and never edited once released: a
// change to the schema is a new file.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
