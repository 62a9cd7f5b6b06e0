package main

import (
	"net/http"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/frameworks/ginsession"
	"github.com/gin-gonic/gin"
)

// ginApp serves the application with gin. gin's middleware is not
// net/http's, and gin defers writing the header; ginsession adapts the
// store's Middleware in one line.
func ginApp(store *cookiesession.Store[account]) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(ginsession.Middleware(store))

	session := func(c *gin.Context) (*cookiesession.Session[account], bool) {
		s, ok := store.FromContext(c.Request.Context())
		if !ok {
			noSession(c.Writer)
			c.Abort()
		}
		return s, ok
	}
	r.GET("/", func(c *gin.Context) {
		if s, ok := session(c); ok {
			c.JSON(http.StatusOK, show(s))
		}
	})
	r.POST("/login", func(c *gin.Context) {
		s, ok := session(c)
		if !ok {
			return
		}
		if err := login(s, c.Query("name"), c.Query("remember") == "on"); err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		c.Redirect(http.StatusSeeOther, "/")
	})
	r.POST("/visit", func(c *gin.Context) {
		if s, ok := session(c); ok {
			visit(s) // writes nothing: the session is saved all the same
		}
	})
	r.POST("/grow", func(c *gin.Context) {
		s, ok := session(c)
		if !ok {
			return
		}
		if err := grow(store, c.Writer, c.Request, s, c.Query("kb")); err != nil {
			c.String(http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.POST("/logout", func(c *gin.Context) {
		if s, ok := session(c); ok {
			logout(s)
			c.Redirect(http.StatusSeeOther, "/")
		}
	})
	return r
}
