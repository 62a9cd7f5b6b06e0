// Package ginsession runs gin handlers under a cookiesession store's
// middleware, in one line of wiring:
//
//	router.Use(ginsession.Middleware(store))
//
// Handlers then find the session as under net/http:
//
//	s, ok := store.FromContext(c.Request.Context())
//
// gin defers writing the response's header: c.Status records a code, and
// the header goes out at the first body write, at c.Writer.WriteHeaderNow,
// or after the last handler returns. The session is saved at that moment,
// so a handler that changes the session and writes nothing loses nothing,
// and a handler may change the session after c.Status.
package ginsession

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/cookiesession/cookiesession"
	"github.com/gin-gonic/gin"
)

// Middleware returns gin middleware that loads the request's session with
// st.Middleware, runs the rest of the chain, and saves the session before
// the header goes out (see [cookiesession.Store.Middleware] for failed and
// late saves).
func Middleware[T any](st *cookiesession.Store[T]) gin.HandlerFunc {
	return func(c *gin.Context) {
		gw := c.Writer
		defer func() { c.Writer = gw }()
		st.Middleware(http.HandlerFunc(func(sw http.ResponseWriter, r *http.Request) {
			c.Request = r
			c.Writer = &writer{ResponseWriter: gw, session: sw}
			c.Next()
		})).ServeHTTP(gw, c.Request)
	}
}

// writer is gin's writer with every call that sends the header routed
// through the session middleware's writer, which saves the session first.
// WriteHeader only records the status, as gin's own writer does.
type writer struct {
	gin.ResponseWriter                     // gin's writer: status, size, Written
	session            http.ResponseWriter // the middleware's writer over it
}

var _ gin.ResponseWriter = (*writer)(nil)

func (w *writer) Write(b []byte) (int, error) { return w.session.Write(b) }

func (w *writer) WriteString(s string) (int, error) { return io.WriteString(w.session, s) }

func (w *writer) WriteHeaderNow() {
	if !w.Written() {
		w.session.WriteHeader(w.Status()) // saves the session; gin records the status
		w.ResponseWriter.WriteHeaderNow() // and sends it
	}
}

func (w *writer) Flush() { w.session.(http.Flusher).Flush() }

func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.session.(http.Hijacker).Hijack()
}

// Unwrap lets http.ResponseController reach the writers underneath.
func (w *writer) Unwrap() http.ResponseWriter { return w.session }
