package e2e

import (
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// The test server answers for every host; the browser reaches it under
// names below example.localhost, which Chromium and Firefox resolve to
// loopback by themselves. evil.localhost is another site.
const (
	domain        = "example.localhost"
	appHost       = "app." + domain
	apiHost       = "api." + domain
	otherSiteHost = "evil.localhost"
	cookieName    = "__Secure-session" // the default name of a cookie with a Domain
	lifetime      = 2 * time.Hour
	probeName     = "probe"
	orderName     = "order"
)

// account is the test application's session.
type account struct {
	User string
	Blob string // ballast, to make the session span several cookies
}

// state is what the server made of a request's session.
type state struct {
	Host      string `json:"host"`
	New       bool   `json:"new"`
	ID        string `json:"id"`
	User      string `json:"user"`
	Blob      int    `json:"blob"`
	LoadError string `json:"loadError"` // empty when the request carried no session
	FetchSite string `json:"fetchSite"` // the request's Sec-Fetch-Site header
}

// server is a small application over a store shared by the hosts under
// domain:
//
//	GET  api.example.localhost/  the session's state as JSON
//	GET  /                       the state in a page, with the forms below
//	POST /login   user=          renews the session and logs the user in
//	POST /grow    n=             sets Blob to n bytes
//	POST /logout                 destroys the session
//	POST /echo                   the state in a page, changing nothing
//	GET  /probe/{size}           the page, setting a cookie "probe" of
//	                             size bytes of name and value
//	GET  /order/{kind}/{value}   the page, setting a cookie "order" to
//	                             value, for the domain when kind is
//	                             "domain", host-only when it is "host"
//	GET  /elsewhere              a page with a link to the app and a form
//	                             that posts to the app's /echo; opened on
//	                             evil.localhost, it is another site's
type server struct {
	port  string
	ring  *cookiesession.Keyring
	cfg   cookiesession.Config[account] // the store's, before NewStore's defaults
	store *cookiesession.Store[account]

	mu        sync.Mutex
	errs      []error    // what the store reported
	exchanges []exchange // what the server saw and answered
}

// exchange is a request and the session cookies of its response.
type exchange struct {
	Method, Host, Path string
	Cookie             string   // the request's Cookie header
	SetCookie          []string // the response's Set-Cookie headers
}

// newServer starts the test application; each option changes the store's
// configuration first.
func newServer(t *testing.T, options ...func(*cookiesession.Config[account])) *server {
	t.Helper()
	// A key active since an hour ago, so that a test can seal a session
	// issued earlier than now.
	ring, err := cookiesession.NewKeyring(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{ring: ring}
	srv.cfg = cookiesession.Config[account]{
		Domain:   domain,
		Lifetime: lifetime,
		MaxSize:  24 << 10, // room for five cookies; the default allows two
		OnError: func(_ *http.Request, err error) {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			srv.errs = append(srv.errs, err)
		},
	}
	for _, o := range options {
		o(&srv.cfg)
	}
	srv.store, err = cookiesession.NewStore(ring, srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.record(srv.store.Middleware(srv.routes(t))))
	t.Cleanup(hs.Close)
	_, srv.port, _ = net.SplitHostPort(hs.Listener.Addr().String())
	return srv
}

// record notes every exchange, with the Set-Cookie headers as the
// response's header is written.
func (srv *server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := &exchange{Method: r.Method, Host: r.Host, Path: r.URL.Path, Cookie: r.Header.Get("Cookie")}
		rw := &recordingWriter{ResponseWriter: w, ex: ex}
		h.ServeHTTP(rw, r)
		rw.snapshot()
		srv.mu.Lock()
		srv.exchanges = append(srv.exchanges, *ex)
		srv.mu.Unlock()
	})
}

type recordingWriter struct {
	http.ResponseWriter
	ex   *exchange
	done bool
}

func (w *recordingWriter) snapshot() {
	if !w.done {
		w.done = true
		w.ex.SetCookie = w.Header().Values("Set-Cookie")
	}
}

func (w *recordingWriter) WriteHeader(code int) {
	w.snapshot()
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.snapshot()
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pageRequest returns the one request for the page "/" among exs (a
// browser may also ask for /favicon.ico).
func pageRequest(t *testing.T, exs []exchange) exchange {
	t.Helper()
	var found []exchange
	for _, ex := range exs {
		if ex.Method == "GET" && ex.Path == "/" {
			found = append(found, ex)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the server saw %d requests for the page, want 1: %+v", len(found), exs)
	}
	return found[0]
}

// takeExchanges returns the exchanges since the last call.
func (srv *server) takeExchanges() []exchange {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	ex := srv.exchanges
	srv.exchanges = nil
	return ex
}

// url returns the URL of path on host.
func (srv *server) url(host, path string) string {
	return "http://" + host + ":" + srv.port + path
}

// errors returns what the store reported since the last call.
func (srv *server) errors() []error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	errs := srv.errs
	srv.errs = nil
	return errs
}

var statePage = template.Must(template.New("").Parse(`<!doctype html>
<title>state</title>
<pre id="state">{{.}}</pre>
<form method="post" action="/login"><input id="user" name="user"><button id="login">log in</button></form>
<form method="post" action="/grow"><input id="n" name="n"><button id="grow">grow</button></form>
<form method="post" action="/logout"><button id="logout">log out</button></form>
`))

// elsewherePage links and posts to the app from another host.
var elsewherePage = template.Must(template.New("").Parse(`<!doctype html>
<title>another site</title>
<a id="link" href="{{.}}/">the app</a>
<form method="post" action="{{.}}/echo"><input id="note" name="note"><button id="post">post</button></form>
`))

func (srv *server) routes(t *testing.T) http.Handler {
	session := func(r *http.Request) *cookiesession.Session[account] {
		s, ok := srv.store.FromContext(r.Context())
		if !ok {
			panic("no session in the request's context")
		}
		return s
	}
	stateOf := func(r *http.Request) []byte {
		s := session(r)
		st := state{Host: r.Host, New: s.IsNew(), User: s.Get().User, Blob: len(s.Get().Blob),
			FetchSite: r.Header.Get("Sec-Fetch-Site")}
		if !s.IsNew() {
			st.ID = s.ID()
		}
		if err := s.LoadError(); err != nil && !errors.Is(err, cookiesession.ErrAbsent) {
			st.LoadError = err.Error()
		}
		b, _ := json.Marshal(st)
		return b
	}
	done := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiHost+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(stateOf(r))
	})
	showState := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statePage.Execute(w, string(stateOf(r))); err != nil {
			t.Errorf("rendering the page: %v", err)
		}
	}
	mux.HandleFunc("GET /{$}", showState)
	mux.HandleFunc("POST /echo", showState)
	mux.HandleFunc("GET /probe/{size}", func(w http.ResponseWriter, r *http.Request) {
		size, err := strconv.Atoi(r.PathValue("size"))
		if err != nil || size < len(probeName)+1 || size > 1<<16 {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		// Written by hand: net/http's Cookie would not let a test ask
		// for a cookie that browsers drop.
		w.Header().Add("Set-Cookie", probeName+"="+strings.Repeat("p", size-len(probeName))+"; Path=/; SameSite=Lax")
		showState(w, r)
	})
	mux.HandleFunc("GET /order/{kind}/{value}", func(w http.ResponseWriter, r *http.Request) {
		c := &http.Cookie{Name: orderName, Value: r.PathValue("value"), Path: "/", SameSite: http.SameSiteLaxMode}
		switch r.PathValue("kind") {
		case "domain":
			c.Domain = domain
		case "host":
		default:
			http.Error(w, "bad kind", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, c)
		showState(w, r)
	})
	mux.HandleFunc("GET /elsewhere", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := elsewherePage.Execute(w, srv.url(appHost, "")); err != nil {
			t.Errorf("rendering the page: %v", err)
		}
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session(r)
		s.Renew()
		s.Update(func(a *account) { a.User = r.PostFormValue("user") })
		done(w, r)
	})
	mux.HandleFunc("POST /grow", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PostFormValue("n"))
		if err != nil || n < 0 || n > 1<<20 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		session(r).Update(func(a *account) { a.Blob = strings.Repeat("x", n) })
		done(w, r)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		session(r).Destroy()
		done(w, r)
	})
	return mux
}
