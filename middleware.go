package cookiesession

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLateSave means the session changed, or Save was called, after the
// response's header had been written: the cookies can no longer be set,
// so the change is lost. Change and save the session before the first
// Write or WriteHeader. Under [http.TimeoutHandler] it also means that
// the time ran out and the handler's response, with the session's
// cookies, was dropped for TimeoutHandler's 503.
var ErrLateSave = errors.New("cookiesession: session changed after the response's header was written; the change is lost")

// Middleware loads the session of every request into its context, where
// [Store.FromContext] finds it, and saves it just before the response's
// header is written, without buffering the body.
//
// What happens to a save:
//
//   - A handler that must know the outcome, for example of a change that
//     could make the session too large, calls [Store.Save] itself before
//     it responds, and answers the error as it sees fit: Save returns a
//     *[TooLargeError] or another error, writes nothing, and the browser
//     keeps its cookies. The middleware then writes nothing more unless
//     the session changes again.
//   - Otherwise the middleware saves the session when the handler first
//     calls Write, WriteHeader or Flush, or when it returns without
//     writing. A save that fails there leaves the browser's cookies as
//     they were and is reported to [Config.Logger] (at Error) and
//     [Config.OnError]; the response goes out as the handler wrote it.
//   - A change made after the header went out (after the first Write,
//     say, or after a Hijack) cannot be saved: the middleware reports it
//     when the handler returns, to the Logger at Warn and to OnError, with
//     an error matching [ErrLateSave]; a Save called then returns that
//     error too.
//
// The same store's middleware met twice by one request (mounted on a
// router and again on a route) loads and saves the session once: the
// inner one passes the request through, and the session the outer one
// loaded is the request's.
//
// Mount it inside [http.TimeoutHandler], never outside:
// http.TimeoutHandler(store.Middleware(h), d, msg). TimeoutHandler runs
// the handler in a goroutine of its own and, when the time is up, writes
// its 503 from the request's goroutine while the handler goes on: a
// middleware outside it would save the session on the 503 while the
// handler still changes it. Middleware panics when next is a
// TimeoutHandler itself; a TimeoutHandler further in (a framework's
// timeout middleware that uses it) it cannot see. Inside one, the
// response goes out only if the handler ends in time (TimeoutHandler
// holds all of it until then): when it does not, every save of the
// request is lost with the response, and the middleware reports it as
// [ErrLateSave].
func (st *Store[T]) Middleware(next http.Handler) http.Handler {
	if reflect.TypeOf(next) == timeoutHandlerType {
		panic("cookiesession: Store.Middleware(http.TimeoutHandler(h, …)): TimeoutHandler answers a timed-out " +
			"request from another goroutine while h still changes the session, so the middleware's save would race " +
			"with h; mount the middleware inside it: http.TimeoutHandler(store.Middleware(h), …)")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := st.FromContext(r.Context()); ok && s.out != nil && !s.out.finished.Load() {
			// This store's middleware runs for this request already,
			// further out (mounted on a router and again on a route):
			// its session is the request's, and it saves it. A second
			// session loaded here would be saved after the first, and
			// one of the two changes lost.
			next.ServeHTTP(w, r)
			return
		}
		// The session, its parts, its writer and its context in one
		// allocation.
		rs := new(requestState[T])
		s := rs.p.init()
		st.load(r, s) // the error is reported, and kept in s
		// Field by field, into memory that is still zero: a whole
		// struct assigned at once is copied with the garbage
		// collector's bulk barrier whenever it is marking.
		rs.ctx.Context, rs.ctx.key, rs.ctx.s = r.Context(), st.ctxKey, s
		r = r.WithContext(&rs.ctx)
		sw := &rs.w
		sw.ResponseWriter, sw.st, sw.r, sw.s = w, st, r, s
		s.out = sw
		// A context kept past the request (in a goroutine, or given to
		// a later request) no longer stands for a live middleware.
		defer sw.finished.Store(true)
		next.ServeHTTP(sw, r)
		sw.commit()
		sw.reportLate()
		if sw.s.cache != 0 && !sw.timedOut && reflect.TypeOf(w) == timeoutWriterType() &&
			errors.Is(r.Context().Err(), context.DeadlineExceeded) {
			// Inside http.TimeoutHandler, whose time ran out before the
			// handler ended: its 503 went out instead of this response.
			sw.lostToTimeout()
		}
	})
}

// timeoutHandlerType is the type of what http.TimeoutHandler returns.
var timeoutHandlerType = reflect.TypeOf(http.TimeoutHandler(http.NotFoundHandler(), time.Second, ""))

// requestState is what the middleware keeps for one request.
type requestState[T any] struct {
	p   sessionParts[T]
	w   sessionWriter[T]
	ctx sessionContext
}

// sessionContext is the request's context with its session, as
// context.WithValue(parent, key, s) would make it.
type sessionContext struct {
	context.Context
	key *contextKey
	s   any
}

func (c *sessionContext) Value(key any) any {
	if key == any(c.key) {
		return c.s
	}
	return c.Context.Value(key)
}

// String says what the context is, as context.WithValue's does, without
// the session, which %v would print.
func (c *sessionContext) String() string {
	return fmt.Sprint(c.Context) + ".WithValue(" + c.key.name + ")"
}

// FromContext returns the session that the store's middleware loaded for
// the request whose context is ctx; ok is false outside the middleware,
// and s is then nil: every method of a nil *Session panics with a message
// that names the missing middleware.
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
	committed bool // the session was saved, or can no longer be
	sent      bool // the header went out: nothing can be saved any more
	hijacked  bool
	timedOut  bool        // a save's cookies were lost to http.TimeoutHandler, and this was reported
	finished  atomic.Bool // the middleware returned
}

func (w *sessionWriter[T]) commit() {
	if !w.committed {
		w.committed = true
		// What a Save that the handler called asked of caches: the
		// handler may have changed the cache headers since.
		asked := w.s.cache
		w.st.Save(w.ResponseWriter, w.r, w.s) // failures are reported by Save
		if asked != 0 {
			keepCacheHeaders(w.ResponseWriter.Header(), w.s.cache)
		}
	}
}

// reportLate reports a change that came after the header: no response can
// carry it any more.
func (w *sessionWriter[T]) reportLate() {
	if s := w.s; s.changed || s.renewed || s.destroyed {
		s.changed, s.renewed, s.destroyed = false, false, false
		err := fmt.Errorf("%w: change the session before the response's first Write, WriteHeader or Flush "+
			"(or call Store.Save before it, to learn the outcome)", ErrLateSave)
		if w.hijacked {
			err = fmt.Errorf("%w: the connection was hijacked, and a hijacked response carries no cookies; "+
				"call Store.Save before Hijack", ErrLateSave)
		}
		w.st.warn(w.r, "save", err)
	}
}

// lateSave is Save's check: under the middleware, a save once the header
// is out would write cookies that no response carries.
func (s *Session[T]) lateSave() bool {
	s.must()
	return s.out != nil && s.out.sent && (s.changed || s.renewed || s.destroyed)
}

// refuseLate drops the change that a late Save cannot write, and says so.
func (st *Store[T]) refuseLate(r *http.Request, s *Session[T]) error {
	s.changed, s.renewed, s.destroyed = false, false, false
	err := fmt.Errorf("%w: Store.Save was called once the header was out; call it before the first Write, "+
		"WriteHeader or Flush", ErrLateSave)
	st.warn(r, "save", err)
	return err
}

func (w *sessionWriter[T]) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// An informational response (103 Early Hints): the final header
		// is still to come, and the cookies with it.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.commit()
	w.sent = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter[T]) Write(b []byte) (int, error) {
	w.commit()
	w.sent = true
	n, err := w.ResponseWriter.Write(b)
	if errors.Is(err, http.ErrHandlerTimeout) && w.s.cache != 0 && !w.timedOut {
		// Inside http.TimeoutHandler, whose time is up: it has sent its
		// 503 without the header this response's saves set.
		w.lostToTimeout()
	}
	return n, err
}

// lostToTimeout reports, once, that http.TimeoutHandler answered the
// request without the header this response's saves set.
func (w *sessionWriter[T]) lostToTimeout() {
	w.timedOut = true
	w.st.warn(w.r, "save", fmt.Errorf("%w: http.TimeoutHandler answered the request when its time was up, "+
		"without the session's cookies, so the session's change is lost", ErrLateSave))
}

// timeoutWriterType is the type of the ResponseWriter that
// http.TimeoutHandler gives its handler, found by running one once.
var timeoutWriterType = sync.OnceValue(func() reflect.Type {
	var t reflect.Type
	h := http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { t = reflect.TypeOf(w) }), time.Minute, "")
	h.ServeHTTP(discardResponse{http.Header{}}, new(http.Request))
	return t
})

// discardResponse is a ResponseWriter that keeps nothing.
type discardResponse struct{ h http.Header }

func (d discardResponse) Header() http.Header       { return d.h }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *sessionWriter[T]) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for handlers that assert it.
func (w *sessionWriter[T]) Flush() {
	w.commit()
	w.sent = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for handlers that assert it. A hijacked
// connection carries no header from the server, so the session is not
// saved: save it before hijacking, if it must be. A change pending at the
// hijack, or made after it, is reported as [ErrLateSave]. A hijack that
// fails (HTTP/2, a writer that cannot) changes nothing: the response
// goes on as if it had not been tried, and saves the session.
func (w *sessionWriter[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.committed, w.sent, w.hijacked = true, true, true
	}
	return conn, buf, err
}
