//go:build !tacktest

package main

import (
	"tack/app"
	"tack/db"
)

// registerBuildHooks adds nothing to a normal build; the tacktest build tag
// adds the routes that the process-level tests drive (see hooks_tacktest.go).
func registerBuildHooks(*app.App, *db.DB) {}
