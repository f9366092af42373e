package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"tack/app/errs"
	"tack/app/page"
)

// maxBodyBytes is the SPEC's limit on a request body.
const maxBodyBytes = 1 << 20

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(true)
		enc.Encode(v) // a failed write means the client went away
	}
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    errs.Code      `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// writeError is the one place where an error becomes a response. A non-SPEC
// error is logged with the request id and answered as a bare 500, so no
// internal detail reaches the client.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := errs.As(err)
	if e == nil {
		logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &errs.Error{Code: errs.Internal, Message: "internal error"}
	}
	if e.Code == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tack"`)
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, e.Code.Status(), errorBody{errorJSON{Code: e.Code, Message: e.Message, Details: e.Details}})
}

// decodeJSON reads a request body into dst following the SPEC: JSON content
// type (else 415), at most 1 MiB (else 413), no unknown fields, no trailing
// data, right types (else 400).
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errs.New(errs.UnsupportedMediaType, "the body must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	// Every body is an object: null or an array is not "no changes".
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return errs.New(errs.BadRequest, "the body is not valid JSON")
		}
		return errs.New(errs.BadRequest, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return errs.New(errs.BadRequest, "the body must hold one JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return errs.New(errs.PayloadTooLarge, "the body is larger than 1 MiB")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return errs.New(errs.BadRequest, "the body must be a JSON object")
		}
		return errs.New(errs.BadRequest, "%s must be %s", field, jsonKind(typeErr.Type.Kind().String())).With(field, "wrong type")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.New(errs.BadRequest, "the body is not valid JSON")
	case errors.Is(err, io.EOF):
		return errs.New(errs.BadRequest, "the body is empty")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.New(errs.BadRequest, "unknown field %q", field).With(field, "unknown field")
	}
	return errs.New(errs.BadRequest, "the body could not be read")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

// respond answers v with status, or err when there is one.
func (a *App) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, v)
}

// decode reads the body into dst, answering the error itself; it reports
// whether the handler may go on.
func (a *App) decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := decodeJSON(w, r, dst); err != nil {
		a.fail(w, r, err)
		return false
	}
	return true
}

// ids reads the path ids named, answering 404 for a malformed one.
func (a *App) ids(w http.ResponseWriter, r *http.Request, names ...string) ([]int64, bool) {
	out := make([]int64, len(names))
	for i, n := range names {
		id, err := pathID(r, n)
		if err != nil {
			a.fail(w, r, err)
			return nil, false
		}
		out[i] = id
	}
	return out, true
}

// pageOf reads limit and cursor, answering 400 when they are bad.
func (a *App) pageOf(w http.ResponseWriter, r *http.Request) (page.Request, bool) {
	pg, err := page.FromQuery(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return pg, false
	}
	return pg, true
}

// pathID reads a positive integer id from the path; anything else cannot
// name a resource, so it is a 404.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "no such %s", name)
	}
	return id, nil
}
