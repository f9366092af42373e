// Package page is cursor pagination: the SPEC's limit and cursor parameters
// and the opaque cursor text. A cursor holds the sort key of the last item
// returned, so a page never skips or repeats an item while others write.
package page

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"

	"tack/app/errs"
)

// Default and Max are the SPEC's limits on a page's size.
const (
	Default = 50
	Max     = 200
)

// Request is a page asked for: how many items, after which cursor.
type Request struct {
	Limit  int
	Cursor string
}

// FromQuery reads limit and cursor; a limit that is not a whole number from
// 1 is a bad_request, one above Max is lowered to Max.
func FromQuery(q url.Values) (Request, error) {
	r := Request{Limit: Default, Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return r, errs.New(errs.BadRequest, "limit must be a whole number from 1 to %d", Max).With("limit", "invalid")
		}
		r.Limit = min(n, Max)
	}
	if len(r.Cursor) > 1024 {
		return r, badCursor()
	}
	return r, nil
}

// Encode makes a cursor from the sort key of the last item of a page.
func Encode(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor made by Encode into dst (pointers, in order). An
// empty cursor decodes nothing and reports false.
func Decode(cursor string, dst ...any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, badCursor()
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != len(dst) {
		return false, badCursor()
	}
	for i, p := range parts {
		if err := json.Unmarshal(p, dst[i]); err != nil {
			return false, badCursor()
		}
	}
	return true, nil
}

func badCursor() error {
	return errs.New(errs.BadRequest, "cursor is not one this server gave out").With("cursor", "invalid")
}

// List is the SPEC's list shape.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Trim turns up to limit+1 fetched items into a List: when there is one
// more than limit, it is dropped and the cursor of the last kept one is set.
func Trim[T any](items []T, limit int, key func(T) string) List[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return List[T]{Items: items}
	}
	items = items[:limit]
	c := key(items[len(items)-1])
	return List[T]{Items: items, NextCursor: &c}
}
