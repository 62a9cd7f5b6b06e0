package main

import (
	"encoding/json"
	"net/http"

	"github.com/cookiesession/cookiesession"
	"github.com/go-chi/chi/v5"
)

// chiApp serves the application with chi. chi's middleware is net/http's,
// so the store's Middleware goes in as it is.
func chiApp(store *cookiesession.Store[account]) http.Handler {
	r := chi.NewRouter()
	r.Use(store.Middleware)

	session := func(next func(http.ResponseWriter, *http.Request, *cookiesession.Session[account])) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s, ok := store.FromContext(r.Context())
			if !ok {
				noSession(w)
				return
			}
			next(w, r, s)
		}
	}
	r.Get("/", session(func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account]) {
		v := show(s) // before the first write: reading the flashes is a change
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}))
	r.Post("/login", session(func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account]) {
		if err := login(s, r.FormValue("name"), r.FormValue("remember") == "on"); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	r.Post("/visit", session(func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account]) {
		visit(s)
	}))
	r.Post("/grow", session(func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account]) {
		if err := grow(store, w, r, s, r.FormValue("kb")); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r.Post("/logout", session(func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[account]) {
		logout(s)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	return r
}
