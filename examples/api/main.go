// Command api is a JSON API that one cookiesession store serves to two
// kinds of clients: a browser page, whose session travels in a cookie,
// and a command-line client that keeps no cookies, whose session travels
// as a bearer token. The handlers do not know which: they take the session
// from the request's context either way. Run the server from the
// repository's root:
//
//	go run ./examples/api
//
// and open http://localhost:8080/ for the page. From another terminal, the
// command-line client (the same program) logs in, reads and changes the
// session, and logs out:
//
//	go run ./examples/api client login ada
//	go run ./examples/api client me
//	go run ./examples/api client visit
//	go run ./examples/api client logout
//
// The client keeps its token in a file (cookiesession-api-token, mode
// 0600), sends it as "Authorization: Bearer <token>", and replaces it
// whenever a response brings a new one in the Session-Token header: when
// the session changed, its idle window is half used, or the keyring's
// primary key changed. Rotate the key while both clients are logged in,
// and watch both move to the new key on their next request:
//
//	go run ./cmd/cookiesession keyring rotate cookiesession-api-keyring.json --activate-in 0
//
// The server watches its keyring file and picks the rotation up within
// five seconds.
//
// Cross-site requests. The browser attaches the cookie on its own, to
// requests that other sites' pages make too, so every request that would
// use it goes through net/http.CrossOriginProtection, which refuses a
// state-changing request that the browser says comes from another origin.
// A request carrying a bearer token skips that check: the store then
// ignores its cookies, and a browser never attaches a token on its own.
//
// A single-page application on another origin uses tokens too. Allow its
// origin with -allow-origin: the server answers its CORS preflights, lets
// it send the Authorization header, and exposes the Session-Token
// response header to it, which it could not read otherwise.
//
// Flags of the server:
//
//	-listen ADDR          address to serve on (default localhost:8080)
//	-keyring FILE         keyring file, created if missing (default cookiesession-api-keyring.json)
//	-allow-origin ORIGIN  an origin whose scripts may call the API with tokens (CORS)
//
// Flags of the client, before its command:
//
//	-server URL           the server (default http://localhost:8080)
//	-token-file FILE      where the token is kept (default cookiesession-api-token)
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// account is what the session holds.
type account struct {
	Name   string
	Visits int
}

// view is how the API shows a session.
type view struct {
	Name      string  `json:"name"`
	Visits    int     `json:"visits"`
	Session   *string `json:"session"`   // the session id; null when the request carried none
	Key       string  `json:"key"`       // the key that sealed the session the request carried
	Transport string  `json:"transport"` // how the request carried it: "cookie", "token", or "" for no session
	LoadError string  `json:"load_error,omitempty"`
	Note      string  `json:"note,omitempty"`
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	if len(os.Args) > 1 && os.Args[1] == "client" {
		err = runClient(os.Args[2:], os.Stdout)
	} else {
		err = runServer(os.Args[1:], logger)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func runServer(args []string, logger *slog.Logger) error {
	fl := flag.NewFlagSet("api", flag.ContinueOnError)
	listen := fl.String("listen", "localhost:8080", "address to serve on")
	keyringFile := fl.String("keyring", "cookiesession-api-keyring.json", "keyring file, created if missing")
	allowOrigin := fl.String("allow-origin", "", "an origin whose scripts may call the API with bearer tokens")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("api: unexpected argument %q; the client runs as: api client COMMAND", fl.Arg(0))
	}
	a, err := newApp(*keyringFile, *allowOrigin, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.keys.Run(ctx)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Printf("Open http://localhost:%s/ for the page; the client: go run ./examples/api client -server http://localhost:%s login NAME\n", port, port)
	// Bounds on every phase of a request, so that a client that sends a
	// header and then nothing holds no connection for long.
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return srv.Serve(ln)
}

// app is the API: its store, the keyring file it watches, and its handler.
type app struct {
	store   *cookiesession.Store[account]
	keys    *cookiesession.KeyringFile
	handler http.Handler
	logger  *slog.Logger
}

func newApp(keyringFile, allowOrigin string, logger *slog.Logger) (*app, error) {
	if err := createKeyring(keyringFile); err != nil {
		return nil, err
	}
	keys, err := cookiesession.NewKeyringFile(keyringFile, cookiesession.KeyringFileConfig{Logger: logger})
	if err != nil {
		return nil, err
	}
	store, err := cookiesession.NewStore(keys, cookiesession.Config[account]{
		// One store, both transports, on the same routes. The cookie
		// keeps the defaults for http://localhost: __Host-session, Secure,
		// HttpOnly, SameSite=Lax.
		Transport: cookiesession.TransportCookie | cookiesession.TransportBearer,
		// A token cannot be taken back from a client once issued, so keep
		// lifetimes short: logout only asks the client to drop it.
		Lifetime:    12 * time.Hour,
		IdleTimeout: time.Hour,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	a := &app{store: store, keys: keys, logger: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /token", a.token)
	mux.HandleFunc("GET /api/me", a.me)
	mux.HandleFunc("POST /api/visit", a.visit)
	mux.HandleFunc("POST /logout", a.logout)
	a.handler = cors(allowOrigin, a.crossOriginProtection(store.Middleware(mux)))
	return a, nil
}

// createKeyring writes a keyring file with one new key at path, unless
// there is a file there already.
func createKeyring(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return err // nil: the file exists, and NewKeyringFile checks it
	}
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		return err
	}
	// SaveNew writes the file with mode 0600, and never replaces one.
	if err := ring.SaveNew(path); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	fmt.Printf("Created the development keyring %s (mode 0600). Its keys can forge any session: keep it out of version control.\n", abs)
	return nil
}

// crossOriginProtection refuses state-changing requests that a browser
// reports as coming from another origin (Sec-Fetch-Site, or Origin
// against Host), before the store loads any session. SameSite=Lax alone
// lets a sibling host under a shared cookie Domain post with the user's
// cookie, since the browser counts it as the same site; this check does
// not. Requests whose session comes from a token skip it: the store
// ignores their cookies, and no browser adds a token by itself.
//
// POST /token skips it too, so that a script on another origin (allowed
// with -allow-origin) can log in: it issues a token in its body and sets
// no cookie (Session.Token), so a forged request there changes no cookie
// session, and another site's page cannot read the token it returns (CORS
// lets only the allowed origin read answers).
func (a *app) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /token")
	checked := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.store.CarriesToken(r) {
			next.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// cors lets scripts of origin call the API with bearer tokens. No cookie
// crosses origins (there is no Access-Control-Allow-Credentials), so the
// token is the only session such a script has.
func cors(origin string, next http.Handler) http.Handler {
	if origin == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		if r.Header.Get("Origin") != origin {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		// Without this, the script cannot read the new token that a
		// response brings.
		h.Set("Access-Control-Expose-Headers", cookiesession.TokenHeader)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *app) session(r *http.Request) *cookiesession.Session[account] {
	s, _ := a.store.FromContext(r.Context()) // always there: every route is behind the middleware
	return s
}

//go:embed page.html
var pageHTML []byte

func (a *app) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(pageHTML)
}

// logIn starts a session for the name in the request's JSON body. Renew
// gives it a new id, so that an id planted before the login is worthless.
func (a *app) logIn(w http.ResponseWriter, r *http.Request) (*cookiesession.Session[account], bool) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1024)).Decode(&body); err != nil {
		a.reply(w, r, http.StatusBadRequest, view{Note: "send {\"name\": …} as JSON"})
		return nil, false
	}
	name := strings.TrimSpace(body.Name)
	if name == "" || len(name) > 64 {
		a.reply(w, r, http.StatusBadRequest, view{Note: "a name of 1 to 64 bytes"})
		return nil, false
	}
	s := a.session(r)
	s.Renew()
	s.Set(account{Name: name})
	return s, true
}

// login is the browser's login: the middleware sets the session cookie.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.logIn(w, r); ok {
		a.me(w, r)
	}
}

// token is the login of clients without cookies: the session is sealed as
// a token, returned in the body, and no cookie is set.
func (a *app) token(w http.ResponseWriter, r *http.Request) {
	s, ok := a.logIn(w, r)
	if !ok {
		return
	}
	token, err := s.Token()
	if err != nil {
		a.logger.Error("sealing a token", "err", err)
		http.Error(w, "cannot issue a token", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // the body is a credential
	json.NewEncoder(w).Encode(struct {
		Token string `json:"token"`
	}{token})
}

func (a *app) me(w http.ResponseWriter, r *http.Request) {
	a.reply(w, r, http.StatusOK, view{})
}

func (a *app) visit(w http.ResponseWriter, r *http.Request) {
	a.session(r).Update(func(d *account) { d.Visits++ })
	a.me(w, r)
}

// logout ends the session. The cookie is expired in the browser; a token
// cannot be deleted from the client that holds it, so the client is told
// to drop it, and a copy of it opens until it expires (at most an hour
// idle, twelve hours in all).
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	a.session(r).Destroy()
	v := view{}
	if a.store.CarriesToken(r) {
		v.Note = "logged out: discard your token; a copy of it stays valid until it expires"
	}
	a.reply(w, r, http.StatusOK, v)
}

// reply writes the request's session as JSON, with v's note.
func (a *app) reply(w http.ResponseWriter, r *http.Request, code int, v view) {
	s := a.session(r)
	v.Name, v.Visits = s.Get().Name, s.Get().Visits
	if !s.IsNew() {
		id := s.ID()
		v.Session, v.Key, v.Transport = &id, s.KeyID().String(), "cookie"
	}
	if a.store.CarriesToken(r) {
		v.Transport = "token" // also for a token that failed: the cookie played no part
	}
	if err := s.LoadError(); err != nil && !errors.Is(err, cookiesession.ErrAbsent) {
		v.LoadError = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
