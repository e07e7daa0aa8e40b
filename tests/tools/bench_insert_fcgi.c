/*
 * bench_insert_fcgi.c - a bare libfcgi responder that does one committed
 * INSERT per request: the reference point for `scripts/bench evaluate`.
 *
 * It shows what the same nginx, FastCGI pool and PostgreSQL can do when the
 * application is reduced to its least: read the request body, write one row
 * (a prepared statement on one libpq connection per worker, autocommit, so
 * each request waits for its own commit exactly like an evaluation), answer
 * a small JSON body. The evaluate route does more per request (key lookup,
 * policy decision, an evaluation row with its indexes and an audit event);
 * the ratio of the two is the cost of that work.
 *
 * The table it writes is a scratch table it creates on start-up
 * (bench_insert; CREATE TABLE IF NOT EXISTS under an advisory lock, since
 * every worker of the pool starts at once). Configuration: DATABASE_URL.
 * It accepts on fd 0 as spawn-fcgi hands it over and leaves its accept loop
 * on SIGTERM or SIGINT, like bench_hello_fcgi.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

#define BODY_MAX (64 * 1024)

static const char SQL_CREATE[] = "SELECT pg_advisory_lock(7268010199);"
				 "CREATE TABLE IF NOT EXISTS bench_insert ("
				 " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
				 " created_at timestamptz NOT NULL DEFAULT now(),"
				 " request_id text,"
				 " body text NOT NULL);"
				 "SELECT pg_advisory_unlock(7268010199);";
static const char SQL_INSERT[] =
	"INSERT INTO bench_insert (request_id, body) VALUES ($1, $2) RETURNING id";

/* Asks libfcgi to stop accepting; the blocked accept(2) returns EINTR. */
static void
on_term(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
}

/* (Re)connects and prepares the insert; NULL (logged to stderr) on failure. */
static PGconn *
db_open(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_insert_fcgi: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	r = PQexec(c, SQL_CREATE);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fprintf(stderr, "bench_insert_fcgi: create: %s", PQerrorMessage(c));
	PQclear(r);
	r = PQprepare(c, "ins", SQL_INSERT, 2, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_insert_fcgi: prepare: %s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/* Reads up to BODY_MAX bytes of the request body into buf (NUL-terminated). */
static int
read_body(FCGX_Request *req, char *buf)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	long want = cl ? strtol(cl, NULL, 10) : 0;
	int n = 0, got;

	if (want < 0)
		want = 0;
	if (want > BODY_MAX)
		want = BODY_MAX;
	while (n < want && (got = FCGX_GetStr(buf + n, (int)(want - n), req->in)) > 0)
		n += got;
	buf[n] = '\0';
	return n;
}

static void
respond(FCGX_Request *req, const char *status, const char *rid, const char *body)
{
	FCGX_FPrintF(req->out,
		"Status: %s\r\n"
		"Content-Type: application/json\r\n"
		"X-Request-Id: %s\r\n"
		"Content-Length: %u\r\n\r\n",
		status, rid != NULL ? rid : "-", (unsigned)strlen(body));
	FCGX_PutStr(body, (int)strlen(body), req->out);
}

int
main(void)
{
	static char body[BODY_MAX + 1];
	const char *url = getenv("DATABASE_URL");
	struct sigaction sa;
	FCGX_Request req;
	PGconn *db = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: accept(2) must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
		return EXIT_FAILURE;
	signal(SIGPIPE, SIG_IGN);
	if (url == NULL || *url == '\0') {
		fprintf(stderr, "bench_insert_fcgi: DATABASE_URL is not set\n");
		return EXIT_FAILURE;
	}

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		const char *rid = FCGX_GetParam("REQUEST_ID", req.envp);
		const char *params[2];
		char out[64];
		PGresult *r;

		read_body(&req, body);
		if (db == NULL || PQstatus(db) != CONNECTION_OK) {
			PQfinish(db);
			db = db_open(url);
		}
		if (db == NULL) {
			respond(&req, "503 Service Unavailable", rid, "{\"error\":\"database\"}");
			FCGX_Finish_r(&req);
			continue;
		}
		params[0] = rid;
		params[1] = body;
		r = PQexecPrepared(db, "ins", 2, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			snprintf(out, sizeof(out), "{\"id\":%s}", PQgetvalue(r, 0, 0));
			respond(&req, "200 OK", rid, out);
		} else {
			fprintf(stderr, "bench_insert_fcgi: insert: %s", PQerrorMessage(db));
			respond(&req, "500 Internal Server Error", rid, "{\"error\":\"insert\"}");
		}
		PQclear(r);
		FCGX_Finish_r(&req);
	}
	PQfinish(db);
	FCGX_Free(&req, 1);
	return EXIT_SUCCESS;
}
