// Package cookiesession keeps a web application's session in the browser:
// the session is serialized, sealed with XChaCha20-Poly1305 and written as
// cookies, on the registrable domain if you want every subdomain to share
// it, and split over several cookies when it outgrows one. No session
// store is needed: any server that holds the keyring can serve any request.
//
// A [Store] loads and saves sessions of your type; its [Store.Middleware]
// does both around each request:
//
//	keys, err := cookiesession.NewKeyringFile("keys.json", cookiesession.KeyringFileConfig{})
//	go keys.Run(ctx) // picks up rotations
//	store, err := cookiesession.NewStore(keys, cookiesession.Config[Login]{})
//	http.ListenAndServe(":8080", store.Middleware(mux))
//
//	// in a handler:
//	s, ok := store.FromContext(r.Context())
//	if !ok { // the route is not behind store.Middleware
//		http.Error(w, "no session", http.StatusInternalServerError)
//		return
//	}
//	s.Update(func(l *Login) { l.Visits++ })
//
// Create keys.json with "cookiesession keyring init keys.json" (the
// command is in cmd/cookiesession). Outside the middleware FromContext
// returns ok false and a nil *Session, whose methods panic with a message
// that names the missing middleware.
//
// A [Codec] seals single values; it implements securecookie.Codec, so it
// also drops into gorilla/sessions.
//
// # Security model
//
// What is protected. The session is encrypted and authenticated: a client
// can neither read it nor change one bit of it, and a value opens only
// under the cookie name and [Config.Purpose] it was sealed for, so it
// cannot be moved to another cookie or another application sharing the
// keyring. The expiry travels inside the sealed header and the server
// enforces it, whatever the browser does with the cookie's Max-Age. A
// value names the one key that may open it; no other key is ever tried.
// Every failure leaves the user with a fresh, empty session and the
// application with a typed reason ([ErrTampered], [ErrExpired], …);
// nothing panics and nothing is decoded before the input's size is
// checked. attack_test.go lists the attacks tried and their outcomes.
//
// What a stolen cookie can still do. The server keeps no state, so a copy
// of the cookie taken before logout opens until it expires: logout removes
// the cookie from the browser that logs out, not from a thief's. Limit the
// damage with a short [Config.Lifetime] and [Config.IdleTimeout]; call
// [Session.Renew] at login, so that a session id planted before login is
// worthless after; revoke the key to log everybody out at once; and, for
// "log out everywhere", use [Config.Validate]: keep a generation number in
// the session, compare it with the user's record, and bump the record.
//
// Sibling subdomains. A cookie with a Domain is shared with every host
// under it, and any of those hosts can set cookies of the same name for
// the whole domain ("cookie tossing"). A sibling cannot forge a session,
// but it can plant a session of its own that it obtained legitimately, or
// delete the user's, so a shared session is only as safe as the least
// trusted host under the domain. Among several cookies of one name (at
// most four are tried), the store accepts only one that authenticates and,
// of those, the one sealed last, never merely the first in the header
// (browsers send the older cookie first). A request that carried a name
// twice, a host-only cookie beside a Domain cookie for instance, gets the
// twins expired in every form (host-only, and each Domain from the host up
// to the registrable domain) by any response that writes or destroys the
// session, so that a twin can neither keep an old login in force nor
// survive a logout.
//
// The keyring file. A file that is not a regular file (a FIFO, a device)
// is refused before it is opened, and no request ever waits on the file:
// the early reload that a value under an unknown key triggers runs in the
// background. A [KeyringFile] refuses a file that would make a key it has
// seen revoked usable again (an old copy put back), with
// [ErrKeyRevived], and keeps its keyring; a revocation is undone only with
// a new key, or by restarting every server (see ErrKeyRevived).
//
// Errors and logs. A payload that authenticated but does not decode
// into the session type (its type changed between releases) gives a
// *[DecodeError] naming the field and the types, never the contents. Save
// refuses, with a *[ValueError], a value that would not open again equal
// (a time RFC 3339 cannot write, a part that does not decode again), so
// no session is sealed to be lost on the next request; what every CBOR
// and JSON decoder does alike is kept: a pointer to null (a nil slice,
// map or pointer; with CBOR a zero time) opens nil, a zero time opens in
// UTC under CBOR, and a field that omitempty or omitzero left out, or an
// unexported one, or one that Go's embedding rules shadow, opens as its
// zero value. Two or more fields that claim one name at one depth
// (promoted from two embedded structs, or tagged alike), which Go's
// encoders do not all write, are refused by Save, and a session type of
// which the serializer writes no field (every one unexported or tagged
// "-") by NewStore. Printing a [Key],
// a [Keyring] or a [Session], a pointer to one, or a slice, map or
// exported struct field that holds them, with any verb of fmt or through
// slog, shows no key's secret and no session's data, id or cookies. (fmt
// calls no method of an unexported field: a struct that holds one there
// prints it whole.)
//
// Settings changed. A shorter [Config.Lifetime] or [Config.IdleTimeout]
// applies at once to the sessions already out there: both are checked
// again at every load.
//
// Migrating from gorilla/sessions. A gorilla cookie's name carries no
// prefix, so any sibling host can plant one; see [GorillaMigration] for
// what that means while a migration lasts, and why its window should be
// short.
//
// Cookie prefixes. Without a Domain the default name is "__Host-session":
// browsers then refuse the cookie unless it is Secure, host-only and for
// Path "/", so no sibling host can toss one. A __Host- cookie cannot carry a
// Domain by definition, so a shared session uses "__Secure-session", which
// only guarantees Secure. Names are matched exactly: "__secure-session" or
// a nameless cookie whose value starts with the name are other cookies.
//
// Caches. Every response that sets a session cookie also carries
// Vary: Cookie and Cache-Control: private (no-store on logout), so that a
// shared cache never hands one user's cookie to another. Under the
// middleware they hold even when a handler sets its own Cache-Control
// after calling Save: the middleware applies them again as the header
// goes out. A handler's own no-store stands as it is. Otherwise, for a
// session cookie, it keeps the handler's other directives (max-age, say),
// dropping public, s-maxage and a qualified private="Set-Cookie" (which
// would let a cache keep the rest of the response); on logout, and for a
// new bearer token, no-store replaces them all. Cache headers aimed at
// CDNs alone (CDN-Cache-Control, Cloudflare-CDN-Cache-Control,
// Surrogate-Control), which such a cache follows over Cache-Control, are
// removed from those responses.
//
// # Bearer tokens
//
// Clients that keep no cookies (a command-line tool, a mobile app, a
// script on another origin) carry the same sealed session in an
// "Authorization: Bearer" request header. Set [Config.Transport] to
// [TransportBearer], or to TransportCookie|TransportBearer to serve both on
// the same routes; handlers do not change, [Store.FromContext] returns the
// session either way. At a login over the API, [Session.Token] seals the
// session and returns the token for the response's body. Whenever the
// session changes or must be re-sealed, the response carries the new token
// in the [TokenHeader] ("Session-Token") header, which the client swaps in;
// a script on another origin can read it only if CORS lists it in
// Access-Control-Expose-Headers.
//
// A token is sealed with the same keys, format and checks as a cookie but
// under a name of its own, so that a cookie value never opens as a token
// nor a token as a cookie: a cookie's value, lifted from a browser, would
// otherwise replay from any client without SameSite, HttpOnly or origin
// checks in its way. [Config.ShareTokenAndCookie] opts in to one value for
// both. A request that carries a Bearer Authorization header (or more than
// one Authorization header) takes its session from the token alone, and
// its cookies play no part, even when the token fails; another scheme
// (Basic) is not a token. [Store.CarriesToken] reports which. A token is
// one header, never chunked, of at most [Config.MaxSize] bytes; a malformed
// header gets a fresh session and [ErrMalformed], an oversized one a
// *[TooLargeError], before any key is looked up.
//
// A token cannot be deleted from the client that holds it: logout over an
// API means the client drops its token, and a copy opens until it expires.
// Keep lifetimes short and use [Config.Validate]. Tokens in URLs are not
// offered: URLs leak through Referer headers, access logs and history.
//
// # Cross-site requests
//
// Browsers attach cookies to requests that other sites' pages make, so a
// cookie session needs protection from cross-site request forgery; a
// bearer token does not, since no browser attaches one on its own. The
// default SameSite=Lax keeps the cookie off another site's POSTs, images
// and frames, but not off its links (top-level GETs: never change state
// on GET), and not off anything that a sibling host under the cookie's
// Domain sends: every host under the registrable domain is the same site.
// A session shared across subdomains is therefore exposed to every one of
// them. Put net/http.CrossOriginProtection in front of the middleware: it
// refuses state-changing requests that the browser reports as coming from
// another origin, sibling or not:
//
//	handler := http.NewCrossOriginProtection().Handler(store.Middleware(mux))
//
// Requests for which [Store.CarriesToken] is true may skip it.
//
// # Saving, and what happens when it fails
//
// The middleware saves the session just before the response's header goes
// out, and only if it changed. A handler that must know whether a change
// can be saved (it may make the session too large) calls [Store.Save]
// itself before it responds and answers the error; the middleware then
// writes nothing more. A save that fails in the middleware leaves the
// browser's cookies as they were and is reported to [Config.Logger] and
// [Config.OnError]. A change made after the header went out is reported
// the same way, at Warn, as [ErrLateSave]: it is never dropped without a
// word. Frameworks: chi takes the middleware as it is, echo through
// echo.WrapMiddleware, and gin through the adapter of about 70 lines in
// examples/frameworks/ginsession (a package of the examples/frameworks
// module, tested there with all three).
//
// # Flashes and remember me
//
// [Session.AddFlash] keeps a message (a kind and a text) for the next page,
// sealed beside the data; [Session.Flashes] returns the flashes and removes
// them, and the removal is saved, so that a flash is shown once. A session
// holds at most [MaxFlashes] of them, of [MaxFlashBytes] in all.
//
// [Session.SetPersistent] chooses, per session, between a persistent
// cookie (a Max-Age: "remember me") and a browser-session cookie (none:
// the browser drops it when it closes); [Config.BrowserSessionCookies]
// sets the default. The choice is sealed in the session, so it holds over
// re-seals and [Session.Renew]. Either way the server enforces
// [Config.Lifetime] and [Config.IdleTimeout], sealed into the value.
//
// # Cookies the browser will drop
//
// A Secure cookie set in answer to plain http on a host other than
// localhost (a development server reached at its IP address, say), or a
// cookie for [Config.Domain] set on a host outside that domain, never
// comes back: every request starts a fresh session. The store notices
// both when it sets a cookie and reports each once, as
// [ErrInsecureRequest] or [ErrHostOutsideDomain], to the Logger at Warn
// and to OnError, with what to change; nothing else changes. A proxy's
// Forwarded or X-Forwarded-Proto/-Host headers are read for this report
// only: the first element of each, Forwarded's proto and host (RFC 7239,
// quoted strings and all) before X-Forwarded-Proto and X-Forwarded-Host,
// each parameter on its own.
//
// # Changing the session type
//
// A session sealed by one deploy is opened by the next, so T must stay
// readable. Safe: adding a field (old sessions leave it zero), removing
// one (its value is skipped), renaming a Go field while its cbor or json
// tag keeps the name it is stored under (the CBOR serializer follows json
// tags too; a field tagged "-" is not stored). Not safe: changing a
// field's type. The old sessions mostly no longer decode: their load
// fails with [ErrMalformed] and their users are logged out; some changes
// decode without an error into another value, by the serializer's own
// conversions (a longer list into a shorter array, an integer into a
// float, with CBOR an integer into a time.Time). Instead keep the old
// field, add one with a new name, and convert in [Config.Validate], which
// may change the session: the converted session is sealed in the new
// shape on the same response. A version number in T says which sessions
// are converted. The example of Config (schemaEvolution) shows it, and
// TestSchemaEvolution holds both serializers to these rules.
//
// # Key rotation
//
// Keys live in a keyring file (see FORMAT.md) that every server reads. The
// newest active key whose activation time has passed is the primary and
// seals; the others open. A rotation adds a key that activates later (by
// default after a propagation delay), so that every server holds it before
// any server seals with it; sessions sealed under an older key are
// re-sealed by the primary when they come back, and the older key is
// retired (it opens until its retire-after time, then nothing) and
// finally pruned. Revoking a key logs out every session it sealed.
// [Store.KeyUsage] tells when a retired key is no longer seen. The
// cookiesession command (cmd/cookiesession) performs every step on the
// file; a watched keyring file picks up the changes on every server
// without a restart.
//
// # Limits
//
// Browsers keep at most 4096 bytes of name plus value in one cookie and
// silently drop a longer one; [Config.ChunkSize] (default 3800) stays under
// that. The whole Cookie request header must also pass proxies: nginx
// refuses a request header line over 8 KiB by default
// (large_client_header_buffers) and Apache one over 8190 bytes
// (LimitRequestFieldSize); load balancers allow more. [Config.MaxSize]
// (default 6144) caps what the session adds to that header, leaving room
// for the site's other cookies; [Store.Save] refuses a larger session with
// a *[TooLargeError] and leaves the browser's cookies as they were. Behind
// nginx as a reverse proxy, the Set-Cookie headers of a response must also
// fit its proxy_buffer_size (one memory page, 4 KiB on x86-64, by default):
// raise it to 16k if sessions grow past one cookie.
//
// Other bounds: at most [MaxChunks] chunks per value (and MaxSize/ChunkSize
// + 1 per store), a Cookie header scanned only up to 64 KiB, four values
// tried per cookie name, [MaxNesting] levels of nesting in a payload, and
// [MaxKeys] keys in a keyring file of at most 1 MiB. A value is weighed
// before it is encoded, since an encoder writes a part once for every
// place that holds it (a slice of many references to one long string, a
// tree whose nodes share children): one that must encode to more than
// 1 MiB, more than any codec seals, is refused with a *[TooLargeError]
// whose AtLeast is set (a type that writes itself is weighed by what its
// marshaler writes, which is called once more for it), and, under CBOR, a slice, array or map of more
// elements than its decoder accepts (65,536) with a *[ValueError].
//
// # Compatibility
//
// Values carry a format version (version 1 is specified in FORMAT.md) and
// the golden vectors in testdata/vectors are kept forever: every later
// release opens every version-1 value they hold, or fails the same way. A
// future format gets a new version number and is read beside version 1.
// Keyring files carry a version too. The package needs Go 1.25 or later,
// for net/http.CrossOriginProtection, which its examples use.
package cookiesession
