//go:build tools

// Package tools pins the Kubernetes control-plane commands (and etcd) that
// the local test stack builds. k8s.io/kubernetes replaces its staging modules
// with local paths, so `go install pkg@version` refuses it; this wrapper
// module supplies those replaces with the matching released versions.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
