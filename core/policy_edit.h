/*
 * policy_edit.h - the dashboard's policy editor: reading a draft typed as
 * text (parse errors located by line and column, then the engine's
 * validation with JSON paths), the version history, one version with its
 * neighbours, and the line diff between two versions.
 *
 * Publishing, the current version and simulation are policy_store.h's.
 */
#ifndef ANX_POLICY_EDIT_H
#define ANX_POLICY_EDIT_H

#include <json-c/json.h>

#include "db.h"
#include "json.h"

#define ANX_POLICY_DRAFT_MAX    (64 * 1024) /* bytes of editor text */
#define ANX_POLICY_HISTORY_PAGE 50

/*
 * Parses and validates the editor's text. On ANX_OK *doc is the document
 * (a new reference) and *nrules its rule count. Otherwise *doc is NULL and
 * e lists the problems: ANX_ERR_INVALID for text that is not JSON (path
 * "", the problem with "line L, column C"), ANX_ERR_VALIDATION for a
 * document the engine rejects (each problem at its JSON path),
 * ANX_ERR_TOO_LARGE over ANX_POLICY_DRAFT_MAX.
 */
enum anx_err anx_policy_draft_parse(
	const char *text, json_object **doc, int *nrules, struct anx_verrs *e);

/* Where byte offset `at` of text falls: 1-based line and column (in
 * characters). */
void anx_text_position(const char *text, size_t at, int *line, int *col);

/* The document as the editor and the diff show it: members in reading
 * order (description, default, rules; a rule's name, when, effect,
 * reason, approval; …), two-space indent, and any object or array that
 * fits in 76 columns on one line. Re-parsing it gives the same document.
 * A new malloc'd string, or NULL. */
char *anx_policy_pretty(json_object *doc);

/*
 * ws's versions, newest first, below version `before` (0 = from the
 * newest), at most ANX_POLICY_HISTORY_PAGE: {items: [{id, version,
 * created_at, created_display, by, rules, is_current (bool), previous (the
 * version before it, or null)}], older (the version to continue below,
 * or null)}.
 */
enum anx_err anx_policy_history(struct anx_db *db, const char *ws, int before, json_object **out);

/*
 * Version `version` of ws for its page: {id, version, created_at,
 * created_display, by, rules, is_current (bool), description, pretty (the
 * document as text), previous, next (neighbouring versions or null)}.
 * ANX_ERR_NOT_FOUND when ws has no such version.
 */
enum anx_err anx_policy_version_info(
	struct anx_db *db, const char *ws, int version, json_object **out);

/*
 * The line diff of two versions of ws (textdiff.h over their
 * pretty-printed documents, 3 lines of context): {from: {version,
 * created_display, by}, to: {…}, diff: {added, deleted, changed,
 * minimal, hunks}}. ANX_ERR_NOT_FOUND if either is missing.
 */
enum anx_err anx_policy_diff(
	struct anx_db *db, const char *ws, int from, int to, json_object **out);

#endif
