package main

import (
	"net/http"

	"github.com/cookiesession/cookiesession"
	"github.com/labstack/echo/v4"
)

// echoApp serves the application with echo, whose WrapMiddleware takes
// net/http middleware such as the store's.
func echoApp(store *cookiesession.Store[account]) http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.Use(echo.WrapMiddleware(store.Middleware))

	session := func(c echo.Context) (*cookiesession.Session[account], error) {
		s, ok := store.FromContext(c.Request().Context())
		if !ok {
			return nil, echo.NewHTTPError(http.StatusInternalServerError, "no session: the route is not behind the session middleware")
		}
		return s, nil
	}
	e.GET("/", func(c echo.Context) error {
		s, err := session(c)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, show(s))
	})
	e.POST("/login", func(c echo.Context) error {
		s, err := session(c)
		if err != nil {
			return err
		}
		if err := login(s, c.FormValue("name"), c.FormValue("remember") == "on"); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		return c.Redirect(http.StatusSeeOther, "/")
	})
	e.POST("/visit", func(c echo.Context) error {
		s, err := session(c)
		if err != nil {
			return err
		}
		visit(s)
		return nil
	})
	e.POST("/grow", func(c echo.Context) error {
		s, err := session(c)
		if err != nil {
			return err
		}
		if err := grow(store, c.Response(), c.Request(), s, c.FormValue("kb")); err != nil {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, err.Error())
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.POST("/logout", func(c echo.Context) error {
		s, err := session(c)
		if err != nil {
			return err
		}
		logout(s)
		return c.Redirect(http.StatusSeeOther, "/")
	})
	return e
}
