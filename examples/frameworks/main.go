// Command frameworks serves one small application over a cookiesession
// store under chi, echo or gin, to show the wiring each needs:
//
//	chi:  router.Use(store.Middleware)
//	echo: e.Use(echo.WrapMiddleware(store.Middleware))
//	gin:  router.Use(ginsession.Middleware(store))
//
// In every one a handler finds the session with store.FromContext on the
// request's context, and the session is saved just before the response's
// header goes out, also when a handler writes nothing. This folder is a
// module of its own, so that the library depends on none of the
// frameworks. Run it from here:
//
//	go run . -framework gin
//
// and open http://localhost:8080. Routes, the same under each framework:
//
//	GET  /                          the session as JSON; shows and clears the flashes
//	POST /login?name=&remember=on   logs in (Renew), with a persistent cookie if remember=on
//	POST /visit                     counts a visit and writes nothing
//	POST /grow?kb=                  grows the session; a session too large is refused with 413
//	POST /logout                    ends the session, with a flash saying so
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// account is what the application keeps in the session. (The CBOR
// serializer follows json tags too: a field tagged json:"-" is not saved.)
type account struct {
	Name   string
	Visits int
	Notes  string // ballast from /grow
}

// view is what GET / answers.
type view struct {
	Name       string                `json:"name"`
	Visits     int                   `json:"visits"`
	NotesBytes int                   `json:"notes_bytes"`
	Persistent bool                  `json:"persistent"`
	Flashes    []cookiesession.Flash `json:"flashes"`
}

func main() {
	framework := flag.String("framework", "chi", "chi, echo or gin")
	listen := flag.String("listen", "localhost:8080", "address to serve on")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*framework, *listen, logger); err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
}

func run(framework, listen string, logger *slog.Logger) error {
	// A keyring in memory: sessions end with the process. A real
	// application loads a keyring file (cookiesession.NewKeyringFile).
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		return err
	}
	store, err := newStore(ring, logger)
	if err != nil {
		return err
	}
	h, err := app(framework, store)
	if err != nil {
		return err
	}
	fmt.Printf("%s: open http://%s/\n", framework, listen)
	srv := &http.Server{Addr: listen, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

func newStore(keys cookiesession.KeySource, logger *slog.Logger) (*cookiesession.Store[account], error) {
	return cookiesession.NewStore(keys, cookiesession.Config[account]{
		MaxSize: 8 << 10,
		Logger:  logger,
		// A session is a browser-session cookie unless the user asked
		// to be remembered.
		BrowserSessionCookies: true,
	})
}

// app returns the application served by the named framework.
func app(framework string, store *cookiesession.Store[account]) (http.Handler, error) {
	switch framework {
	case "chi":
		return chiApp(store), nil
	case "echo":
		return echoApp(store), nil
	case "gin":
		return ginApp(store), nil
	}
	return nil, fmt.Errorf("unknown framework %q: want chi, echo or gin", framework)
}

// The application's actions, the same under every framework. Each takes
// the request's session; the framework files only adapt them.

func show(s *cookiesession.Session[account]) view {
	a := s.Get()
	return view{
		Name: a.Name, Visits: a.Visits, NotesBytes: len(a.Notes), Persistent: s.Persistent(),
		Flashes: s.Flashes(), // reading removes them, and the removal is saved
	}
}

func login(s *cookiesession.Session[account], name string, remember bool) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 {
		return errors.New("enter a name of 1 to 64 bytes")
	}
	s.Renew() // a new session id at login
	s.SetPersistent(remember)
	s.Update(func(a *account) { a.Name = name })
	return s.AddFlash("info", "Welcome, "+name+".")
}

func visit(s *cookiesession.Session[account]) {
	s.Update(func(a *account) { a.Visits++ })
}

// grow fills the session with kb KiB of notes and saves it at once, so that
// a session too large for MaxSize is answered with an error rather than
// lost after the response: Save writes nothing then, and the browser keeps
// its cookies.
func grow(store *cookiesession.Store[account], w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account], kb string) error {
	n, err := strconv.Atoi(kb)
	if err != nil || n < 0 || n > 64 {
		return errors.New("kb must be between 0 and 64")
	}
	s.Update(func(a *account) { a.Notes = strings.Repeat("n", n<<10) })
	return store.Save(w, r, s)
}

func logout(s *cookiesession.Session[account]) {
	s.Destroy()
	s.AddFlash("info", "Logged out.") // the one thing the new session holds
}

// noSession answers a request whose route runs outside the store's
// middleware: a wiring mistake, not the client's.
func noSession(w http.ResponseWriter) {
	http.Error(w, "no session: the route is not behind the session middleware", http.StatusInternalServerError)
}
