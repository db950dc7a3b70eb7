// Package apidoc holds the OpenAPI 3.1 description of Accord's JSON API
// (openapi.json), served at /api/v1/openapi.json; a test in package app
// keeps it equal to the routes the router really has.
package apidoc

import _ "embed"

// OpenAPI is the description, as served.
//
//go:embed openapi.json
var OpenAPI []byte
