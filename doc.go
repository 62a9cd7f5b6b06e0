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
// trusted host under the domain. Among several cookies of one name, the
// store accepts only one that authenticates (trying at most four).
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
// shared cache never hands one user's cookie to another.
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
// echo.WrapMiddleware, and gin through the one-line adapter in
// examples/frameworks/ginsession (its own module, tested with all three).
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
// only.
//
// # Changing the session type
//
// A session sealed by one deploy is opened by the next, so T must stay
// readable. Safe: adding a field (old sessions leave it zero), removing
// one (its value is skipped), renaming a Go field while its cbor or json
// tag keeps the name it is stored under (the CBOR serializer follows json
// tags too; a field tagged "-" is not stored). Not safe: changing a
// field's type. The old sessions no longer decode; their load fails with
// [ErrMalformed] and their users are logged out. Instead keep the old
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
// [MaxKeys] keys in a keyring file of at most 1 MiB.
//
// # Compatibility
//
// Values carry a format version (version 1 is specified in FORMAT.md) and
// the golden vectors in testdata/vectors are kept forever: every later
// release opens every version-1 value they hold, or fails the same way. A
// future format gets a new version number and is read beside version 1.
// Keyring files carry a version too. The package needs Go 1.24 or later.
package cookiesession
