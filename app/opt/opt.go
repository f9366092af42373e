// Package opt tells apart the three states of a field in a JSON PATCH body:
// absent (leave it), null (clear it) and a value (set it).
package opt

import (
	"bytes"
	"encoding/json"
)

// Field is one optional, nullable field of a request body.
type Field[T any] struct {
	// Set is true when the field was present in the body, null or not.
	Set bool
	// Null is true when the field was present as JSON null.
	Null bool
	// V is the value when Set and not Null.
	V T
}

// UnmarshalJSON is called only for fields present in the body.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	f.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		f.Null = true
		return nil
	}
	return json.Unmarshal(b, &f.V)
}

// Of returns a field set to v.
func Of[T any](v T) Field[T] { return Field[T]{Set: true, V: v} }

// Ptr returns nil when the field is absent or null, else a pointer to V.
func (f Field[T]) Ptr() *T {
	if !f.Set || f.Null {
		return nil
	}
	return &f.V
}
