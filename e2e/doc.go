// Package e2e tests cookiesession in real browsers, against real HTTP
// servers on loopback: every test runs in headless Chromium, driven
// through the DevTools protocol, and in headless Firefox, driven through
// WebDriver BiDi, as subtests named chromium and firefox. It is a module
// of its own so that the library's go.mod does not carry the browser
// drivers.
//
// The tests look for chromium, chromium-browser, google-chrome or
// google-chrome-stable on PATH, or use the program that the CHROMIUM
// environment variable names; and for firefox-esr or firefox, or the
// program FIREFOX names. E2E_BROWSERS, a comma-separated list such as
// "firefox", picks the engines to run; the default is both. A missing
// browser skips its subtests, unless CI is "true": then they fail, so that
// a CI machine never passes by skipping.
package e2e
