package cookiesession

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// Middleware loads the session of every request into its context, where
// [Store.FromContext] finds it, and saves it just before the response's
// header is written, without buffering the body.
func (st *Store[T]) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Load(r) // the error is reported, and kept in s
		r = r.WithContext(context.WithValue(r.Context(), st.ctxKey, s))
		sw := &sessionWriter[T]{ResponseWriter: w, st: st, r: r, s: s}
		next.ServeHTTP(sw, r)
		sw.commit()
	})
}

// FromContext returns the session that the store's middleware loaded for
// the request whose context is ctx; ok is false outside the middleware.
func (st *Store[T]) FromContext(ctx context.Context) (s *Session[T], ok bool) {
	s, ok = ctx.Value(st.ctxKey).(*Session[T])
	return s, ok
}

// sessionWriter saves the session just before the header goes out.
type sessionWriter[T any] struct {
	http.ResponseWriter
	st        *Store[T]
	r         *http.Request
	s         *Session[T]
	committed bool
}

func (w *sessionWriter[T]) commit() {
	if !w.committed {
		w.committed = true
		w.st.Save(w.ResponseWriter, w.r, w.s) // failures are reported by Save
	}
}

func (w *sessionWriter[T]) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// An informational response (103 Early Hints): the final header
		// is still to come, and the cookies with it.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.commit()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter[T]) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *sessionWriter[T]) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for handlers that assert it.
func (w *sessionWriter[T]) Flush() {
	w.commit()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for handlers that assert it. A hijacked
// connection carries no header from the server, so the session is not
// saved: save it before hijacking, if it must be.
func (w *sessionWriter[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.committed = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
