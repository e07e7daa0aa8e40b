/*
 * receipt.h - POST /api/v1/receipt: what the agent reports it did.
 *
 * First receipt → 201; an identical replay → 200 with the stored body; a
 * different one → receipt_conflict. A receipt for an evaluation that is
 * not allowed or approved is refused (evaluation_not_approved) and the
 * attempt is audited. A receipt whose action_hash differs from the
 * evaluated one is stored with hash_match=false and audited as a mismatch.
 */
#ifndef ANX_RECEIPT_H
#define ANX_RECEIPT_H

#include <json-c/json.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "json.h"

/* Validates body; on ANX_OK the receipt is recorded or replayed, out holds
 * the response body and *status is 201 or 200. Validation problems come
 * back as ANX_ERR_VALIDATION with e filled. */
enum anx_err anx_receipt_submit(struct anx_db *db, const struct anx_principal *p, json_object *body,
	struct anx_verrs *e, struct anx_buf *out, int *status);

#endif
