// Package errs is Tack's one error type. Domain code returns an *Error
// carrying a SPEC code (and, for validation, a map of field problems); the
// HTTP layer turns any error into the SPEC's JSON shape and status in one
// place. Anything that is not an *Error is internal: logged, never shown.
package errs

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a SPEC error code.
type Code string

// The SPEC's error codes (section 4).
const (
	BadRequest           Code = "bad_request"
	Unauthorized         Code = "unauthorized"
	Forbidden            Code = "forbidden"
	NotFound             Code = "not_found"
	MethodNotAllowed     Code = "method_not_allowed"
	Conflict             Code = "conflict"
	PayloadTooLarge      Code = "payload_too_large"
	UnsupportedMediaType Code = "unsupported_media_type"
	ValidationFailed     Code = "validation_failed"
	RateLimited          Code = "rate_limited"
	Internal             Code = "internal"
)

// Status is the HTTP status of a code; unknown codes are 500.
func (c Code) Status() int {
	switch c {
	case BadRequest:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case Conflict:
		return http.StatusConflict
	case PayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case UnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case ValidationFailed:
		return http.StatusUnprocessableEntity
	case RateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// Error is an error a client may see.
type Error struct {
	Code    Code
	Message string
	// Details is sent as the error's "details" object when not empty: per
	// field problems for validation_failed, a reason for unauthorized, the
	// current object for a conflict.
	Details map[string]any
	// RetryAfter, when set, is sent as the Retry-After header (rate_limited).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns an error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with one more detail.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// Fields collects validation problems, one per field, and becomes a
// validation_failed error when any were found.
type Fields map[string]string

// Add records a problem with field, keeping the first one reported.
func (f Fields) Add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

// Err returns nil when f is empty, else a validation_failed error whose
// message names the first field in sorted order.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	first := ""
	for k := range f {
		if first == "" || k < first {
			first = k
		}
	}
	e := &Error{Code: ValidationFailed, Message: first + " is " + f[first], Details: make(map[string]any, len(f))}
	for k, v := range f {
		e.Details[k] = v
	}
	return e
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Is reports whether err carries code.
func Is(err error, code Code) bool {
	e := As(err)
	return e != nil && e.Code == code
}
