// Command gorilla shows an application moving from gorilla/sessions'
// CookieStore to cookiesession without logging anyone out.
//
//	go run ./examples/gorilla
//
// /before/ is the application as it was: gorilla/sessions. / is the same
// application after the switch: cookiesession, told how to read the
// gorilla cookie. Log in before, then open the new page: you are still
// logged in, your browser now holds a cookiesession cookie, and the
// gorilla cookie is gone.
package main

import (
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/sessions"
)

// The keys the old application was configured with. A real application
// reads them from where it always did; these are for the example only.
var (
	hashKey  = []byte("example-hash-key-32-bytes-long!!")
	blockKey = []byte("example-block-key-32-bytes-long!")
)

// login is the session data of the application, after the switch.
type login struct {
	User string
}

func main() {
	listen := flag.String("listen", "localhost:8080", "address to serve on")
	flag.Parse()

	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	app, err := newApp(ring, time.Now().Add(30*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("1. log in with gorilla/sessions:  http://%s/before/\n", *listen)
	fmt.Printf("2. then open the switched app:   http://%s/\n", *listen)
	log.Fatal(http.ListenAndServe(*listen, app))
}

// newApp serves the old application under /before/ and the new one at /.
func newApp(ring *cookiesession.Keyring, sunset time.Time) (http.Handler, error) {
	// Before: the gorilla CookieStore, as the application had it.
	old := sessions.NewCookieStore(hashKey, blockKey)

	// After: the same application on cookiesession. These lines are the
	// whole switch; Gorilla can go once Sunset has passed.
	store, err := cookiesession.NewStore(ring, cookiesession.Config[login]{
		Gorilla: &cookiesession.GorillaMigration[login]{
			CookieName: "app-session",
			KeyPairs:   [][]byte{hashKey, blockKey},
			Sunset:     sunset,
			Convert: func(values map[any]any) (login, error) {
				user, ok := values["user"].(string)
				if !ok {
					return login{}, errors.New("no user")
				}
				return login{User: user}, nil
			},
		},
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /before/", func(w http.ResponseWriter, r *http.Request) {
		s, _ := old.Get(r, "app-session")
		user, _ := s.Values["user"].(string)
		render(w, "gorilla/sessions (before the switch)", user, "/before/login", r)
	})
	mux.HandleFunc("POST /before/login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := old.Get(r, "app-session")
		s.Values["user"] = r.FormValue("user")
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/before/", http.StatusSeeOther)
	})
	mux.Handle("GET /{$}", store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		render(w, "cookiesession (after the switch)", s.Get().User, "/login", r)
	})))
	mux.Handle("POST /login", store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		s.Renew()
		s.Set(login{User: r.FormValue("user")})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})))
	return mux, nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>{{.Title}}</title>
<h1>{{.Title}}</h1>
{{if .User}}<p>Logged in as <b>{{.User}}</b>.</p>{{else}}<p>Not logged in.</p>{{end}}
<form method="post" action="{{.Action}}"><input name="user" placeholder="name" required> <button>Log in</button></form>
<p>Cookies this request carried: {{range .Cookies}}<code>{{.Name}}</code> {{else}}none{{end}}</p>
<p><a href="/before/">before</a> · <a href="/">after</a></p>
`))

func render(w http.ResponseWriter, title, user, action string, r *http.Request) {
	page.Execute(w, map[string]any{"Title": title, "User": user, "Action": action, "Cookies": r.Cookies()})
}
