/*
 * url_safety.h - is a webhook URL safe to call? (SSRF defence)
 *
 * A webhook URL comes from an API client, so it is hostile until proven
 * otherwise. Three layers, all here:
 *
 *  1. anx_url_check(): pure policy over the URL as libcurl's own parser
 *     (curl_url()) reads it, so this check and the sender can never
 *     disagree about the host: scheme, userinfo, port, host name syntax,
 *     blocked names, IP literals in any non-public range (every IPv4
 *     spelling, IPv4-mapped/compatible, NAT64 and 6to4 forms), and the
 *     workspace's optional hostname allowlist.
 *  2. anx_url_check_resolved(): the same plus name resolution with a
 *     timeout (strict policy), where every address must be public.
 *  3. anx_url_check_addr(): the authoritative check on the socket address
 *     libcurl is about to connect to (the sender calls it from
 *     CURLOPT_OPENSOCKETFUNCTION), which covers every encoding, every DNS
 *     answer and DNS rebinding in one place.
 *
 * Policies (WEBHOOK_URL_POLICY): strict is the production rule set;
 * permissive also allows http, any port, local names (localhost, single
 * labels, .local, …) and loopback/private (RFC 1918, ULA) addresses, so
 * local tests can receive. Link-local (cloud metadata), unspecified,
 * multicast and reserved addresses are refused under both.
 *
 * The resolver is a hook (anx_url_resolver) that tests replace to script
 * DNS answers; NULL means the system resolver.
 */
#ifndef ANX_URL_SAFETY_H
#define ANX_URL_SAFETY_H

#include <stddef.h>
#include <sys/socket.h>

#include <curl/curl.h>

#define ANX_URL_MAX_LEN        2048
#define ANX_URL_HOST_MAX       253
#define ANX_URL_MAX_ADDRS      32
#define ANX_URL_DNS_TIMEOUT_MS 3000
#define ANX_URL_ADDR_TEXT      64 /* an address as text, with brackets */

/* Why a URL or an address is refused; ANX_URL_OK when it is not. */
enum anx_url_reason {
	ANX_URL_OK = 0,             /* ok */
	ANX_URL_TOO_LONG,           /* too_long */
	ANX_URL_SYNTAX,             /* syntax */
	ANX_URL_SCHEME,             /* scheme */
	ANX_URL_USERINFO,           /* userinfo */
	ANX_URL_PORT,               /* port */
	ANX_URL_HOST_INVALID,       /* host_invalid */
	ANX_URL_HOST_BLOCKED,       /* host_blocked */
	ANX_URL_NOT_ALLOWLISTED,    /* not_allowlisted */
	ANX_URL_ADDR_UNSPECIFIED,   /* unspecified */
	ANX_URL_ADDR_LOOPBACK,      /* loopback */
	ANX_URL_ADDR_PRIVATE,       /* private */
	ANX_URL_ADDR_LINK_LOCAL,    /* link_local */
	ANX_URL_ADDR_CGNAT,         /* cgnat */
	ANX_URL_ADDR_MULTICAST,     /* multicast */
	ANX_URL_ADDR_RESERVED,      /* reserved */
	ANX_URL_ADDR_DOCUMENTATION, /* documentation */
	ANX_URL_ADDR_BENCHMARK,     /* benchmark */
	ANX_URL_DNS_FAILED,         /* dns_failed */
	ANX_URL_DNS_TIMEOUT,        /* dns_timeout */
	ANX_URL_REASON__MAX
};

/* A stable short name ("loopback") and a sentence for people ("resolves
 * to or names a loopback address"); never NULL. */
const char *anx_url_reason_name(enum anx_url_reason r);
const char *anx_url_reason_message(enum anx_url_reason r);

/* What the URL may reach. allow[0..nallow) is the workspace's hostname
 * allowlist (borrowed): empty means any host. An entry is "host" (that
 * host, default port), "host:port" (that host on that port too) or
 * "*.example.com" (any name under example.com, default port). The
 * allowlist only narrows: a listed host must still be public. */
struct anx_url_policy {
	int strict;
	const char *const *allow;
	size_t nallow;
};

/* An address: family AF_INET (4 bytes used) or AF_INET6 (16). */
struct anx_url_addr {
	int family;
	unsigned char a[16];
};

/* The URL as the sender will use it. */
struct anx_url_target {
	char scheme[8];                  /* "http" | "https" */
	char host[ANX_URL_HOST_MAX + 1]; /* lowercase, no brackets, no trailing dot */
	int port;                        /* effective port */
	int is_ip;                       /* 1 if the host is an IP literal */
	struct anx_url_addr ip;          /* the literal, when is_ip */
};

/*
 * Checks url against pol without touching the network. On ANX_URL_OK, t
 * (may be NULL) describes the target. Never allocates beyond libcurl's
 * parser; safe to call from any thread.
 */
enum anx_url_reason anx_url_check(
	const char *url, const struct anx_url_policy *pol, struct anx_url_target *t);

/*
 * anx_url_check() that also hands back libcurl's parsed URL in *out (the
 * caller curl_url_cleanup()s it; NULL unless ANX_URL_OK), so the sender
 * can give libcurl the very handle that was checked (CURLOPT_CURLU).
 */
enum anx_url_reason anx_url_check_parsed(
	const char *url, const struct anx_url_policy *pol, struct anx_url_target *t, CURLU **out);

/*
 * anx_url_check(), then (strict only, for names) resolves the host with
 * timeout_ms and requires every address to pass anx_url_check_addr(). On
 * refusal writes a sentence into why (whylen bytes, may be 0) such as
 * "resolves to a private address (10.0.0.7)". t may be NULL.
 */
enum anx_url_reason anx_url_check_resolved(const char *url, const struct anx_url_policy *pol,
	int timeout_ms, struct anx_url_target *t, char *why, size_t whylen);

/* Classifies an address: ANX_URL_OK for a public unicast address, else
 * the range it falls in (embedded IPv4 of mapped, compatible, NAT64 and
 * 6to4 forms is classified as IPv4). */
enum anx_url_reason anx_url_classify(const struct anx_url_addr *a);

/* The policy decision for an address: classification, with loopback and
 * private ranges allowed when !strict. */
enum anx_url_reason anx_url_check_addr(const struct anx_url_addr *a, int strict);

/* The same for a socket address (as CURLOPT_OPENSOCKETFUNCTION gets it);
 * anything but AF_INET/AF_INET6 is ANX_URL_ADDR_RESERVED. */
enum anx_url_reason anx_url_check_sockaddr(const struct sockaddr *sa, socklen_t len, int strict);

/* Parses s as an IPv4 address the way inet_aton(3) and URL parsers do
 * (1 to 4 parts, each decimal, octal with a leading 0 or hex with 0x;
 * trailing dots ignored) into a (network order bytes). 1 on success, 0 if
 * s is not such an address. */
int anx_url_parse_ipv4(const char *s, unsigned char a[4]);

/* Formats a as text (IPv6 in brackets) into out. */
void anx_url_addr_format(const struct anx_url_addr *a, char out[ANX_URL_ADDR_TEXT]);

/*
 * Resolver hook. Resolves host, waiting at most timeout_ms, into up to max
 * addresses (*n set). Returns ANX_URL_OK, ANX_URL_DNS_FAILED or
 * ANX_URL_DNS_TIMEOUT. When anx_url_resolver is set (tests, benchmarks),
 * the sender also pins each transfer to its answer (CURLOPT_RESOLVE) so
 * that libcurl connects to exactly the scripted addresses.
 */
typedef enum anx_url_reason (*anx_url_resolve_fn)(void *ctx, const char *host, int timeout_ms,
	struct anx_url_addr *out, size_t max, size_t *n);
extern anx_url_resolve_fn anx_url_resolver; /* NULL: the system resolver */
extern void *anx_url_resolver_ctx;

/* Resolves through the hook, or getaddrinfo(3) in a helper thread bounded
 * by timeout_ms. */
enum anx_url_reason anx_url_resolve(
	const char *host, int timeout_ms, struct anx_url_addr *out, size_t max, size_t *n);

#endif
