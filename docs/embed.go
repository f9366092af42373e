// Package docs holds the API description, embedded so that the server can
// serve it at /api/v1/openapi.yaml.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml, the OpenAPI 3.1 description of every route.
//
//go:embed openapi.yaml
var OpenAPI []byte
