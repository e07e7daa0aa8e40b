/*
 * jcs.h - RFC 8785 JSON Canonicalization Scheme (JCS) over json-c values.
 *
 * AgentNexus hashes what an agent asked to do so that an approval, a
 * receipt and the audit log all refer to the same action byte for byte:
 *
 *   action_hash = SHA-256(JCS({action, agent_id, resource, amount,
 *                              currency, context}))
 *
 * JCS makes that hash independent of how the client spelled the JSON:
 * member order, whitespace, string escapes and number spelling ("1.0",
 * "1e0", "10E-1") all canonicalize to one byte string. Anyone can
 * recompute the hash with an off-the-shelf RFC 8785 implementation.
 *
 * Numbers: JCS treats every number as an IEEE 754 double (RFC 8785
 * §3.2.2.3, I-JSON). json-c stores integer literals as int64; they are
 * converted to double first, so integers beyond 2^53 canonicalize as the
 * double they round to: 9007199254740993 -> "9007199254740992". Clients
 * that need exact large integers must send them as strings.
 */
#ifndef ANX_JCS_H
#define ANX_JCS_H

#include <json-c/json.h>

#include "buf.h"

/* Deepest container nesting anx_jcs_serialize() accepts (root = 1). */
#define ANX_JCS_MAX_DEPTH 256

/*
 * Appends the RFC 8785 canonical form of v to out (JSON null for NULL).
 * Returns 0, or -1 on a non-finite number, a string or key that is not
 * well-formed UTF-8, nesting deeper than ANX_JCS_MAX_DEPTH, or when out
 * fails (OOM or its max). On -1, out holds a partial result: reset it.
 */
int anx_jcs_serialize(json_object *v, struct anx_buf *out);

/*
 * Formats the finite double d as ECMAScript Number.prototype.toString()
 * does (RFC 8785 §3.2.2.3) into out (at least ANX_JCS_NUMBER_LEN bytes).
 * Returns the length, or -1 if d is NaN or infinite.
 */
#define ANX_JCS_NUMBER_LEN 32
int anx_jcs_number(double d, char *out);

#endif
