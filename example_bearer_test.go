package cookiesession_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cookiesession/cookiesession"
)

func ExampleSession_Token() {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	type login struct{ User string }
	store, err := cookiesession.NewStore(ring, cookiesession.Config[login]{
		Transport: cookiesession.TransportCookie | cookiesession.TransportBearer,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	// The API's login returns the token in its body.
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		s.Renew()
		s.Set(login{User: "ada"})
		token, err := s.Token()
		if err != nil {
			http.Error(w, "cannot issue a token", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": token})
	})
	// Other handlers do not know how the session came.
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.FromContext(r.Context())
		fmt.Fprintf(w, "user %q", s.Get().User)
	})
	h := store.Middleware(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/token", nil))
	var body struct{ Token string }
	json.NewDecoder(rec.Body).Decode(&body)
	fmt.Println("cookies set at login:", len(rec.Result().Cookies()))

	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+body.Token)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Body.String())

	// The token is not a cookie value.
	r = httptest.NewRequest("GET", "/me", nil)
	r.AddCookie(&http.Cookie{Name: store.Name(), Value: body.Token})
	_, err = store.Load(r)
	fmt.Println(errors.Is(err, cookiesession.ErrTampered))
	// Output:
	// cookies set at login: 0
	// user "ada"
	// true
}
