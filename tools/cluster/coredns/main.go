// CoreDNS with only the plugins the local cluster's real node needs (cluster DNS for the
// cluster domain, no forwarders): a smaller, faster build than the full plugin set of
// github.com/coredns/coredns (which pulls in cloud DNS providers). Same mechanism as upstream's
// coredns.go + core/plugin/zplugin.go, with the directive order of upstream's plugin.cfg.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes"}
}

func main() { coremain.Run() }
