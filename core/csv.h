/*
 * csv.h - CSV output for exports (RFC 4180) that is safe to open in a
 * spreadsheet.
 *
 * A field is quoted when it holds a comma, a double quote, CR or LF, with
 * every double quote doubled; records end with CRLF. A field that a
 * spreadsheet would run as a formula - one starting with =, +, -, @, or a
 * tab or CR (OWASP "CSV injection") - is prefixed with a single quote, so
 * it is shown as text. The data stays readable and nothing is dropped.
 */
#ifndef ANX_CSV_H
#define ANX_CSV_H

#include <stddef.h>

#include "buf.h"

/* Appends s (n bytes; NULL = empty field) as one field to b, preceded by
 * a comma unless first. Returns 0 or -1 (the buffer failed). */
int anx_csv_field(struct anx_buf *b, const char *s, size_t n, int first);

/* Appends the fields v[0..n) (NULL = empty) and the CRLF record end. */
int anx_csv_record(struct anx_buf *b, const char *const *v, size_t n);

/* 1 if a spreadsheet would treat a cell starting with s[0] as a formula. */
int anx_csv_formula_start(const char *s, size_t n);

#endif
