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
// names below example.localhost, which Chromium resolves to loopback by
// itself.
const (
	domain     = "example.localhost"
	appHost    = "app." + domain
	apiHost    = "api." + domain
	cookieName = "__Secure-session" // the default name of a cookie with a Domain
	lifetime   = 2 * time.Hour
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
}

// server is a small application over a store shared by the hosts under
// domain:
//
//	GET  api.example.localhost/  the session's state as JSON
//	GET  /                       the state in a page, with the forms below
//	POST /login   user=          renews the session and logs the user in
//	POST /grow    n=             sets Blob to n bytes
//	POST /logout                 destroys the session
type server struct {
	port  string
	store *cookiesession.Store[account]

	mu   sync.Mutex
	errs []error // what the store reported
}

func newServer(t *testing.T) *server {
	t.Helper()
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{}
	srv.store, err = cookiesession.NewStore(ring, cookiesession.Config[account]{
		Domain:   domain,
		Lifetime: lifetime,
		MaxSize:  24 << 10, // room for five cookies; the default allows two
		OnError: func(_ *http.Request, err error) {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			srv.errs = append(srv.errs, err)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.store.Middleware(srv.routes(t)))
	t.Cleanup(hs.Close)
	_, srv.port, _ = net.SplitHostPort(hs.Listener.Addr().String())
	return srv
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
		st := state{Host: r.Host, New: s.IsNew(), User: s.Get().User, Blob: len(s.Get().Blob)}
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
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statePage.Execute(w, string(stateOf(r))); err != nil {
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
