//go:build tools

// Package tools pins FerretDB, the MongoDB-wire-compatible server the local stack runs.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
