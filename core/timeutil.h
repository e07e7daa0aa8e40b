/*
 * timeutil.h - timestamps as the API prints them: RFC 3339 in UTC with
 * microseconds, "2026-11-28T00:40:00.123456Z" (the same text PostgreSQL
 * produces with ANX_SQL_TS below, so values round-trip exactly).
 */
#ifndef ANX_TIMEUTIL_H
#define ANX_TIMEUTIL_H

#include <time.h>

#define ANX_TS_LEN 27
/* SQL expression formatting a timestamptz column c like anx_ts_format. */
#define ANX_SQL_TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Formats now + offset seconds into out (ANX_TS_LEN + 1 bytes). */
void anx_ts_now(char out[ANX_TS_LEN + 1], long offset_seconds);

/* Formats ts into out. */
void anx_ts_format(const struct timespec *ts, char out[ANX_TS_LEN + 1]);

#endif
