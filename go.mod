module github.com/cookiesession/cookiesession

go 1.24.0

require (
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/google/go-cmp v0.7.0
	golang.org/x/crypto v0.48.0
)

require (
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
