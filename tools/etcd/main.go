// etcd v3.5.17, the version helm/tributary's bundled etcd names, built from the Go module proxy for
// the Kubernetes tests (tools/etcd/README.md). This is upstream's server/main.go: etcdmain.Main.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
