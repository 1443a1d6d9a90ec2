//go:build tools

// Package tools pins the CSI snapshot-controller the local test stack runs (the real controller of
// snapshot.storage.k8s.io and groupsnapshot.storage.k8s.io). external-snapshotter replaces its own
// client module with a local path, so `go install pkg@version` refuses it; this wrapper module
// requires the released client module instead, and repeats its Kubernetes pins.
package tools

import (
	_ "github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller"
)
