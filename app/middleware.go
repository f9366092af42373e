package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"tack/app/errs"
)

type ctxKey int

const requestInfoKey ctxKey = iota

// requestInfo travels in a request's context. It is a pointer so that what
// handlers learn (who the caller is) reaches the access log.
type requestInfo struct {
	id     string
	userID int64
}

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// securityHeaders are sent on every response (SPEC section 4).
var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "same-origin"},
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
}

// base is the outermost middleware: request id, security headers, panic
// recovery, access log and metrics. next is the mux, which must receive the
// very *http.Request this function holds so that r.Pattern can be read after.
func (a *App) base(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: newRequestID()}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, ri))
		h := w.Header()
		for _, kv := range securityHeaders {
			h.Set(kv[0], kv[1])
		}
		h.Set("X-Request-Id", ri.id)
		rec := &recorder{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.logger.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wroteHeader {
					writeError(rec, r, a.logger, errs.New(errs.Internal, "internal error"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			took := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			a.metrics.observe(route, status, took)
			a.logger.InfoContext(r.Context(), "request",
				"method", r.Method,
				"path", r.URL.Path, // never the query: it is no place for secrets, but be sure
				"route", route,
				"status", status,
				"bytes", rec.bytes,
				"took", took,
				"ip", a.clientIP(r),
				"user_id", ri.userID,
			)
		}()
		if strings.HasPrefix(r.URL.Path, "/api/") && !a.checkOrigin(rec, r) {
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// recorder remembers the status and size of a response for the access log.
// It passes Flush and Hijack through, which streaming and WebSocket need.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	if !r.wroteHeader {
		r.status = http.StatusSwitchingProtocols
		r.wroteHeader = true
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
