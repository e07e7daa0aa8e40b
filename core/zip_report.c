/*
 * zip_report.c - the compliance ZIP, built in memory with libzip; see
 * compliance.h.
 *
 * libzip writes the archive into a buffer source (kept alive past
 * zip_close with zip_source_keep), which is then read back into out. The
 * entries' data must stay valid until zip_close, so every part is built
 * first.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#include "compliance.h"

/* Adds name with data[0..len) (borrowed until zip_close); store is 1 for
 * data that is compressed already. Returns 0 or -1. */
static int
add(zip_t *za, const char *name, const void *data, size_t len, int store, time_t mtime)
{
	zip_source_t *s = zip_source_buffer(za, len ? data : "", len, 0);
	zip_int64_t idx;

	if (s == NULL)
		return -1;
	if ((idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE)) < 0) {
		zip_source_free(s);
		return -1;
	}
	if (store && zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0)
		return -1;
	return zip_file_set_mtime(za, (zip_uint64_t)idx, mtime, 0) == 0 ? 0 : -1;
}

int
anx_report_zip(const struct anx_report *r, const void *pdf, size_t pdflen, struct anx_buf *out)
{
	struct anx_buf md, chain;
	zip_source_t *src = NULL;
	zip_error_t ze;
	zip_t *za = NULL;
	zip_int64_t size;
	time_t now = time(NULL);
	int rc = -1;

	anx_buf_init(&md, 4 * 1024 * 1024);
	anx_buf_init(&chain, 64 * 1024);
	zip_error_init(&ze);
	if (anx_report_markdown(r, &md) != 0 || anx_report_chain_txt(r, &chain) != 0)
		goto out;
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL)
		goto out;
	if ((za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL)
		goto out;
	/* Keep src for reading after zip_close (which drops za's reference). */
	zip_source_keep(src);
	if (add(za, "report.md", md.data, md.len, 0, now) != 0 ||
		add(za, "report.pdf", pdf, pdflen, 1, now) != 0 ||
		add(za, "chain_head.txt", chain.data, chain.len, 0, now) != 0)
		goto out;
	for (int i = 0; i < ANX_CSV__N; i++)
		if (add(za, anx_report_csv_names[i], r->csv[i].data, r->csv[i].len, 0, now) != 0)
			goto out;
	if (zip_close(za) != 0)
		goto out;
	za = NULL;
	if (zip_source_open(src) != 0)
		goto out;
	if (zip_source_seek(src, 0, SEEK_END) != 0 || (size = zip_source_tell(src)) <= 0 ||
		size > ANX_EXPORT_MAX_BYTES || zip_source_seek(src, 0, SEEK_SET) != 0) {
		zip_source_close(src);
		goto out;
	}
	for (zip_int64_t left = size; left > 0;) {
		char chunk[16384];
		zip_int64_t n = zip_source_read(src, chunk,
			(zip_uint64_t)(left < (zip_int64_t)sizeof(chunk)
					       ? left
					       : (zip_int64_t)sizeof(chunk)));

		if (n <= 0)
			break;
		anx_buf_add(out, chunk, (size_t)n);
		left -= n;
	}
	zip_source_close(src);
	rc = anx_buf_failed(out) ? -1 : 0;
out:
	if (za != NULL)
		zip_discard(za);
	if (src != NULL)
		zip_source_free(src);
	zip_error_fini(&ze);
	anx_buf_free(&md);
	anx_buf_free(&chain);
	return rc;
}
