// Package ui holds the web UI: plain ES modules and CSS, embedded in the
// binary so that go build alone makes the whole product.
package ui

import "embed"

// FS holds the UI's files; index.html is the entry point.
//
//go:embed index.html static
var FS embed.FS
