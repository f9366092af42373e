package db

import (
	"database/sql"
	"fmt"
	"time"
)

// timeLayout is how times are stored: UTC, milliseconds, fixed width, so that
// comparing the text compares the times.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Time formats t for storage.
func Time(t time.Time) string { return t.UTC().Format(timeLayout) }

// Now is the current time at storage precision, so that a value written and
// read back compares equal to the one the code kept.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ScanTime scans a stored, non-null time into *t.
func ScanTime(t *time.Time) sql.Scanner { return timeScanner{t: t} }

// ScanNullTime scans a stored, nullable time into *t (nil for NULL).
func ScanNullTime(t **time.Time) sql.Scanner { return timeScanner{pt: t} }

type timeScanner struct {
	t  *time.Time
	pt **time.Time
}

func (s timeScanner) Scan(v any) error {
	var text string
	switch x := v.(type) {
	case nil:
		if s.pt == nil {
			return fmt.Errorf("db: NULL time in a non-null column")
		}
		*s.pt = nil
		return nil
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("db: cannot scan %T as a time", v)
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return fmt.Errorf("db: bad stored time %q: %w", text, err)
	}
	t = t.UTC()
	if s.pt != nil {
		*s.pt = &t
	} else {
		*s.t = t
	}
	return nil
}
