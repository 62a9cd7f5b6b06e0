// Command basic is a small web application that keeps its session in
// cookies. Run it from the repository's root:
//
//	go run ./examples/basic
//
// and open the address it prints (http://localhost:8080/ by default) with
// the browser's developer tools on the page's cookies. It counts visits,
// logs a name in and out, and grows the session past one cookie so that
// the chunks can be watched.
//
// On its first start it creates a development keyring file,
// cookiesession-dev-keyring.json in the working directory; later starts
// load it, so sessions survive a restart. Flags:
//
//	-listen ADDR   address to serve on (default localhost:8080)
//	-keyring FILE  keyring file (default cookiesession-dev-keyring.json)
package main

import (
	"cmp"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// data is what the application keeps in the session.
type data struct {
	Name   string // set at login
	Visits int    // visits counted with the button
	Notes  string // ballast that the grow buttons set, to watch chunking
}

// maxSize is the store's MaxSize. The default, 6 KiB, keeps the session's
// cookies well inside the 8 KiB that nginx and Apache accept in one request
// header line by default (load balancers such as AWS ALB and Cloudflare
// allow about 16 KiB); past it the proxy answers every request with an
// error until the cookies are gone. This demo grows its session past
// 10 KB to show chunking, so it raises the limit: don't, behind such a
// proxy.
const maxSize = 16 << 10

func main() {
	listen := flag.String("listen", "localhost:8080", "address to serve on")
	keyringFile := flag.String("keyring", "cookiesession-dev-keyring.json", "keyring file, created if missing")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*listen, *keyringFile, logger); err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
}

func run(listen, keyringFile string, logger *slog.Logger) error {
	ring, err := openKeyring(keyringFile)
	if err != nil {
		return err
	}
	// The other defaults suit http://localhost: browsers treat it as a
	// secure context, so the cookie is named __Host-session and is Secure,
	// HttpOnly and SameSite=Lax.
	//
	// Sessions get a browser-session cookie, gone when the browser closes,
	// unless the user ticks "remember me" at login.
	store, err := cookiesession.NewStore(ring, cookiesession.Config[data]{
		MaxSize:               maxSize,
		Logger:                logger,
		BrowserSessionCookies: true,
	})
	if err != nil {
		return err
	}
	a := &app{store: store, logger: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.withSession(a.home))
	mux.HandleFunc("POST /visit", a.withSession(a.visit))
	mux.HandleFunc("POST /login", a.withSession(a.login))
	mux.HandleFunc("POST /logout", a.withSession(a.logout))
	mux.HandleFunc("POST /grow", a.withSession(a.grow))
	mux.HandleFunc("POST /shrink", a.withSession(a.shrink))

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Printf("Open %s in Chromium or Firefox, with the developer tools on its cookies.\n", pageURL(listen, ln.Addr()))
	// Every change is a POST, and CrossOriginProtection refuses one that
	// the browser says another origin's page made: SameSite=Lax keeps the
	// cookie off cross-site POSTs, but not off those of sibling hosts.
	protected := http.NewCrossOriginProtection().Handler(store.Middleware(mux))
	srv := &http.Server{Handler: protected, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// openKeyring loads the keyring file at path, or creates one holding a new
// key if there is none yet.
func openKeyring(path string) (*cookiesession.Keyring, error) {
	ring, err := cookiesession.LoadKeyring(path, nil)
	if err == nil {
		fmt.Printf("Loaded the keyring %s.\n", path)
		return ring, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ring, err = cookiesession.NewKeyring(time.Now())
	if err != nil {
		return nil, err
	}
	// SaveNew writes the file with mode 0600, and never replaces one.
	if err := ring.SaveNew(path); err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(path)
	fmt.Printf("Created the development keyring %s (mode 0600). Its keys can forge any session: keep it out of version control.\n", abs)
	return ring, nil
}

// pageURL returns the URL to open for a server listening on addr, asked
// for as listen. A wildcard address is shown as localhost, which browsers
// treat as secure, unlike this machine's other addresses over plain HTTP.
func pageURL(listen string, addr net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return "http://" + net.JoinHostPort(host, port) + "/"
}

type app struct {
	store  *cookiesession.Store[data]
	logger *slog.Logger
}

type session = cookiesession.Session[data]

// withSession hands a route the session that the middleware loaded. ok is
// false only for a route outside the middleware: a wiring mistake.
func (a *app) withSession(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := a.store.FromContext(r.Context())
		if !ok {
			http.Error(w, "no session: the route is not behind the store's middleware", http.StatusInternalServerError)
			return
		}
		h(w, r, s)
	}
}

// home shows the page. It changes nothing unless there are flashes to show,
// so the response usually sets no cookie.
func (a *app) home(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, s, nil)
}

// visit counts a visit. Like every change, it is a POST, answered with a
// redirect to the page.
func (a *app) visit(w http.ResponseWriter, r *http.Request, s *session) {
	s.Update(func(d *data) { d.Visits++ })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// login starts a session for the name given. Renew gives the session a new
// id, so that an id someone planted in this browser before the login is
// worth nothing after it. "Remember me" makes the cookie persistent.
func (a *app) login(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 64 {
		a.render(w, r, s, errors.New("enter a name of 1 to 64 bytes"))
		return
	}
	s.Renew()
	s.SetPersistent(r.PostFormValue("remember") == "on")
	s.Update(func(d *data) { d.Name = name })
	s.AddFlash("info", "Logged in as "+name+".") // a fresh list of flashes has room
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session: the response expires every chunk of it. (A
// flash added now would start a new session, and set its cookie.)
func (a *app) logout(w http.ResponseWriter, r *http.Request, s *session) {
	s.Destroy()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// grow fills the session with kb KiB of notes. It saves the session itself
// rather than leave that to the middleware, so that it learns before it
// responds whether the session fits MaxSize, and shows the error if not.
func (a *app) grow(w http.ResponseWriter, r *http.Request, s *session) {
	kb := 8
	if r.PostFormValue("kb") == "20" {
		kb = 20
	}
	before := s.Get()
	s.Update(func(d *data) { d.Notes = strings.Repeat("cookie crumbs ", kb<<10/14+1)[:kb<<10] })
	if err := a.store.Save(w, r, s); err != nil {
		// Save wrote nothing, so the browser keeps its cookies. Put back
		// the data they hold, so that the page shows what is really saved.
		s.Set(before)
		a.render(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) shrink(w http.ResponseWriter, r *http.Request, s *session) {
	s.Update(func(d *data) { d.Notes = "" })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// chunk is one of the session's cookies as the request carried it.
type chunk struct {
	Name string
	Size int // bytes of name and value; browsers drop a cookie over 4096
}

type view struct {
	Data       data
	Flashes    []cookiesession.Flash
	Persistent bool
	NotesSize  int
	New        bool
	LoadError  string // why the request's session could not be used
	ID         string
	KeyID      string
	Created    time.Time
	Chunks     []chunk
	HeaderSize int // bytes the chunks add to the Cookie header
	MaxSize    int
	Error      string
}

// render shows the page, with actionErr at the top if it is not nil.
func (a *app) render(w http.ResponseWriter, r *http.Request, s *session, actionErr error) {
	v := view{
		Data:       s.Get(),
		Flashes:    s.Flashes(), // before the first write: removing them is a change to save
		Persistent: s.Persistent(),
		NotesSize:  len(s.Get().Notes),
		New:        s.IsNew(),
		MaxSize:    maxSize,
	}
	if !s.IsNew() {
		v.ID, v.KeyID, v.Created = s.ID(), s.KeyID().String(), s.Created().UTC()
	}
	if err := s.LoadError(); err != nil && !errors.Is(err, cookiesession.ErrAbsent) {
		v.LoadError = err.Error()
	}
	if actionErr != nil {
		v.Error = actionErr.Error()
	}
	name := a.store.Name()
	for _, c := range r.Cookies() {
		if c.Name == name || strings.HasPrefix(c.Name, name+".") {
			v.Chunks = append(v.Chunks, chunk{Name: c.Name, Size: len(c.Name) + len(c.Value)})
			v.HeaderSize += len(c.Name) + 1 + len(c.Value) + len("; ")
		}
	}
	if len(v.Chunks) > 0 {
		v.HeaderSize -= len("; ")
	}
	// Browsers send cookies in no particular order: sort them as name,
	// name.1, name.2, …, name.10.
	slices.SortFunc(v.Chunks, func(x, y chunk) int {
		return cmp.Or(cmp.Compare(len(x.Name), len(y.Name)), strings.Compare(x.Name, y.Name))
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		a.logger.Error("rendering the page", "err", err)
	}
}
