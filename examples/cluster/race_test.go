//go:build race

package main

// raceEnabled reports whether the test runs with the race detector, in
// which case the programs it starts are built with it too.
const raceEnabled = true
