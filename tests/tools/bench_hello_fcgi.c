/*
 * bench_hello_fcgi.c - the smallest useful libfcgi responder.
 *
 * `scripts/bench` runs it under the same spawn-fcgi + multiwatch arrangement
 * as agentnexus-fcgi, so the benchmark table can show how much of a route's
 * cost is FastCGI itself and how much is the application. It accepts on fd 0
 * (as spawn-fcgi hands it over), answers every request with a fixed JSON
 * body, and leaves its accept loop on SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

static const char body[] = "{\"status\":\"ok\"}\n";

/* Asks libfcgi to stop accepting; the blocked accept(2) returns EINTR. */
static void
on_term(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
}

int
main(void)
{
	struct sigaction sa;
	FCGX_Request req;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: accept(2) must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
		return EXIT_FAILURE;
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		const char *rid = FCGX_GetParam("REQUEST_ID", req.envp);

		FCGX_FPrintF(req.out,
			"Status: 200 OK\r\n"
			"Content-Type: application/json\r\n"
			"X-Request-Id: %s\r\n"
			"Content-Length: %u\r\n\r\n",
			rid != NULL ? rid : "-", (unsigned)(sizeof(body) - 1));
		FCGX_PutStr(body, (int)(sizeof(body) - 1), req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return EXIT_SUCCESS;
}
