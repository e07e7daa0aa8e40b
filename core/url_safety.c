/*
 * url_safety.c - webhook URL policy, address classification and a
 * resolver with a timeout; see url_safety.h.
 *
 * Address ranges follow the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates): RFC 1122 (this network,
 * loopback), RFC 1918 (private), RFC 6598 (shared/CGNAT), RFC 3927 (IPv4
 * link-local), RFC 5737 and RFC 3849/9637 (documentation), RFC 2544 and
 * RFC 5180 (benchmarking), RFC 5771 and RFC 4291 (multicast), RFC 1112
 * (240/4 reserved), RFC 4193 (ULA), RFC 4291 §2.5.5 (IPv4-compatible and
 * -mapped), RFC 6052 and RFC 8215 (NAT64), RFC 3056 (6to4), RFC 4380
 * (Teredo), RFC 6666 (discard). Any IPv6 address outside 2000::/3 is
 * treated as reserved: nothing else is global unicast.
 */
#include "url_safety.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

anx_url_resolve_fn anx_url_resolver;
void *anx_url_resolver_ctx;

static const struct {
	const char *name;
	const char *message;
} reasons[] = {
	{ "ok", "is allowed" },                           /* ANX_URL_OK */
	{ "too_long", "is longer than 2048 characters" }, /* ANX_URL_TOO_LONG */
	{ "syntax", "is not a valid absolute URL" },      /* ANX_URL_SYNTAX */
	{ "scheme", "must use https (http only if the policy is permissive)" }, /* ANX_URL_SCHEME */
	{ "userinfo", "must not contain a user name or password" }, /* ANX_URL_USERINFO */
	{ "port", "must use the default port unless allowlisted as host:port" }, /* ANX_URL_PORT */
	{ "host_invalid", "has a malformed host" },           /* ANX_URL_HOST_INVALID */
	{ "host_blocked", "names a local or internal host" }, /* ANX_URL_HOST_BLOCKED */
	{ "not_allowlisted",
		"names a host not on the webhook allowlist" }, /* ANX_URL_NOT_ALLOWLISTED */
	{ "unspecified", "points to an unspecified address" }, /* ANX_URL_ADDR_UNSPECIFIED */
	{ "loopback", "points to a loopback address" },        /* ANX_URL_ADDR_LOOPBACK */
	{ "private", "points to a private-network address" },  /* ANX_URL_ADDR_PRIVATE */
	{ "link_local", "points to a link-local address" },    /* ANX_URL_ADDR_LINK_LOCAL */
	{ "cgnat", "points to a carrier-grade NAT (shared) address" }, /* ANX_URL_ADDR_CGNAT */
	{ "multicast", "points to a multicast address" },              /* ANX_URL_ADDR_MULTICAST */
	{ "reserved", "points to a reserved address" },                /* ANX_URL_ADDR_RESERVED */
	{ "documentation", "points to a documentation address" },  /* ANX_URL_ADDR_DOCUMENTATION */
	{ "benchmark", "points to a benchmarking address" },       /* ANX_URL_ADDR_BENCHMARK */
	{ "dns_failed", "has a host name that does not resolve" }, /* ANX_URL_DNS_FAILED */
	{ "dns_timeout", "has a host name that did not resolve in time" }, /* ANX_URL_DNS_TIMEOUT */
};

_Static_assert(sizeof(reasons) / sizeof(reasons[0]) == ANX_URL_REASON__MAX,
	"one entry per enum anx_url_reason");

const char *
anx_url_reason_name(enum anx_url_reason r)
{
	return (unsigned)r < ANX_URL_REASON__MAX ? reasons[r].name : "syntax";
}

const char *
anx_url_reason_message(enum anx_url_reason r)
{
	return (unsigned)r < ANX_URL_REASON__MAX ? reasons[r].message
						 : reasons[ANX_URL_SYNTAX].message;
}

/* ---- Address classification -------------------------------------------- */

/* Special codes in the IPv6 table: classify the embedded IPv4 address. */
enum embed { EMBED_NONE, EMBED_LOW32, EMBED_COMPAT, EMBED_6TO4 };

struct v4range {
	unsigned char net[4];
	int bits;
	enum anx_url_reason why;
};

/* First match wins. */
static const struct v4range v4ranges[] = {
	{ { 0, 0, 0, 0 }, 8, ANX_URL_ADDR_UNSPECIFIED },         /* "this network" */
	{ { 10, 0, 0, 0 }, 8, ANX_URL_ADDR_PRIVATE },            /* RFC 1918 */
	{ { 100, 64, 0, 0 }, 10, ANX_URL_ADDR_CGNAT },           /* RFC 6598 */
	{ { 127, 0, 0, 0 }, 8, ANX_URL_ADDR_LOOPBACK },          /* RFC 1122 */
	{ { 169, 254, 0, 0 }, 16, ANX_URL_ADDR_LINK_LOCAL },     /* RFC 3927, metadata */
	{ { 172, 16, 0, 0 }, 12, ANX_URL_ADDR_PRIVATE },         /* RFC 1918 */
	{ { 192, 0, 0, 0 }, 24, ANX_URL_ADDR_RESERVED },         /* IETF assignments */
	{ { 192, 0, 2, 0 }, 24, ANX_URL_ADDR_DOCUMENTATION },    /* TEST-NET-1 */
	{ { 192, 88, 99, 0 }, 24, ANX_URL_ADDR_RESERVED },       /* 6to4 relay anycast */
	{ { 192, 168, 0, 0 }, 16, ANX_URL_ADDR_PRIVATE },        /* RFC 1918 */
	{ { 198, 18, 0, 0 }, 15, ANX_URL_ADDR_BENCHMARK },       /* RFC 2544 */
	{ { 198, 51, 100, 0 }, 24, ANX_URL_ADDR_DOCUMENTATION }, /* TEST-NET-2 */
	{ { 203, 0, 113, 0 }, 24, ANX_URL_ADDR_DOCUMENTATION },  /* TEST-NET-3 */
	{ { 224, 0, 0, 0 }, 4, ANX_URL_ADDR_MULTICAST },         /* RFC 5771 */
	{ { 240, 0, 0, 0 }, 4, ANX_URL_ADDR_RESERVED },          /* incl. broadcast */
};

struct v6range {
	unsigned char net[16];
	int bits;
	enum anx_url_reason why; /* when embed == EMBED_NONE */
	enum embed embed;
};

#define Z12 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

static const struct v6range v6ranges[] = {
	{ { 0, 0, 0, 0, Z12 }, 128, ANX_URL_ADDR_UNSPECIFIED, EMBED_NONE },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, ANX_URL_ADDR_LOOPBACK,
		EMBED_NONE },
	/* ::ffff:0:0/96 IPv4-mapped */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 }, 96, ANX_URL_OK, EMBED_LOW32 },
	/* ::ffff:0:0:0/96 IPv4-translated (RFC 2765) */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0 }, 96, ANX_URL_OK, EMBED_LOW32 },
	/* ::/96 IPv4-compatible (deprecated) */
	{ { 0, 0, 0, 0, Z12 }, 96, ANX_URL_OK, EMBED_COMPAT },
	/* 64:ff9b:1::/48 local-use NAT64 (RFC 8215) */
	{ { 0, 0x64, 0xff, 0x9b, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 48, ANX_URL_ADDR_PRIVATE,
		EMBED_NONE },
	/* 64:ff9b::/96 well-known NAT64 prefix (RFC 6052) */
	{ { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 96, ANX_URL_OK,
		EMBED_LOW32 },
	/* 100::/64 discard-only (RFC 6666) */
	{ { 0x01, 0, 0, 0, Z12 }, 64, ANX_URL_ADDR_RESERVED, EMBED_NONE },
	/* 2001:db8::/32 documentation (RFC 3849) */
	{ { 0x20, 0x01, 0x0d, 0xb8, Z12 }, 32, ANX_URL_ADDR_DOCUMENTATION, EMBED_NONE },
	/* 2001:2::/48 benchmarking (RFC 5180) */
	{ { 0x20, 0x01, 0, 0x02, Z12 }, 48, ANX_URL_ADDR_BENCHMARK, EMBED_NONE },
	/* 2001::/23 IETF protocol assignments, incl. Teredo 2001::/32 */
	{ { 0x20, 0x01, 0, 0, Z12 }, 23, ANX_URL_ADDR_RESERVED, EMBED_NONE },
	/* 2002::/16 6to4 (RFC 3056) */
	{ { 0x20, 0x02, 0, 0, Z12 }, 16, ANX_URL_OK, EMBED_6TO4 },
	/* 3fff::/20 documentation (RFC 9637) */
	{ { 0x3f, 0xff, 0, 0, Z12 }, 20, ANX_URL_ADDR_DOCUMENTATION, EMBED_NONE },
	/* 5f00::/16 SRv6 SIDs (RFC 9602) */
	{ { 0x5f, 0, 0, 0, Z12 }, 16, ANX_URL_ADDR_RESERVED, EMBED_NONE },
	/* 2000::/3 global unicast */
	{ { 0x20, 0, 0, 0, Z12 }, 3, ANX_URL_OK, EMBED_NONE },
	/* fc00::/7 unique local (RFC 4193) */
	{ { 0xfc, 0, 0, 0, Z12 }, 7, ANX_URL_ADDR_PRIVATE, EMBED_NONE },
	/* fe80::/10 link-local */
	{ { 0xfe, 0x80, 0, 0, Z12 }, 10, ANX_URL_ADDR_LINK_LOCAL, EMBED_NONE },
	/* fec0::/10 site-local (deprecated, RFC 3879) */
	{ { 0xfe, 0xc0, 0, 0, Z12 }, 10, ANX_URL_ADDR_PRIVATE, EMBED_NONE },
	/* ff00::/8 multicast */
	{ { 0xff, 0, 0, 0, Z12 }, 8, ANX_URL_ADDR_MULTICAST, EMBED_NONE },
};

/* 1 if the first bits of a and net agree. */
static int
prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ net[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static enum anx_url_reason
classify_v4(const unsigned char a[4])
{
	for (size_t i = 0; i < sizeof(v4ranges) / sizeof(v4ranges[0]); i++)
		if (prefix_match(a, v4ranges[i].net, v4ranges[i].bits))
			return v4ranges[i].why;
	return ANX_URL_OK;
}

static enum anx_url_reason
classify_v6(const unsigned char a[16])
{
	enum anx_url_reason r;

	for (size_t i = 0; i < sizeof(v6ranges) / sizeof(v6ranges[0]); i++) {
		const struct v6range *v = &v6ranges[i];

		if (!prefix_match(a, v->net, v->bits))
			continue;
		switch (v->embed) {
		case EMBED_LOW32: return classify_v4(a + 12);
		case EMBED_6TO4: return classify_v4(a + 2);
		case EMBED_COMPAT:
			/* Never routable today: a public embedded address is still
			 * refused, a non-public one is named for what it hides. */
			r = classify_v4(a + 12);
			return r == ANX_URL_OK ? ANX_URL_ADDR_RESERVED : r;
		case EMBED_NONE: break;
		}
		return v->why;
	}
	return ANX_URL_ADDR_RESERVED;
}

enum anx_url_reason
anx_url_classify(const struct anx_url_addr *a)
{
	if (a->family == AF_INET)
		return classify_v4(a->a);
	if (a->family == AF_INET6)
		return classify_v6(a->a);
	return ANX_URL_ADDR_RESERVED;
}

enum anx_url_reason
anx_url_check_addr(const struct anx_url_addr *a, int strict)
{
	enum anx_url_reason r = anx_url_classify(a);

	if (!strict && (r == ANX_URL_ADDR_LOOPBACK || r == ANX_URL_ADDR_PRIVATE))
		return ANX_URL_OK;
	return r;
}

enum anx_url_reason
anx_url_check_sockaddr(const struct sockaddr *sa, socklen_t len, int strict)
{
	struct anx_url_addr a;

	memset(&a, 0, sizeof(a));
	if (sa == NULL)
		return ANX_URL_ADDR_RESERVED;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		a.family = AF_INET;
		memcpy(a.a, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		a.family = AF_INET6;
		memcpy(a.a, &s6->sin6_addr, 16);
	} else
		return ANX_URL_ADDR_RESERVED;
	return anx_url_check_addr(&a, strict);
}

void
anx_url_addr_format(const struct anx_url_addr *a, char out[ANX_URL_ADDR_TEXT])
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family == AF_INET6 && inet_ntop(AF_INET6, a->a, buf, sizeof(buf)))
		snprintf(out, ANX_URL_ADDR_TEXT, "[%s]", buf);
	else if (a->family == AF_INET && inet_ntop(AF_INET, a->a, buf, sizeof(buf)))
		snprintf(out, ANX_URL_ADDR_TEXT, "%s", buf);
	else
		snprintf(out, ANX_URL_ADDR_TEXT, "?");
}

/* ---- IPv4 spellings ---------------------------------------------------- */

/*
 * Parses one part of an inet_aton-style address: decimal, 0-prefixed
 * octal or 0x-prefixed hex (an empty "0x" is 0, as in the WHATWG URL
 * parser). Returns 0 and *v, or -1.
 */
static int
ipv4_part(const char *s, size_t n, unsigned long long *v)
{
	unsigned base = 10;
	unsigned long long x = 0;

	if (n == 0)
		return -1;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		x = x * base + d;
		if (x > 0xffffffffULL)
			return -1;
	}
	*v = x;
	return 0;
}

int
anx_url_parse_ipv4(const char *s, unsigned char a[4])
{
	unsigned long long parts[4], v;
	size_t n = strlen(s), np = 0, start = 0;

	/* Trailing dots (any number) do not change the address. */
	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (np == 4 || ipv4_part(s + start, i - start, &parts[np]) != 0)
			return 0;
		np++;
		start = i + 1;
	}
	/* The last part fills the remaining bytes: a.b.c.d, a.b.c16, a.b24, a32. */
	for (size_t i = 0; i + 1 < np; i++)
		if (parts[i] > 0xff)
			return 0;
	if (parts[np - 1] >= (1ULL << (8 * (5 - np))))
		return 0;
	v = parts[np - 1];
	for (size_t i = 0; i + 1 < np; i++)
		v |= parts[i] << (8 * (3 - i));
	a[0] = (unsigned char)(v >> 24);
	a[1] = (unsigned char)(v >> 16);
	a[2] = (unsigned char)(v >> 8);
	a[3] = (unsigned char)v;
	return 1;
}

/* ---- Host names -------------------------------------------------------- */

/* Names that reach the local machine, the local network or a cloud
 * metadata service (exact match, or any name under them). */
static const char *const blocked_suffixes[] = {
	"localhost",
	"local",
	"internal",
	"localdomain",
	"home.arpa",
	"arpa",
	"lan",
	"intranet",
	"corp",
	"home",
	"private",
	"test",
	"invalid",
	"example",
	"onion",
	"alt",
	"svc",
	"ip6-localhost",
	"ip6-loopback",
};

/* Metadata endpoints, refused even under the permissive policy. */
static const char *const metadata_names[] = {
	"metadata",
	"metadata.google.internal",
	"instance-data",
	"instance-data.ec2.internal",
	"metadata.azure.internal",
};

/* 1 if host equals name or ends in "." + name. */
static int
name_under(const char *host, const char *name)
{
	size_t h = strlen(host), n = strlen(name);

	if (h == n)
		return memcmp(host, name, n) == 0;
	return h > n && host[h - n - 1] == '.' && memcmp(host + h - n, name, n) == 0;
}

/* 1 if label s[0..n) reads as a number (decimal, or 0x hex): such a last
 * label makes the host an IPv4 address or nothing (WHATWG URL §3.5). */
static int
numeric_label(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
				    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')))
				return 0;
		return 1;
	}
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/*
 * Normalises a host name in place (lowercase, one trailing dot dropped)
 * and checks its syntax: ASCII letters, digits, '-' and '_' in labels of
 * 1-63 bytes, at most 253 bytes. Internationalised names must arrive as
 * punycode (xn--): libcurl would otherwise convert them with IDNA rules
 * that can fold look-alike characters into "localhost".
 */
static enum anx_url_reason
host_normalise(char *h, size_t *labels)
{
	size_t n = strlen(h), lab = 0, nl = 0;

	if (n > 0 && h[n - 1] == '.')
		h[--n] = '\0';
	if (n == 0 || n > ANX_URL_HOST_MAX)
		return ANX_URL_HOST_INVALID;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (i == n || c == '.') {
			if (lab == 0 || lab > 63)
				return ANX_URL_HOST_INVALID;
			nl++;
			lab = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			h[i] = (char)(c | 0x20);
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				 c == '_'))
			return ANX_URL_HOST_INVALID;
		lab++;
	}
	*labels = nl;
	return ANX_URL_OK;
}

/* ---- The allowlist ------------------------------------------------------ */

/*
 * Matches host (normalised) against one allowlist entry. Returns -1 when
 * the entry does not name this host, else the entry's port (0 when it
 * names none, i.e. the default port).
 */
static int
allow_match(const char *entry, const char *host)
{
	char e[ANX_URL_HOST_MAX + 16];
	char *hostpart = e, *colon;
	size_t n;
	int eport = 0;

	if (snprintf(e, sizeof(e), "%s", entry) >= (int)sizeof(e))
		return -1;
	/* Optional brackets around an IPv6 literal, then an optional :port. */
	if (e[0] == '[') {
		char *close = strchr(e, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		colon = close[1] == ':' ? close + 1 : NULL;
		*close = '\0';
		hostpart = e + 1;
	} else if ((colon = strrchr(e, ':')) != NULL)
		*colon = '\0';
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (end == colon + 1 || *end != '\0' || p < 1 || p > 65535)
			return -1;
		eport = (int)p;
	}
	n = strlen(hostpart);
	if (n > 0 && hostpart[n - 1] == '.')
		hostpart[--n] = '\0';
	if (strncmp(hostpart, "*.", 2) == 0) {
		const char *suffix = hostpart + 2;
		size_t h = strlen(host), s = strlen(suffix);

		if (s == 0 || h <= s + 1 || host[h - s - 1] != '.' ||
			strcasecmp(host + h - s, suffix) != 0)
			return -1;
	} else if (strcasecmp(hostpart, host) != 0)
		return -1;
	return eport;
}

/*
 * The allowlist and port rules. Without an allowlist, strict allows only
 * the default port. With one, the host must be listed; under strict the
 * port must be the default one for an entry without a port, or the
 * entry's port.
 */
static enum anx_url_reason
check_allow_port(const struct anx_url_policy *pol, const struct anx_url_target *t, int default_port)
{
	int listed = 0, port_ok = 0;

	if (pol->nallow == 0)
		return pol->strict && t->port != default_port ? ANX_URL_PORT : ANX_URL_OK;
	for (size_t i = 0; i < pol->nallow; i++) {
		int eport = pol->allow[i] ? allow_match(pol->allow[i], t->host) : -1;

		if (eport < 0)
			continue;
		listed = 1;
		if (eport == t->port || (eport == 0 && t->port == default_port))
			port_ok = 1;
	}
	if (!listed)
		return ANX_URL_NOT_ALLOWLISTED;
	return pol->strict && !port_ok ? ANX_URL_PORT : ANX_URL_OK;
}

/* ---- The URL ----------------------------------------------------------- */

static enum anx_url_reason
check_host(CURLU *u, const struct anx_url_policy *pol, struct anx_url_target *t)
{
	char *host = NULL, *zone = NULL;
	enum anx_url_reason r = ANX_URL_OK;
	size_t n, labels = 0;

	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host == NULL) {
		r = ANX_URL_SYNTAX;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
		r = ANX_URL_HOST_INVALID; /* scoped (link-local) IPv6 */
		goto out;
	}
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		t->is_ip = 1;
		t->ip.family = AF_INET6;
		if (inet_pton(AF_INET6, host + 1, t->ip.a) != 1) {
			r = ANX_URL_HOST_INVALID;
			goto out;
		}
		snprintf(t->host, sizeof(t->host), "%s", host + 1);
		r = anx_url_check_addr(&t->ip, pol->strict);
		goto out;
	}
	if (n > ANX_URL_HOST_MAX + 1) {
		r = ANX_URL_HOST_INVALID;
		goto out;
	}
	/* libcurl turns most numeric spellings into dotted quads; what it
	 * leaves (e.g. percent-encoded ones, trailing dots) the resolver
	 * would still read as an address, so parse it the same way. */
	if (anx_url_parse_ipv4(host, t->ip.a)) {
		t->is_ip = 1;
		t->ip.family = AF_INET;
		inet_ntop(AF_INET, t->ip.a, t->host, sizeof(t->host));
		r = anx_url_check_addr(&t->ip, pol->strict);
		goto out;
	}
	if ((r = host_normalise(host, &labels)) != ANX_URL_OK)
		goto out;
	{
		const char *last = strrchr(host, '.');

		last = last ? last + 1 : host;
		if (numeric_label(last, strlen(last))) {
			r = ANX_URL_HOST_INVALID; /* a number that is no address */
			goto out;
		}
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	for (size_t i = 0; i < sizeof(metadata_names) / sizeof(metadata_names[0]); i++)
		if (strcmp(host, metadata_names[i]) == 0) {
			r = ANX_URL_HOST_BLOCKED;
			goto out;
		}
	if (!pol->strict)
		goto out;
	/* A single label resolves through search domains to internal hosts. */
	if (labels < 2) {
		r = ANX_URL_HOST_BLOCKED;
		goto out;
	}
	for (size_t i = 0; i < sizeof(blocked_suffixes) / sizeof(blocked_suffixes[0]); i++)
		if (name_under(host, blocked_suffixes[i])) {
			r = ANX_URL_HOST_BLOCKED;
			goto out;
		}
out:
	curl_free(host);
	curl_free(zone);
	return r;
}

enum anx_url_reason
anx_url_check_parsed(
	const char *url, const struct anx_url_policy *pol, struct anx_url_target *t, CURLU **out)
{
	struct anx_url_target scratch;
	char *scheme = NULL, *port = NULL, *part = NULL;
	enum anx_url_reason r = ANX_URL_OK;
	CURLU *u = NULL;
	int default_port;
	size_t n;

	if (t == NULL)
		t = &scratch;
	memset(t, 0, sizeof(*t));
	if (out)
		*out = NULL;
	if (url == NULL)
		return ANX_URL_SYNTAX;
	if ((n = strlen(url)) > ANX_URL_MAX_LEN)
		return ANX_URL_TOO_LONG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return ANX_URL_SYNTAX;
	if ((u = curl_url()) == NULL)
		return ANX_URL_SYNTAX;
	switch (curl_url_set(u, CURLUPART_URL, url, 0)) {
	case CURLUE_OK: break;
	case CURLUE_UNSUPPORTED_SCHEME: r = ANX_URL_SCHEME; goto out;
	case CURLUE_BAD_PORT_NUMBER: r = ANX_URL_PORT; goto out;
	case CURLUE_BAD_HOSTNAME:
	case CURLUE_BAD_IPV6: r = ANX_URL_HOST_INVALID; goto out;
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD: r = ANX_URL_USERINFO; goto out;
	default: r = ANX_URL_SYNTAX; goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || scheme == NULL) {
		r = ANX_URL_SYNTAX;
		goto out;
	}
	if (!(strcmp(scheme, "https") == 0 || (!pol->strict && strcmp(scheme, "http") == 0))) {
		r = ANX_URL_SCHEME;
		goto out;
	}
	snprintf(t->scheme, sizeof(t->scheme), "%s", scheme);
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
		curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
		curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK) {
		r = ANX_URL_USERINFO;
		goto out;
	}
	default_port = strcmp(scheme, "https") == 0 ? 443 : 80;
	t->port = default_port;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port) {
		long p = strtol(port, NULL, 10);

		if (p < 1 || p > 65535) {
			r = ANX_URL_PORT;
			goto out;
		}
		t->port = (int)p;
	}
	if ((r = check_host(u, pol, t)) != ANX_URL_OK)
		goto out;
	r = check_allow_port(pol, t, default_port);
out:
	curl_free(scheme);
	curl_free(port);
	curl_free(part);
	if (r == ANX_URL_OK && out)
		*out = u;
	else
		curl_url_cleanup(u);
	return r;
}

enum anx_url_reason
anx_url_check(const char *url, const struct anx_url_policy *pol, struct anx_url_target *t)
{
	return anx_url_check_parsed(url, pol, t, NULL);
}

/* ---- Resolution -------------------------------------------------------- */

/*
 * getaddrinfo(3) has no timeout, so it runs in a detached helper thread
 * and the caller waits on a condition variable. Whoever finishes last
 * (caller after a timeout, or the helper after a slow answer) frees the
 * shared state; a timed-out lookup thus costs one thread until the
 * resolver gives up, never a hang.
 */
struct gai_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	int done;
	int rc;
	struct addrinfo *res;
	char host[ANX_URL_HOST_MAX + 1];
};

static void
gai_release(struct gai_job *j)
{
	int last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	if (j->res)
		freeaddrinfo(j->res);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *
gai_thread(void *p)
{
	struct gai_job *j = p;
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(j->host, NULL, &hints, &res);
	pthread_mutex_lock(&j->mu);
	j->rc = rc;
	j->res = res;
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	gai_release(j);
	return NULL;
}

static enum anx_url_reason
resolve_system(const char *host, int timeout_ms, struct anx_url_addr *out, size_t max, size_t *n)
{
	struct gai_job *j;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t th;
	struct timespec deadline;
	enum anx_url_reason r = ANX_URL_DNS_TIMEOUT;

	*n = 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ANX_URL_DNS_FAILED;
	snprintf(j->host, sizeof(j->host), "%s", host);
	j->refs = 2;
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &ta, gai_thread, j) != 0) {
		pthread_attr_destroy(&ta);
		j->refs = 1;
		gai_release(j);
		return ANX_URL_DNS_FAILED;
	}
	pthread_attr_destroy(&ta);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	while (!j->done)
		if (pthread_cond_timedwait(&j->cv, &j->mu, &deadline) == ETIMEDOUT)
			break;
	if (j->done) {
		r = j->rc == 0 ? ANX_URL_OK : ANX_URL_DNS_FAILED;
		for (struct addrinfo *ai = j->res; r == ANX_URL_OK && ai && *n < max;
			ai = ai->ai_next) {
			struct anx_url_addr *a = &out[*n];

			memset(a, 0, sizeof(*a));
			if (ai->ai_family == AF_INET) {
				a->family = AF_INET;
				memcpy(a->a, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr,
					4);
			} else if (ai->ai_family == AF_INET6) {
				a->family = AF_INET6;
				memcpy(a->a,
					&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
					16);
			} else
				continue;
			(*n)++;
		}
	}
	pthread_mutex_unlock(&j->mu);
	gai_release(j);
	if (r == ANX_URL_OK && *n == 0)
		r = ANX_URL_DNS_FAILED;
	return r;
}

enum anx_url_reason
anx_url_resolve(const char *host, int timeout_ms, struct anx_url_addr *out, size_t max, size_t *n)
{
	*n = 0;
	if (anx_url_resolver)
		return anx_url_resolver(anx_url_resolver_ctx, host, timeout_ms, out, max, n);
	return resolve_system(host, timeout_ms, out, max, n);
}

static void
explain(char *why, size_t whylen, enum anx_url_reason r, const char *addr)
{
	if (whylen == 0)
		return;
	if (addr && *addr)
		snprintf(why, whylen, "%s (%s)", anx_url_reason_message(r), addr);
	else
		snprintf(why, whylen, "%s", anx_url_reason_message(r));
}

enum anx_url_reason
anx_url_check_resolved(const char *url, const struct anx_url_policy *pol, int timeout_ms,
	struct anx_url_target *t, char *why, size_t whylen)
{
	struct anx_url_target scratch;
	struct anx_url_addr addrs[ANX_URL_MAX_ADDRS];
	char text[ANX_URL_ADDR_TEXT];
	enum anx_url_reason r;
	size_t n = 0;

	if (t == NULL)
		t = &scratch;
	if (whylen > 0)
		why[0] = '\0';
	if ((r = anx_url_check(url, pol, t)) != ANX_URL_OK) {
		if (t->is_ip) {
			anx_url_addr_format(&t->ip, text);
			explain(why, whylen, r, text);
		} else
			explain(why, whylen, r, NULL);
		return r;
	}
	if (t->is_ip || !pol->strict)
		return ANX_URL_OK;
	if ((r = anx_url_resolve(t->host, timeout_ms, addrs, ANX_URL_MAX_ADDRS, &n)) !=
		ANX_URL_OK) {
		explain(why, whylen, r, NULL);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = anx_url_check_addr(&addrs[i], pol->strict)) != ANX_URL_OK) {
			anx_url_addr_format(&addrs[i], text);
			explain(why, whylen, r, text);
			return r;
		}
	return ANX_URL_OK;
}
