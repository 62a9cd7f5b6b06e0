// Command subdomains shares one session between two hosts of one site:
// an application on app.example.localhost and an API on
// api.example.localhost, both served by this process. Run it from the
// repository's root:
//
//	go run ./examples/subdomains
//
// and open http://app.example.localhost:8080/ in Chromium, which resolves
// every *.localhost name to this machine by itself and treats it as
// secure (other browsers may need the names in /etc/hosts). Log in on the
// app, then open http://api.example.localhost:8080/: the API sees the
// same session.
//
// The session cookie is set with Domain=example.localhost, so the browser
// sends it to every host under example.localhost. A cookie with a Domain
// cannot have the __Host- prefix, so it is named __Secure-session.
//
// The keys are made afresh at every start, so a restart logs everyone
// out; examples/basic shows how to keep them in a keyring file.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// domain is the registrable domain whose hosts share the session.
const domain = "example.localhost"

// profile is what the session holds.
type profile struct {
	Name string `json:"name"`
}

func main() {
	listen := flag.String("listen", "localhost:8080", "address to serve on")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*listen, logger); err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
}

func run(listen string, logger *slog.Logger) error {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		return err
	}
	store, err := cookiesession.NewStore(ring, cookiesession.Config[profile]{
		Domain: domain, // the cookie's name defaults to __Secure-session
		Logger: logger,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	appURL := "http://app." + domain + ":" + port + "/"
	apiURL := "http://api." + domain + ":" + port + "/"

	// ServeMux routes on the Host header (without its port) when a
	// pattern starts with a host name.
	mux := http.NewServeMux()
	mux.HandleFunc("GET app."+domain+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err := appPage.Execute(w, map[string]any{"Name": s.Get().Name, "ID": s.ID(), "API": apiURL})
		if err != nil {
			logger.Error("rendering the page", "err", err)
		}
	})
	mux.HandleFunc("POST app."+domain+"/login", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSpace(r.PostFormValue("name"))
		if name == "" || len(name) > 64 {
			http.Error(w, "enter a name of 1 to 64 bytes", http.StatusBadRequest)
			return
		}
		s, _ := store.FromContext(r.Context())
		s.Renew() // a new session id at login
		s.Set(profile{Name: name})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST app."+domain+"/logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		s.Destroy()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET api."+domain+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		resp := struct {
			Session *string `json:"session"` // the session id; null when there is no session
			profile
		}{profile: s.Get()}
		if !s.IsNew() {
			id := s.ID()
			resp.Session = &id
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "open "+appURL+" or "+apiURL, http.StatusNotFound)
	})

	fmt.Printf("Open the app at %s and the API at %s in Chromium.\n", appURL, apiURL)
	// Every change is a POST, and CrossOriginProtection refuses one that
	// the browser says another origin's page made: SameSite=Lax keeps the
	// cookie off cross-site POSTs, but not off those of sibling hosts.
	protected := http.NewCrossOriginProtection().Handler(store.Middleware(mux))
	srv := &http.Server{Handler: protected, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

var appPage = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>cookiesession: subdomains example</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }</style>
<h1>app.example.localhost</h1>
{{if .Name}}
<p>Logged in as <b id="name">{{.Name}}</b>, session <code id="id">{{.ID}}</code>.</p>
<form method="post" action="/logout"><button id="logout">Log out</button></form>
{{else}}
<p id="name">Not logged in.</p>
<form method="post" action="/login"><input id="login-name" name="name" placeholder="your name" required maxlength="64">
<button id="login">Log in</button></form>
{{end}}
<p>The API, on another host, reads the same session: <a id="api" href="{{.API}}">{{.API}}</a>.
In the developer tools, the cookie <code>__Secure-session</code> has Domain
<code>.example.localhost</code>, so both hosts get it.</p>
`))
