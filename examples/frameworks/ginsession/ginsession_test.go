package ginsession_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/frameworks/ginsession"
	"github.com/gin-gonic/gin"
)

type visits struct{ N int }

func newStore(t *testing.T, onError func(*http.Request, error)) *cookiesession.Store[visits] {
	t.Helper()
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := cookiesession.NewStore(ring, cookiesession.Config[visits]{OnError: onError})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func count(st *cookiesession.Store[visits], c *gin.Context) {
	s, ok := st.FromContext(c.Request.Context())
	if !ok {
		panic("no session")
	}
	s.Update(func(v *visits) { v.N++ })
}

// Every way a gin handler ends a response saves a change made before the
// header goes out, including a change after c.Status and a handler that
// writes nothing.
func TestGinSavesBeforeTheHeader(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	for name, tc := range map[string]struct{ status int }{
		"writes nothing":          {status: http.StatusOK},
		"c.Status then change":    {status: http.StatusCreated},
		"c.String":                {status: http.StatusOK},
		"c.JSON":                  {status: http.StatusAccepted},
		"c.Redirect":              {status: http.StatusSeeOther},
		"c.AbortWithStatus":       {status: http.StatusUnauthorized},
		"c.Writer.Flush":          {status: http.StatusOK},
		"c.Writer.WriteHeaderNow": {status: http.StatusNoContent},
	} {
		t.Run(name, func(t *testing.T) {
			var reported []error
			st := newStore(t, func(_ *http.Request, err error) { reported = append(reported, err) })
			r := gin.New()
			r.Use(ginsession.Middleware(st))
			r.GET("/", func(c *gin.Context) {
				switch name {
				case "writes nothing":
					count(st, c)
				case "c.Status then change":
					c.Status(http.StatusCreated)
					count(st, c)
				case "c.String":
					count(st, c)
					c.String(http.StatusOK, "hello")
				case "c.JSON":
					count(st, c)
					c.JSON(http.StatusAccepted, gin.H{"ok": true})
				case "c.Redirect":
					count(st, c)
					c.Redirect(http.StatusSeeOther, "/next")
				case "c.AbortWithStatus":
					count(st, c)
					c.AbortWithStatus(http.StatusUnauthorized)
				case "c.Writer.Flush":
					count(st, c)
					c.Writer.WriteString("data: 1\n\n")
					c.Writer.Flush()
				case "c.Writer.WriteHeaderNow":
					count(st, c)
					c.Status(http.StatusNoContent)
					c.Writer.WriteHeaderNow()
				}
			})
			w := httptest.NewRecorder()
			r.ServeHTTP(w, localhost())
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if !setsSession(w, st.Name()) {
				t.Errorf("the change was not saved; Set-Cookie: %q", w.Result().Header.Values("Set-Cookie"))
			}
			if len(reported) != 0 {
				t.Errorf("reported %v", reported)
			}
		})
	}
}

// A change after the body went out is reported, not dropped silently.
func TestGinLateChangeIsReported(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var reported []error
	st := newStore(t, func(_ *http.Request, err error) { reported = append(reported, err) })
	r := gin.New()
	r.Use(ginsession.Middleware(st))
	r.GET("/", func(c *gin.Context) {
		c.String(http.StatusOK, "hello")
		count(st, c)
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, localhost())
	if setsSession(w, st.Name()) {
		t.Fatal("a session cookie after the body?")
	}
	if len(reported) != 1 || !errors.Is(reported[0], cookiesession.ErrLateSave) {
		t.Fatalf("reported %v, want ErrLateSave", reported)
	}
}

// http.ResponseController reaches the server's writer through the adapter.
func TestGinResponseController(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	st := newStore(t, nil)
	r := gin.New()
	r.Use(ginsession.Middleware(st))
	var deadlineErr error
	r.GET("/", func(c *gin.Context) {
		count(st, c)
		deadlineErr = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(time.Minute))
		c.String(http.StatusOK, "ok")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if deadlineErr != nil {
		t.Errorf("SetWriteDeadline through the adapter: %v", deadlineErr)
	}
	if len(resp.Cookies()) == 0 {
		t.Error("no session cookie")
	}
}

func localhost() *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "localhost"
	return r
}

// setsSession reports whether the response's header, as it went out, set
// the session cookie.
func setsSession(w *httptest.ResponseRecorder, name string) bool {
	for _, line := range w.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return true
		}
	}
	return false
}
