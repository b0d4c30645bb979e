package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// guard keeps other web sites out of the sandbox's page. The page changes
// things (it tweets, confirms purchases and links cards as the
// cardholders), so a page from anywhere else, open in the same browser,
// must not be able to POST to it; and it shows everything, so a page must
// not be able to read it by DNS rebinding, where the attacker's own name
// resolves to 127.0.0.1 and the browser then treats the sandbox as that
// site. A rebound request still carries the attacker's name in Host, so
// every request, GETs included, must name this sandbox in Host; and a POST
// must come from the page itself, which browsers say in Origin (or, where
// they leave Origin out, in Sec-Fetch-Site).
type guard struct {
	port string // the port the page listens on
	ip   net.IP // the address it listens on; unspecified for all of them
	name string // the host name given to listen on, "" when it was an address
}

// newGuard is the guard of a page listening on ln, which was asked to
// listen on listen (a host name there is one the person chose, so Host
// may be it).
func newGuard(ln net.Listener, listen string) *guard {
	g := &guard{}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		g.ip, g.port = a.IP, strconv.Itoa(a.Port)
	}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" && net.ParseIP(host) == nil {
		g.name = host
	}
	return g
}

// wrap refuses with 403 what another site could have sent, and serves the
// rest with next.
func (g *guard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := g.refusal(r); why != "" {
			http.Error(w, "paybytweet sandbox: refused: "+why, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refusal says why r is refused, or "" to serve it.
func (g *guard) refusal(r *http.Request) string {
	if !g.ownHost(r.Host) {
		return fmt.Sprintf("Host %q is not this sandbox's address (use 127.0.0.1, localhost or [::1] with port %s)", r.Host, g.port)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return ""
	}
	return sameOrigin(r)
}

// ownHost reports whether a Host header names this page: its port, and
// localhost, a loopback address, the address it listens on, or the name
// it was asked to listen on. On a page listening on every address any IP
// address will do: an address, unlike a name, cannot be rebound, so a
// browser that reached the page by it is on a network path to this
// machine the person chose.
func (g *guard) ownHost(host string) bool {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		// No port: the scheme's, 80.
		h, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	if port != g.port || h == "" {
		return false
	}
	if strings.EqualFold(h, "localhost") || (g.name != "" && strings.EqualFold(h, g.name)) {
		return true
	}
	ip := net.ParseIP(h)
	switch {
	case ip == nil:
		return false // a name: anyone's, and it may resolve here by rebinding
	case ip.IsLoopback(), ip.Equal(g.ip):
		return true
	}
	return g.ip != nil && g.ip.IsUnspecified()
}

// sameOrigin says why a POST is not from the page itself, or "". Browsers
// send Origin with every POST, so a POST with another Origin (or "null",
// from a sandboxed frame or a redirect) came from somewhere else. Where
// Origin is missing, Sec-Fetch-Site: same-origin is the browser's word for
// it; a request with neither comes from a program rather than the page,
// and must say where it is from like a browser would.
func sameOrigin(r *http.Request) string {
	own := "http://" + r.Host
	if origin := r.Header.Get("Origin"); origin != "" {
		if strings.EqualFold(origin, own) {
			return ""
		}
		return fmt.Sprintf("a POST from %s, not from this page (%s)", origin, own)
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin":
		return ""
	case "":
		return fmt.Sprintf("a POST without Origin; send Origin: %s as the page's forms do", own)
	default:
		return fmt.Sprintf("a POST from another site (Sec-Fetch-Site: %s)", site)
	}
}
