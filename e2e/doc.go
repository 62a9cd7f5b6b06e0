// Package e2e tests cookiesession in a real browser: headless Chromium,
// driven through the DevTools protocol, against real HTTP servers on
// loopback. It is a module of its own so that the library's go.mod does
// not carry the browser driver.
//
// The tests look for chromium, chromium-browser, google-chrome or
// google-chrome-stable on PATH, or use the program that the CHROMIUM
// environment variable names. Without one they are skipped, unless CI is
// "true": then they fail, so that a CI machine never passes by skipping.
package e2e
