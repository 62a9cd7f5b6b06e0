module github.com/cookiesession/cookiesession

go 1.25.0

require (
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/google/go-cmp v0.7.0
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
	github.com/rogpeppe/go-internal v1.14.1
	golang.org/x/crypto v0.48.0
	golang.org/x/net v0.50.0
)

require (
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.41.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
